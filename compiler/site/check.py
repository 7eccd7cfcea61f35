"""Cross-checks over a validated Site (pure): references, overlaps, plan limits.

The schema says each value has the right shape; these checks say the values agree with each
other. Every check is a function `(site) -> Iterable[Problem]` registered in `CHECKS`; `check`
runs them all and returns every problem sorted by line, so a person fixes them in one pass.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from compiler.collector import paused_gc
from compiler.errors import Problem, Severity, did_you_mean
from compiler.site import dns as site_dns
from compiler.site.access import Reached, access
from compiler.site.model import OS, IPv4, Site, contains

SSH_CAPABLE = {OS.LINUX, OS.MACOS, OS.FREEBSD}
MULLVAD_DEVICE_LIMIT = 5


def _error(site: Site, code: str, message: str, *path: str | int, hint: str = "") -> Problem:
    return Problem(code, message, site.value_span(*path), hint=hint, path=tuple(path))


def _warning(site: Site, code: str, message: str, *path: str | int, hint: str = "") -> Problem:
    return Problem(code, message, site.span(*path), Severity.WARNING, hint, tuple(path))


def principal_kind(site: Site, ref: str) -> str | None:
    """What a reference in an `allow`/`from`/`who` list names, or None if it names nothing."""
    prefix, _, name = ref.partition(":")
    if not name:
        return "user" if ref in site.users else None
    known = {
        "group": name in site.groups,
        "tag": name in site.tags,
        "location": name in site.locations,
        "autogroup": name in {"member", "tagged", "admin", "owner"},
    }
    return prefix if known.get(prefix) else None


def _principal_choices(site: Site) -> list[str]:
    return [
        *site.users,
        *(f"group:{g}" for g in site.groups),
        *(f"tag:{t}" for t in site.tags),
        *(f"location:{loc}" for loc in site.locations),
        "autogroup:member",
    ]


def _check_principals(site: Site, refs: list[str], *path: str | int) -> Iterator[Problem]:
    for i, ref in enumerate(refs):
        if principal_kind(site, ref) is None:
            hint = did_you_mean(ref, _principal_choices(site))
            yield _error(
                site,
                "unknown-principal",
                f"{ref!r} is not a user, group, tag, location or autogroup",
                *path,
                i,
                hint=hint,
            )


def check_references(site: Site) -> Iterator[Problem]:
    """Every name used points at something declared."""
    for gname, members in site.groups.items():
        for i, member in enumerate(members):
            if member not in site.users:
                yield _error(
                    site,
                    "unknown-user",
                    f"group {gname!r}: {member!r} is not a user",
                    "groups",
                    gname,
                    i,
                    hint=did_you_mean(member, site.users),
                )
    for tname, tag in site.tags.items():
        yield from _check_principals(site, tag.owners, "tags", tname, "owners")
    for dname in site.devices:
        yield from _check_device_refs(site, dname)
    for sname, svc in site.services.items():
        if svc.device not in site.devices:
            yield _error(
                site,
                "unknown-device",
                f"service {sname!r}: device {svc.device!r} is not declared",
                "services",
                sname,
                "device",
                hint=did_you_mean(svc.device, site.devices),
            )
        yield from _check_principals(site, svc.allow, "services", sname, "allow")
    for lname, loc in site.locations.items():
        if loc.router is not None and loc.router not in site.devices:
            yield _error(
                site,
                "unknown-device",
                f"location {lname!r}: router {loc.router!r} is not declared",
                "locations",
                lname,
                "router",
                hint=did_you_mean(loc.router, site.devices),
            )
    yield from _check_principals(site, site.exit_nodes.allow, "exit_nodes", "allow")


def _check_device_refs(site: Site, dname: str) -> Iterator[Problem]:
    dev = site.devices[dname]
    if dev.location is not None and dev.location not in site.locations:
        yield _error(
            site,
            "unknown-location",
            f"device {dname!r}: location {dev.location!r} is not declared",
            "devices",
            dname,
            "location",
            hint=did_you_mean(dev.location, site.locations),
        )
    if dev.owner is not None and dev.owner not in site.users:
        yield _error(
            site,
            "unknown-user",
            f"device {dname!r}: owner {dev.owner!r} is not a user",
            "devices",
            dname,
            "owner",
            hint=did_you_mean(dev.owner, site.users),
        )
    for i, tag in enumerate(dev.tags):
        if tag not in site.tags:
            yield _error(
                site,
                "unknown-tag",
                f"device {dname!r}: tag {tag!r} is not declared under tags:",
                "devices",
                dname,
                "tags",
                i,
                hint=did_you_mean(tag, site.tags),
            )
    if dev.owner is None and not dev.tags:
        yield _error(
            site,
            "no-identity",
            f"device {dname!r} needs an owner or at least one tag",
            "devices",
            dname,
        )


def check_names(site: Site) -> Iterator[Problem]:
    """Tag names as Tailscale allows them; devices and locations do not share names (hosts)."""
    for tname in site.tags:
        if not (
            tname[:1].isascii()
            and tname[:1].isalpha()
            and all(c.isascii() and (c.isalnum() or c == "-") for c in tname)
        ):
            yield _error(
                site,
                "bad-tag-name",
                f"tag {tname!r}: tag names start with a letter and use only ASCII letters, digits and '-'",
                "tags",
                tname,
            )
    for name in site.devices.keys() & {f"{loc}-lan" for loc in site.locations}:
        yield _error(
            site,
            "name-clash",
            f"device {name!r} clashes with the host alias of a location subnet",
            "devices",
            name,
        )


def check_subnets(site: Site) -> Iterator[Problem]:
    """Location subnets do not overlap; routers advertise their own location's subnets."""
    subnets = site_dns.site_routes(site).subnets  # in this order: position `pos`
    pos = 0
    for lname, loc in site.locations.items():
        for i, net in enumerate(loc.subnets):
            for earlier in subnets.overlapping(net):
                if earlier >= pos:
                    break
                other, oname = subnets.entries[earlier]
                yield _error(
                    site,
                    "subnet-overlap",
                    f"location {lname!r}: {net} overlaps {other} of location {oname!r}",
                    "locations",
                    lname,
                    "subnets",
                    i,
                )
            pos += 1
    routers: dict[str, list[str]] = {}
    for lname, loc in site.locations.items():
        if loc.router is not None:
            routers.setdefault(loc.router, []).append(lname)
    for dname, dev in site.devices.items():
        if dev.routes or dname in routers:  # most devices neither route nor are routers
            yield from _check_routes(site, dname, routers.get(dname, []))


