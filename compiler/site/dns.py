"""DNS facts that follow from a site: its zones, the names each zone serves, and how a
split-DNS resolver (or a service's LAN address) is reached from the tailnet.

The cross-checks (`compiler.site.check`) and the DNS emitter (`compiler.emit.dns`) both need
these, and checks sit below emitters, so the derivation lives here once. Everything is pure.

Names are compared in their ASCII form: IDNA-encoded with Python's `idna` codec (IDNA 2003, so
`café` becomes `xn--caf-dma`), lower case, no trailing dot. That is what resolvers compare and
what zone files must contain.

Declarations keep every name the site writes, duplicates and invalid ones included, so the
checks can point at each; `zones()` and `records()` keep only the usable ones (first wins).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Container, Iterator
from dataclasses import dataclass
from typing import Literal

from compiler.site.access import access
from compiler.site.model import IP, Site, contains
from compiler.site.netindex import NetworkIndex

LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?")
_ASCII_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_ASCII_NAME = re.compile(rf"(?:{_ASCII_LABEL}\.)*{_ASCII_LABEL}")
"""A lower-case ASCII name of valid labels of at most 63 characters each: what `to_ascii`
returns unchanged (most names a site writes), matched in one go instead of label by label."""
MAGIC_DNS_RESOLVER = "100.100.100.100"

Path = tuple[str | int, ...]
RType = Literal["A", "AAAA", "CNAME"]


def to_ascii(name: str) -> str:
    """`name` as resolvers compare it; raises ValueError saying which label is wrong."""
    text = name.removesuffix(".")
    if not text:
        raise ValueError("it is empty")
    if text.isascii():
        lowered = text.lower()
        if len(lowered) <= 253 and _ASCII_NAME.fullmatch(lowered):
            return lowered
    labels = [_ascii_label(label) for label in text.split(".")]
    full = ".".join(labels)
    if len(full) > 253:
        raise ValueError("it is longer than 253 characters")
    return full


def _ascii_label(label: str) -> str:
    if not label:
        raise ValueError("it has an empty label")
    try:
        encoded = (label if label.isascii() else label.encode("idna").decode("ascii")).lower()
    except UnicodeError:
        raise ValueError(f"label {label!r} cannot be IDNA-encoded") from None
    if len(encoded) > 63:
        raise ValueError(f"label {label!r} is longer than 63 characters")
    if not LABEL.fullmatch(encoded):
        raise ValueError(
            f"label {label!r} may hold only letters, digits and '-', "
            "and may not start or end with '-'"
        )
    return encoded


def ascii_or_none(name: str) -> str | None:
    try:
        return to_ascii(name)
    except ValueError:
        return None


def in_zone(name: str, zone: str) -> bool:
    return name == zone or name.endswith("." + zone)


# ---------------------------------------------------------------------------------------------
# zones


@dataclass(frozen=True)
class Zone:
    """One split-DNS zone: who serves it and where the site declares it."""

    name: str  # as written (validated separately)
    resolvers: tuple[IP, ...]
    use_with_exit_node: bool
    what: str  # for artifacts: "location phl", "shared zone estuary.kvet.ch"
    who: str  # for messages: "location 'phl'", "dns.shared_zones[0]"
    path: Path  # the `zone:` key
    resolver_path: Path  # the `resolver:`/`resolvers:` key


def zone_declarations(site: Site) -> list[Zone]:
    """Every zone the site declares, in file order (locations first), duplicates included."""
    found = [_location_zone(site, lname) for lname in site.locations]
    found += [_shared_zone(site, i) for i in range(len(site.dns.shared_zones))]
    return [zone for zone in found if zone is not None]


def _location_zone(site: Site, lname: str) -> Zone | None:
    loc = site.locations[lname]
    if loc.zone is None:
        return None
    resolvers = (loc.resolver,) if loc.resolver is not None else ()
    where: Path = ("locations", lname)
    return Zone(
        name=loc.zone,
        resolvers=resolvers,
        use_with_exit_node=loc.use_with_exit_node,
        what=f"location {lname}",
        who=f"location {lname!r}",
        path=(*where, "zone"),
        resolver_path=(*where, "resolver"),
    )


def _shared_zone(site: Site, i: int) -> Zone:
    shared = site.dns.shared_zones[i]
    where: Path = ("dns", "shared_zones", i)
    return Zone(
        name=shared.zone,
        resolvers=tuple(shared.resolvers),
        use_with_exit_node=shared.use_with_exit_node,
        what=f"shared zone {shared.zone}",
        who=f"dns.shared_zones[{i}]",
        path=(*where, "zone"),
        resolver_path=(*where, "resolvers"),
    )


def zones(site: Site) -> dict[str, Zone]:
    """Usable zones by ASCII name; the first declaration of a name wins (computed once per
    Site value: checks, emitters and tests all ask; do not modify the answer)."""
    return site.derived("zones", _zones)


def _zones(site: Site) -> dict[str, Zone]:
    out: dict[str, Zone] = {}
    for zone in zone_declarations(site):
        name = ascii_or_none(zone.name)
        if name is not None and zone.resolvers:
            out.setdefault(name, zone)
    return out


def zone_of(name: str, zone_names: Container[str]) -> str | None:
    """The most specific zone that holds `name` (split DNS picks the longest match too)."""
    labels = name.split(".")
    for i in range(len(labels)):
        candidate = ".".join(labels[i:])
        if candidate in zone_names:
            return candidate
    return None


# ---------------------------------------------------------------------------------------------
# names and records


@dataclass(frozen=True)
class Record:
    """One resource record a zone serves, with the site declaration it came from."""

    name: str  # ASCII, absolute, no trailing dot
    rtype: RType
    value: str  # an IPv4 (A) or IPv6 (AAAA) address, or an ASCII name for CNAME
    what: str  # "service ollama-icon", "device icon", "dns.records[0]", "location phl resolver"
    path: Path


Kind = Literal["nameserver", "device", "service", "record"]


@dataclass(frozen=True)
class Declared:
    """A name as the site writes it, before validation; `target` is None when it has none."""

    name: str
    target: tuple[RType, str] | None
    kind: Kind
    what: str  # for artifacts: "device icon"
    who: str  # for messages: "device 'icon'"
    path: Path


def ns_names(zone: Zone) -> list[str]:
    """The in-zone names of a zone's nameservers: `ns`, or `ns1`, `ns2`… for several."""
    if len(zone.resolvers) == 1:
        return ["ns"]
    return [f"ns{i}" for i in range(1, len(zone.resolvers) + 1)]


