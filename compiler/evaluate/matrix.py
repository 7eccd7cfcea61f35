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

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from compiler.evaluate.addrs import V6_BASE
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
        names: dict[int, str] = {}
        columns = _columns(self.ev, self.services, names)
        for row in self.principals:
            row_ev, row_columns, devices = self.ev, columns, _principal_devices(self.ev, row)
            if not devices:  # a user or tag with no device yet: a stand-in, as allowed() does
                row_ev = with_stand_in(self.ev, row)
                row_columns = (
                    _columns(row_ev, self.services, {}) if row_ev is not self.ev else columns
                )
                devices = _principal_devices(row_ev, row)
            yield row, [_cell(row_ev, devices, col) for col in row_columns]


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
        target = ev.inventory.device_by_name.get(svc.device)
        if target is None or not target.keys:
            columns.append(_Column(None, ()))
            continue
        d = target.keys[0]
        found = ev.reaching(d, svc.port, proto_number(svc.proto))
        columns.append(_Column(d, tuple((a, _rule_name(ev, a, names)) for a in found)))
    return columns


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
