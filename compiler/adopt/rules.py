"""One acls/grants/ssh entry read as the site model could say it, or not at all.

Each reader returns the model's reading of an entry (a service's ports on tags, an exit-node
grant, an SSH rule) or None, in which case the entry stays verbatim under `policy:`. Only exact
readings qualify: ACLs without `proto` also admit ICMP, which a service cannot say, so they
stay verbatim; so does anything with posture, `via`, app capabilities or extra keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from compiler.adopt.names import Names
from compiler.numerals import is_decimal

MAX_EXPANDED_RANGE = 16
"""A port range this short is written as its ports (the model lists ports one by one)."""

ACL_KEYS = {"action", "src", "dst", "proto"}
GRANT_KEYS = {"src", "dst", "ip"}
SSH_KEYS = {"action", "src", "dst", "users"}


@dataclass(frozen=True)
class ServicePorts:
    """Ports on one device (a host alias that pins it) or on every device with one tag, for
    some principals: one model service."""

    tag: str  # the destination selector: "tag:x" or a host alias
    protocol: str
    ports: tuple[int, ...]
    allow: tuple[str, ...]


@dataclass(frozen=True)
class NetReading:
    exit_allow: tuple[str, ...] = ()
    services: tuple[ServicePorts, ...] = ()


def _strings(value: Any) -> list[str] | None:
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return list(value)
    return None


def _ports(text: str) -> tuple[int, ...] | None:
    """Explicit ports (`80`, `80,443`, a short range); None for `*`, long ranges or junk."""
    ports: list[int] = []
    for part in text.split(","):
        first, sep, last = part.partition("-")
        if not is_decimal(first) or (sep and not is_decimal(last)):
            return None
        lo, hi = int(first), int(last) if sep else int(first)
        if not 1 <= lo <= hi <= 65535 or hi - lo >= MAX_EXPANDED_RANGE:
            return None
        ports.extend(range(lo, hi + 1))
    return tuple(sorted(set(ports)))


def _read(
    entry: Mapping[str, Any], names: Names, keys: set[str], *lists: str
) -> tuple[list[str], list[list[str]]] | None:
    """The entry's sources as site references and its other string lists, when it has no key
    beyond `keys` and the model can name every source."""
    if set(entry) - keys:
        return None
    srcs = _strings(entry.get("src"))
    allow = names.refs(srcs) if srcs else None
    values = [_strings(entry.get(k)) for k in lists]
    if allow is None or any(v is None for v in values):
        return None
    return allow, [v for v in values if v is not None]


def read_acl(entry: Mapping[str, Any], names: Names) -> NetReading | None:
    read = _read(entry, names, ACL_KEYS, "dst")
    proto = entry.get("proto")
    if read is None or entry.get("action") != "accept" or not isinstance(proto, str | None):
        return None
    allow, (dsts,) = read
    pairs = [d.rpartition(":")[::2] for d in dsts]
    if all(sel == "autogroup:internet" and ports == "*" for sel, ports in pairs) and not proto:
        return NetReading(exit_allow=tuple(allow))
    if proto not in ("tcp", "udp"):
        return None
    services = []
    for sel, text in pairs:
        ports = _ports(text)
        if ports is None or not (sel in names.tags or sel in names.hosts):
            return None
        services.append(ServicePorts(sel, str(proto), ports, tuple(allow)))
    return NetReading(services=tuple(services))


def read_grant(entry: Mapping[str, Any], names: Names) -> NetReading | None:
    read = _read(entry, names, GRANT_KEYS, "dst", "ip")
    if read is None:
        return None
    allow, (dsts, ips) = read
    if dsts == ["autogroup:internet"] * len(dsts) and ips == ["*"] * len(ips):
        return NetReading(exit_allow=tuple(allow))
    by_proto: dict[str, set[int]] = {}
    for item in ips:
        proto, _, text = item.partition(":")
        ports = _ports(text) if proto in ("tcp", "udp") else None
        if ports is None:
            return None
        by_proto.setdefault(proto, set()).update(ports)
    if any(d not in names.tags and d not in names.hosts for d in dsts):
        return None
    services = [
        ServicePorts(d, proto, tuple(sorted(ports)), tuple(allow))
        for d in dsts
        for proto, ports in by_proto.items()
    ]
    return NetReading(services=tuple(services))


def read_ssh(entry: Mapping[str, Any], names: Names) -> dict[str, Any] | None:
    """An SSH rule in the site's words ({from, to, as, mode}), or None."""
    read = _read(entry, names, SSH_KEYS, "dst", "users")
    if read is None or entry.get("action") not in ("accept", "check"):
        return None
    allow, (dsts, users) = read
    if any(d != "autogroup:self" and d not in names.tags for d in dsts):
        return None
    if any(u != u.strip() or not u for u in users):
        return None
    return {"from": allow, "to": dsts, "as": users, "mode": entry["action"]}
