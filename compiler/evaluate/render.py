"""Text, CSV and JSON renderings of matrices, decisions and test failures.

Pure string builders, deterministic byte for byte (golden tests compare them). The HTML
matrix is the access report's page (`compiler.report`), which `matrix --format html` renders.
"""

from __future__ import annotations

import csv
import io
import json

from compiler.evaluate.decision import PROVENANCE, Decision
from compiler.evaluate.matrix import Matrix
from compiler.evaluate.policytests import TestFailure

YES, NO = "✓", "·"


def matrix_text(m: Matrix) -> str:
    """A plain grid: one row per principal, one numbered column per service (legend below)."""
    width = max((len(p) for p in m.principals), default=9)
    numbers = [str(i + 1) for i in range(len(m.services))]
    col = max((len(n) for n in numbers), default=1) + 1
    lines = [" " * width + " " + "".join(n.rjust(col) for n in numbers)]
    for p in m.principals:
        marks = (YES if m.cell(p, s).allowed else NO for s in m.services)
        lines.append(p.ljust(width) + " " + "".join(x.rjust(col) for x in marks))
    lines.append("")
    lines += [f"{n.rjust(col)} {s.label}" for n, s in zip(numbers, m.services, strict=True)]
    return "\n".join(lines) + "\n"


def matrix_csv(m: Matrix) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["principal", *(s.label for s in m.services)])
    for p in m.principals:
        writer.writerow([p, *("yes" if m.cell(p, s).allowed else "no" for s in m.services)])
    return buf.getvalue()


def matrix_json(m: Matrix) -> str:
    return json.dumps(m.to_dict(), indent=2, sort_keys=True) + "\n"


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
