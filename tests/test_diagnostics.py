"""The problem layout through the real CLI: goldens without colour and with colour forced,
the colour switches, and lint warnings placed at the site.yaml line their rule came from.

Goldens live in tests/golden/diagnostics/<case>/ (the site and the expected stderr); the
`.ansi` golden is the same run with TAILGEN_COLOR=always. `--update-goldens` rewrites them.
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from compiler.cli import app
from compiler.cli.diagnostics import layout, use_color
from compiler.errors import Problem, Severity, Span
from goldens import assert_text

GOLDEN = Path(__file__).parent / "golden" / "diagnostics"


@pytest.fixture
def case_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NO_COLOR", raising=False)
    return tmp_path


def _build(case: str, color: str, monkeypatch: pytest.MonkeyPatch) -> str:
    shutil.copy(GOLDEN / case / "site.yaml", "site.yaml")
    monkeypatch.setenv("TAILGEN_COLOR", color)
    result = CliRunner().invoke(app, ["build"])
    assert result.exit_code == 1, result.output
    return result.stderr


@pytest.mark.parametrize(("color", "golden"), [("never", "stderr.txt"), ("always", "stderr.ansi")])
def test_failed_build_layout(
    color: str, golden: str, case_dir: Path, monkeypatch: pytest.MonkeyPatch, update_goldens: bool
) -> None:
    (case_dir / "out").mkdir()
    (case_dir / "out" / "keep.txt").write_text("old", encoding="utf-8")
    stderr = _build("build-failed", color, monkeypatch)
    assert_text(GOLDEN / "build-failed" / golden, stderr, update_goldens)
    assert (case_dir / "out" / "keep.txt").read_text(encoding="utf-8") == "old"


def test_plain_layout_has_no_escape_and_colour_has_labels(
    case_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = _build("build-failed", "never", monkeypatch)
    assert "\x1b" not in plain
    lines = plain.splitlines()
    kinds = [line.split(": ")[1] for line in lines if line.startswith("site.yaml:")]
    assert kinds == ["error", "warning", "warning"]  # the error first, though it is last in file
    assert lines[-2:] == ["1 error, 2 warnings", "out/ was left as it was"]
    coloured = _build("build-failed", "always", monkeypatch)
    assert "\x1b[1;31merror:\x1b[0m" in coloured and "\x1b[1;33mwarning:\x1b[0m" in coloured


def test_no_color_wins_over_forcing(monkeypatch: pytest.MonkeyPatch) -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("TAILGEN_COLOR", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert use_color(Tty()) and not use_color(io.StringIO())
    monkeypatch.setenv("TAILGEN_COLOR", "always")
    assert use_color(io.StringIO())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not use_color(Tty()) and not use_color(io.StringIO())
    monkeypatch.setenv("NO_COLOR", "")  # an empty NO_COLOR does not count (no-color.org)
    monkeypatch.setenv("TAILGEN_COLOR", "never")
    assert not use_color(Tty())


def test_layout_counts_and_order() -> None:
    w = Problem("w", "wide", Span("a.yaml", 1, 1), Severity.WARNING)
    e = Problem("e", "broken", Span("a.yaml", 9, 2))
    assert layout([]) == ""
    assert layout([w, e, w]).splitlines() == [
        "a.yaml:9:2: error: broken",
        "a.yaml:1:1: warning: wide",
        "a.yaml:1:1: warning: wide",
        "1 error, 2 warnings",
    ]
    assert layout([w]).splitlines() == ["a.yaml:1:1: warning: wide"]  # one needs no count
    assert layout([w, w]).splitlines()[-1] == "2 warnings"


def test_lint_warnings_point_at_the_site_line(
    case_dir: Path, monkeypatch: pytest.MonkeyPatch, update_goldens: bool
) -> None:
    monkeypatch.setenv("TAILGEN_COLOR", "never")
    site = GOLDEN / "lint-warnings" / "site.yaml"
    shutil.copy(site, "site.yaml")
    built = CliRunner().invoke(app, ["build"])
    assert built.exit_code == 0, built.output
    result = CliRunner().invoke(app, ["lint"])
    assert result.exit_code == 2, result.output
    assert_text(GOLDEN / "lint-warnings" / "stderr.txt", result.stderr, update_goldens)
    lines = site.read_text(encoding="utf-8").splitlines()
    cited = [int(x.split(":")[1]) for x in result.stderr.splitlines() if x.startswith("site.y")]
    assert [lines[n - 1].strip() for n in cited] == ["family: [me, kid]", "ai: {owners: [kid]}"]
    # the build's self-check lints the same rules, so it cites the same site lines
    assert [x.split(" warning:")[0] for x in built.stderr.splitlines() if "warning:" in x] == [
        f"site.yaml:{n}:1:" for n in cited
    ]
