"""Address sets as sorted, merged integer intervals.

The control plane thinks in IP sets (netipx.IPSet): every selector resolves to one, and packet
filters are unions of them. Intervals over one integer line make union, containment and overlap
cheap and exact. IPv4 and IPv6 share the line: IPv6 addresses are shifted above every IPv4 one,
so a single sorted list holds both families without ever mixing them up.
"""

from __future__ import annotations

import bisect
import ipaddress
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property

from compiler.numerals import is_decimal

V6_BASE = 1 << 33
"""Offset of the IPv6 family on the shared line (any value above 2**32 works)."""

POINTS_LIMIT = 256
"""Sets of at most this many addresses also answer as a set of keys (`AddrSet.points`)."""

V4_MAX = (1 << 32) - 1
V6_MAX = V6_BASE + (1 << 128) - 1

Interval = tuple[int, int]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def addr_key(text: str | IPAddress) -> int:
    """The position of one address on the shared line."""
    if isinstance(text, str):
        key = _ipv4_key(text)
        if key is not None:
            return key
    ip = ipaddress.ip_address(text) if isinstance(text, str) else text
    return int(ip) if ip.version == 4 else V6_BASE + int(ip)


def _ipv4_key(text: str) -> int | None:
    """A dotted-quad IPv4 address read by `ipaddress`'s own rules (four ASCII decimal octets
    of at most three digits, ≤ 255, no leading zero), without building an address object;
    None for anything else, which `ipaddress` then reads or refuses with its own message.
    Every device and host address is parsed here, several times per build."""
    octets = text.split(".")
    if len(octets) != 4:
        return None
    key = 0
    for octet in octets:
        if not is_decimal(octet) or len(octet) > 3:
            return None
        if octet[0] == "0" and octet != "0":
            return None
        value = int(octet)
        if value > 255:
            return None
        key = key << 8 | value
    return key


def key_addr(key: int) -> IPAddress:
    """The address at a position on the shared line."""
    if key >= V6_BASE:
        return ipaddress.IPv6Address(key - V6_BASE)
    return ipaddress.IPv4Address(key)


def parse_interval(text: str) -> Interval:
    """An interval from an address, a CIDR or a `first-last` range (the wire format's forms)."""
    if "-" in text:
        first, last = text.split("-", 1)
        return addr_key(first), addr_key(last)
    if "/" not in text:
        key = _plain_key(text)
        if key is not None:
            return key, key
    net = ipaddress.ip_network(text, strict=False)
    lo = addr_key(net.network_address)
    return lo, lo + net.num_addresses - 1


_NOT_IN_AN_ADDRESS = re.compile(r"[^0-9a-fA-F.:/]")


def is_ip_or_cidr(text: str) -> bool:
    """Whether `text` is an address or a CIDR (see `prefix_interval`)."""
    return prefix_interval(text) is not None


def prefix_interval(text: str) -> Interval | None:
    """The interval of an address or a CIDR (None: `text` is neither).

    Selectors (`tag:x`, `group:x`, logins, names) are asked about far more often than
    addresses are, and `ipaddress` says no by raising, which is slow; a character no address
    has (or neither `.` nor `:`) says no first. A `%` (IPv6 scope) is left to `ipaddress`.
    """
    if "%" not in text and (
        ("." not in text and ":" not in text) or _NOT_IN_AN_ADDRESS.search(text)
    ):
        return None
    if "/" not in text:
        key = _plain_key(text)
        return None if key is None else (key, key)
    try:
        net = ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None
    lo = addr_key(net.network_address)
    return lo, lo + net.num_addresses - 1


def _plain_key(text: str) -> int | None:
    """The key of an address written without a prefix (None: not an address). Parsing it as
    an address accepts exactly what parsing it as a network does, at a third of the cost."""
    try:
        return addr_key(text)
    except ValueError:
        return None


