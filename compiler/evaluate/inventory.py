"""The tailnet a policy is evaluated against: users and devices.

The shape is the `topology` object of the recorded control-plane captures, so a capture, a
site model (`compiler.site.inventory`) and, later, the live API all feed the evaluator the same
way. Optional extras: a user `role` (owner, admin, network-admin, it-admin, billing-admin,
auditor, member), a device `posture` map (`node:os` → value) and a top-level `tailnet` or
`domains` naming the tailnet's own login domains.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from compiler.evaluate.addrs import EXIT_ROUTES, AddrSet, addr_key


@dataclass(frozen=True)
class User:
    login: str
    name: str = ""
    role: str = "member"

    @property
    def domain(self) -> str:
        return self.login.rpartition("@")[2]

    @property
    def localpart(self) -> str:
        return self.login.rpartition("@")[0]


@dataclass(frozen=True)
class Device:
    name: str
    addresses: tuple[str, ...]
    owner: str = ""
    tags: tuple[str, ...] = ()
    approved_routes: tuple[str, ...] = ()
    advertised_routes: tuple[str, ...] = ()
    posture: Mapping[str, Any] = field(default_factory=dict)

    @property
    def tagged(self) -> bool:
        return bool(self.tags)

    def knowing_keys(self, keys: tuple[int, ...]) -> Device:
        """This device, told its addresses' `keys` (which must be `addresses` read by
        `addr_key`, in order) by a caller that wrote the addresses from those numbers: a
        site's inventory, whose addresses were never anything else, so that reading them
        back is skipped."""
        self.__dict__["keys"] = keys
        return self

    @cached_property
    def keys(self) -> tuple[int, ...]:
        return tuple(addr_key(a) for a in self.addresses)

    @cached_property
    def addrs(self) -> AddrSet:
        """The device's addresses as a set (from `keys`, parsed once, when all are plain
        addresses, as a device's are; a prefix or range is parsed as one)."""
        if any("/" in a or "-" in a for a in self.addresses):
            return AddrSet.parse(*self.addresses)
        return AddrSet.of((k, k) for k in self.keys)

    @property
    def subnet_routes(self) -> tuple[str, ...]:
        """Approved routes that carry traffic, other than the exit routes."""
        return tuple(r for r in self.approved_routes if r not in EXIT_ROUTES)

    @property
    def is_exit_node(self) -> bool:
        return set(self.approved_routes) >= EXIT_ROUTES

    @cached_property
    def routed(self) -> AddrSet:
        return AddrSet.parse(*self.subnet_routes)


@dataclass(frozen=True)
class Inventory:
    users: tuple[User, ...]
    devices: tuple[Device, ...]
    domains: tuple[str, ...] = ()

    @cached_property
    def user_by_login(self) -> dict[str, User]:
        return {u.login: u for u in self.users}

    @cached_property
    def device_by_name(self) -> dict[str, Device]:
        return {d.name: d for d in self.devices}

    @cached_property
    def device_by_key(self) -> dict[int, Device]:
        return {k: d for d in self.devices for k in d.keys}

    @cached_property
    def devices_of(self) -> dict[str, tuple[Device, ...]]:
        """Each login's untagged devices (tags replace user identity)."""
        out: dict[str, list[Device]] = {}
        for d in self.devices:
            if not d.tagged and d.owner:
                out.setdefault(d.owner, []).append(d)
        return {k: tuple(v) for k, v in out.items()}

    @cached_property
    def owner_by_key(self) -> dict[int, str]:
        """The owner of each untagged device's addresses (what `autogroup:self` compares)."""
        return {k: d.owner for d in self.devices if not d.tagged for k in d.keys}

    @cached_property
    def keys_by_owner(self) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {}
        for key, owner in self.owner_by_key.items():
            out.setdefault(owner, []).append(key)
        return out

    @cached_property
    def subnet_routes(self) -> AddrSet:
        """Every approved, non-exit route in the tailnet (part of `*` as a source)."""
        return AddrSet.parse(*(r for d in self.devices for r in d.subnet_routes))

    @cached_property
    def tailnet_domains(self) -> tuple[str, ...]:
        if self.domains:
            return self.domains
        owners = [u for u in self.users if u.role == "owner"] or list(self.users[:1])
        return tuple(u.domain for u in owners if u.domain)

    def owner_of(self, device: Device) -> User | None:
        return None if device.tagged else self.user_by_login.get(device.owner)


def inventory_from_dict(data: Mapping[str, Any]) -> Inventory:
    """An Inventory from the captures' `topology` shape (plus the optional extras)."""
    raw_users = list(data.get("users") or [])
    by_name: dict[str, str] = {}
    users: list[User] = []
    for i, u in enumerate(raw_users):
        login = u.get("login") or u.get("email") or f"{u.get('name', '')}@"
        role = u.get("role") or ("owner" if i == 0 else "member")
        users.append(User(login=login, name=u.get("name", ""), role=role))
        by_name[u.get("name", login)] = login
        by_name[login] = login
    devices = [_device(name, n, by_name) for name, n in _nodes(data)]
    domains = _domains(data)
    return Inventory(tuple(users), tuple(devices), domains)


def _nodes(data: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    nodes = data.get("nodes") or data.get("devices") or {}
    if isinstance(nodes, Mapping):
        return sorted(nodes.items())
    return [(n.get("name") or n.get("hostname", ""), n) for n in nodes]


def _device(name: str, node: Mapping[str, Any], by_name: Mapping[str, str]) -> Device:
    addresses = tuple(a for a in (node.get("ipv4"), node.get("ipv6")) if a)
    addresses += tuple(node.get("addresses") or ())
    owner = node.get("user") or node.get("owner") or ""
    return Device(
        name=name,
        addresses=tuple(dict.fromkeys(addresses)),
        owner=by_name.get(owner, owner),
        tags=tuple(node.get("tags") or ()),
        approved_routes=tuple(node.get("approved_routes") or ()),
        advertised_routes=tuple(node.get("routable_ips") or ()),
        posture=dict(node.get("posture") or {}),
    )


def _domains(data: Mapping[str, Any]) -> tuple[str, ...]:
    if data.get("domains"):
        return tuple(data["domains"])
    tailnet = str(data.get("tailnet") or "")
    if "@" in tailnet:
        return (tailnet.rpartition("@")[2],)
    return (tailnet,) if "." in tailnet else ()


def as_inventory(value: Inventory | Mapping[str, Any]) -> Inventory:
    return value if isinstance(value, Inventory) else inventory_from_dict(value)
