"""The access matrix: every principal × every service port, allowed or not, and why.

Rows are identities a person reasons about (users, then tags); columns are service ports —
given by the caller (the site's declared services) or, for any policy, the device ports the
rules name. A cell is allowed when every device of the row's principal reaches the service.
Each column looks its candidate rules up in the destination index once (the rules that reach
that device, port and protocol, in policy order), so a cell only asks which of those few admit
each of the row's devices: the matrix grows with devices × services rather than with rules.

`matrix_stream` computes the cells one row at a time, for writers that stream (csv, json,
text): memory stays at one row whatever the size. `matrix` collects them into a `Matrix`.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import Any, Protocol

from compiler.evaluate.addrs import V6_BASE, AddrSet, addr_key, is_ip_or_cidr
from compiler.evaluate.decision import evaluator, match_of, with_stand_in
from compiler.evaluate.inventory import Device, Inventory
from compiler.evaluate.model import Policy
from compiler.evaluate.ports import ALL_PORTS, TCP, proto_number
from compiler.evaluate.rules import Atom, Evaluator

MAX_PORTS_PER_RULE = 16


@dataclass(frozen=True)
class Service:
    """One column: a port on a device (or an address)."""

    label: str
    device: str
    port: int
    proto: int = TCP


@dataclass(frozen=True)
class Cell:
    allowed: bool
    rules: tuple[str, ...] = ()


DENIED = Cell(False)


class Grid(Protocol):
    """Rows and columns known up front; cells one row at a time (`Matrix`, `MatrixStream`)."""

    @property
    def principals(self) -> Sequence[str]: ...

    @property
    def services(self) -> Sequence[Service]: ...

    def rows(self) -> Iterator[tuple[str, list[Cell]]]: ...


@dataclass
class Matrix:
    principals: list[str]
    services: list[Service]
    cells: dict[tuple[str, str], Cell] = field(default_factory=dict)

    def cell(self, principal: str, service: Service) -> Cell:
        return self.cells[(principal, service.label)]

    def rows(self) -> Iterator[tuple[str, list[Cell]]]:
        """Each principal with its cells in column order (what streaming writers take)."""
        for p in self.principals:
            yield p, [self.cells[(p, s.label)] for s in self.services]

    @classmethod
    def of(cls, grid: Grid) -> Matrix:
        cells = {
            (p, s.label): c
            for p, row in grid.rows()
            for s, c in zip(grid.services, row, strict=True)
        }
        return cls(list(grid.principals), list(grid.services), cells)

    def to_dict(self) -> dict[str, Any]:
        return {
            "principals": self.principals,
            "services": [s.__dict__ for s in self.services],
            "cells": [
                {"principal": p, "service": s, "allowed": c.allowed, "rules": list(c.rules)}
                for (p, s), c in self.cells.items()
            ],
        }


def default_principals(ev: Evaluator) -> list[str]:
    """Users (by login), then every tag a device carries or the policy defines."""
    users = [u.login for u in ev.inventory.users]
    tags = sorted({t for d in ev.inventory.devices for t in d.tags} | set(ev.policy.tag_owners))
    return users + tags


def default_services(ev: Evaluator) -> list[Service]:
    """Each device port a rule names explicitly (wildcard ports are not services)."""
    seen: dict[str, Service] = {}
    for atom in ev.atoms:
        if atom.kind != "addr" or atom.spec.ports == ALL_PORTS or atom.dst.size() > 4096:
            continue
        ports = [
            p for lo, hi in atom.spec.ports for p in range(lo, min(hi, lo + MAX_PORTS_PER_RULE) + 1)
        ]
        for device in _devices_in(ev, atom.dst.first_keys()):
            for port in ports:
                label = f"{device.name}:{port}"
                seen.setdefault(label, Service(label, device.name, port))
    return sorted(seen.values(), key=lambda s: (s.device, s.port))


def _devices_in(ev: Evaluator, keys: Iterable[int]) -> list[Device]:
    found = {
        ev.inventory.device_by_key[k].name: ev.inventory.device_by_key[k]
        for k in keys
        if k in ev.inventory.device_by_key
    }
    return list(found.values())


@dataclass(frozen=True)
class _Column:
    """A service's destination key and the atoms that admit its port, with their rule names."""

    d: int | None
    atoms: tuple[tuple[Atom, str], ...]