def declared_names(site: Site) -> list[Declared]:
    """Every name the DNS records publish, in file order: nameservers, devices, services,
    then dns.records. Duplicates are kept so the checks can name both places. Computed once
    per Site value (the checks and the records both walk it; do not modify the answer)."""
    return site.derived("declared_names", _declared_names)


def _declared_names(site: Site) -> list[Declared]:
    return [*_ns_decls(site), *_device_decls(site), *_service_decls(site), *_record_decls(site)]


def _ns_decls(site: Site) -> Iterator[Declared]:
    for zone in zone_declarations(site):
        what, who = f"the nameserver of {zone.what}", f"the nameserver of {zone.who}"
        for label, address in zip(ns_names(zone), zone.resolvers, strict=True):
            yield Declared(
                f"{label}.{zone.name}",
                address_record(address),
                "nameserver",
                what,
                who,
                zone.resolver_path,
            )


def _device_decls(site: Site) -> Iterator[Declared]:
    """Each device in its location's zone, at its tailnet address when pinned (the address
    services bind to and grants aim at), else at its LAN address (through the router); a
    device with neither publishes no name."""
    for dname, dev in site.devices.items():
        loc = site.locations.get(dev.location or "")
        if loc is None or loc.zone is None:
            continue
        pinned = site.pinned(dname)  # the text written once per site; an IPv4: an A record
        target: tuple[RType, str] | None = ("A", pinned) if pinned is not None else None
        if target is None and dev.lan_ip is not None:
            target = address_record(dev.lan_ip)
        if target is not None:
            what, who = f"device {dname}", f"device {dname!r}"
            yield Declared(f"{dname}.{loc.zone}", target, "device", what, who, ("devices", dname))


def _service_decls(site: Site) -> Iterator[Declared]:
    for sname, svc in site.services.items():
        if svc.name is not None:
            target, path = service_target(site, sname), ("services", sname, "name")
            what, who = f"service {sname}", f"service {sname!r}"
            yield Declared(svc.name, target, "service", what, who, path)


def _record_decls(site: Site) -> Iterator[Declared]:
    for i, rec in enumerate(site.dns.records):
        target: tuple[RType, str] | None = None
        if rec.address is not None and rec.cname is None:
            target = address_record(rec.address)
        elif rec.cname is not None and rec.address is None:
            cname = ascii_or_none(rec.cname)
            target = ("CNAME", cname) if cname else None
        what = f"dns.records[{i}]"
        yield Declared(rec.name, target, "record", what, what, ("dns", "records", i, "name"))


