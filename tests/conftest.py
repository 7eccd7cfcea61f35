"""Shared pytest fixtures and options.

`--update-goldens` rewrites golden expected files instead of comparing; the rewritten files are
then reviewed in the git diff like any other change. Recorded data: `datafiles.require_data`
(vendored tests/data/ first, then ../shared; skips with the reason when absent, fails under
CI=true) and the `data` fixture.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from datafiles import REPO, require_data, shared_dir

__all__ = ["REPO", "require_data", "shared_dir"]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-goldens",
        action="store_true",
        default=False,
        help="rewrite golden expected files instead of comparing",
    )


@pytest.fixture
def update_goldens(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-goldens"))


@pytest.fixture
def repo() -> Path:
    return REPO


@pytest.fixture
def shared() -> Path:
    return shared_dir()


@pytest.fixture
def data() -> object:
    """`data("saas/cases.jsonl")` → its path (vendored or shared), or the test skips (fails
    under CI=true) saying what is missing."""
    return require_data


@pytest.fixture
def site_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A scratch directory holding a copy of the example site.yaml, made the working directory."""
    shutil.copy(REPO / "site.yaml", tmp_path / "site.yaml")
    monkeypatch.chdir(tmp_path)
    return tmp_path
