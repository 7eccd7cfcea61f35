"""Golden tests: each tests/golden/build/<case>/site.yaml builds exactly <case>/expected/."""

from __future__ import annotations

from pathlib import Path

import pytest

from compiler import build, hujson
from goldens import assert_tree

CASES = Path(__file__).parent / "golden" / "build"
NAMES = sorted(p.name for p in CASES.iterdir() if (p / "site.yaml").is_file())


@pytest.mark.parametrize("case", NAMES)
def test_build_matches_golden(case: str, update_goldens: bool) -> None:
    site = CASES / case / "site.yaml"
    result = build.compile_text(site.read_text(), "site.yaml")
    assert_tree(CASES / case / "expected", result.files, update_goldens)


@pytest.mark.parametrize("case", NAMES)
def test_policy_is_canonical_hujson(case: str) -> None:
    """The generated policy parses and is already in Tailscale's own layout."""
    result = build.compile_text((CASES / case / "site.yaml").read_text(), "site.yaml")
    text = result.files["policy.hujson"].decode()
    assert hujson.format(text) == text
    assert isinstance(hujson.loads(text), dict)


def test_enough_cases() -> None:
    assert len(NAMES) >= 8


def test_example_out_is_current(repo: Path) -> None:
    """out/ in the repo is exactly what site.yaml builds (the same gate as `tailgen check`)."""
    result = build.compile_text((repo / "site.yaml").read_text(), "site.yaml")
    assert build.stale(result, repo / "out").__bool__() is False


def test_lines_added_above_a_service_leave_its_launch_files_alone() -> None:
    """A launch file's header names the site file and its service, not the service's line:
    otherwise adding a line near the top of site.yaml would rewrite every later service's
    files, and a one-service change would show as hundreds of changed files in review."""
    from compiler.build import compile_text

    text = (Path(__file__).parents[1] / "site.yaml").read_text()
    before = compile_text(text, "site.yaml").files
    after = compile_text("# a note added on top\n\n" + text, "site.yaml").files
    launch = sorted(p for p in before if p.startswith("launch/"))
    assert launch
    assert [p for p in launch if before[p] != after[p]] == []
