"""Text, CSV and JSON renderings of matrices, decisions and test failures.

Deterministic byte for byte (golden tests compare them). The matrix writers (`write_matrix_*`)
take any `Grid` and write one row at a time to a text stream, so a `MatrixStream` of a
10,000-device tailnet never holds its cells (or its output) in memory; the `matrix_*`
functions return the same text as a string. JSON is what `json.dumps(m.to_dict(),
sort_keys=True)` gives, compact or (`pretty`) indented by 2, written cell by cell. The HTML
matrix is the access report's page (`compiler.report`), which `matrix --format html` renders.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from typing import TextIO

from compiler.evaluate.decision import PROVENANCE, Decision
from compiler.evaluate.matrix import Cell, Grid
from compiler.evaluate.policytests import TestFailure

YES, NO = "✓", "·"


def write_matrix_text(m: Grid, out: TextIO) -> None:
    """A plain grid: one row per principal, one numbered column per service (legend below)."""
    width = max((len(p) for p in m.principals), default=9)
    numbers = [str(i + 1) for i in range(len(m.services))]
    col = max((len(n) for n in numbers), default=1) + 1
    out.write(" " * width + " " + "".join(n.rjust(col) for n in numbers) + "\n")
    for p, cells in m.rows():
        marks = "".join((YES if c.allowed else NO).rjust(col) for c in cells)
        out.write(p.ljust(width) + " " + marks + "\n")
    out.write("\n")
    out.writelines(f"{n.rjust(col)} {s.label}\n" for n, s in zip(numbers, m.services, strict=True))


def write_matrix_csv(m: Grid, out: TextIO) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["principal", *(s.label for s in m.services)])
    for p, cells in m.rows():
        writer.writerow([p, *("yes" if c.allowed else "no" for c in cells)])


def write_matrix_json(m: Grid, out: TextIO, pretty: bool = False) -> None:
    """`Matrix.to_dict()` as JSON with sorted keys, the cells written a row at a time."""
    dumps = _pretty_dumps if pretty else _compact_dumps
    comma, first = ",\n" if pretty else ",", True
    out.write('{\n  "cells": [' if pretty else '{"cells":[')
    labels = [json.dumps(s.label) for s in m.services]
    for p, cells in m.rows():
        row = _json_cells(json.dumps(p), labels, cells, pretty)
        if row:
            out.write(("\n" if pretty else "") + row if first else comma + row)
            first = False
    if pretty:
        out.write("\n  ]" if not first else "]")
    principals = dumps(list(m.principals))
    services = dumps([s.__dict__ for s in m.services])
    if pretty:
        out.write(f',\n  "principals": {principals},\n  "services": {services}\n}}\n')
    else:
        out.write(f'],"principals":{principals},"services":{services}}}\n')


def _compact_dumps(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _pretty_dumps(value: object) -> str:
    """Indented by 2 as a member of the top-level object (one level in)."""
    return json.dumps(value, sort_keys=True, indent=2).replace("\n", "\n  ")


def _json_cells(principal: str, labels: list[str], cells: list[Cell], pretty: bool) -> str:
    """One row's cells as the members of the `cells` array (keys in sorted order)."""
    if not pretty:
        return ",".join(
            f'{{"allowed":{"true" if c.allowed else "false"},"principal":{principal},'
            f'"rules":[{",".join(json.dumps(r) for r in c.rules)}],"service":{label}}}'
            for label, c in zip(labels, cells, strict=True)
        )
    return ",\n".join(
        f'    {{\n      "allowed": {"true" if c.allowed else "false"},\n'
        f'      "principal": {principal},\n      "rules": {_pretty_rules(c.rules)},\n'
        f'      "service": {label}\n    }}'
        for label, c in zip(labels, cells, strict=True)
    )


def _pretty_rules(rules: tuple[str, ...]) -> str:
    if not rules:
        return "[]"
    items = ",\n".join(f"        {json.dumps(r)}" for r in rules)
    return f"[\n{items}\n      ]"


def _to_string(write: Callable[[TextIO], None]) -> str:
    buf = io.StringIO()
    write(buf)
    return buf.getvalue()


def matrix_text(m: Grid) -> str:
    return _to_string(lambda out: write_matrix_text(m, out))


def matrix_csv(m: Grid) -> str:
    return _to_string(lambda out: write_matrix_csv(m, out))


def matrix_json(m: Grid, pretty: bool = False) -> str:
    return _to_string(lambda out: write_matrix_json(m, out, pretty))


def decision_text(d: Decision, site_lines: dict[int, str] | None = None) -> str:
    """Verdict, then each matching rule with its policy line and, for ours, its site.yaml line."""
    verdict = "ALLOWED" if d.allowed else "DENIED"
    proto = {6: "tcp", 17: "udp", 1: "icmp"}.get(d.proto, str(d.proto))
    lines = [f"{verdict}: {d.src} -> {d.dst}:{d.port}/{proto}"]
    for r in d.sources:
        state = "allowed" if r.allowed else "denied"
        lines.append(f"  from {r.source} ({r.address or 'no address of that family'}): {state}")
    if not d.matches:
        lines.append(f"  {d.reason}")
    for m in d.matches:
        lines.append(f"  rule {m.rule} (policy line {m.line}): dst {m.dst} {m.ports}")
        if m.provenance:
            lines.append(f"    from {m.provenance}")
            declared = (site_lines or {}).get(_site_line(m.provenance))
            if declared:
                lines.append(f"    {_site_file(m.provenance)}: {declared.strip()}")
    return "\n".join(lines) + "\n"


def data_plane_text(echo: Decision, policy_allows: bool) -> str:
    """What tailscaled does with an echo request, beside the policy's reading of ICMP."""
    passes = "gets through" if echo.allowed else "is dropped"
    lines = [f"data plane: an echo request {passes} (tailscaled accepts ICMP echo when any rule"]
    lines.append("  admits the address pair, whatever its protocol or ports)")
    lines += [
        f"  rule {m.rule} (policy line {m.line}): dst {m.dst} {m.ports}" for m in echo.matches
    ]
    if echo.allowed != policy_allows:
        policy = "allowed" if policy_allows else "denied"
        lines.append(f"  differs from the policy's reading ({policy}): `tests` follow the policy")
    return "\n".join(lines) + "\n"


def _site_line(provenance: str) -> int:
    found = PROVENANCE.match(provenance)
    return int(found["line"]) if found else 0


def _site_file(provenance: str) -> str:
    found = PROVENANCE.match(provenance)
    return found["file"] if found else "site.yaml"


def failures_json(failures: list[TestFailure]) -> str:
    body = (
        {"message": "test(s) failed", "data": [f.to_dict() for f in failures]} if failures else {}
    )
    return json.dumps(body, indent=2) + "\n"