def _check_routes(site: Site, dname: str, routed: list[str]) -> Iterator[Problem]:
    """The routes `dname` advertises, and the subnets of the locations it routes (`routed`)."""
    dev = site.devices[dname]
    subnets = site_dns.site_routes(site).subnets
    for i, route in enumerate(dev.routes):
        owners = subnets.labels(subnets.containing(route))
        if not owners:
            yield _error(
                site,
                "route-outside-location",
                _route_outside_message(site, dname, route),
                "devices",
                dname,
                "routes",
                i,
            )
        elif dev.location not in owners:
            yield _error(
                site,
                "router-wrong-location",
                f"device {dname!r} advertises {route} of location {owners[0]!r} but sits in {dev.location!r}",
                "devices",
                dname,
                "routes",
                i,
            )
    for lname in routed:
        loc = site.locations[lname]
        missing = [str(n) for n in loc.subnets if not any(contains(r, n) for r in dev.routes)]
        if missing:
            yield _error(
                site,
                "router-missing-route",
                f"location {lname!r}: router {dname!r} does not advertise {', '.join(missing)}",
                "locations",
                lname,
                "router",
                hint="add them to the device's routes:",
            )


def _route_outside_message(
    site: Site, dname: str, route: ipaddress.IPv4Network | ipaddress.IPv6Network
) -> str:
    """Why a route belongs to no location: wider than a location's subnet, or elsewhere."""
    inside = [
        (ln, n) for ln, loc in site.locations.items() for n in loc.subnets if contains(route, n)
    ]
    if inside:
        lname, net = inside[0]
        return (
            f"device {dname!r} advertises {route}, which is wider than the subnet {net} of "
            f"location {lname!r}: advertise the location's subnets themselves"
        )
    return f"device {dname!r} advertises {route}, which is in no location's subnets"


def check_logins(site: Site) -> Iterator[Problem]:
    """Each login is a Tailscale login, NAME@PROVIDER (`bob@github`, `bob@example.com`)."""
    for key, user in site.users.items():
        name, at, provider = user.login.partition("@")
        if not (name and at and provider) or any(c.isspace() for c in user.login):
            yield _error(
                site,
                "bad-login",
                f"user {key!r}: login {user.login!r} is not a Tailscale login",
                "users",
                key,
                "login",
                hint=f"write it as NAME@PROVIDER, e.g. {name or key}@github or {name or key}@example.com",
            )


