"""`allowed()`: may this source reach this address and port, and which rules say so?

Sources and destinations may be written the way a person thinks of them — a device name, a
user login, a tag, a group, an address — and resolve to concrete devices and addresses first.
A principal standing for several devices is allowed only if every one of its devices is, so
"alice may reach the NAS" is never true for just one of her laptops.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from compiler.evaluate.addrs import V6_BASE, addr_key, is_ip_or_cidr, key_addr
from compiler.evaluate.inventory import Device, Inventory, as_inventory
from compiler.evaluate.model import Policy, parse_policy
from compiler.evaluate.ports import proto_number
from compiler.evaluate.rules import Atom, Evaluator

# The comment our compiler writes above each rule: "<site file>:<line> <what>".
PROVENANCE = re.compile(r"^(?P<file>[\w.-]+\.ya?ml):(?P<line>\d+)\b")


@dataclass(frozen=True)
class Match:
    """A rule that allows the flow, with where it is written."""

    rule: str
    line: int
    column: int
    dst: str
    ports: str
    provenance: str = ""

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line else "implicit"
        origin = f" ({self.provenance})" if self.provenance else ""
        return f"{self.rule} at {where}: {self.dst} {self.ports}{origin}"


@dataclass(frozen=True)
class SourceResult:
    source: str
    address: str
    allowed: bool
    matches: tuple[Match, ...]


@dataclass(frozen=True)
class Decision:
    allowed: bool
    src: str
    dst: str
    port: int
    proto: int
    matches: tuple[Match, ...] = ()
    sources: tuple[SourceResult, ...] = field(default=())
    reason: str = ""

    def __bool__(self) -> bool:
        return self.allowed

    def to_dict(self) -> dict[str, Any]:
        return {
            "allowed": self.allowed,
            "src": self.src,
            "dst": self.dst,
            "port": self.port,
            "proto": self.proto,
            "reason": self.reason,
            "matches": [m.__dict__ for m in self.matches],
        }


def evaluator(policy: str | Policy | Evaluator, inventory: Any = None) -> Evaluator:
    """An Evaluator for a policy text or Policy and an inventory (an Evaluator is returned as
    it is). Nothing is cached: a caller asking several questions builds one and passes it."""
    if isinstance(policy, Evaluator):
        return policy
    parsed = parse_policy(policy) if isinstance(policy, str) else policy
    return Evaluator(parsed, as_inventory(inventory or {}))


def match_of(ev: Evaluator, atom: Atom) -> Match:
    """The rule's match, placed by the policy's `entry_positions` (a rule is an entry)."""
    where = ev.policy.entry_positions
    line, column = where.of(atom.rule.path) if atom.rule.path else (0, 0)
    comments = where.comments_before(atom.rule.path) if atom.rule.path else []
    origin = next((c for c in comments if PROVENANCE.search(c)), "")
    name = atom.rule.name if atom.rule.path else "default allow-all (no acls or grants)"
    return Match(name, line, column, atom.dst_ref.text, str(atom.spec), origin)


def resolve_sources(ev: Evaluator, src: str) -> list[tuple[str, tuple[int, ...]]]:
    """(label, address keys) for each device (or bare address) `src` stands for."""
    inv = ev.inventory
    if src in inv.device_by_name:
        return [(src, inv.device_by_name[src].keys)]
    target = ev.policy.hosts.get(src, src)
    if is_ip_or_cidr(target) and "/" not in target:
        device = inv.device_by_key.get(addr_key(target))
        return [(device.name if device else target, device.keys if device else (addr_key(target),))]
    devices = _identity_devices(ev, src)
    return [(d.name, d.keys) for d in devices]


def _identity_devices(ev: Evaluator, src: str) -> list[Device]:
    if src.startswith(("tag:", "autogroup:")):
        return ev.resolver.devices(src)
    logins = ev.resolver.logins(src)
    return [d for login in logins for d in ev.inventory.devices_of.get(login, ())]


def resolve_destination(ev: Evaluator, dst: str) -> int | None:
    """The address `dst` names: an address, a host alias, or a device (its IPv4 first)."""
    target = ev.policy.hosts.get(dst, dst)
    if is_ip_or_cidr(target):
        return addr_key(target.split("/")[0])
    device = ev.inventory.device_by_name.get(dst)
    if device and device.keys:
        return device.keys[0]
    devices = _identity_devices(ev, dst)
    return devices[0].keys[0] if len(devices) == 1 and devices[0].keys else None


def allowed(
    policy: str | Policy | Evaluator,
    inventory: Inventory | Mapping[str, Any] | None,
    src: str,
    dst_addr: str,
    port: int,
    proto: str | int = "tcp",
) -> Decision:
    """Whether `src` may open `proto` to `dst_addr`:`port`, and the rule(s) that allow it."""
    return _decide(evaluator(policy, inventory), src, dst_addr, port, proto_number(proto), False)


def icmp_echo(
    policy: str | Policy | Evaluator,
    inventory: Inventory | Mapping[str, Any] | None,
    src: str,
    dst_addr: str,
) -> Decision:
    """Whether the data plane lets an ICMP echo request from `src` reach `dst_addr`.

    tailscale's packet filter (wgengine/filter `runIn4`: "if any port is open to an IP, allow
    ICMP to it") accepts an echo request when any rule admits the address pair, whatever its
    protocol and ports; the policy's `tests` (and `allowed(…, "icmp")`) want a rule that allows
    ICMP itself. `explain --proto icmp` shows both readings.
    """
    return _decide(evaluator(policy, inventory), src, dst_addr, 0, 1, True)


def _decide(ev: Evaluator, src: str, dst_addr: str, port: int, number: int, pair: bool) -> Decision:
    d = resolve_destination(ev, dst_addr)
    sources = resolve_sources(ev, src)
    if not sources:
        ev = with_stand_in(ev, src)
        sources = resolve_sources(ev, src)
    if d is None or not sources:
        missing = "destination" if d is None else "source"
        return Decision(False, src, dst_addr, port, number, reason=f"unknown {missing}")
    results = [_one_source(ev, label, keys, d, port, number, pair) for label, keys in sources]
    ok = all(r.allowed for r in results)
    matches = tuple(dict.fromkeys(m for r in results for m in r.matches))
    reason = _reason(ok, results, matches)
    return Decision(ok, src, dst_addr, port, number, matches, tuple(results), reason)


def with_stand_in(ev: Evaluator, src: str) -> Evaluator:
    """A user or tag with no device yet is evaluated from a stand-in device of its own."""
    from compiler.evaluate.policytests import with_stand_ins

    inventory = with_stand_ins(ev.policy, ev.inventory, {src})
    return ev if inventory is ev.inventory else Evaluator(ev.policy, inventory)


def _one_source(
    ev: Evaluator, label: str, keys: tuple[int, ...], d: int, port: int, proto: int, pair: bool
) -> SourceResult:
    s = next((k for k in keys if (k >= V6_BASE) == (d >= V6_BASE)), None)
    if s is None:
        return SourceResult(label, "", False, ())
    atoms = ev.matching_pair(s, d) if pair else ev.matching(s, d, port, proto)
    matches = tuple(match_of(ev, a) for a in atoms)
    return SourceResult(label, str(key_addr(s)), bool(matches), matches)


def _reason(ok: bool, results: list[SourceResult], matches: tuple[Match, ...]) -> str:
    if ok:
        return "allowed by " + "; ".join(str(m) for m in matches)
    if not matches:
        return "no rule matched"
    denied = ", ".join(r.source for r in results if not r.allowed)
    return f"no rule matched for {denied}"
