"""Which of many networks hold an address or a network, in a few dictionary look-ups.

Checks and derivations ask "which location subnet holds this resolver / route / LAN address"
and "which subnets overlap this one" for every device or location; scanning every subnet for
each question grows with devices × locations. A network of prefix length L holds a value when
the value's first L bits equal the network's, so the networks are filed by (version, L, first
L bits), and a question costs one look-up per prefix length in use (a handful), whatever the
number of networks. The answers are exactly `model.contains`/`model.overlap`'s, in the order
the networks were given (declaration order: the first one wins where callers pick one).

Built once per question set (e.g. per Site value through `Site.derived`), never cached at
module level.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Generic, TypeVar

from compiler.site.model import IP, Network

T = TypeVar("T")
_Key = tuple[int, int, int]  # (IP version, prefix length, the value's first prefix-length bits)


def _bits(value: IP | Network) -> tuple[int, int, int]:
    """(version, prefix length, value as an integer): an address is a full-length prefix."""
    if isinstance(value, IP):
        return value.version, value.max_prefixlen, int(value)
    return value.version, value.prefixlen, int(value.network_address)


class NetworkIndex(Generic[T]):
    """Networks with a label each (e.g. the location that declares it), in the given order."""

    def __init__(self, entries: Iterable[tuple[Network, T]]) -> None:
        self.entries: list[tuple[Network, T]] = list(entries)
        self._lengths: dict[int, list[int]] = {}  # version → the prefix lengths in use
        for net, _ in self.entries:
            lengths = self._lengths.setdefault(net.version, [])
            if net.prefixlen not in lengths:
                lengths.append(net.prefixlen)
        self._exact: dict[_Key, list[int]] = {}  # network → positions of its entries
        self._within: dict[_Key, list[int]] = {}  # prefix → positions of entries inside it
        for pos, (net, _) in enumerate(self.entries):
            version, length, value = _bits(net)
            shift = net.max_prefixlen
            self._exact.setdefault((version, length, value >> (shift - length)), []).append(pos)
            for prefix in self._lengths[version]:
                if prefix <= length:
                    key = (version, prefix, value >> (shift - prefix))
                    self._within.setdefault(key, []).append(pos)

    def containing(self, value: IP | Network) -> list[int]:
        """Positions of the networks that hold `value` (`contains(net, value)`), in order."""
        version, length, bits = _bits(value)
        shift = 32 if version == 4 else 128
        found: list[int] = []
        for prefix in self._lengths.get(version, ()):
            if prefix <= length:
                found += self._exact.get((version, prefix, bits >> (shift - prefix)), ())
        return sorted(found)

    def overlapping(self, net: Network) -> list[int]:
        """Positions of the networks that overlap `net` (`overlap(net, other)`), in order."""
        version, length, bits = _bits(net)
        inside = self._within.get((version, length, bits >> (net.max_prefixlen - length)), [])
        return sorted({*self.containing(net), *inside})

    def labels(self, positions: Iterable[int]) -> list[T]:
        """The labels of these positions, each once, in order."""
        return list(dict.fromkeys(self.entries[pos][1] for pos in positions))