@dataclass(frozen=True)
class AddrSet:
    """An immutable union of intervals, kept sorted and merged (so equality is set equality)."""

    intervals: tuple[Interval, ...] = ()

    @classmethod
    def of(cls, items: Iterable[Interval]) -> AddrSet:
        ordered = iter(sorted(items))
        first = next(ordered, None)
        if first is None:
            return cls()
        merged: list[Interval] = []
        lo, hi = first
        for next_lo, next_hi in ordered:
            if next_lo <= hi + 1 and (hi >= V6_BASE) == (next_lo >= V6_BASE):
                hi = max(hi, next_hi)
            else:
                merged.append((lo, hi))
                lo, hi = next_lo, next_hi
        merged.append((lo, hi))
        return cls(tuple(merged))

    @classmethod
    def union(cls, sets: Iterable[AddrSet]) -> AddrSet:
        """The union of many sets in one merge (`a | b | c …` merges once per operator)."""
        distinct = list({id(s): s for s in sets if s.intervals}.values())
        if len(distinct) <= 1:
            return distinct[0] if distinct else cls()
        return cls.of(iv for s in distinct for iv in s.intervals)

    @classmethod
    def parse(cls, *texts: str) -> AddrSet:
        return cls.of(parse_interval(t) for t in texts)

    def __bool__(self) -> bool:
        return bool(self.intervals)

    def __or__(self, other: AddrSet) -> AddrSet:
        if not other.intervals:
            return self
        if not self.intervals:
            return other
        return AddrSet.of(self.intervals + other.intervals)

    def __sub__(self, other: AddrSet) -> AddrSet:
        out: list[Interval] = []
        for lo, hi in self.intervals:
            out.extend(_cut(lo, hi, other.intervals))
        return AddrSet(tuple(out))

    def __and__(self, other: AddrSet) -> AddrSet:
        return self - (self - other)

    @cached_property
    def _starts(self) -> tuple[int, ...]:
        """The intervals' first keys, to bisect with plain integer comparisons."""
        return tuple(lo for lo, _ in self.intervals)

    def reaching_into(self, lo: int, hi: int) -> tuple[Interval, ...]:
        """The intervals that may hold a key in `lo`..`hi` (those starting after `hi` or
        ending before the last one to start at or before `lo` cannot), found by bisection."""
        first = max(bisect.bisect_right(self._starts, lo) - 1, 0)
        return self.intervals[first : bisect.bisect_right(self._starts, hi)]

    def __contains__(self, key: int) -> bool:
        i = bisect.bisect_right(self._starts, key) - 1
        return i >= 0 and key <= self.intervals[i][1]

    def overlaps(self, other: AddrSet) -> bool:
        return bool(self & other)

    def covers(self, other: AddrSet) -> bool:
        return not (other - self)

    def size(self) -> int:
        return sum(hi - lo + 1 for lo, hi in self.intervals)

    def size_at_most(self, limit: int) -> bool:
        """`size() <= limit`, stopping as soon as the answer is known (large sets are long)."""
        total = 0
        for lo, hi in self.intervals:
            total += hi - lo + 1
            if total > limit:
                return False
        return True

    @cached_property
    def points(self) -> frozenset[int] | None:
        """Every key of the set when it has at most `POINTS_LIMIT` (None for a larger set).
        Kept per set: a selector's set is resolved once and then joins the sources of every
        rule naming it, and the union of small sets as keys is a set operation instead of a
        merge of their intervals."""
        if not self.size_at_most(POINTS_LIMIT):
            return None
        return frozenset(k for lo, hi in self.intervals for k in range(lo, hi + 1))

    def first_keys(self) -> Iterator[int]:
        return (lo for lo, _ in self.intervals)

    def __str__(self) -> str:
        return ", ".join(format_interval(iv) for iv in self.intervals)


def _cut(lo: int, hi: int, holes: tuple[Interval, ...]) -> Iterator[Interval]:
    start = bisect.bisect_left(holes, (lo, -1))
    start = max(start - 1, 0)
    for hlo, hhi in holes[start:]:
        if hlo > hi:
            break
        if hhi < lo:
            continue
        if hlo > lo:
            yield lo, hlo - 1
        lo = hhi + 1
        if lo > hi:
            return
    yield lo, hi


def format_interval(iv: Interval) -> str:
    """An interval the way the wire format writes it: address, CIDR when exact, else a range."""
    lo, hi = iv
    if lo == hi:
        return str(key_addr(lo))
    first, last = key_addr(lo), key_addr(hi)
    nets = list(ipaddress.summarize_address_range(first, last))
    if len(nets) == 1:
        return str(nets[0])
    return f"{first}-{last}"


ALL = AddrSet.parse("0.0.0.0/0", "::/0")
TAILNET_V4 = AddrSet.parse("100.64.0.0/10") - AddrSet.parse("100.115.92.0/23")
TAILNET_V6 = AddrSet.parse("fd7a:115c:a1e0::/48")
TAILNET = TAILNET_V4 | TAILNET_V6
"""What `*` means as a source before subnet routes are added (observed in the captures)."""

INTERNET = AddrSet.parse("0.0.0.0/0", "2000::/3") - AddrSet.parse(
    "10.0.0.0/8", "100.64.0.0/10", "169.254.0.0/16", "172.16.0.0/12", "192.168.0.0/16"
)
"""`autogroup:internet` exactly as the control plane hands it to exit nodes."""

EXIT_ROUTES = frozenset({"0.0.0.0/0", "::/0"})