@dataclass
class MatrixStream:
    """A matrix whose cells are computed when its rows are iterated, one row at a time."""

    ev: Evaluator
    principals: list[str]
    services: list[Service]

    def rows(self) -> Iterator[tuple[str, list[Cell]]]:
        """Each row's cells. Which cells are allowed is found first, column by column
        (`_Rows`, as `allowed_cells` does); only those are then decided with their rules, so
        a denied cell (most of a large tailnet's) costs a set lookup, not a decision."""
        names: dict[int, str] = {}
        columns = _columns(self.ev, self.services, names)
        indexed = _Rows(self.ev, self.principals)
        allowed: dict[str, set[int]] = {}
        for i, (svc, col) in enumerate(zip(self.services, columns, strict=True)):
            for row in indexed.allowed(col.d, svc):
                allowed.setdefault(row, set()).add(i)
        for row in self.principals:
            if row in indexed.index:
                devices, mine = _principal_devices(self.ev, row), allowed.get(row, set())
                yield (
                    row,
                    [
                        _cell(self.ev, devices, col) if i in mine else DENIED
                        for i, col in enumerate(columns)
                    ],
                )
            else:
                yield row, self._row_without_index(row, columns)

    def _row_without_index(self, row: str, columns: list[_Column]) -> list[Cell]:
        """A row `_Rows` does not index (no device yet, or none found), decided cell by cell."""
        row_ev, row_columns, devices = self.ev, columns, _principal_devices(self.ev, row)
        if not devices:  # a user or tag with no device yet: a stand-in, as allowed() does
            row_ev = with_stand_in(self.ev, row)
            row_columns = _columns(row_ev, self.services, {}) if row_ev is not self.ev else columns
            devices = _principal_devices(row_ev, row)
        return [_cell(row_ev, devices, col) for col in row_columns]


def matrix_stream(
    policy: str | Policy | Evaluator,
    inventory: Inventory | Mapping[str, Any] | None = None,
    principals: Sequence[str] | None = None,
    services: Sequence[Service] | None = None,
) -> MatrixStream:
    """Every principal × service decision, computed row by row as it is read."""
    ev = evaluator(policy, inventory)
    rows = list(principals) if principals is not None else default_principals(ev)
    cols = list(services) if services is not None else default_services(ev)
    return MatrixStream(ev, rows, cols)


def matrix(
    policy: str | Policy | Evaluator,
    inventory: Inventory | Mapping[str, Any] | None = None,
    principals: Sequence[str] | None = None,
    services: Sequence[Service] | None = None,
) -> Matrix:
    """Every principal × service decision."""
    return Matrix.of(matrix_stream(policy, inventory, principals, services))


def _principal_devices(ev: Evaluator, principal: str) -> list[Device]:
    if principal in ev.inventory.device_by_name:
        return [ev.inventory.device_by_name[principal]]
    if principal.startswith(("tag:", "autogroup:")):
        return ev.resolver.devices(principal)
    return [
        d for login in ev.resolver.logins(principal) for d in ev.inventory.devices_of.get(login, ())
    ]


def _columns(ev: Evaluator, services: Sequence[Service], names: dict[int, str]) -> list[_Column]:
    """Per service, the atoms that reach its address, port and protocol (with rule names)."""
    columns = []
    for svc in services:
        d = _destination_key(ev, svc.device)
        if d is None:
            columns.append(_Column(None, ()))
            continue
        found = ev.reaching(d, svc.port, proto_number(svc.proto))
        columns.append(_Column(d, tuple((a, _rule_name(ev, a, names)) for a in found)))
    return columns


def _destination_key(ev: Evaluator, where: str) -> int | None:
    """A column's destination: a device's (first) address, or an address literal (a LAN
    address reached through a subnet router)."""
    target = ev.inventory.device_by_name.get(where)
    if target is not None:
        return target.keys[0] if target.keys else None
    return addr_key(where) if is_ip_or_cidr(where) and "/" not in where else None


def _rule_name(ev: Evaluator, atom: Atom, names: dict[int, str]) -> str:
    if atom.order not in names:
        names[atom.order] = match_of(ev, atom).rule
    return names[atom.order]


def _cell(ev: Evaluator, devices: list[Device], col: _Column) -> Cell:
    """Allowed when every device of the row reaches the column; the rules that say so."""
    d = col.d
    if d is None or not devices or not col.atoms:
        return Cell(False)
    rules: dict[str, None] = {}
    for device in devices:
        s = next((k for k in device.keys if (k >= V6_BASE) == (d >= V6_BASE)), None)
        if s is None:
            return Cell(False)
        found = [name for atom, name in col.atoms if atom.admits_from(ev, s, d)]
        if not found:
            return Cell(False)
        rules.update(dict.fromkeys(found))
    return Cell(True, tuple(rules))


# ---------------------------------------------------------------------------------------------
# allowed cells only, column by column: for reviews, which count and compare pairs


