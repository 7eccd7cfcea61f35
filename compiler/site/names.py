"""Every name a site uses, and what each stands for when a person asks about access.

`tailgen explain guest ollama.phl.kvet.ch` should understand the words site.yaml itself uses:
user keys and logins, groups, tags, locations, devices, services and their DNS names. This
module maps each of them to the reference the compiled policy and its inventory understand
(a login, `group:…`, `tag:…`, a device name or an address) and, for devices and services, the
ports declared on them. Pure: a Site in, a table out.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from compiler.site.model import Reach, Site


@dataclass(frozen=True)
class Named:
    """What one site name stands for: `ref` is what the evaluator takes; `ports` are the
    declared service ports behind it (empty when the name is not a device or service)."""

    ref: str
    kind: str
    ports: tuple[tuple[int, str], ...] = ()


def site_names(site: Site) -> dict[str, Named]:
    """Every name (and each spelling of it) the site declares → what it stands for."""
    names: dict[str, Named] = {}
    for key, user in site.users.items():
        names[user.login] = names[key] = Named(user.login, "user")
    for group in site.groups:
        names.setdefault(group, Named(f"group:{group}", "group"))
        names[f"group:{group}"] = Named(f"group:{group}", "group")
    for tag in site.tags:
        names[f"tag:{tag}"] = Named(f"tag:{tag}", "tag")
    for key, location in site.locations.items():
        if location.subnets:
            named = Named(_representative(location.subnets[0]), "location")
            names.setdefault(key, named)
            names[f"location:{key}"] = named
    for device in site.devices:
        names[device] = Named(device, "device", _device_ports(site, device))
    for name, svc in site.services.items():
        ports = tuple((p, str(svc.protocol)) for p in svc.port)
        named = Named(_service_ref(site, name), "service", ports)
        names.setdefault(name, named)
        if svc.name:
            names.setdefault(svc.name, named)
    return names


def _device_ports(site: Site, device: str) -> tuple[tuple[int, str], ...]:
    ports: set[tuple[int, str]] = set()
    for name in site.services_on(device):
        svc = site.services[name]
        ports.update((port, str(svc.protocol)) for port in svc.port)
    return tuple(sorted(ports))


def _service_ref(site: Site, name: str) -> str:
    """Where clients reach the service: the device, or its LAN address for `reach: subnet`."""
    svc = site.services[name]
    device = site.devices.get(svc.device)
    if svc.reach is Reach.SUBNET and device is not None and device.lan_ip is not None:
        return str(device.lan_ip)
    return svc.device


def _representative(subnet: ipaddress.IPv4Network) -> str:
    """A client address on a location's LAN (any host of the subnet is treated alike)."""
    return str(next(subnet.hosts(), subnet.network_address))
