"""A review's access diff marked on the report: who gains and who loses, cell by cell.

The diff itself is `compiler.review.access` (the same one `tailgen diff` prints); this only
finds each change's cell. A change with no cell (a service the desired site removed, SSH to
a device) is listed beside the matrix so nothing a review found is left out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from compiler.report.model import Change, OtherChange
from compiler.review.access import AccessChange, AccessDiff


@dataclass
class Marks:
    """A review on the matrix: per row key, column index → change; the changes with no cell."""

    by_row: dict[str, dict[int, Change]] = field(default_factory=dict)
    other: list[OtherChange] = field(default_factory=list)

    def count(self, kind: Change) -> int:
        return sum(c is kind for cells in self.by_row.values() for c in cells.values())


def review_marks(rows: Iterable[str], columns: Sequence[str], access: AccessDiff) -> Marks:
    """Each change's cell (row key, column index), found before any cell is computed so each
    row is marked as it is written; a later change of a cell replaces an earlier one."""
    keys, index = set(rows), {key: i for i, key in enumerate(columns)}
    marks = Marks()
    for kind, changes in ((Change.GAINED, access.gained), (Change.LOST, access.lost)):
        for change in changes:
            col = index.get(_column_key(change))
            if change.principal in keys and col is not None:
                marks.by_row.setdefault(change.principal, {})[col] = kind
            else:
                marks.other.append(_other(kind, change))
    return marks


def _column_key(change: AccessChange) -> str:
    """The column of a change; a resolver's TCP port shares the UDP column."""
    key = str(change.target)
    if change.target.port == 53 and change.target.proto == "tcp":
        return key.removesuffix("/tcp") + "/udp"
    return key


def _other(kind: Change, change: AccessChange) -> OtherChange:
    why = ", ".join(change.rules) or ", ".join(change.labels)
    return OtherChange(kind, change.principal, str(change.target), why)
