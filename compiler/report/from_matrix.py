"""A report from a bare matrix: `matrix --format html` for a policy with no site.

Without a site there are no site.yaml lines, locations or DNS: rows are grouped as users and
tags by their names, columns by device, and each cell names the rules the evaluator found.
"""

from __future__ import annotations

from compiler.evaluate.matrix import Matrix
from compiler.report.model import Cell, Column, ColumnGroup, Reason, Report, Row, RowGroup

KINDS = (("users", "Users", ""), ("groups", "Groups", "group:"), ("tags", "Tagged devices", "tag:"))


def matrix_report(m: Matrix, source: str, title: str = "tailgen access matrix") -> Report:
    rows = _row_groups(m.principals)
    devices: dict[str, list[Column]] = {}
    for s in m.services:
        devices.setdefault(s.device, []).append(Column(s.label, s.label, s.port, _proto(s.proto)))
    groups = [ColumnGroup(d, "", tuple(cols)) for d, cols in devices.items()]
    report = Report(title, source, rows, groups)
    for p in m.principals:
        for s in m.services:
            c = m.cell(p, s)
            reasons = tuple(Reason(f"allowed by {r}", r) for r in c.rules) or (
                Reason("no rule matched"),
            )
            report.cells[(p, s.label)] = Cell(c.allowed, reasons)
    return report


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
