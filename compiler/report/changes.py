"""A review's access diff marked on the report: who gains and who loses, cell by cell.

The diff itself is `compiler.review.access` (the same one `tailgen diff` prints); this only
finds each change's cell. A change with no cell (a service the desired site removed, SSH to
a device) is listed beside the matrix so nothing a review found is left out.
"""

from __future__ import annotations

from dataclasses import replace

from compiler.report.model import Change, OtherChange, Report
from compiler.review.access import AccessChange, AccessDiff


def mark_changes(report: Report, access: AccessDiff) -> None:
    """Set each changed cell's `change`; collect the rest in `report.other_changes`."""
    for kind, changes in ((Change.GAINED, access.gained), (Change.LOST, access.lost)):
        for change in changes:
            key = (change.principal, _column_key(report, change))
            if key in report.cells:
                report.cells[key] = replace(report.cells[key], change=kind)
            else:
                report.other_changes.append(_other(kind, change))
    if access.note:
        report.notes.append(access.note)


def _column_key(report: Report, change: AccessChange) -> str:
    """The column of a change; a resolver's TCP port shares the UDP column."""
    key = str(change.target)
    if change.target.port == 53 and change.target.proto == "tcp":
        return key.removesuffix("/tcp") + "/udp"
    return key


def _other(kind: Change, change: AccessChange) -> OtherChange:
    why = ", ".join(change.rules) or ", ".join(change.labels)
    return OtherChange(kind, change.principal, str(change.target), why)
