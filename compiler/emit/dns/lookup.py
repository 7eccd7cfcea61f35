"""`tailgen dns NAME`: how a tailnet client resolves NAME with the generated settings.

A name inside a split-DNS zone goes to that zone's resolvers (each reached through its
location's subnet router, or directly when it is a tailnet address); a name under the
MagicDNS suffix is answered by MagicDNS (100.100.100.100) from the device's tailnet address;
anything else goes to the global nameservers, which tailgen knows nothing about. A bare name
(no dot) is tried under each search path, as clients do. Pure: the CLI only prints this.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from compiler.site.dns import (
    MAGIC_DNS_RESOLVER,
    Record,
    Route,
    in_zone,
    magic_name,
    records,
    route_to,
    to_ascii,
    zone_of,
    zones,
)
from compiler.site.model import Site

MAX_CHAIN = 8


@dataclass
class Resolution:
    """What happens to one query: who answers, and the records of the answer in order."""

    query: str
    name: str  # the ASCII name actually asked
    answered_by: str  # "split DNS", "MagicDNS", "global nameservers"
    zone: str | None = None
    resolvers: list[Route] = field(default_factory=list)
    answers: list[Record] = field(default_factory=list)
    nameservers: list[str] = field(default_factory=list)
    note: str = ""  # what happens after (or instead of) the answers tailgen knows


def lookup(site: Site, query: str) -> Resolution:
    """Raises ValueError when `query` is not a DNS name."""
    name = to_ascii(query)
    if "." not in name:
        for candidate in _search_candidates(site, name):
            found = lookup(site, candidate)
            if found.answers:
                found.query = query
                return found
    return _resolve(site, query, name)


def _search_candidates(site: Site, name: str) -> list[str]:
    out = [f"{name}.{to_ascii(p)}" for p in site.dns.search_paths]
    magic = magic_name(site, name) if name in _lower_devices(site) else None
    return out + ([magic] if magic else [])


def _lower_devices(site: Site) -> dict[str, str]:
    return site.derived("dns_lower_devices", lambda s: {d.lower(): d for d in s.devices})


def _resolve(site: Site, query: str, name: str) -> Resolution:
    zone = zone_of(name, zones(site))
    if zone is not None:
        routes = [route_to(site, a) for a in zones(site)[zone].resolvers]
        res = Resolution(query, name, "split DNS", zone, routes, follow(site, name))
    elif _is_magic(site, name):
        res = Resolution(query, name, "MagicDNS", answers=follow(site, name))
    else:
        servers = [str(ns.address) for ns in site.dns.nameservers]
        return Resolution(query, name, "global nameservers", nameservers=servers)
    res.note = _note(site, res)
    return res


def _is_magic(site: Site, name: str) -> bool:
    suffix = site.dns.magic_dns_suffix
    return bool(suffix and site.dns.magic_dns_on and in_zone(name, to_ascii(suffix)))


def _note(site: Site, res: Resolution) -> str:
    """What the client learns beyond tailgen's records: nothing (NXDOMAIN), or a CNAME target
    that MagicDNS or the global nameservers answer."""
    if res.answers and res.answers[-1].rtype in ("A", "AAAA"):
        return ""
    target = res.answers[-1].value if res.answers else res.name
    if _is_magic(site, target):
        device = _lower_devices(site).get(target.split(".")[0])
        if device is None:
            return "no such device (NXDOMAIN)"
        return f"device {device} is not pinned: MagicDNS answers with its tailnet address"
    if not res.answers:
        return "the name is not declared (NXDOMAIN)"
    if zone_of(target, zones(site)) is not None:
        return f"{target} is not declared (NXDOMAIN)"
    return "the client resolves the target through the global nameservers"


def follow(site: Site, name: str) -> list[Record]:
    """The records answering `name`, following CNAMEs through the zones and MagicDNS."""
    known = site.derived("dns_known_names", _known_names)
    chain: list[Record] = []
    while name in known and len(chain) < MAX_CHAIN:
        chain.append(known[name])
        if known[name].rtype != "CNAME":
            break
        name = known[name].value
    return chain


def _known_names(site: Site) -> dict[str, Record]:
    """Every name a lookup can answer from the site: its zones' records and MagicDNS's, made
    once per site (the report asks about every record; gathered per query, that grew with
    records × devices)."""
    known = {r.name: r for r in records(site)}
    known.update({r.name: r for r in _magic_records(site)})
    return known


def _magic_records(site: Site) -> list[Record]:
    """What MagicDNS answers for each pinned device (unpinned ones: unknown until they join)."""
    out = []
    for dname, dev in site.devices.items():
        name = magic_name(site, dname)
        if name is not None and dev.tailscale_ip is not None and site.dns.magic_dns_on:
            what = f"MagicDNS {MAGIC_DNS_RESOLVER}, device {dname}"
            out.append(Record(name, "A", str(site.pinned(dname)), what, ("devices", dname)))
    return out


def as_json(site: Site, res: Resolution) -> dict[str, Any]:
    return {
        "query": res.query,
        "name": res.name,
        "answeredBy": res.answered_by,
        "zone": res.zone,
        "resolvers": [_route_json(r) for r in res.resolvers],
        "answers": [_record_json(site, r) for r in res.answers],
        "nameservers": res.nameservers,
        "note": res.note or None,
    }


def _route_json(route: Route) -> dict[str, Any]:
    return {
        "address": str(route.address),
        "location": route.location,
        "router": route.router,
        "device": route.device,
        "problem": route.problem or None,
    }


def _record_json(site: Site, record: Record) -> dict[str, Any]:
    span = site.span(*record.path)
    return {
        "name": record.name,
        "type": record.rtype,
        "value": record.value,
        "from": record.what,
        "line": span.line,
    }


def as_text(site: Site, res: Resolution) -> list[str]:
    lines = [res.name if res.name == res.query else f"{res.query} ({res.name})"]
    if res.zone is not None:
        lines.append(f"  zone      {res.zone} (split DNS)")
        lines += [f"  resolver  {route.describe()}" for route in res.resolvers]
    elif res.answered_by == "MagicDNS":
        lines.append(f"  resolver  {MAGIC_DNS_RESOLVER} (MagicDNS)")
    else:
        servers = ", ".join(res.nameservers) or "none (the OS resolver)"
        lines.append(f"  resolver  global nameservers: {servers} (not a split-DNS zone)")
    for rec in res.answers:
        where = f"{site.source_label}:{site.span(*rec.path).line}"
        lines.append(f"  answer    {rec.name} {rec.rtype} {rec.value} ({rec.what}, {where})")
    if res.note:
        lines.append(f"  {'then' if res.answers else 'answer':<8}  {res.note}")
    return lines
