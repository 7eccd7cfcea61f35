"""The exact text of every changed artifact, as unified diffs (pure).

The semantic sections of a plan say what a change means; this part says exactly what bytes
will change, for the reviewer who wants to see the line. Paths read `a/<path>` (current) and
`b/<path>` (desired), as `git diff` writes them, so the output pastes into the usual tools.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class FileDiff:
    path: str
    change: str  # removed | added | changed
    diff: str  # unified diff, every line ending in "\n"

    @property
    def counts(self) -> tuple[int, int]:
        """Lines added and removed, as `git diff --stat` counts them."""
        lines = self.diff.splitlines()[2:]
        added = sum(1 for line in lines if line.startswith("+"))
        removed = sum(1 for line in lines if line.startswith("-"))
        return added, removed


def file_diffs(
    desired: Mapping[str, str | None], current: Mapping[str, str | None], paths: list[str]
) -> list[FileDiff]:
    """A FileDiff for each of `paths` whose text differs (None = the file is absent)."""
    out = []
    for path in paths:
        new, old = desired.get(path), current.get(path)
        if new == old:
            continue
        change = "added" if old is None else "removed" if new is None else "changed"
        out.append(FileDiff(path, change, unified(path, new, old)))
    return out


def unified(path: str, new: str | None, old: str | None) -> str:
    a = "/dev/null" if old is None else f"a/{path}"
    b = "/dev/null" if new is None else f"b/{path}"
    lines = difflib.unified_diff(_lines(old), _lines(new), a, b, lineterm="")
    return "".join(line + "\n" for line in lines)


def _lines(text: str | None) -> list[str]:
    return [] if text is None else text.splitlines()
