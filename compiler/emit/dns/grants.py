"""Policy entries that keep split DNS working: port 53 on each zone's resolvers.

Split DNS sends every tailnet client's queries for a zone to its resolvers; a client the policy
does not let through gets no answer (a silent outage, or slow lookups through search paths).
One grant per zone, `udp:53` and `tcp:53` (TCP for truncated answers), to the resolver
addresses as written. Then, like the policy's service tests, one `tests` entry per user and
protocol listing every resolver that user must reach, so the control plane refuses a policy
that loses a path (per user rather than per zone × user keeps the count at 2 × users).

A zone whose grant's `src` is `autogroup:member` is tested from one user only: the first user
in site order (the first `members(site, EVERYONE)` yields). That grant admits every member
alike, and which users are members is the tailnet's membership, not anything the policy says,
so one member proves the grant and testing every user proves nothing more about the policy;
per user it cost users × zones entries (quadratic: every zone of a site without named services
is such a zone), all run by the self-check and written into the policy. The trade-off: a hand
edit narrowing that grant's `src` to a set still holding the first user is not caught. Zones
used by named principals (users, groups, roles) stay tested per user.

Who "uses the zone": the principals allowed on any service whose name is in the zone, in file
order. Everybody in the tailnet (`autogroup:member`) when the zone is a search path (every
client sends its bare names there, so anyone left out waits for a timeout on each lookup) or
when no allowed service is named in it (only device names or declared records).

Queries cross the location's subnet router, but no `via` is written: the routers share tags in
practice, so `via` would narrow nothing, and a user-owned router could not be named in it.
"""

from __future__ import annotations

from compiler.emit.emitted import Rule
from compiler.emit.selectors import choose_inlined, login, origin, src_list
from compiler.site.access import host_port, members
from compiler.site.dns import Zone, ascii_or_none, zone_of, zones
from compiler.site.model import Site

PORTS = ("udp", "tcp")
EVERYONE = "autogroup:member"


def zone_principals(site: Site) -> dict[str, list[str]]:
    """Zone → the principals (site references) that use it; see the module docstring."""
    names = zones(site)
    refs: dict[str, dict[str, None]] = {name: {} for name in names}  # ordered sets
    for svc in site.services.values():
        name = ascii_or_none(svc.name) if svc.name else None
        zone = zone_of(name, names) if name else None
        if zone is not None:
            refs[zone].update(dict.fromkeys(svc.allow))
    searched = {ascii_or_none(path) for path in site.dns.search_paths}
    return {z: [EVERYONE] if z in searched or not r else list(r) for z, r in refs.items()}


def zone_grant(site: Site, name: str, zone: Zone, src: list[str]) -> Rule:
    grant: dict[str, object] = {
        "src": src,
        "dst": [str(address) for address in zone.resolvers],
        "ip": [f"{proto}:53" for proto in PORTS],
    }
    where = origin(site, f"split DNS {name}: port 53 on its resolvers", *zone.resolver_path)
    return Rule("grants", grant, where)


def user_tests(site: Site, principals: dict[str, list[str]]) -> list[Rule]:
    """Per user (in site order) and protocol: every resolver of every zone tested from them."""
    reach: dict[str, dict[str, None]] = {user: {} for user in site.users}
    all_zones = zones(site)
    first_member = set(members(site, EVERYONE)[:1])
    for zone, refs in principals.items():
        addresses = dict.fromkeys(host_port(str(a), 53) for a in all_zones[zone].resolvers)
        for user in first_member if refs == [EVERYONE] else users_of_refs(site, refs):
            reach[user].update(addresses)
    rules = []
    for user, accept in reach.items():
        where = origin(site, f"split DNS: the resolvers {user} uses", "users", user)
        rules += [
            Rule("tests", {"src": login(site, user), "proto": proto, "accept": list(accept)}, where)
            for proto in PORTS
            if accept
        ]
    return rules


def users_of_refs(site: Site, refs: list[str]) -> set[str]:
    """Every user a zone's named principals stand for: each is tested (the module docstring)."""
    return {u for ref in refs for u in members(site, ref)}


def policy_rules(site: Site) -> list[Rule]:
    """Grants and tests that keep each split-DNS resolver reachable (port 53, udp and tcp)."""
    inlined, _ = choose_inlined(site)  # the policy emitter reports the inlining itself
    principals = zone_principals(site)
    rules = [
        zone_grant(site, name, zone, src_list(site, principals[name], inlined))
        for name, zone in zones(site).items()
    ]
    return rules + user_tests(site, principals)
