"""A report from a bare matrix: `matrix --format html` for a policy with no site.

Without a site there are no site.yaml lines, locations or DNS: rows are grouped as users and
tags by their names, columns by device, and each cell names the rules the evaluator found.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

from compiler.evaluate.matrix import Matrix
from compiler.report.model import (
    Cell,
    Column,
    ColumnGroup,
    Counts,
    Reason,
    Report,
    Row,
    RowCells,
    RowGroup,
)

KINDS = (("users", "Users", ""), ("groups", "Groups", "group:"), ("tags", "Tagged devices", "tag:"))


def matrix_report(m: Matrix, source: str, title: str = "tailgen access matrix") -> Report:
    rows = _row_groups(m.principals)
    devices: dict[str, list[Column]] = {}
    for s in m.services:
        devices.setdefault(s.device, []).append(Column(s.label, s.label, s.port, _proto(s.proto)))
    groups = [ColumnGroup(d, "", tuple(cols)) for d, cols in devices.items()]
    report = Report(title, source, rows, groups)
    report.defaults = [Cell(False, (Reason("no rule matched"),)) for _ in m.services]
    ordered = [p for g in rows for p in (r.key for r in g.rows)]
    report.cells = partial(_rows, m, ordered)
    allowed = sum(c.allowed for c in m.cells.values())
    report.counts = Counts(len(m.cells), allowed)
    return report


def _rows(m: Matrix, principals: list[str]) -> Iterator[RowCells]:
    """Each row's allowed cells, with the rules the evaluator found (denied is the default:
    the matrix names no rule for a denied cell)."""
    for p in principals:
        found: RowCells = {}
        for i, s in enumerate(m.services):
            c = m.cell(p, s)
            if c.allowed or c.rules:
                reasons = tuple(Reason(f"allowed by {r}", r) for r in c.rules)
                found[i] = Cell(c.allowed, reasons or (Reason("no rule matched"),))
        yield found


def _proto(number: int) -> str:
    return {6: "tcp", 17: "udp"}.get(number, str(number))


def _row_groups(principals: list[str]) -> list[RowGroup]:
    found = []
    for kind, title, prefix in KINDS:
        mine = [
            p
            for p in principals
            if (p.startswith(prefix) if prefix else not p.startswith(("group:", "tag:")))
        ]
        if mine:
            found.append(RowGroup(kind, title, tuple(Row(p, p) for p in mine)))
    return found
