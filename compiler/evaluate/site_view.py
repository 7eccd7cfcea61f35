"""What a site model adds to evaluation: its inventory, its services and its break-glass paths.

The evaluator works on any policy; for our own compiled policy the site says which columns the
matrix should have (declared service ports), which rows (users, groups, tags) and which paths
must never be lost — so `matrix`, `lint` and `explain` can speak in the site's terms.
"""

from __future__ import annotations

from compiler.evaluate.matrix import Service
from compiler.evaluate.ports import TCP, UDP
from compiler.site.inventory import inventory_from_site
from compiler.site.model import Site

__all__ = ["inventory_from_site", "site_must_keep", "site_principals", "site_services"]


def site_services(site: Site) -> list[Service]:
    """One column per declared service port (plus SSH where a break-glass path names it)."""
    out = []
    for name, svc in site.services.items():
        proto = UDP if str(svc.protocol) == "udp" else TCP
        for port in svc.port:
            out.append(Service(f"{name} ({svc.device}:{port})", svc.device, port, proto))
    return out


def site_principals(site: Site) -> list[str]:
    """Rows: user logins, then groups, then tags, as the compiled policy names them."""
    users = [u.login for u in site.users.values()]
    groups = [f"group:{g}" for g in site.groups]
    tags = [f"tag:{t}" for t in site.tags]
    return users + groups + tags


def site_must_keep(site: Site) -> list[tuple[str, str, int]]:
    """(login, device, port) for every break-glass path."""
    paths: list[tuple[str, str, int]] = []
    for bg in site.break_glass:
        for who in bg.who:
            user = site.users.get(who)
            login = user.login if user else who
            paths.extend((login, device, bg.port) for device in bg.devices)
    return paths
