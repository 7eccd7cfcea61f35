"""compiler.workspace: the one way the evaluating commands get a site and a policy."""

from __future__ import annotations

from pathlib import Path

import pytest

from compiler.errors import InputError, SiteError, TailgenError
from compiler.workspace import choose_policy, find_workspace, load_workspace


def test_the_site_policy_is_compiled_in_memory(site_dir: Path) -> None:
    ws = load_workspace(Path("site.yaml"))
    assert ws.site.users["guest"].login == "guest@example.com"
    chosen = choose_policy(ws, None, None)
    assert chosen.note is None
    assert '"grants"' in chosen.text and chosen.text == ws.policy_text
    assert not Path("out").exists(), "evaluating must not write out/"


def test_a_missing_site_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"nonexist\.yaml: no such site file"):
        load_workspace(tmp_path / "nonexist.yaml")
    with pytest.raises(InputError, match="is a directory, not a site file"):
        load_workspace(tmp_path)


def test_a_broken_site_is_a_site_error(site_dir: Path) -> None:
    Path("site.yaml").write_text("users: [1, 2]\n")
    with pytest.raises(SiteError) as caught:
        load_workspace(Path("site.yaml"))
    assert (
        str(caught.value.problems[0]) == "site.yaml:1:1: users: Input should be a valid dictionary"
    )


def test_the_default_site_is_optional_only_when_a_policy_is_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert find_workspace(None, needed=False) is None
    with pytest.raises(InputError, match="give --site FILE, or --policy FILE"):
        find_workspace(None, needed=True)
    with pytest.raises(InputError, match=r"other\.yaml: no such site file"):
        find_workspace(Path("other.yaml"), needed=False)


def test_a_policy_file_is_read_and_compared(site_dir: Path) -> None:
    ws = load_workspace(Path("site.yaml"))
    same = site_dir / "same.hujson"
    same.write_text(ws.policy_text)
    assert choose_policy(ws, same, None).note is None
    other = Path("other.hujson")
    other.write_text('{"grants": []}\n')
    chosen = choose_policy(ws, other, None)
    assert chosen.text == '{"grants": []}\n'
    assert chosen.note is not None and str(chosen.note).startswith(
        "other.hujson: warning: not what site.yaml builds"
    )


def test_out_dir_means_its_policy_file(site_dir: Path) -> None:
    with pytest.raises(
        InputError, match=r"out/policy.hujson: no such policy file \(run `tailgen build`\)"
    ):
        choose_policy(None, None, Path("out"))
    with pytest.raises(TailgenError, match="at most one of --policy FILE and --out DIR"):
        choose_policy(None, Path("p.hujson"), Path("out"))


def test_the_policy_evaluated_is_the_one_build_writes(site_dir: Path) -> None:
    from compiler.build import compile_text

    ws = load_workspace(Path("site.yaml"))
    built = compile_text(Path("site.yaml").read_text(), "site.yaml").files["policy.hujson"]
    assert ws.policy_text.encode() == built


def test_a_failing_self_check_fails_the_workspace_as_it_fails_the_build(
    site_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The self-check's errors stop the evaluating commands too; its lints (warnings, never
    shown by them) are not run."""
    import compiler.evaluate
    from compiler.build import compile_text
    from compiler.errors import Problem, Span

    broken = Problem("test-failed", "a generated test fails", Span("out/policy.hujson", 1, 1))
    monkeypatch.setattr(compiler.evaluate, "validate", lambda *_a, **_k: [broken])
    with pytest.raises(TailgenError) as from_build:
        compile_text(Path("site.yaml").read_text(), "site.yaml")
    with pytest.raises(TailgenError) as from_workspace:
        load_workspace(Path("site.yaml"))
    assert from_workspace.value.problems == from_build.value.problems == [broken]

    def no_lint(*_a: object, **_k: object) -> list[Problem]:
        raise AssertionError("the workspace ran the lints")

    monkeypatch.undo()
    monkeypatch.chdir(site_dir)
    monkeypatch.setattr(compiler.evaluate, "lint", no_lint)
    assert load_workspace(Path("site.yaml")).policy_text
