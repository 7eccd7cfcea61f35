"""Shared pytest fixtures and options.

`--update-goldens` rewrites golden expected files instead of comparing; the rewritten files are
then reviewed in the git diff like any other change.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def shared_dir() -> Path:
    """shared/ sits beside the clone (../shared) in CI and in a session; TAILGEN_SHARED overrides."""
    env = os.environ.get("TAILGEN_SHARED")
    return Path(env) if env else REPO.parent / "shared"


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