def check_lan_ips(site: Site) -> Iterator[Problem]:
    """A device's lan_ip lies inside its location's subnets (else nothing routes to it)."""
    for dname, dev in site.devices.items():
        loc = site.locations.get(dev.location or "")
        if dev.lan_ip is None or loc is None or not loc.subnets:
            continue
        if not any(contains(net, dev.lan_ip) for net in loc.subnets):
            nets = ", ".join(str(n) for n in loc.subnets)
            yield _error(
                site,
                "lan-ip-outside-location",
                f"device {dname!r}: lan_ip {dev.lan_ip} is outside the subnets of location {dev.location!r} ({nets})",
                "devices",
                dname,
                "lan_ip",
            )


def check_not_empty(site: Site) -> Iterator[Problem]:
    """A site that grants nothing builds a policy that allows nothing: say so."""
    if not (site.services or site.ssh or site.exit_nodes.allow or site.break_glass):
        yield _warning(
            site,
            "empty-site",
            "the site grants no access (no services, ssh rules or exit-node users): "
            "the policy it builds allows nothing",
        )


def check_services(site: Site) -> Iterator[Problem]:
    """Somebody may use each service; a device does not declare the same port twice."""
    used: dict[tuple[str, str, int], str] = {}
    for sname, svc in site.services.items():
        if not svc.allow:
            yield _warning(
                site,
                "nobody-allowed",
                f"service {sname!r}: nobody is allowed to use it",
                "services",
                sname,
                hint="add users or groups to allow:",
            )
        for i, port in enumerate(svc.port):
            key = (svc.device, svc.protocol.value, port)
            if key in used:
                yield _error(
                    site,
                    "duplicate-port",
                    f"service {sname!r}: {svc.protocol.value} port {port} on {svc.device!r} is already used by service {used[key]!r}",
                    "services",
                    sname,
                    "port",
                    i,
                )
            used.setdefault(key, sname)


def check_devices(site: Site) -> Iterator[Problem]:
    """Pinned addresses are unique; Mullvad within its add-on limit and targetable."""
    pinned: dict[IPv4, str] = {}  # by address value: written out only for a message
    for dname, dev in site.devices.items():
        ip = dev.tailscale_ip
        if ip is not None:
            if ip in pinned:
                yield _error(
                    site,
                    "duplicate-ip",
                    f"device {dname!r}: {ip} is already pinned to {pinned[ip]!r}",
                    "devices",
                    dname,
                    "tailscale_ip",
                )
            pinned.setdefault(ip, dname)
        if dev.mullvad and dev.tailscale_ip is None:
            yield _error(
                site,
                "mullvad-unpinned",
                f"device {dname!r}: mullvad needs tailscale_ip so the policy targets only this device",
                "devices",
                dname,
                "mullvad",
            )
    mullvad = [d for d, dev in site.devices.items() if dev.mullvad]
    if len(mullvad) > MULLVAD_DEVICE_LIMIT:
        sixth = mullvad[MULLVAD_DEVICE_LIMIT]
        yield _error(
            site,
            "mullvad-limit",
            f"Mullvad is on {len(mullvad)} devices; the add-on covers at most {MULLVAD_DEVICE_LIMIT}",
            "devices",
            sixth,
            "mullvad",
        )


def check_access(site: Site) -> Iterator[Problem]:
    """SSH and break-glass paths name real people and SSH-capable, tagged devices."""
    for i, rule in enumerate(site.ssh):
        yield from _check_principals(site, rule.from_, "ssh", i, "from")
        for j, dst in enumerate(rule.to):
            if not (dst == "autogroup:self" or (dst.startswith("tag:") and dst[4:] in site.tags)):
                yield _error(
                    site,
                    "bad-ssh-target",
                    f"ssh[{i}]: {dst!r} must be a declared tag or autogroup:self",
                    "ssh",
                    i,
                    "to",
                    j,
                )
    for i, bg in enumerate(site.break_glass):
        yield from _check_principals(site, bg.who, "break_glass", i, "who")
        for j, dname in enumerate(bg.devices):
            dev = site.devices.get(dname)
            if dev is None:
                yield _error(
                    site,
                    "unknown-device",
                    f"break_glass[{i}]: device {dname!r} is not declared",
                    "break_glass",
                    i,
                    "devices",
                    j,
                    hint=did_you_mean(dname, site.devices),
                )
            elif dev.tailscale_ip is None:
                yield _error(
                    site,
                    "break-glass-unpinned",
                    f"break_glass[{i}]: device {dname!r} needs tailscale_ip so the path can be tested",
                    "break_glass",
                    i,
                    "devices",
                    j,
                )


