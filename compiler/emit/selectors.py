"""Site references → the policy's selectors (pure). Shared by every emitter that writes
policy entries (the policy itself, and DNS's port-53 grants), so a name is spelled one way.

Who a reference stands for (its users) is the access model's business
(`compiler.site.access.members`); this module only decides how the policy file names it.
"""

from __future__ import annotations

from collections.abc import Iterable

from compiler.errors import Problem, Severity
from compiler.site.access import Endpoint
from compiler.site.check import SSH_CAPABLE
from compiler.site.model import Device, Site


def origin(site: Site, what: str, *path: str | int) -> str:
    """The comment above a generated entry: `site.yaml:41 service ollama on wintendo`."""
    return f"{site.source_label}:{site.span(*path).line} {what}"


def location_hosts(site: Site, name: str) -> list[tuple[str, str]]:
    """The `hosts` aliases for a location's subnets: `phl-lan`, or `phl-lan-1`, `phl-lan-2`…"""
    nets = site.locations[name].subnets
    if len(nets) == 1:
        return [(f"{name}-lan", str(nets[0]))]
    return [(f"{name}-lan-{i}", str(net)) for i, net in enumerate(nets, 1)]


def login(site: Site, user: str) -> str:
    return site.users[user].login


def selectors(site: Site, ref: str, inlined: set[str]) -> list[str]:
    """Policy selectors for one site reference (a group may be inlined to its logins)."""
    if ref in site.users:
        return [login(site, ref)]
    kind, _, name = ref.partition(":")
    if kind == "location":
        return [alias for alias, _ in location_hosts(site, name)]
    if kind == "group" and name in inlined:
        return [login(site, u) for u in site.groups[name]]
    return [ref]


def src_list(site: Site, refs: Iterable[str], inlined: set[str]) -> list[str]:
    out: dict[str, None] = {}  # an ordered set: each selector once, first place kept
    for ref in refs:
        out.update(dict.fromkeys(selectors(site, ref, inlined)))
    return list(out)


def device_selector(site: Site, name: str) -> str:
    """The narrowest selector for one device: its pinned-address alias, else a tag or owner."""
    dev = site.devices[name]
    if dev.tailscale_ip is not None:
        return name
    if dev.tags:
        return f"tag:{dev.tags[0]}"
    return login(site, dev.owner or "")


def endpoint_selector(site: Site, endpoint: Endpoint) -> str:
    """How the policy names where an endpoint is: its device (tailnet endpoints), or the LAN
    address literal (reached through the subnet router)."""
    if endpoint.on_tailnet or endpoint.address is None:
        return device_selector(site, endpoint.device)
    return endpoint.address


def device_identity(site: Site, dev: Device) -> list[str]:
    """Who a device acts as for approvals: its tags, or its owner's login."""
    return [f"tag:{t}" for t in dev.tags] or ([login(site, dev.owner)] if dev.owner else [])


def choose_inlined(site: Site) -> tuple[set[str], list[Problem]]:
    """Groups to inline so the policy stays within the plan's ACL-group limit (smallest first)."""
    limit = site.plan_limits().groups
    if limit is None or len(site.groups) <= limit:
        return set(), []
    by_size = sorted(site.groups, key=lambda g: (len(site.groups[g]), g))
    inlined = set(by_size[: len(site.groups) - limit])
    names = ", ".join(f"group:{g}" for g in sorted(inlined))
    message = (
        f"{len(site.groups)} groups, but the {site.plan} plan allows {limit} ACL groups: "
        f"inlined {names} as member logins"
    )
    return inlined, [Problem("plan-groups", message, site.span("groups"), Severity.WARNING)]


def ssh_tags(site: Site, devices: Iterable[str]) -> list[str]:
    """The tags that name these devices in an SSH rule: each SSH-capable device's first tag
    (Tailscale SSH rules cannot name a host alias)."""
    return sorted(
        {
            f"tag:{t}"
            for d in devices
            for t in site.devices[d].tags[:1]
            if site.devices[d].os in SSH_CAPABLE
        }
    )
