"""Cross-checks over a validated Site (pure): references, overlaps, plan limits.

The schema says each value has the right shape; these checks say the values agree with each
other. Every check is a function `(site) -> Iterable[Problem]` registered in `CHECKS`; `check`
runs them all and returns every problem sorted by line, so a person fixes them in one pass.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Iterator

from compiler.errors import Problem, Severity, did_you_mean
from compiler.site.model import OS, Site

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
            yield _error(site, "unknown-principal", f"{ref!r} is not a user, group, tag, location or autogroup", *path, i, hint=hint)


def check_references(site: Site) -> Iterator[Problem]:
    """Every name used points at something declared."""
    for gname, members in site.groups.items():
        for i, member in enumerate(members):
            if member not in site.users:
                yield _error(site, "unknown-user", f"group {gname!r}: {member!r} is not a user", "groups", gname, i, hint=did_you_mean(member, site.users))
    for tname, tag in site.tags.items():
        yield from _check_principals(site, tag.owners, "tags", tname, "owners")
    for dname, dev in site.devices.items():
        yield from _check_device_refs(site, dname)
    for sname, svc in site.services.items():
        if svc.device not in site.devices:
            yield _error(site, "unknown-device", f"service {sname!r}: device {svc.device!r} is not declared", "services", sname, "device", hint=did_you_mean(svc.device, site.devices))
        yield from _check_principals(site, svc.allow, "services", sname, "allow")
    for lname, loc in site.locations.items():
        if loc.router is not None and loc.router not in site.devices:
            yield _error(site, "unknown-device", f"location {lname!r}: router {loc.router!r} is not declared", "locations", lname, "router", hint=did_you_mean(loc.router, site.devices))
    yield from _check_principals(site, site.exit_nodes.allow, "exit_nodes", "allow")


def _check_device_refs(site: Site, dname: str) -> Iterator[Problem]:
    dev = site.devices[dname]
    if dev.location is not None and dev.location not in site.locations:
        yield _error(site, "unknown-location", f"device {dname!r}: location {dev.location!r} is not declared", "devices", dname, "location", hint=did_you_mean(dev.location, site.locations))
    if dev.owner is not None and dev.owner not in site.users:
        yield _error(site, "unknown-user", f"device {dname!r}: owner {dev.owner!r} is not a user", "devices", dname, "owner", hint=did_you_mean(dev.owner, site.users))
    for i, tag in enumerate(dev.tags):
        if tag not in site.tags:
            yield _error(site, "unknown-tag", f"device {dname!r}: tag {tag!r} is not declared under tags:", "devices", dname, "tags", i, hint=did_you_mean(tag, site.tags))
    if dev.owner is None and not dev.tags:
        yield _error(site, "no-identity", f"device {dname!r} needs an owner or at least one tag", "devices", dname)


def check_names(site: Site) -> Iterator[Problem]:
    """Tag names as Tailscale allows them; devices and locations do not share names (hosts)."""
    for tname in site.tags:
        if not (tname[:1].isascii() and tname[:1].isalpha() and all(c.isascii() and (c.isalnum() or c == "-") for c in tname)):
            yield _error(site, "bad-tag-name", f"tag {tname!r}: tag names start with a letter and use only ASCII letters, digits and '-'", "tags", tname)
    for name in site.devices.keys() & {f"{loc}-lan" for loc in site.locations}:
        yield _error(site, "name-clash", f"device {name!r} clashes with the host alias of a location subnet", "devices", name)


def check_subnets(site: Site) -> Iterator[Problem]:
    """Location subnets do not overlap; routers advertise their own location's subnets."""
    seen: list[tuple[ipaddress.IPv4Network, str]] = []
    for lname, loc in site.locations.items():
        for i, net in enumerate(loc.subnets):
            for other, oname in seen:
                if net.overlaps(other):
                    yield _error(site, "subnet-overlap", f"location {lname!r}: {net} overlaps {other} of location {oname!r}", "locations", lname, "subnets", i)
            seen.append((net, lname))
    for dname, dev in site.devices.items():
        yield from _check_routes(site, dname)


def _check_routes(site: Site, dname: str) -> Iterator[Problem]:
    dev = site.devices[dname]
    for i, route in enumerate(dev.routes):
        owners = [ln for ln, loc in site.locations.items() if any(route.subnet_of(n) for n in loc.subnets)]
        if not owners:
            yield _error(site, "route-outside-location", f"device {dname!r} advertises {route}, which is in no location's subnets", "devices", dname, "routes", i)
        elif dev.location not in owners:
            yield _error(site, "router-wrong-location", f"device {dname!r} advertises {route} of location {owners[0]!r} but sits in {dev.location!r}", "devices", dname, "routes", i)
    for lname, loc in site.locations.items():
        if loc.router == dname:
            missing = [str(n) for n in loc.subnets if not any(n.subnet_of(r) for r in dev.routes)]
            if missing:
                yield _error(site, "router-missing-route", f"location {lname!r}: router {dname!r} does not advertise {', '.join(missing)}", "locations", lname, "router", hint="add them to the device's routes:")


