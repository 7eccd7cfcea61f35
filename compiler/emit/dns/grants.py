"""Policy entries that keep split DNS working: port 53 on each zone's resolvers.

Split DNS sends every tailnet client's queries for a zone to its resolvers; a client the policy
does not let through gets no answer (a silent outage, or slow lookups through search paths).
One grant per zone, `udp:53` and `tcp:53` (TCP for truncated answers), to the resolver
addresses as written, and one `tests` entry per user and protocol so the control plane refuses
a policy that loses the path.

Who "uses the zone": the principals allowed on any service whose name is in the zone, in file
order. Everybody in the tailnet (`autogroup:member`) when the zone is a search path (every
client sends its bare names there, so anyone left out waits for a timeout on each lookup) or
when no allowed service is named in it (only device names or declared records). Queries cross the location's subnet router, but no `via` is
written: the routers share tags in practice, so `via` would narrow nothing, and a user-owned
router could not be named in it at all.
"""

from __future__ import annotations

from compiler.emit import Rule
from compiler.emit.policy import choose_inlined, login, members, origin, src_list
from compiler.site.dns import Zone, ascii_or_none, zone_of, zones
from compiler.site.model import Site

PORTS = ("udp", "tcp")
EVERYONE = "autogroup:member"


def zone_users(site: Site, zone: str) -> list[str]:
    """The principals (site references) that use `zone`, see the module docstring."""
    names = zones(site)
    if zone in (ascii_or_none(path) for path in site.dns.search_paths):
        return [EVERYONE]
    refs: list[str] = []
    for svc in site.services.values():
        name = ascii_or_none(svc.name) if svc.name else None
        if name is not None and zone_of(name, names) == zone:
            refs.extend(ref for ref in svc.allow if ref not in refs)
    return refs or [EVERYONE]


def test_logins(site: Site, refs: list[str]) -> list[str]:
    """The users to test with: every user a reference stands for (tags and locations have no
    user to test from; a test `src` must be one identity)."""
    users: list[str] = []
    for ref in refs:
        users.extend(u for u in members(site, ref) if u not in users)
    return [login(site, u) for u in users]


def zone_rules(site: Site, name: str, zone: Zone, inlined: set[str]) -> list[Rule]:
    refs = zone_users(site, name)
    where = origin(site, f"split DNS {name}: port 53 on its resolvers", *zone.resolver_path)
    dst = [str(address) for address in zone.resolvers]
    grant: dict[str, object] = {
        "src": src_list(site, refs, inlined),
        "dst": dst,
        "ip": [f"{p}:53" for p in PORTS],
    }
    rules = [Rule("grants", grant, where)]
    for src in test_logins(site, refs):
        for proto in PORTS:
            test: dict[str, object] = {
                "src": src,
                "proto": proto,
                "accept": [f"{a}:53" for a in dst],
            }
            rules.append(Rule("tests", test, where))
    return rules


def policy_rules(site: Site) -> list[Rule]:
    """Grants and tests that keep each split-DNS resolver reachable (port 53, udp and tcp)."""
    inlined, _ = choose_inlined(site)  # the policy emitter reports the inlining itself
    rules: list[Rule] = []
    for name, zone in zones(site).items():
        rules.extend(zone_rules(site, name, zone, inlined))
    return rules
