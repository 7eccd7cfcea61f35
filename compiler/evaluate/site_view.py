"""What a site model adds to evaluation: its inventory, its services and its break-glass paths.

The evaluator works on any policy; for our own compiled policy the site says which columns the
matrix should have (every endpoint of the access model: the port clients really connect to,
on the address they connect to — a serve-published 443, a LAN address through the subnet
router), which rows (users, groups, tags) and which paths must never be lost — so `matrix`,
`lint` and `explain` speak in the site's terms and agree with the grants.
"""

from __future__ import annotations

from compiler.evaluate.matrix import Service
from compiler.evaluate.ports import TCP, UDP
from compiler.site.access import access, break_glass_paths
from compiler.site.inventory import inventory_from_site
from compiler.site.model import Site

__all__ = ["inventory_from_site", "site_must_keep", "site_principals", "site_services"]


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
