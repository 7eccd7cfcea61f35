"""Site → inventory in the shape of the recorded control-plane cases' `topology` object.

The evaluator works on users and nodes with addresses. Devices without a pinned Tailscale
address get a stable synthetic one (derived from the name, inside 100.64.0.0/10 and outside
Tailscale's reserved ranges) so every device can be evaluated; those addresses never appear
in generated artifacts.
"""

from __future__ import annotations

import hashlib
import ipaddress
from typing import Any

from compiler.site.model import TAILSCALE_V4, Site

_RESERVED = (ipaddress.IPv4Network("100.100.100.0/24"), ipaddress.IPv4Network("100.115.92.0/23"))
_ULA = ipaddress.IPv6Network("fd7a:115c:a1e0::/48")
_ULA_TEXT = "fd7a:115c:a1e0::"


def _synthetic_ipv4(name: str, taken: set[str]) -> str:
    counter = 0
    while True:
        digest = hashlib.sha256(f"{name}/{counter}".encode()).digest()
        offset = int.from_bytes(digest[:4], "big") % (TAILSCALE_V4.num_addresses - 2) + 1
        addr = TAILSCALE_V4.network_address + offset
        if str(addr) not in taken and not any(addr in r for r in _RESERVED):
            return str(addr)
        counter += 1


def _ipv6_for(ipv4: str) -> str:
    """The node's address in Tailscale's ULA range, which embeds its IPv4 in the low 32 bits.

    Written out directly when the high half of the IPv4 is not zero (always, inside
    100.64.0.0/10): the three zero groups between the prefix and it are then the longest
    zero run, which is what `ipaddress` compresses to `::`."""
    value = int(ipaddress.IPv4Address(ipv4))
    high, low = value >> 16, value & 0xFFFF
    if high:
        return f"{_ULA_TEXT}{high:x}:{low:x}"
    return str(_ULA.network_address + value)


def device_addresses(site: Site) -> dict[str, str]:
    """device → IPv4: the pinned address, else a stable synthetic one."""
    taken = {str(d.tailscale_ip) for d in site.devices.values() if d.tailscale_ip}
    addresses: dict[str, str] = {}
    for name, dev in site.devices.items():
        if dev.tailscale_ip is not None:
            addresses[name] = str(dev.tailscale_ip)
        else:
            addresses[name] = _synthetic_ipv4(name, taken)
            taken.add(addresses[name])
    return addresses


def inventory_from_site(site: Site) -> dict[str, Any]:
    """The tailnet as the evaluator sees it: users (with roles) and nodes (with routes)."""
    users = [
        {"id": i, "name": key, "email": user.login, "role": user.role.value}
        for i, (key, user) in enumerate(site.users.items(), 1)
    ]
    addresses = device_addresses(site)
    nodes: dict[str, dict[str, Any]] = {}
    for name, dev in site.devices.items():
        routes = [str(r) for r in dev.routes]
        if dev.exit_node:
            routes += ["0.0.0.0/0", "::/0"]
        node: dict[str, Any] = {
            "hostname": name,
            "tags": [f"tag:{t}" for t in dev.tags],
            "ipv4": addresses[name],
            "ipv6": _ipv6_for(addresses[name]),
            "routable_ips": routes,
            "approved_routes": routes,
            "os": dev.os.value,
        }
        if dev.owner and not dev.tags:
            node["user"] = dev.owner
        nodes[name] = node
    return {"users": users, "nodes": nodes}
