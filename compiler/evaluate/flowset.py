"""Wire-format packet filters as exact sets of flows, for comparing two filters by meaning.

Two filters can differ in text (merged rules, ranges versus CIDRs, ordering) yet admit the same
packets. `flow_differences` cuts destinations, ports and protocols into the elementary cells
that both filters' boundaries induce, and compares the source set each filter admits in every
cell — so equality here is equality of the (src, dst, port, proto) sets, not of the text.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from compiler.evaluate.addrs import ALL, AddrSet, format_interval, parse_interval
from compiler.evaluate.ports import DEFAULT_PROTOS, PORTLESS, PortRange

OTHER_PROTO = 255
"""A protocol no rule names, standing for every protocol no rule names."""


@dataclass(frozen=True)
class WireEntry:
    src: AddrSet
    dst: AddrSet
    ports: PortRange
    protos: frozenset[int]


def parse_wire(rules: Iterable[dict[str, Any]] | None) -> list[WireEntry]:
    """Flatten FilterRules (SrcIPs × DstPorts × IPProto); CapGrant-only rules carry no flows."""
    out = []
    for rule in rules or ():
        src = _addrs(rule.get("SrcIPs") or ())
        protos = frozenset(rule.get("IPProto") or DEFAULT_PROTOS)
        for dp in rule.get("DstPorts") or ():
            ports = (dp["Ports"]["First"], dp["Ports"]["Last"])
            out.append(WireEntry(src, _addrs([dp["IP"]]), ports, protos))
    return out


def _addrs(texts: Iterable[str]) -> AddrSet:
    return AddrSet.of(
        iv for t in texts for iv in (ALL.intervals if t == "*" else [parse_interval(t)])
    )


def wire_allows(entries: Sequence[WireEntry], s: int, d: int, port: int, proto: int) -> bool:
    """Would a node with this filter accept the packet? (ICMP ignores ports.)"""
    return any(
        proto in e.protos
        and d in e.dst
        and s in e.src
        and (proto in PORTLESS or e.ports[0] <= port <= e.ports[1])
        for e in entries
    )


def flow_differences(
    got: Sequence[WireEntry], want: Sequence[WireEntry], domain: AddrSet, limit: int = 5
) -> list[str]:
    """Human-readable cells where the two filters admit different sources (empty = equal)."""
    cells = _cells(list(got) + list(want), domain)
    diffs = []
    for proto, dst, ports in cells:
        a, b = _sources(got, proto, dst, ports), _sources(want, proto, dst, ports)
        if a != b:
            diffs.append(
                f"proto {proto} dst {format_interval(dst)} ports {ports[0]}-{ports[1]}: "
                f"got [{a - b}] extra, [{b - a}] missing"
            )
            if len(diffs) >= limit:
                break
    return diffs


def _cells(
    entries: list[WireEntry], domain: AddrSet
) -> Iterator[tuple[int, tuple[int, int], PortRange]]:
    protos = sorted({p for e in entries for p in e.protos} | {OTHER_PROTO})
    dst_cells = list(_split(domain, (e.dst & domain for e in entries)))
    port_cells = _port_cells(e.ports for e in entries)
    for proto in protos:
        for dst in dst_cells:
            for ports in [(0, 65535)] if proto in PORTLESS else port_cells:
                yield proto, dst, ports


def _split(domain: AddrSet, parts: Iterable[AddrSet]) -> Iterator[tuple[int, int]]:
    cuts: set[int] = set()
    for part in parts:
        for lo, hi in part.intervals:
            cuts.update((lo, hi + 1))
    for lo, hi in domain.intervals:
        points = [*sorted(c for c in cuts if lo < c <= hi), hi + 1]
        start = lo
        for p in points:
            if p > start:
                yield start, p - 1
                start = p


def _port_cells(ranges: Iterable[PortRange]) -> list[PortRange]:
    cuts = {0, 65536}
    for lo, hi in ranges:
        cuts.update((lo, hi + 1))
    points = sorted(cuts)
    return [(a, b - 1) for a, b in itertools.pairwise(points)]


def _sources(
    entries: Sequence[WireEntry], proto: int, dst: tuple[int, int], ports: PortRange
) -> AddrSet:
    cell = AddrSet((dst,))
    found = AddrSet()
    for e in entries:
        if proto not in e.protos or not e.dst.covers(cell):
            continue
        if proto in PORTLESS or (e.ports[0] <= ports[0] and ports[1] <= e.ports[1]):
            found = found | e.src
    return found
