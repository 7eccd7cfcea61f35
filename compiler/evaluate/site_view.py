"""What a site model adds to evaluation: its inventory, its services and its break-glass paths.

The evaluator works on any policy; for our own compiled policy the site says which columns the
matrix should have (every endpoint of the access model: the port clients really connect to,
on the address they connect to — a serve-published 443, a LAN address through the subnet
router), which rows (users, groups, tags) and which paths must never be lost — so `matrix`,
`lint` and `explain` speak in the site's terms and agree with the grants.
"""

from __future__ import annotations

from compiler.evaluate.addrs import V6_BASE
from compiler.evaluate.inventory import Device, Inventory, User
from compiler.evaluate.matrix import Service
from compiler.evaluate.ports import TCP, UDP
from compiler.site.access import access, break_glass_paths
from compiler.site.inventory import (
    device_ipv4s,
    device_routes,
    inventory_from_site,
    ipv4_text,
    ipv6_for,
)
from compiler.site.model import Site

__all__ = [
    "inventory_from_site",
    "site_inventory",
    "site_must_keep",
    "site_principals",
    "site_services",
]


def site_inventory(site: Site) -> Inventory:
    """`inventory_from_dict(inventory_from_site(site))`, made from the site directly: each
    device's address keys are the numbers its addresses were written from, not read back
    from their text (that reading, an IPv6 parse per device, and the dictionary in between
    were a sixth of a large build's self-check)."""
    users: list[User] = []
    login_of: dict[str, str] = {}
    for key, user in site.users.items():
        login = user.login or f"{key}@"
        users.append(User(login, key, user.role.value))
        login_of[key] = login_of[login] = login
    ipv4s = device_ipv4s(site)
    devices = [_device(site, name, int(ipv4s[name]), login_of) for name in sorted(site.devices)]
    return Inventory(tuple(users), tuple(devices))


def _device(site: Site, name: str, ipv4: int, login_of: dict[str, str]) -> Device:
    dev = site.devices[name]
    v6_text, v6 = ipv6_for(ipv4)
    owner = dev.owner if dev.owner and not dev.tags else ""
    routes = tuple(device_routes(site, name))
    device = Device(
        name=name,
        addresses=(ipv4_text(ipv4), v6_text),
        owner=login_of.get(owner, owner),
        tags=tuple(f"tag:{t}" for t in dev.tags),
        approved_routes=routes,
        advertised_routes=routes,
    )
    return device.knowing_keys((ipv4, V6_BASE + v6))


def site_services(site: Site) -> list[Service]:
    """One column per endpoint: `name (device:port)` for tailnet endpoints, named by device;
    `name (address:port)` for LAN endpoints, asked at that address."""
    out = []
    for ep in access(site).endpoints():
        proto = UDP if ep.proto == "udp" else TCP
        where = ep.device if ep.on_tailnet or ep.address is None else ep.address
        out.append(Service(f"{ep.service} ({ep.dst(where)})", where, ep.port, proto))
    return out


def site_principals(site: Site) -> list[str]:
    """Rows: user logins, then groups, then tags, as the compiled policy names them."""
    users = [u.login for u in site.users.values()]
    groups = [f"group:{g}" for g in site.groups]
    tags = [f"tag:{t}" for t in site.tags]
    return users + groups + tags


def site_must_keep(site: Site) -> list[tuple[str, str, int]]:
    """(login, device, port) for every break-glass path."""
    return [(site.users[p.user].login, p.device, p.port) for p in break_glass_paths(site)]