def check_services(site: Site) -> Iterator[Problem]:
    """Somebody may use each service; a device does not declare the same port twice."""
    used: dict[tuple[str, str, int], str] = {}
    for sname, svc in site.services.items():
        if not svc.allow:
            yield _warning(site, "nobody-allowed", f"service {sname!r}: nobody is allowed to use it", "services", sname, hint="add users or groups to allow:")
        for i, port in enumerate(svc.port):
            key = (svc.device, svc.protocol.value, port)
            if key in used:
                yield _error(site, "duplicate-port", f"service {sname!r}: {svc.protocol.value} port {port} on {svc.device!r} is already used by service {used[key]!r}", "services", sname, "port", i)
            used.setdefault(key, sname)


def check_devices(site: Site) -> Iterator[Problem]:
    """Pinned addresses are unique; Mullvad within its add-on limit and targetable."""
    pinned: dict[str, str] = {}
    for dname, dev in site.devices.items():
        if dev.tailscale_ip is not None:
            ip = str(dev.tailscale_ip)
            if ip in pinned:
                yield _error(site, "duplicate-ip", f"device {dname!r}: {ip} is already pinned to {pinned[ip]!r}", "devices", dname, "tailscale_ip")
            pinned.setdefault(ip, dname)
        if dev.mullvad and dev.tailscale_ip is None:
            yield _error(site, "mullvad-unpinned", f"device {dname!r}: mullvad needs tailscale_ip so the policy targets only this device", "devices", dname, "mullvad")
    mullvad = [d for d, dev in site.devices.items() if dev.mullvad]
    if len(mullvad) > MULLVAD_DEVICE_LIMIT:
        sixth = mullvad[MULLVAD_DEVICE_LIMIT]
        yield _error(site, "mullvad-limit", f"Mullvad is on {len(mullvad)} devices; the add-on covers at most {MULLVAD_DEVICE_LIMIT}", "devices", sixth, "mullvad")


def check_access(site: Site) -> Iterator[Problem]:
    """SSH and break-glass paths name real people and SSH-capable, tagged devices."""
    for i, rule in enumerate(site.ssh):
        yield from _check_principals(site, rule.from_, "ssh", i, "from")
        for j, dst in enumerate(rule.to):
            if not (dst == "autogroup:self" or (dst.startswith("tag:") and dst[4:] in site.tags)):
                yield _error(site, "bad-ssh-target", f"ssh[{i}]: {dst!r} must be a declared tag or autogroup:self", "ssh", i, "to", j)
    for i, bg in enumerate(site.break_glass):
        yield from _check_principals(site, bg.who, "break_glass", i, "who")
        for j, dname in enumerate(bg.devices):
            dev = site.devices.get(dname)
            if dev is None:
                yield _error(site, "unknown-device", f"break_glass[{i}]: device {dname!r} is not declared", "break_glass", i, "devices", j, hint=did_you_mean(dname, site.devices))
            elif dev.tailscale_ip is None:
                yield _error(site, "break-glass-unpinned", f"break_glass[{i}]: device {dname!r} needs tailscale_ip so the path can be tested", "break_glass", i, "devices", j)


def check_plan(site: Site) -> Iterator[Problem]:
    """Users beyond the plan are an error; groups and tagged devices beyond it are warnings."""
    limits = site.plan_limits()
    plan = site.plan or "custom"
    if limits.users is not None and len(site.users) > limits.users:
        name = list(site.users)[limits.users]
        yield _error(site, "plan-users", f"{len(site.users)} users, but the {plan} plan allows {limits.users}", "users", name)
    tagged = [d for d, dev in site.devices.items() if dev.tags]
    if limits.tagged is not None and len(tagged) > limits.tagged:
        yield _warning(site, "plan-tagged", f"{len(tagged)} tagged devices, but the {plan} plan allows {limits.tagged}", "devices", tagged[limits.tagged])


CHECKS: list[Callable[[Site], Iterable[Problem]]] = [
    check_references,
    check_names,
    check_subnets,
    check_services,
    check_devices,
    check_access,
    check_plan,
]


def check(site: Site) -> list[Problem]:
    """Run every check; problems sorted by place. Reference errors make later checks noisy,
    so those stop the run early."""
    problems = list(check_references(site))
    if any(p.is_error for p in problems):
        return sorted(problems, key=Problem.sort_key)
    for func in CHECKS[1:]:
        problems.extend(func(site))
    return sorted(problems, key=Problem.sort_key)
