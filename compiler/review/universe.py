"""What the access review asks about: the targets (ports something listens on) and the
break-glass paths, gathered from both sides of a review (pure).

The evaluator answers "may X reach Y"; this module decides which Y are worth asking about:

- every declared service port (on the device's tailnet address, or its LAN address when the
  service is reached through the subnet router);
- every break-glass SSH port;
- port 53 on every split-DNS resolver (clients lose name resolution if that is lost);
- the internet through exit nodes, when the site has one.

Both sides contribute, so a removed service is still asked about (its pairs are "lost") and a
new one is asked about on the old policy too (a wide old rule may already have allowed it). A
side read from `out/` has no site; its policy's `tests` still name the destinations tailgen
declared (`wintendo:11434`), which recovers the targets of services the site has since dropped.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from compiler.emit.policy import members
from compiler.site.dns import zones
from compiler.site.inventory import device_addresses
from compiler.site.model import Reach, Site

INTERNET = "internet"


@dataclass(frozen=True, order=True)
class Target:
    """A port to ask about. `host` names it for people (a device, a resolver address, or
    `internet`); `address` is what the evaluator is asked about."""

    host: str
    address: str
    proto: str  # tcp | udp
    port: int

    def __str__(self) -> str:
        if self.host == INTERNET:
            return "internet via exit nodes"
        return f"{self.host}:{self.port}/{self.proto}"


# A public address and port stand for "the internet": an exit-node grant covers all of them.
INTERNET_TARGET = Target(INTERNET, "1.1.1.1", "tcp", 443)


@dataclass(frozen=True, order=True)
class BreakGlassPath:
    """Someone who must keep a way in: `login` to `target` (a device's SSH port)."""

    login: str
    target: Target

    def __str__(self) -> str:
        return f"{self.login} → {self.target}"


def site_targets(site: Site) -> dict[Target, set[str]]:
    """Each target the site declares, with what declares it ("service ollama-icon", …)."""
    found: dict[Target, set[str]] = {}
    for target, label in _declared(site):
        found.setdefault(target, set()).add(label)
    return found


def _declared(site: Site) -> Iterator[tuple[Target, str]]:
    addresses = device_addresses(site)
    for sname, svc in site.services.items():
        lan = site.devices[svc.device].lan_ip if svc.reach is Reach.SUBNET else None
        address = str(lan) if lan is not None else addresses[svc.device]
        for port in svc.port:
            yield Target(svc.device, address, svc.protocol.value, port), f"service {sname}"
    for bg in site.break_glass:
        for dev in bg.devices:
            yield Target(dev, addresses[dev], "tcp", bg.port), "break-glass"
    for zname, zone in sorted(zones(site).items()):
        for resolver in zone.resolvers:
            for proto in ("udp", "tcp"):
                yield Target(str(resolver), str(resolver), proto, 53), f"resolver for {zname}"
    if any(dev.exit_node for dev in site.devices.values()):
        yield INTERNET_TARGET, "exit nodes"


def break_glass_paths(site: Site) -> set[BreakGlassPath]:
    """Every (person, device SSH port) the site says must never be lost."""
    addresses = device_addresses(site)
    paths: set[BreakGlassPath] = set()
    for bg in site.break_glass:
        logins = {site.users[u].login for ref in bg.who for u in members(site, ref)}
        for dev in bg.devices:
            target = Target(dev, addresses[dev], "tcp", bg.port)
            paths.update(BreakGlassPath(login, target) for login in logins)
    return paths


def test_targets(policy: Mapping[str, Any], inventory: Mapping[str, Any]) -> set[Target]:
    """Targets named by a policy's `tests` (`host:port`), for a side without a site. Only
    destinations that resolve to one inventory device or a literal address are kept."""
    hosts = policy.get("hosts") if isinstance(policy.get("hosts"), dict) else {}
    by_address = {n.get("ipv4"): name for name, n in (inventory.get("nodes") or {}).items()}
    found = set()
    for test in _list(policy.get("tests")):
        if not isinstance(test, dict):
            continue
        proto = str(test.get("proto") or "tcp")
        if proto not in ("tcp", "udp"):
            continue
        for dst in _list(test.get("accept")) + _list(test.get("deny")):
            target = _test_target(str(dst), proto, hosts or {}, by_address)
            if target is not None:
                found.add(target)
    return found


def _test_target(
    dst: str, proto: str, hosts: Mapping[str, Any], by_address: Mapping[Any, str]
) -> Target | None:
    host, _, port = dst.rpartition(":")
    if not port.isdigit():
        return None
    address = str(hosts.get(host, host))
    try:
        ipaddress.IPv4Address(address)
    except ValueError:
        return None
    return Target(by_address.get(address, address), address, proto, int(port))


def _list(value: Any) -> list[Any]:
    return [v for v in value if v is not None] if isinstance(value, list) else []


def union(*maps: Mapping[Target, Iterable[str]]) -> dict[Target, tuple[str, ...]]:
    """Targets of several sides, each with the sorted labels any side gave it."""
    labels: dict[Target, set[str]] = {}
    for found in maps:
        for target, names in found.items():
            labels.setdefault(target, set()).update(names)
    return {t: tuple(sorted(labels[t])) for t in sorted(labels)}