def check_plan(site: Site) -> Iterator[Problem]:
    """Users beyond the plan are an error; groups and tagged devices beyond it are warnings."""
    limits = site.plan_limits()
    plan = site.plan or "custom"
    if limits.users is not None and len(site.users) > limits.users:
        name = list(site.users)[limits.users]
        yield _error(
            site,
            "plan-users",
            f"{len(site.users)} users, but the {plan} plan allows {limits.users}",
            "users",
            name,
        )
    tagged = [d for d, dev in site.devices.items() if dev.tags]
    if limits.tagged is not None and len(tagged) > limits.tagged:
        yield _warning(
            site,
            "plan-tagged",
            f"{len(tagged)} tagged devices, but the {plan} plan allows {limits.tagged}",
            "devices",
            tagged[limits.tagged],
        )


@paused_gc()
def check(site: Site) -> list[Problem]:
    """Run every check; problems sorted by place. Reference errors make later checks noisy
    (they assume every name resolves), so those stop the run early."""
    problems = list(check_references(site))
    if any(p.is_error for p in problems):
        return sorted(problems, key=Problem.sort_key)
    for func in CHECKS:
        problems.extend(func(site))
    return sorted(problems, key=Problem.sort_key)


# ---------------------------------------------------------------------------------------------
# DNS: split-DNS zones, the names they serve, and the resolvers behind them. The names and
# their targets are derived in compiler.site.dns (shared with the DNS emitter).


def check_dns_names(site: Site) -> Iterator[Problem]:
    """Zones, search paths, the MagicDNS suffix and every published name are valid DNS names
    (non-ASCII names are fine: they are IDNA-encoded, `café` → `xn--caf-dma`)."""
    names = _dns_names(site)
    for who, what, name, path in _written_dns_names(site):
        found = names.ascii(name)
        if isinstance(found, ValueError):
            message = f"{who}: {what} {name!r} is not a valid DNS name: {found}"
            yield _error(site, "bad-dns-name", message, *path)


@dataclass
class AsciiNames:
    """`site_dns.to_ascii` of each distinct name once per site: the checks ask about every
    device's name and its zone twice over, and a zone is the tail of many devices' names."""

    found: dict[str, str | ValueError] = field(default_factory=dict)

    def ascii(self, name: str) -> str | ValueError:
        """The name as resolvers compare it, or the error saying why it is not a DNS name."""
        found = self.found.get(name)
        if found is None:
            try:
                found = site_dns.to_ascii(name)
            except ValueError as exc:
                found = exc.with_traceback(None)  # kept: no frames held alive with it
            self.found[name] = found
        return found

    def or_none(self, name: str) -> str | None:
        found = self.ascii(name)
        return None if isinstance(found, ValueError) else found


def _dns_names(site: Site) -> AsciiNames:
    return site.derived("check_ascii_names", lambda _: AsciiNames())


def _written_dns_names(site: Site) -> Iterator[tuple[str, str, str, tuple[str | int, ...]]]:
    """(who, what field, name, path) for every DNS name the site writes down."""
    names = _dns_names(site)
    for zone in site_dns.zone_declarations(site):
        yield zone.who, "zone", zone.name, zone.path
    for i, search in enumerate(site.dns.search_paths):
        yield f"dns.search_paths[{i}]", "search path", search, ("dns", "search_paths", i)
    if site.dns.magic_dns_suffix is not None:
        suffix = site.dns.magic_dns_suffix
        yield "dns", "magic_dns_suffix", suffix, ("dns", "magic_dns_suffix")
    for decl in site_dns.declared_names(site):
        # a nameserver's name is its zone's; a device's is checked once its zone is valid
        zone_ok = names.or_none(decl.name.partition(".")[2]) is not None
        if decl.kind in ("service", "record") or (decl.kind == "device" and zone_ok):
            yield decl.who, "name", decl.name, decl.path
    for i, rec in enumerate(site.dns.records):
        if rec.cname is not None:
            yield f"dns.records[{i}]", "cname", rec.cname, ("dns", "records", i, "cname")


