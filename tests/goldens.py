"""Golden-file comparison shared by every golden test.

A golden case is a directory; expected outputs live in it and are rewritten only when pytest
runs with `--update-goldens` (then reviewed in the git diff).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from compiler.output import read_tree


def write_tree(root: Path, files: dict[str, bytes]) -> None:
    if root.exists():
        shutil.rmtree(root)
    for rel, data in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def assert_tree(expected_dir: Path, actual: dict[str, bytes], update: bool) -> None:
    """The generated files equal the golden tree exactly (same names, same bytes)."""
    if update:
        write_tree(expected_dir, actual)
        return
    expected = read_tree(expected_dir)
    assert expected, f"no goldens in {expected_dir}: run pytest --update-goldens and review"
    assert sorted(actual) == sorted(expected), f"file sets differ in {expected_dir}"
    for rel, data in actual.items():
        assert data.decode() == expected[rel].decode(), f"{expected_dir}/{rel} differs"


def assert_text(expected_file: Path, actual: str, update: bool) -> None:
    if update:
        expected_file.parent.mkdir(parents=True, exist_ok=True)
        expected_file.write_text(actual, encoding="utf-8")
        return
    assert expected_file.is_file(), f"missing golden {expected_file}: run pytest --update-goldens"
    assert actual == expected_file.read_text(encoding="utf-8")
