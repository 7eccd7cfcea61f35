"""Ports and protocols as the control plane parses them.

Error texts are the control plane's own (`port range "ssh": invalid first integer`), because
`validate` must say exactly what the API would say.
"""

from __future__ import annotations

from dataclasses import dataclass

from compiler.numerals import is_decimal

PortRange = tuple[int, int]
ALL_PORTS: tuple[PortRange, ...] = ((0, 65535),)

TCP, UDP, ICMP, ICMPV6, SCTP = 6, 17, 1, 58, 132
DEFAULT_PROTOS = frozenset({TCP, UDP, ICMP, ICMPV6})
"""What a filter rule without IPProto admits on the client (tailscale wgengine/filter)."""

PORTLESS = frozenset({ICMP, ICMPV6})
"""ICMP carries no ports: a rule admitting the protocol admits every ICMP packet."""

PROTOCOLS = {
    "icmp": ICMP,
    "igmp": 2,
    "ipv4": 4,
    "ip-in-ip": 4,
    "tcp": TCP,
    "egp": 8,
    "igp": 9,
    "udp": UDP,
    "gre": 47,
    "esp": 50,
    "ah": 51,
    "ipv6-icmp": ICMPV6,
    "sctp": SCTP,
    "fc": 133,
}
PORTED = frozenset({TCP, UDP, SCTP})


class PortError(ValueError):
    """A port or protocol the control plane refuses; str() is its message."""


@dataclass(frozen=True)
class IpSpec:
    """One protocol/port entry: a grant `ip` item, or an ACL's proto with one dst's ports."""

    protos: frozenset[int] | None
    ports: tuple[PortRange, ...]

    @property
    def effective_protos(self) -> frozenset[int]:
        return DEFAULT_PROTOS if self.protos is None else self.protos

    def admits(self, port: int, proto: int) -> bool:
        if proto not in self.effective_protos:
            return False
        return proto in PORTLESS or any(lo <= port <= hi for lo, hi in self.ports)

    def __str__(self) -> str:
        ports = format_ports(self.ports)
        if self.protos is None:
            return ports
        names = {v: k for k, v in reversed(PROTOCOLS.items())}
        return "/".join(names.get(p, str(p)) for p in sorted(self.protos)) + ":" + ports


def format_ports(ports: tuple[PortRange, ...]) -> str:
    if ports == ALL_PORTS:
        return "*"
    return ",".join(str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in ports)


def parse_ports(text: str) -> tuple[PortRange, ...]:
    """`*`, `N`, `N-M` and comma lists of those."""
    if text == "*":
        return ALL_PORTS
    return tuple(_parse_range(part, text) for part in text.split(","))


def _parse_range(part: str, whole: str) -> PortRange:
    first, sep, last = part.partition("-")
    lo = _port(first, whole, "first")
    hi = _port(last, whole, "last") if sep else lo
    if lo == 0:
        raise PortError(f"port range \"{whole}\": first port must be >0, or use '*' for wildcard")
    if hi < lo:
        raise PortError(f'port range "{whole}": last port must be >= first port')
    return lo, hi


def _port(text: str, whole: str, which: str) -> int:
    if not is_decimal(text) or int(text) > 65535:
        raise PortError(f'port range "{whole}": invalid {which} integer')
    return int(text)


def parse_proto(text: str) -> int:
    """A protocol name or IANA number (1–255)."""
    lowered = text.lower()
    if lowered in PROTOCOLS:
        return PROTOCOLS[lowered]
    if is_decimal(lowered) and 1 <= int(lowered) <= 255 and not lowered.startswith("0"):
        return int(lowered)
    raise PortError(f'proto "{text}": unknown protocol')


def parse_grant_ip(text: str) -> IpSpec:
    """A grant `ip` item: `*`, `N`, `N-M`, `proto:*`, `proto:N`, `proto:N-M`."""
    if text == "*":
        return IpSpec(None, ALL_PORTS)
    proto_text, sep, ports_text = text.rpartition(":")
    if not sep:
        return IpSpec(None, parse_ports(text))
    proto = parse_proto(proto_text)
    ports = parse_ports(ports_text)
    if proto not in PORTED and ports != ALL_PORTS:
        raise PortError(f'ip "{text}": protocol {proto_text} does not support specific ports')
    return IpSpec(frozenset({proto}), ports)


def proto_number(value: str | int) -> int:
    """A protocol for queries: a name, a number, or a number as text."""
    return value if isinstance(value, int) else parse_proto(str(value))
