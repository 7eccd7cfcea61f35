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
from compiler.evaluate.addrs import AddrSet, is_ip_or_cidr
from compiler.evaluate.matrix import Matrix, Service, SortedKeys, allowed_cells, matrix_stream
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


EXTRA_ROWS = ["group:staff", "autogroup:member", "d0", "nobody@example.com", "tag:none"]
EXTRA_COLUMNS = ["fd7a:115c:a1e0::1", "fd7a:115c:a1e0::2", "10.0.0.5", "100.64.0.2"]


@SETTINGS
@given(
    devices=tailnets(),
    policy=policies(),
    ports=st.lists(st.sampled_from([22, 80, 443]), max_size=2),
)
def test_allowed_cells_are_what_allowed_says(
    devices: list[Dev], policy: dict[str, Any], ports: list[int]
) -> None:
    """`allowed_cells` (counted per column from the atoms' sources) against `allowed()` asked
    cell by cell, over the default rows and columns plus groups, a device, rows with no
    device, IPv6 and LAN address columns, and repeats."""
    ev = evaluator(json.dumps(policy), topology(devices))
    stream = matrix_stream(ev)
    rows = [*stream.principals, *EXTRA_ROWS, *stream.principals[:1]]
    extra = [
        Service(f"{a}:{p}", a, p, proto) for a in EXTRA_COLUMNS for p in ports for proto in (6, 17)
    ]
    columns = [*stream.services, *extra]
    expected = {
        (p, s.label)
        for p in rows
        for s in columns
        if allowed(ev, None, p, s.device, s.port, s.proto).allowed
    }
    found = [(p, s.label) for p, s in allowed_cells(ev, None, rows, columns)]
    assert set(found) == expected


@given(
    st.lists(st.integers(0, 60)),
    st.lists(st.tuples(st.integers(0, 60), st.integers(0, 8)), max_size=40),
)
def test_keys_within_is_membership(keys: list[int], spans: list[tuple[int, int]]) -> None:
    addrs = AddrSet.of((lo, lo + n) for lo, n in spans)
    assert SortedKeys(keys).within(addrs) == [
        k for k in sorted(set(keys)) if any(lo <= k <= hi for lo, hi in addrs.intervals)
    ]


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
