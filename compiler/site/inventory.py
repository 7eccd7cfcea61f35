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
_ULA_INT = int(_ULA.network_address)


def _synthetic_ipv4(name: str, taken: set[int]) -> ipaddress.IPv4Address:
    counter = 0
    while True:
        digest = hashlib.sha256(f"{name}/{counter}".encode()).digest()
        offset = int.from_bytes(digest[:4], "big") % (TAILSCALE_V4.num_addresses - 2) + 1
        addr = TAILSCALE_V4.network_address + offset
        if int(addr) not in taken and not any(addr in r for r in _RESERVED):
            return addr
        counter += 1


def ipv4_text(ipv4: int) -> str:
    """An IPv4 address given as a number, as `str(ipaddress.IPv4Address(ipv4))` writes it
    (four decimal octets), at a fifth of the cost: a site's inventory writes one per device."""
    return f"{ipv4 >> 24}.{ipv4 >> 16 & 255}.{ipv4 >> 8 & 255}.{ipv4 & 255}"


def ipv6_for(ipv4: int) -> tuple[str, int]:
    """The node's address in Tailscale's ULA range, which embeds its IPv4 in the low 32 bits,
    as text and as a number.

    Written out directly when the high half of the IPv4 is not zero (always, inside
    100.64.0.0/10): the three zero groups between the prefix and it are then the longest
    zero run, which is what `ipaddress` compresses to `::`."""
    address = _ULA_INT + ipv4
    high, low = ipv4 >> 16, ipv4 & 0xFFFF
    if high:
        return f"{_ULA_TEXT}{high:x}:{low:x}", address
    return str(ipaddress.IPv6Address(address)), address


def device_ipv4s(site: Site) -> dict[str, ipaddress.IPv4Address]:
    """device → IPv4: the pinned address, else a stable synthetic one."""
    taken = {int(d.tailscale_ip) for d in site.devices.values() if d.tailscale_ip}
    addresses: dict[str, ipaddress.IPv4Address] = {}
    for name, dev in site.devices.items():
        if dev.tailscale_ip is not None:
            addresses[name] = dev.tailscale_ip
        else:
            addresses[name] = _synthetic_ipv4(name, taken)
            taken.add(int(addresses[name]))
    return addresses


def device_addresses(site: Site) -> dict[str, str]:
    """device → IPv4 (`device_ipv4s`) as text."""
    return {name: ipv4_text(int(ip)) for name, ip in device_ipv4s(site).items()}


def device_routes(site: Site, name: str) -> list[str]:
    """The routes a device advertises (and is approved for): its subnets, then the exit
    routes when it is an exit node."""
    dev = site.devices[name]
    routes = [str(r) for r in dev.routes]
    return [*routes, "0.0.0.0/0", "::/0"] if dev.exit_node else routes


def inventory_from_site(site: Site) -> dict[str, Any]:
    """The tailnet as the evaluator sees it: users (with roles) and nodes (with routes)."""
    users = [
        {"id": i, "name": key, "email": user.login, "role": user.role.value}
        for i, (key, user) in enumerate(site.users.items(), 1)
    ]
    addresses = device_ipv4s(site)
    nodes: dict[str, dict[str, Any]] = {}
    for name, dev in site.devices.items():
        routes = device_routes(site, name)
        node: dict[str, Any] = {
            "hostname": name,
            "tags": [f"tag:{t}" for t in dev.tags],
            "ipv4": ipv4_text(int(addresses[name])),
            "ipv6": ipv6_for(int(addresses[name]))[0],
            "routable_ips": routes,
            "approved_routes": routes,
            "os": dev.os.value,
        }
        if dev.owner and not dev.tags:
            node["user"] = dev.owner
        nodes[name] = node
    return {"users": users, "nodes": nodes}
