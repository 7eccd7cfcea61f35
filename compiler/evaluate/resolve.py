"""Selectors (`group:eng`, `tag:web`, `autogroup:member`, hosts, CIDRs, …) → address sets.

Resolution follows what the control plane compiles into packet filters (checked against the
recorded captures): users and groups mean their *untagged* devices, tags mean tagged devices,
host aliases and CIDRs mean exactly their prefix, and `*` as a source means the tailnet's
CGNAT and ULA ranges plus every approved subnet route.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from compiler.evaluate.addrs import ALL, INTERNET, POINTS_LIMIT, TAILNET, AddrSet, is_ip_or_cidr
from compiler.evaluate.inventory import Device, Inventory
from compiler.evaluate.model import Policy
from compiler.evaluate.posture import device_meets

ROLE_AUTOGROUPS = {
    "autogroup:admin": {"owner", "admin"},
    "autogroup:owner": {"owner"},
    "autogroup:network-admin": {"network-admin"},
    "autogroup:it-admin": {"it-admin"},
    "autogroup:billing-admin": {"billing-admin"},
    "autogroup:auditor": {"auditor"},
}
SELF = "autogroup:self"
INTERNET_GROUP = "autogroup:internet"


@dataclass(frozen=True)
class Sources:
    """A rule's source addresses: the union of its selectors' sets (`parts`) less the devices
    that fail its posture (`dropped`). The union is made only when it is asked for: the
    self-check asks a small rule's sources only as keys (`points`), which are a set union of
    the selectors' own keys, cheaper than merging their intervals."""

    parts: tuple[AddrSet, ...]
    dropped: AddrSet = field(default_factory=AddrSet)

    @cached_property
    def addrs(self) -> AddrSet:
        src = AddrSet.union(self.parts)
        return src - self.dropped if self.dropped else src

    @cached_property
    def points(self) -> frozenset[int] | None:
        """`addrs.points` (the keys of at most `POINTS_LIMIT` addresses), or None also when
        a part is larger than that (ask `addrs` then)."""
        parts = [p for part in self.parts if (p := part.points) is not None]
        if len(parts) != len(self.parts):
            return None
        keys = frozenset().union(*parts) if len(parts) != 1 else parts[0]
        if self.dropped:
            keys = frozenset(k for k in keys if k not in self.dropped)
        return keys if len(keys) <= POINTS_LIMIT else None

    def more_intervals_than(self, n: int) -> bool:
        """`len(addrs.intervals) > n`, without the union when `points` says no (a set has no
        more intervals than keys)."""
        points = self.points
        if points is not None and len(points) <= n:
            return False
        return len(self.addrs.intervals) > n