def magic_name(site: Site, device: str) -> str | None:
    """A device's MagicDNS name (`wintendo.tail1234.ts.net`), when the suffix is known."""
    suffix = site.dns.magic_dns_suffix
    if suffix is None:
        return None
    host, domain = ascii_or_none(device), ascii_or_none(suffix)
    return f"{host}.{domain}" if host and domain else None


def address_record(address: IP | str) -> tuple[RType, str]:
    """An address as a record: A for IPv4, AAAA for IPv6."""
    ip = address if isinstance(address, IP) else ipaddress.ip_address(address)  # no re-parse
    return ("AAAA" if ip.version == 6 else "A", str(ip))


def service_target(site: Site, sname: str) -> tuple[RType, str] | None:
    """What a service's name points at: the address clients reach it on, from the access
    model (its tailnet address, or its LAN address for `reach: subnet` and `expose: lan`),
    or its device's MagicDNS name for `cname: true`."""
    svc = site.services[sname]
    if svc.device not in site.devices:
        return None
    if svc.cname:
        target = magic_name(site, svc.device)
        return ("CNAME", target) if target else None
    endpoints = access(site).services[sname].endpoints
    address = endpoints[0].address if endpoints else None
    return address_record(address) if address is not None else None


def records(site: Site) -> list[Record]:
    """The usable records: valid names inside a zone, with a target; first declaration wins
    (computed once per Site value; do not modify the answer)."""
    return site.derived("records", _records)


def _records(site: Site) -> list[Record]:
    zone_names = zones(site)
    seen: set[str] = set()
    out: list[Record] = []
    for decl in declared_names(site):
        name = ascii_or_none(decl.name)
        if name is None or decl.target is None or name in seen:
            continue
        if zone_of(name, zone_names) is None:
            continue
        seen.add(name)
        out.append(Record(name, decl.target[0], decl.target[1], decl.what, decl.path))
    return out


# ---------------------------------------------------------------------------------------------
# how an address is reached from the tailnet


@dataclass(frozen=True)
class Route:
    """How tailnet clients reach an address: directly (a device's tailnet address), or
    through a location's subnet router. `problem` says why it is unreachable ("" if fine)."""

    address: IP
    location: str | None = None
    router: str | None = None
    device: str | None = None
    problem: str = ""

    def describe(self) -> str:
        if self.problem:
            return f"{self.address} (unreachable: {self.problem})"
        if self.device is not None:
            return f"{self.address} (device {self.device}, on the tailnet)"
        return f"{self.address} through router {self.router} (location {self.location})"


def route_to(site: Site, address: IP) -> Route:
    """Reachable means: a device's pinned tailnet address, or inside a location subnet that
    the location's router advertises. tailgen's policy auto-approves every route a device
    advertises (autoApprovers.routes, for the device's tags or owner), so advertised here
    means approved too."""
    routes = site_routes(site)
    dname = routes.pinned.get(address)
    if dname is not None:
        return Route(address, site.devices[dname].location, None, dname)
    found = routes.subnets.containing(address)
    if found:
        return _through_router(site, address, routes.subnets.entries[found[0]][1])
    return Route(address, problem="it is in no location's subnets")


def site_routes(site: Site) -> Routes:
    """The site's `Routes`, indexed once per Site value."""
    return site.derived("routes", Routes)


class Routes:
    """What `route_to` looks up, indexed once per Site value: the device each tailnet address
    is pinned to (the first, in file order), and every location subnet by location."""

    def __init__(self, site: Site) -> None:
        self.pinned: dict[IP, str] = {}
        for dname, dev in site.devices.items():
            if dev.tailscale_ip is not None:
                self.pinned.setdefault(dev.tailscale_ip, dname)
        self.subnets = NetworkIndex(
            (net, lname) for lname, loc in site.locations.items() for net in loc.subnets
        )


def _through_router(site: Site, address: IP, lname: str) -> Route:
    router = site.locations[lname].router
    if router is None:
        return Route(address, lname, problem=f"location {lname!r} has no router")
    dev = site.devices.get(router)
    if dev is None or not any(contains(net, address) for net in dev.routes):
        problem = f"router {router!r} of location {lname!r} does not advertise a route to it"
        return Route(address, lname, router, problem=problem)
    return Route(address, lname, router)