def check_dns_zones(site: Site) -> Iterator[Problem]:
    """Each zone is served by one location (or one shared_zones entry), with a resolver: split
    DNS maps a zone to one set of resolvers, so a second declaration would silently lose."""
    first: dict[str, site_dns.Zone] = {}
    for zone in site_dns.zone_declarations(site):
        name = _dns_names(site).or_none(zone.name)
        if name in first:
            other = first[name]
            line = site.span(*other.path).line
            message = (
                f"{zone.who}: zone {zone.name!r} is already served by {other.who} (line {line})"
            )
            yield _error(site, "zone-twice", message, *zone.path)
        elif name is not None:
            first[name] = zone
        if not zone.resolvers:
            message = f"{zone.who}: zone {zone.name!r} has no resolver to send its queries to"
            yield _error(site, "zone-without-resolver", message, *zone.path)


def check_dns_records(site: Site) -> Iterator[Problem]:
    """Each name is declared once (services, devices, dns.records and the generated `ns`
    names share one namespace), lies in a zone, and a declared record has one target."""
    zones = site_dns.zones(site)
    first: dict[str, site_dns.Declared] = {}
    names = _dns_names(site)
    for decl in site_dns.declared_names(site):
        name = names.or_none(decl.name)
        if name is None:
            continue  # check_dns_names reports it
        if name in first and decl.kind == "nameserver":
            continue  # a zone declared twice: check_dns_zones reports it
        if name in first:
            line = site.span(*first[name].path).line
            message = f"{decl.who}: name {decl.name!r} is already declared by {first[name].who} (line {line})"
            yield _error(site, "duplicate-name", message, *decl.path)
            continue
        first[name] = decl
        yield from _check_record_zone(site, decl, name, zones)
    for i, rec in enumerate(site.dns.records):
        if (rec.address is None) == (rec.cname is None):
            message = f"dns.records[{i}]: {rec.name!r} needs exactly one of address or cname"
            yield _error(site, "record-target", message, "dns", "records", i, "name")


def _check_record_zone(
    site: Site, decl: site_dns.Declared, name: str, zones: dict[str, site_dns.Zone]
) -> Iterator[Problem]:
    zone = site_dns.zone_of(name, zones)
    if zone is None and decl.kind in ("service", "record"):
        known = ", ".join(zones) or "none declared"
        message = f"{decl.who}: name {decl.name!r} is in no split-DNS zone (zones: {known})"
        yield _error(site, "name-outside-zones", message, *decl.path)
    elif zone == name and decl.target is not None and decl.target[0] == "CNAME":
        message = f"{decl.who}: {decl.name!r} is the zone apex, which cannot be a CNAME"
        yield _error(site, "cname-at-apex", message, *decl.path)


def check_dns_resolvers(site: Site) -> Iterator[Problem]:
    """Every split-DNS resolver is reachable from the tailnet: inside a location subnet whose
    router advertises it (tailgen's policy auto-approves advertised routes), or a device's
    pinned tailnet address. Port 53 to it is granted by the generated policy (and tested)."""
    for zone in site_dns.zone_declarations(site):
        shared = zone.resolver_path[-1] == "resolvers"
        for i, address in enumerate(zone.resolvers):
            route = site_dns.route_to(site, address)
            if route.problem:
                path = (*zone.resolver_path, i) if shared else zone.resolver_path
                message = f"{zone.who}: resolver {address} of zone {zone.name!r} is unreachable from the tailnet: {route.problem}"
                hint = _route_hint(route)
                yield _error(site, "resolver-unreachable", message, *path, hint=hint)


def _route_hint(route: site_dns.Route) -> str:
    if route.location is None:
        return "use an address inside a location's subnets (or a device's tailscale_ip)"
    if route.router is None:
        return f"set router: on location {route.location!r}"
    return f"add a route covering {route.address} to the routes: of device {route.router!r}"


def check_service_names(site: Site) -> Iterator[Problem]:
    """Each service name resolves to the address the policy grants the service's users: its
    pinned tailnet address, its LAN address through an advertised route (`reach: subnet`),
    or (`cname: true`) its MagicDNS name, which only `reach: tailnet` grants."""
    for sname, svc in site.services.items():
        if svc.name is not None and svc.device in site.devices:
            verify = _check_cname if svc.cname else _check_service_address
            yield from verify(site, sname)


