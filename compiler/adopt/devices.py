"""The devices of the imported site, and the inventory the proof evaluates both policies on.

With a device list (a file, or the live tailnet) the site lists those devices and the proof
uses the list itself. Without one, devices are made up from the names the policy uses: one
per user, one per tag, and one router for each set of route approvers (so subnet routes and
exit nodes are enforced somewhere), and the proof uses the inventory those devices make.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from compiler.adopt.names import Names, valid_tag_name
from compiler.site.model import TAILSCALE_V4

_NAME_CHARS = re.compile(r"[^A-Za-z0-9-]+")
_RESERVED = (ipaddress.IPv4Network("100.100.100.0/24"), ipaddress.IPv4Network("100.115.92.0/23"))


@dataclass
class DevicePlan:
    """Site devices (in the site's words) and the autoApprovers keys they reproduce."""

    devices: dict[str, dict[str, Any]] = field(default_factory=dict)
    routed: set[str] = field(default_factory=set)
    roles: dict[str, str] = field(default_factory=dict)  # user key → role other than member
    made_up: bool = False

    def unique(self, base: str) -> str:
        base = _NAME_CHARS.sub("-", base).strip("-") or "device"
        name, n = base, 2
        while name in self.devices:
            name, n = f"{base}-{n}", n + 1
        return name


def made_up(policy: Mapping[str, Any], names: Names) -> DevicePlan:
    """One device per user and per tag, plus routers and exit nodes for the approvers."""
    plan = DevicePlan(made_up=True)
    keys = list(names.users.values())
    plan.roles = dict(zip(keys, ("owner", "admin"), strict=False))
    for key in keys:
        plan.devices[plan.unique(f"{key}-device")] = {"os": "linux", "owner": key}
    owners = policy.get("tagOwners")
    for tag in owners if isinstance(owners, Mapping) else {}:
        if isinstance(tag, str) and tag.startswith("tag:") and valid_tag_name(tag[4:]):
            plan.devices[plan.unique(tag[4:])] = {"os": "linux", "tags": [tag[4:]]}
    approvers = policy.get("autoApprovers")
    if isinstance(approvers, Mapping):
        _routers(plan, approvers, names)
    return plan


def _identity(approvers: Any, names: Names) -> dict[str, Any] | None:
    """The device identity that approves exactly these approvers: tags, or one owner."""
    if not isinstance(approvers, list) or not approvers:
        return None
    if all(
        isinstance(a, str) and a.startswith("tag:") and valid_tag_name(a[4:]) for a in approvers
    ):
        return {"tags": list(dict.fromkeys(a[4:] for a in approvers))}
    if len(approvers) == 1 and isinstance(approvers[0], str) and approvers[0] in names.users:
        return {"owner": names.users[approvers[0]]}
    return None


def _device_for(plan: DevicePlan, identity: dict[str, Any]) -> str:
    for name, device in plan.devices.items():
        if device.get("tags") == identity.get("tags") and device.get("owner") == identity.get(
            "owner"
        ):
            return name
    name = plan.unique("router")
    plan.devices[name] = {"os": "linux", **identity}
    return name


def _routers(plan: DevicePlan, approvers: Mapping[str, Any], names: Names) -> None:
    routes = approvers.get("routes")
    if isinstance(routes, Mapping) and routes and _add_routes(plan, routes, names):
        plan.routed.add("routes")
    identity = _identity(approvers.get("exitNode"), names)
    if identity is not None:
        plan.devices[_device_for(plan, identity)]["exit_node"] = True
        plan.routed.add("exitNode")


def _add_routes(plan: DevicePlan, routes: Mapping[str, Any], names: Names) -> bool:
    """Give each route to the device of its approvers; False if the model cannot say them
    all (IPv6 or default routes, overlaps, approvers that are not tags or one user)."""
    exact = True
    seen: list[ipaddress.IPv4Network] = []
    for cidr, approvers in routes.items():
        net = _ipv4_route(cidr)
        identity = _identity(approvers, names)
        if net is None or identity is None or any(net.overlaps(n) for n in seen):
            exact = False
            continue
        seen.append(net)
        name = _device_for(plan, identity)
        device = plan.devices[name]
        device.setdefault("routes", []).append(str(net))
        device["location"] = name
    return exact


def _ipv4_route(cidr: Any) -> ipaddress.IPv4Network | None:
    try:
        net = ipaddress.ip_network(str(cidr), strict=True)
    except ValueError:
        return None
    if not isinstance(net, ipaddress.IPv4Network) or net.prefixlen == 0:
        return None
    return net


def from_topology(topology: Mapping[str, Any], names: Names) -> DevicePlan:
    """The listed devices, each pinned to its tailnet address."""
    plan = DevicePlan()
    users = {
        u.get("name", ""): u.get("email") or u.get("login") for u in topology.get("users") or []
    }
    nodes = topology.get("nodes") or {}
    for name, node in sorted(nodes.items()) if isinstance(nodes, Mapping) else []:
        entry: dict[str, Any] = {"os": "linux"}
        tags = [str(t)[4:] for t in node.get("tags") or [] if str(t).startswith("tag:")]
        owner = users.get(node.get("user"), node.get("user"))
        if tags:
            entry["tags"] = tags
        elif isinstance(owner, str) and owner and names.add_login(owner):
            entry["owner"] = names.users[owner]
        else:
            continue
        ip = _pinnable(node.get("ipv4"))
        if ip and ip not in {d.get("tailscale_ip") for d in plan.devices.values()}:
            entry["tailscale_ip"] = ip
        plan.devices[plan.unique(str(name))] = entry
    return plan


def _pinnable(value: Any) -> str | None:
    try:
        ip = ipaddress.IPv4Address(str(value))
    except ValueError:
        return None
    return str(ip) if ip in TAILSCALE_V4 and not any(ip in r for r in _RESERVED) else None
