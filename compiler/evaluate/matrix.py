"""The access matrix: every principal × every service port, allowed or not, and why.

Rows are identities a person reasons about (users, then tags); columns are service ports —
given by the caller (the site's declared services) or, for any policy, the device ports the
rules name. A cell is allowed when every device of the row's principal reaches the service.
Cells go through the destination index, and per-(device, service) answers are shared between
rows, so the matrix grows with devices × services rather than with rules.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from compiler.evaluate.addrs import V6_BASE, addr_key, is_ip_or_cidr
from compiler.evaluate.decision import evaluator, match_of, with_stand_in
from compiler.evaluate.inventory import Device, Inventory
from compiler.evaluate.model import Policy
from compiler.evaluate.ports import ALL_PORTS, TCP, proto_number
from compiler.evaluate.rules import Evaluator

MAX_PORTS_PER_RULE = 16


@dataclass(frozen=True)
class Service:
    """One column: a port on a device, or on an address literal (`device` holds it)."""

    label: str
    device: str
    port: int
    proto: int = TCP


@dataclass(frozen=True)
class Cell:
    allowed: bool
    rules: tuple[str, ...] = ()


@dataclass
class Matrix:
    principals: list[str]
    services: list[Service]
    cells: dict[tuple[str, str], Cell] = field(default_factory=dict)

    def cell(self, principal: str, service: Service) -> Cell:
        return self.cells[(principal, service.label)]

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


def matrix(
    policy: str | Policy | Evaluator,
    inventory: Inventory | Mapping[str, Any] | None = None,
    principals: Sequence[str] | None = None,
    services: Sequence[Service] | None = None,
) -> Matrix:
    """Every principal × service decision."""
    ev = evaluator(policy, inventory)
    rows = list(principals) if principals is not None else default_principals(ev)
    cols = list(services) if services is not None else default_services(ev)
    result = Matrix(rows, cols)
    memo: dict[tuple[str, str], tuple[str, ...] | None] = {}
    for row in rows:
        row_ev, devices = ev, _principal_devices(ev, row)
        if not devices:  # a user or tag with no device yet: a stand-in, as allowed() does
            row_ev = with_stand_in(ev, row)
            devices = _principal_devices(row_ev, row)
        for svc in cols:
            result.cells[(row, svc.label)] = _cell(row_ev, devices, svc, memo)
    return result


def _principal_devices(ev: Evaluator, principal: str) -> list[Device]:
    if principal in ev.inventory.device_by_name:
        return [ev.inventory.device_by_name[principal]]
    if principal.startswith(("tag:", "autogroup:")):
        return ev.resolver.devices(principal)
    return [
        d for login in ev.resolver.logins(principal) for d in ev.inventory.devices_of.get(login, ())
    ]


def _cell(
    ev: Evaluator,
    devices: list[Device],
    svc: Service,
    memo: dict[tuple[str, str], tuple[str, ...] | None],
) -> Cell:
    d = _destination_key(ev, svc.device)
    if d is None or not devices:
        return Cell(False)
    rules: dict[str, None] = {}
    for device in devices:
        key = (device.name, svc.label)
        if key not in memo:
            memo[key] = _device_rules(ev, device, d, svc)
        found = memo[key]
        if found is None:
            return Cell(False)
        rules.update(dict.fromkeys(found))
    return Cell(True, tuple(rules))


def _destination_key(ev: Evaluator, where: str) -> int | None:
    """A column's destination: a device's (first) address, or an address literal (a LAN
    address reached through a subnet router)."""
    target = ev.inventory.device_by_name.get(where)
    if target is not None:
        return target.keys[0] if target.keys else None
    return addr_key(where) if is_ip_or_cidr(where) and "/" not in where else None


def _device_rules(ev: Evaluator, device: Device, d: int, svc: Service) -> tuple[str, ...] | None:
    s = next((k for k in device.keys if (k >= V6_BASE) == (d >= V6_BASE)), None)
    if s is None:
        return None
    atoms = ev.matching(s, d, svc.port, proto_number(svc.proto))
    return tuple(match_of(ev, a).rule for a in atoms) or None
