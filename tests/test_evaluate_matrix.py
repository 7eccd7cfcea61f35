"""The matrix, computed row by row (`matrix_stream`), against `allowed()` and `json.dumps`;
and the evaluator's fast address test against `ipaddress`.

Oracles: every cell must say what `allowed()` says for that principal and service (a separate
path through the evaluator: per-flow `matching`, not the per-column atom lists), and the
streamed JSON must be byte for byte what `json.dumps(matrix.to_dict(), sort_keys=True)`
writes, compact or indented; the CSV must parse back to the cells.
"""

from __future__ import annotations

import csv
import io
import ipaddress
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_evaluate_props import Dev, policies, tailnets, topology

from compiler.evaluate import allowed, evaluator
from compiler.evaluate.addrs import is_ip_or_cidr
from compiler.evaluate.matrix import Matrix, matrix_stream
from compiler.evaluate.render import matrix_csv, matrix_json, matrix_text, write_matrix_json

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _grid(devices: list[Dev], policy: dict[str, Any]) -> tuple[Any, Matrix]:
    ev = evaluator(json.dumps(policy), topology(devices))
    stream = matrix_stream(ev)
    return stream, Matrix.of(stream)


@SETTINGS
@given(devices=tailnets(), policy=policies())
def test_every_cell_says_what_allowed_says(devices: list[Dev], policy: dict[str, Any]) -> None:
    stream, table = _grid(devices, policy)
    for principal in table.principals:
        for svc in table.services:
            decision = allowed(stream.ev, None, principal, svc.device, svc.port, svc.proto)
            cell = table.cell(principal, svc)
            assert cell.allowed == decision.allowed, (principal, svc, decision.reason)
            if cell.allowed:
                assert cell.rules == tuple(dict.fromkeys(m.rule for m in decision.matches))


@SETTINGS
@given(devices=tailnets(), policy=policies())
def test_streamed_outputs_equal_the_whole_matrix(
    devices: list[Dev], policy: dict[str, Any]
) -> None:
    stream, table = _grid(devices, policy)
    whole = table.to_dict()
    compact = json.dumps(whole, sort_keys=True, separators=(",", ":")) + "\n"
    assert matrix_json(stream) == compact
    assert matrix_json(stream, pretty=True) == json.dumps(whole, indent=2, sort_keys=True) + "\n"
    rows = list(csv.reader(io.StringIO(matrix_csv(stream))))
    assert rows[0] == ["principal", *(s.label for s in table.services)]
    assert rows[1:] == [
        [p, *("yes" if table.cell(p, s).allowed else "no" for s in table.services)]
        for p in table.principals
    ]
    assert matrix_text(stream) == matrix_text(table)


def test_empty_matrix_json_is_the_same_too() -> None:
    table = Matrix([], [])
    for pretty, indent in ((False, None), (True, 2)):
        out = io.StringIO()
        write_matrix_json(table, out, pretty)
        separators = None if pretty else (",", ":")
        expected = json.dumps(table.to_dict(), sort_keys=True, indent=indent, separators=separators)
        assert out.getvalue() == expected + "\n"


ADDRESS_LIKE = st.text(st.sampled_from("0123456789abcdefABCDEFx.:/%-@ tg"), max_size=24)


@settings(max_examples=200, deadline=None)
@given(ADDRESS_LIKE | st.ip_addresses().map(str) | st.sampled_from(["::1/128", "10.0.0.0/8"]))
def test_is_ip_or_cidr_says_what_ipaddress_says(text: str) -> None:
    try:
        ipaddress.ip_network(text, strict=False)
        expected = True
    except ValueError:
        expected = False
    assert is_ip_or_cidr(text) == expected
