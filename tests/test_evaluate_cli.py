"""`tailgen validate/test/explain/matrix/lint` on the example site: goldens, exit codes, a browser.

The policy is built fresh from the repo's site.yaml (so these goldens move with the compiler
and are reviewed with it); `--update-goldens` rewrites them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from compiler.build import compile_text
from compiler.cli import app
from goldens import assert_text

GOLDEN = Path(__file__).parent / "golden" / "evaluate"
EXPLAIN_CASES = {
    "explain_emory_wintendo": ["emory@github", "wintendo:11434"],
    "explain_guest_lmstudio": ["guest@example.com", "lmStudio:11337"],
    "explain_partner_icon_all_ports": ["partner@example.com", "icon"],
}


@pytest.fixture
def built(tmp_path: Path, repo: Path) -> list[str]:
    """CLI options pointing at a policy freshly built from the example site."""
    site = repo / "site.yaml"
    policy = tmp_path / "policy.hujson"
    policy.write_bytes(
        compile_text(site.read_text(encoding="utf-8"), "site.yaml").files["policy.hujson"]
    )
    return ["--policy", str(policy), "--site", str(site)]


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout


@pytest.mark.parametrize("case", sorted(EXPLAIN_CASES))
def test_explain_golden(case: str, built: list[str], update_goldens: bool) -> None:
    code, out = run("explain", *EXPLAIN_CASES[case], *built)
    assert code in (0, 2)
    assert_text(GOLDEN / f"{case}.txt", out, update_goldens)


def test_explain_names_the_site_declaration(built: list[str]) -> None:
    code, out = run("explain", "emory@github", "wintendo:11434", *built)
    assert code == 0
    assert "ALLOWED" in out and "from site.yaml:" in out and "policy line" in out


def test_explain_denied_exits_2(built: list[str]) -> None:
    code, out = run("explain", "guest@example.com", "wintendo:11434", *built)
    assert code == 2 and "DENIED" in out and "no rule matched" in out


@pytest.mark.parametrize("fmt", ["text", "csv", "json", "html"])
def test_matrix_golden(fmt: str, built: list[str], update_goldens: bool) -> None:
    pretty = ["--pretty"] if fmt == "json" else []  # the golden is the indented form
    code, out = run("matrix", "--format", fmt, *pretty, *built)
    assert code == 0
    assert_text(GOLDEN / f"matrix.{fmt}", out, update_goldens)


def test_matrix_json_is_complete(built: list[str]) -> None:
    data = json.loads(run("matrix", "--format", "json", *built)[1])
    assert len(data["cells"]) == len(data["principals"]) * len(data["services"])


def test_validate_and_test_pass_on_our_output(built: list[str]) -> None:
    policy = built[1]
    assert run("validate", policy, "--site", built[3])[0] == 0
    assert run("test", *built)[0] == 0


def test_validate_reports_control_plane_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no site.yaml here: the policy is evaluated on its own
    bad = tmp_path / "bad.hujson"
    bad.write_text(
        '{\n  // no such tag\n  "acls": [{"action": "accept", "src": ["tag:x"], "dst": ["*:*"]}],\n}\n'
    )
    code, out = run("validate", str(bad), "--format", "json")
    assert code == 1
    problem = json.loads(out)["problems"][0]
    assert 'src=tag not found: "tag:x"' in problem["message"]
    assert (problem["line"], problem["column"]) == (3, 41)


def test_test_command_fails_on_a_failing_test(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    policy = tmp_path / "p.hujson"
    policy.write_text(
        json.dumps({"acls": [], "tests": [{"src": "1.2.3.4", "accept": ["5.6.7.8:22"]}]})
    )
    code, out = run("test", "--policy", str(policy))
    assert code == 1 and "want: Accept, got: Drop" in out and "0 passed, 1 failed" in out


def test_lint_exit_codes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    clean = tmp_path / "clean.hujson"
    clean.write_text(json.dumps({"acls": []}))
    noisy = tmp_path / "noisy.hujson"
    noisy.write_text(
        json.dumps(
            {
                "groups": {"group:unused": []},
                "acls": [{"action": "accept", "src": ["*"], "dst": ["*:*"]}],
            }
        )
    )
    nosite: list[str] = []
    assert run("lint", "--policy", str(clean), *nosite)[0] == 0
    code, out = run("lint", "--policy", str(noisy), *nosite, "--format", "json")
    assert code == 2
    codes = {p["code"] for p in json.loads(out)["problems"]}
    assert {"unused-group", "wide-grant", "internet-for-everyone"} <= codes