def _on_lan(site: Site, sname: str) -> str:
    """Why clients reach the service at its LAN address ("reach: subnet" or "expose: lan"),
    or "" when they reach it on the tailnet address."""
    endpoints = access(site).services[sname].endpoints
    if not endpoints or endpoints[0].on_tailnet:
        return ""
    return "reach: subnet" if endpoints[0].reached is Reached.SUBNET else "expose: lan"


def _check_cname(site: Site, sname: str) -> Iterator[Problem]:
    svc, who, path = site.services[sname], f"service {sname!r}", ("services", sname, "cname")
    if lan := _on_lan(site, sname):
        message = f"{who}: cname: true points {svc.name!r} at the MagicDNS name (the tailnet address), but {lan} grants only the LAN address"
        yield _error(
            site, "name-not-granted", message, *path, hint="drop cname: or use reach: tailnet"
        )
    elif site.dns.magic_dns_suffix is None:
        message = f"{who}: cname: true needs dns.magic_dns_suffix, the tailnet's MagicDNS domain"
        yield _error(
            site,
            "cname-needs-suffix",
            message,
            *path,
            hint="e.g. magic_dns_suffix: tail1234.ts.net",
        )
    elif not site.dns.magic_dns_on:
        message = f"{who}: cname: true points {svc.name!r} at a MagicDNS name, but MagicDNS is off"
        yield _error(site, "cname-needs-magic-dns", message, *path)


def _check_service_address(site: Site, sname: str) -> Iterator[Problem]:
    svc, who, path = site.services[sname], f"service {sname!r}", ("services", sname, "name")
    dev = site.devices[svc.device]
    lan = _on_lan(site, sname)
    if not lan and dev.tailscale_ip is None:
        message = (
            f"{who}: name {svc.name!r} has no address: device {svc.device!r} has no tailscale_ip"
        )
        yield _error(
            site,
            "name-without-address",
            message,
            *path,
            hint="pin tailscale_ip, or set cname: true",
        )
    elif lan and dev.lan_ip is None:
        message = (
            f"{who}: name {svc.name!r} has no address: {lan} needs lan_ip on device {svc.device!r}"
        )
        yield _error(site, "name-without-address", message, *path)
    elif lan and dev.lan_ip is not None:
        route = site_dns.route_to(site, dev.lan_ip)
        if route.problem or route.router is None:
            why = route.problem or "it is a tailnet address, not a LAN one"
            message = f"{who}: name {svc.name!r} resolves to {dev.lan_ip}, which the tailnet cannot reach: {why}"
            hint = _route_hint(route) if route.problem else ""
            yield _error(site, "name-unreachable", message, *path, hint=hint)


def check_magic_dns(site: Site) -> Iterator[Problem]:
    """MagicDNS needs at least one global nameserver: the API refuses it otherwise."""
    if site.dns.magic_dns is True and not site.dns.nameservers:
        message = "dns.magic_dns is on, but dns.nameservers is empty: the Tailscale API refuses MagicDNS without a nameserver"
        hint = "add a nameserver, e.g. {address: 1.1.1.1}, or set magic_dns: false"
        yield _error(site, "magic-dns-no-nameserver", message, "dns", "magic_dns", hint=hint)


def check_endpoints(site: Site) -> Iterator[Problem]:
    """Two services of one node cannot publish the same tailnet port: `tailscale serve` (or
    the service's own serve mode) owns a port for the whole node."""
    for c in access(site).conflicts:
        first = f"{site.source_label}:{site.span('services', c.first).line}"
        message = (
            f"service {c.second!r}: {c.proto} port {c.port} on {c.device!r} is already "
            f"published by service {c.first!r} ({first}); tailscale serve gives a node's port "
            "to one handler"
        )
        hint = "publish one of them on another port (serve: tcp) or on another device"
        yield _error(site, "serve-port-conflict", message, "services", c.second, hint=hint)


# The checks `check` runs after the reference check, in this order (defined last, so the
# table names every check by value and nothing depends on where in the file it was added).
CHECKS: tuple[Callable[[Site], Iterable[Problem]], ...] = (
    check_names,
    check_logins,
    check_subnets,
    check_lan_ips,
    check_services,
    check_devices,
    check_access,
    check_plan,
    check_not_empty,
    check_dns_names,
    check_dns_zones,
    check_dns_records,
    check_dns_resolvers,
    check_service_names,
    check_magic_dns,
    check_endpoints,
)
