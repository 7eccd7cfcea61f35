"""Where tests find recorded data: the vendored copy in tests/data/, else ../shared/testdata/.

A fresh clone has no `../shared`. Data whose licence allows it is vendored under tests/data/
(see its README), so those tests run anywhere. A test that needs data that cannot be vendored
asks `require_data`, which skips it with the reason when the data is absent — and, under
`CI=true` (where ../shared is always present), fails it instead, so a lost data set can never
turn into a silently green CI.
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path
from typing import NoReturn

import pytest

REPO = Path(__file__).resolve().parents[1]
VENDORED = REPO / "tests" / "data"


def shared_dir() -> Path:
    """shared/ sits beside the clone (../shared) in CI and in a session; TAILGEN_SHARED overrides."""
    env = os.environ.get("TAILGEN_SHARED")
    return Path(env) if env else REPO.parent / "shared"


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def find_data(rel: str) -> Path | None:
    """`rel` (e.g. "saas/cases.jsonl"): vendored (or its .gz), else under shared/testdata/."""
    for candidate in (VENDORED / rel, VENDORED / f"{rel}.gz", shared_dir() / "testdata" / rel):
        if candidate.is_file():
            return candidate
    return None


def require_data(rel: str) -> Path:
    """The path of `rel`, or skip the calling test (module-level calls skip the module) with
    the reason; under CI=true a missing data set is a failure, not a skip."""
    found = find_data(rel)
    if found is not None:
        return found
    return missing(
        f"needs test data {rel}: not vendored in tests/data/ and not in "
        f"{shared_dir() / 'testdata'} (set TAILGEN_SHARED to a shared/ directory)"
    )


def require_shared(rel: str) -> Path:
    """`rel` under shared/testdata/ itself (not the vendored copy), or skip/fail as above."""
    path = shared_dir() / "testdata" / rel
    return path if path.is_file() else missing(f"needs {path} (../shared is absent: a fresh clone)")


def missing(reason: str) -> NoReturn:
    """Skip with `reason`; under CI=true (where ../shared is always present) fail instead."""
    if in_ci():
        pytest.fail(f"CI=true: {reason}", pytrace=False)
    pytest.skip(reason, allow_module_level=True)


def read_bytes(path: Path) -> bytes:
    """A data file's bytes, decompressed when it is vendored as .gz."""
    data = path.read_bytes()
    return gzip.decompress(data) if path.suffix == ".gz" else data


def read_text(path: Path) -> str:
    return read_bytes(path).decode("utf-8")
