"""Bind values → hosts → classes. Shared by the bind guard and `tailgen audit`.

A bind value is whatever a config says (`100.1.2.3:11434`, `http://h:80`, `[::]:8080`,
`0.0.0.0,::`); its hosts are classed the way the launch-configs reference §5.6 sorts listeners:
wildcard, loopback, tailnet (this node's address, compared exactly), other (LAN, bridges,
another node) — plus "interface" for names, which no service examined accepts as a bind.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Collection
from enum import StrEnum

from compiler.emit.services.base import RUNTIME_IP


class HostClass(StrEnum):
    WILDCARD = "wildcard"
    LOOPBACK = "loopback"
    TAILNET = "tailnet"
    INTERFACE = "interface"
    OTHER = "other"


# OpenClaw's gateway.bind words (and `localhost`), which stand for addresses.
KEYWORDS = {
    "loopback": HostClass.LOOPBACK,
    "localhost": HostClass.LOOPBACK,
    "tailnet": HostClass.TAILNET,
    "lan": HostClass.OTHER,
    "auto": HostClass.WILDCARD,
    "custom": None,  # the address is in gateway.host
}


def hosts_of(value: str) -> list[str]:
    """The host part(s) of a bind value; an empty host (`:11434`) means all interfaces."""
    value = value.strip().strip("'\"").strip()
    if "," in value:
        return [h for part in value.split(",") for h in hosts_of(part)]
    if "://" in value:
        value = value.split("://", 1)[1].split("/", 1)[0]
    if value.startswith("["):
        return [value[1 : value.find("]")] if "]" in value else value[1:]]
    # One colon and no `%zone` is never an address literal (IPv4 has none, IPv6 at least
    # two): `host:port` is split without asking `ipaddress` to refuse it first.
    if value.count(":") != 1 or ("%" in value and _ip(value) is not None):
        return [value]
    return [value.rpartition(":")[0]]


_IP_CHARACTERS = frozenset("0123456789abcdefABCDEF.:")
"""All an address literal may hold (before a `%zone`): anything else is not one, known
without asking `ipaddress` to raise (most argv words and env values are not addresses)."""


def _ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = host.split("%", 1)[0]
    if not _IP_CHARACTERS.issuperset(text) or ("." not in text and ":" not in text):
        return None  # an IPv4 literal has dots, an IPv6 one colons: `8000` is a port
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def classify(host: str, tailnet: Collection[str] = ()) -> HostClass | None:
    """The class of one host; None for a word that defers to another key (`custom`)."""
    if host == RUNTIME_IP:
        return HostClass.TAILNET
    if host.lower() in KEYWORDS:
        return KEYWORDS[host.lower()]
    if host in ("", "*"):
        return HostClass.WILDCARD
    ip = _ip(host)
    if ip is None:
        return HostClass.INTERFACE
    if ip.is_unspecified:
        return HostClass.WILDCARD
    if ip.is_loopback:
        return HostClass.LOOPBACK
    return HostClass.TAILNET if str(ip) in tailnet else HostClass.OTHER


def is_wildcard_literal(value: str) -> bool:
    """A value that is, on its own, a wildcard IP (`0.0.0.0`, `[::]:80`, `::`); `*` alone is
    not, because non-bind settings use it too (`OLLAMA_ORIGINS=*`)."""
    if "0" not in value and ":" not in value:  # every unspecified address has one of them
        return False
    ips = [_ip(h) for h in hosts_of(value)]
    return bool(ips) and all(ip is not None and ip.is_unspecified for ip in ips)


def describe(cls: HostClass, host: str) -> str:
    """How the guard names a forbidden form in its messages."""
    if cls is HostClass.WILDCARD:
        return f"a wildcard address ({host})" if host else "all interfaces (an empty host)"
    if cls is HostClass.INTERFACE:
        return f"an interface or host name ({host}), not an address"
    if cls is HostClass.OTHER:
        return f"a LAN or other non-tailnet address ({host})"
    return f"{cls.value} ({host})"