def allowed_cells(
    policy: str | Policy | Evaluator,
    inventory: Inventory | Mapping[str, Any] | None = None,
    principals: Sequence[str] | None = None,
    services: Sequence[Service] | None = None,
) -> Iterator[tuple[str, Service]]:
    """The (principal, service) cells `matrix` allows, without the rules that allow them.

    A column's answer is found from the sources its atoms admit rather than row by row: the
    device addresses inside each atom's sources (listed once per atom), counted against
    each row's devices. The work grows with what the rules admit, not with rows × columns,
    which is what a review of a large tailnet needs (most cells are denied)."""
    ev = evaluator(policy, inventory)
    stream = matrix_stream(ev, None, principals, services)
    rows = _Rows(ev, stream.principals)
    for svc in stream.services:
        yield from ((row, svc) for row in rows.allowed(_destination_key(ev, svc.device), svc))
    without = list(dict.fromkeys(p for p in stream.principals if p not in rows.index))
    if not without:
        return
    for row, cells in MatrixStream(ev, without, stream.services).rows():
        yield from ((row, svc) for svc, c in zip(stream.services, cells, strict=True) if c.allowed)


class _Rows:
    """The rows that have devices, indexed by the address each device is asked from (its
    first address of the destination's family, as `_cell` asks)."""

    def __init__(self, ev: Evaluator, principals: Sequence[str]) -> None:
        self.ev = ev
        self.index: dict[str, int] = {}
        self.names: list[str] = []
        self.need: dict[bool, list[int | None]] = {False: [], True: []}  # devices per row
        self.rows_of: dict[bool, dict[int, list[int]]] = {False: {}, True: {}}
        self.owned: dict[bool, dict[str, list[int]]] = {False: {}, True: {}}
        for p in principals:
            # Each device once (by identity: two devices may share a name, and each counts)
            devices = list({id(d): d for d in _principal_devices(ev, p)}.values())
            if devices and p not in self.index:
                self._add(p, devices)
        self.keys = {v6: SortedKeys(self.rows_of[v6]) for v6 in (False, True)}
        self._in_atom: dict[tuple[int, bool], list[int]] = {}

    def _add(self, principal: str, devices: list[Device]) -> None:
        row = self.index[principal] = len(self.names)
        self.names.append(principal)
        for v6 in (False, True):
            keys = [next((k for k in d.keys if (k >= V6_BASE) == v6), None) for d in devices]
            self.need[v6].append(None if None in keys else len(keys))
            for device, key in zip(devices, keys, strict=True):
                if key is None:
                    continue
                self.rows_of[v6].setdefault(key, []).append(row)
                if not device.tagged:
                    self.owned[v6].setdefault(device.owner, []).append(key)

    def allowed(self, d: int | None, svc: Service) -> Iterator[str]:
        """The rows every one of whose devices some atom reaching the column admits."""
        if d is None:
            return
        v6 = d >= V6_BASE
        covered: set[int] = set()
        for atom in self.ev.reaching(d, svc.port, proto_number(svc.proto)):
            covered.update(self._admitted(atom, d, v6))
        rows_of = self.rows_of[v6]
        counts = Counter(chain.from_iterable(rows_of[key] for key in covered))  # counted in C
        need = self.need[v6]
        yield from (self.names[row] for row, n in sorted(counts.items()) if n == need[row])

    def _admitted(self, atom: Atom, d: int, v6: bool) -> Iterable[int]:
        """The indexed addresses `atom` admits towards `d`."""
        if atom.kind == "self":  # only the destination owner's own devices can qualify
            target = self.ev.inventory.device_by_key.get(d)
            mine = self.owned[v6].get(target.owner, []) if target and not target.tagged else []
            return [s for s in mine if atom.admits_from(self.ev, s, d)]
        found = self._in_atom.get((atom.order, v6))
        if found is None:
            found = self._in_atom[(atom.order, v6)] = self.keys[v6].within(atom.src)
        return found


class SortedKeys:
    """Distinct address keys, sorted and indexed by position, to find the ones an address
    set holds (`within`), asked of one set of keys for every atom of a policy."""

    def __init__(self, keys: Iterable[int]) -> None:
        self.keys = sorted(set(keys))
        self.index = {k: i for i, k in enumerate(self.keys)}

    def within(self, addrs: AddrSet) -> list[int]:
        """The keys `addrs` holds, in order. Only the intervals reaching between the first
        and the last key are read (an atom's sources hold both families; the keys are of
        one); an interval whose every address is a key (a user's devices, numbered in a
        row) is found by its first key's position, others by bisection. Key by key when
        there are fewer keys than intervals."""
        keys = self.keys
        if not keys:
            return []
        spans = addrs.reaching_into(keys[0], keys[-1])
        if len(keys) < len(spans):
            return [k for k in keys if k in addrs]
        index, last, out = self.index, len(keys) - 1, []
        for lo, hi in spans:
            i = index.get(lo)
            if i is not None and i + hi - lo <= last and keys[i + hi - lo] == hi:
                out += keys[i : i + hi - lo + 1]
            elif lo != hi:
                out += keys[bisect_left(keys, lo) : bisect_right(keys, hi)]
        return out