@dataclass
class Resolver:
    """Resolves selectors of one policy against one inventory (memoised)."""

    policy: Policy
    inventory: Inventory
    _cache: dict[tuple[str, bool], AddrSet] = field(default_factory=dict)
    _sources: dict[tuple[tuple[str, ...], tuple[str, ...]], Sources] = field(default_factory=dict)

    def like(self, policy: Policy) -> Resolver:
        """A resolver of `policy` over this inventory that shares this one's answers when
        `policy` defines its names the same way (groups, hosts, ipsets and postures are all
        a selector's meaning depends on besides the inventory); else a fresh one. The two
        sides of a review mostly differ in a few rules: their selectors resolve once."""
        if not _same_names(self.policy, policy):
            return Resolver(policy, self.inventory)
        return Resolver(policy, self.inventory, self._cache, self._sources)

    def sources(self, selectors: tuple[str, ...], postures: tuple[str, ...]) -> Sources:
        """A rule's source addresses: its selectors' (`autogroup:self` aside, a destination
        matter) with the devices meeting none of `postures` dropped; kept per distinct
        rule source, which many rules share."""
        key = (selectors, postures)
        found = self._sources.get(key)
        if found is None:
            parts = tuple(self.src(s) for s in selectors if s != SELF)
            found = self._sources[key] = Sources(parts, self.failing(postures))
        return found

    def src(self, selector: str) -> AddrSet:
        return self._resolve(selector, True)

    def dst(self, selector: str) -> AddrSet:
        return self._resolve(selector, False)

    def _resolve(self, selector: str, as_src: bool) -> AddrSet:
        key = (selector, as_src)
        if key not in self._cache:
            self._cache[key] = self._compute(selector, as_src)
        return self._cache[key]

    def _compute(self, sel: str, as_src: bool) -> AddrSet:
        if sel == "*":
            return TAILNET | self.inventory.subnet_routes if as_src else ALL
        if sel.startswith("autogroup:"):
            return self._autogroup(sel)
        if is_ip_or_cidr(sel):
            return AddrSet.parse(sel)
        devices = self.devices(sel)
        named = self._named_prefix(sel)
        return _addrs(devices) | named if devices else named

    def _named_prefix(self, sel: str) -> AddrSet:
        interval = self.policy.host_intervals.get(sel)
        if interval is not None:
            return AddrSet((interval,))
        if sel.startswith("ipset:"):
            return self._ipset(sel, set())
        return AddrSet()

    def _autogroup(self, sel: str) -> AddrSet:
        if sel == "autogroup:danger-all":
            return ALL
        if sel == INTERNET_GROUP:
            return INTERNET
        return _addrs(self.devices(sel))

    def devices(self, sel: str) -> list[Device]:
        """The devices a selector names by identity (not by address)."""
        inv = self.inventory
        if sel in ("autogroup:member", "autogroup:members"):
            return [d for d in inv.devices if not d.tagged]
        if sel == "autogroup:tagged":
            return [d for d in inv.devices if d.tagged]
        if sel in ROLE_AUTOGROUPS:
            roles = ROLE_AUTOGROUPS[sel]
            return [
                d for u in inv.users if u.role in roles for d in inv.devices_of.get(u.login, ())
            ]
        if sel.startswith("tag:"):
            return [d for d in inv.devices if sel in d.tags]
        return [d for login in self.logins(sel) for d in inv.devices_of.get(login, ())]

    def logins(self, sel: str, seen: frozenset[str] = frozenset()) -> list[str]:
        """The user logins a user, group or `user:*@domain` selector names."""
        if sel.startswith("group:"):
            if sel in seen:
                return []
            members = self.policy.groups.get(sel, [])
            return [x for m in members for x in self.logins(m, seen | {sel})]
        if sel.startswith("user:*@"):
            domain = sel.removeprefix("user:*@").lower()
            return [u.login for u in self.inventory.users if u.domain.lower() == domain]
        if "@" in sel and not sel.startswith(("tag:", "autogroup:")):
            return [self._login(sel)]
        return []

    def _login(self, sel: str) -> str:
        users = self.inventory.user_by_login
        if sel in users:
            return sel
        lowered = sel.lower()
        for login in users:
            if login.lower() == lowered or f"{login.split('@')[0]}@" == sel:
                return login
        return sel

    def _ipset(self, name: str, seen: set[str]) -> AddrSet:
        if name in seen:
            return AddrSet()
        result = AddrSet()
        for op in self.policy.ipsets.get(name, []):
            verb, _, target = op.partition(" ") if " " in op else ("add", "", op)
            part = (
                self._ipset(target, seen | {name})
                if target.startswith("ipset:")
                else self.dst(target)
            )
            result = result - part if verb == "remove" else result | part
        return result

    def with_posture(self, addrs: AddrSet, postures: tuple[str, ...]) -> AddrSet:
        """Drop the addresses of devices that satisfy none of `postures` (any-of)."""
        return addrs - self.failing(postures) if postures else addrs

    def failing(self, postures: tuple[str, ...]) -> AddrSet:
        """The addresses of the devices that satisfy none of `postures` (none without any)."""
        if not postures:
            return AddrSet()
        failing = [
            d
            for d in self.inventory.devices
            if not any(device_meets(d, self.policy.postures.get(p, [])) for p in postures)
        ]
        return _addrs(failing)


def _same_names(policy: Policy, other: Policy) -> bool:
    return (
        policy.groups == other.groups
        and policy.hosts == other.hosts
        and policy.ipsets == other.ipsets
        and policy.postures == other.postures
    )


def _addrs(devices: list[Device]) -> AddrSet:
    return AddrSet.of(iv for d in devices for iv in d.addrs.intervals)
