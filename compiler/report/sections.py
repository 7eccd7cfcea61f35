"""The report's sections beside the matrix: SSH, DNS names, exit nodes and Mullvad, and the
listeners the audit expects (pure).

SSH verdicts come from `evaluate.ssh_allowed` (the destination node's own first-match rules);
DNS answers from `emit.dns.lookup` (what `tailgen dns NAME` prints); exit nodes and Mullvad
from the site's declarations, whose access the matrix's internet column evaluates.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from compiler import evaluate
from compiler.emit.dns.lookup import MAX_CHAIN, Resolution, lookup
from compiler.evaluate.addrs import AddrSet
from compiler.evaluate.decision import resolve_sources
from compiler.evaluate.matrix import SortedKeys
from compiler.evaluate.ssh import SshGrant, SshVerdict, compile_node_ssh, ssh_verdict
from compiler.report.model import DnsEntry, ExitEntry, ListenerEntry, SiteLine, SshEntry
from compiler.site.dns import (
    MAGIC_DNS_RESOLVER,
    Record,
    in_zone,
    magic_name,
    records,
    route_to,
    to_ascii,
    zone_of,
    zones,
)
from compiler.site.listeners import expected_listeners
from compiler.site.model import Site

if TYPE_CHECKING:
    from compiler.report.collect import Lines

NON_ROOT = "tailgen-any-user"  # stands for every non-root login (autogroup:nonroot matches it)
_RULE = re.compile(r"(\w+)\[(\d+)\]")
ACTIONS = ("deny", "check", "accept")  # worst first, as ssh_allowed ranks a principal's devices


def ssh_entries(site: Site, ev: evaluate.Evaluator, lines: Lines) -> list[SshEntry]:
    """Every (user, device) where SSH is allowed for root or for other logins.

    What `evaluate.ssh_allowed` answers for each pair, asked device by device: a device's SSH
    rules are compiled once, and only the users one of whose devices a rule admits are
    decided (asking every user of every device compiled each device's rules twice per user,
    most of a minute at 2,000 devices)."""
    logins = [user.login for user in site.users.values()]
    sources = [[keys for _, keys in resolve_sources(ev, login) if keys] for login in logins]
    by_key: dict[int, list[int]] = {}
    for index, keys in enumerate(sources):
        for key in dict.fromkeys(k[0] for k in keys):
            by_key.setdefault(key, []).append(index)
    indexed = SortedKeys(by_key)
    where: dict[str, SiteLine | None] = {}
    found: dict[tuple[int, int], SshEntry] = {}
    for d, name in enumerate(site.devices):
        device = ev.inventory.device_by_name.get(name)
        grants = compile_node_ssh(ev, device) if device is not None else []
        if not grants:
            continue
        admitted = indexed.within(AddrSet.union(g.principals for g in grants))
        for u in sorted({u for key in admitted for u in by_key[key]}):
            root, other = _ssh(grants, sources[u], "root"), _ssh(grants, sources[u], NON_ROOT)
            if root.allowed or other.allowed:
                deciding = other if other.allowed else root
                rule = deciding.grant.rule.name if deciding.grant and deciding.grant.rule else ""
                if rule not in where:
                    where[rule] = _rule_line(ev, rule, lines)
                entry = SshEntry(logins[u], name, root.action, other.action, rule, where[rule])
                found[(u, d)] = entry
    return [found[pair] for pair in sorted(found)]


def _ssh(grants: list[SshGrant], sources: list[tuple[int, ...]], login: str) -> SshVerdict:
    """The verdict `ssh_allowed` gives: the worst of the sources' (first deny, else first
    check, else the first accept)."""
    verdicts = [ssh_verdict(grants, keys[0], login) for keys in sources]
    return min(verdicts, key=lambda v: ACTIONS.index(v.action), default=SshVerdict("deny"))


def _rule_line(ev: evaluate.Evaluator, rule: str, lines: Lines) -> SiteLine | None:
    """The site line the compiler wrote above a policy rule (`ssh[1]`), if any."""
    found = _RULE.fullmatch(rule)
    if found is None:
        return None
    path = (found.group(1), int(found.group(2)))
    comments = ev.policy.positions.comments_before(path)
    return next((s for c in comments if (s := lines.of_comment(c)) is not None), None)


def dns_entries(site: Site, lines: Lines) -> list[DnsEntry]:
    """Each name the zones serve: who answers it and through which router."""
    answers = _Answers(site)
    found = []
    for record in records(site):
        res = answers.lookup(record.name)
        answer = " → ".join(f"{r.rtype} {r.value}" for r in res.answers) or res.note
        via = "; ".join(route.describe() for route in res.resolvers) or res.answered_by
        where = lines.of(*record.path)
        found.append(DnsEntry(record.name, res.answered_by, answer, via, where))
    return found


class _Answers:
    """`emit.dns.lookup` for the site's own record names, with the names it follows CNAMEs
    through (every record and every pinned device's MagicDNS name) gathered once: `lookup`
    gathers them for each query, which made the DNS section grow with records × devices
    (most of 20 s at 5,000 devices). A name in a zone is answered as `lookup` answers it
    (split DNS: the zone's resolvers, the CNAME chain, the note); any other name is asked of
    `lookup` itself. tests/test_report_props.py checks the two agree on every record."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self.zones = zones(site)
        self.known = {r.name: r for r in records(site)}
        if site.dns.magic_dns_on:
            self.known.update({r.name: r for r in _magic_records(site)})
        self.devices = {d.lower(): d for d in site.devices}

    def lookup(self, query: str) -> Resolution:
        name = to_ascii(query)
        zone = zone_of(name, self.zones) if "." in name else None
        if zone is None:
            return lookup(self.site, query)
        routes = [route_to(self.site, a) for a in self.zones[zone].resolvers]
        res = Resolution(query, name, "split DNS", zone, routes, self._follow(name))
        res.note = self._note(res)
        return res

    def _follow(self, name: str) -> list[Record]:
        chain: list[Record] = []
        while name in self.known and len(chain) < MAX_CHAIN:
            chain.append(self.known[name])
            if self.known[name].rtype != "CNAME":
                break
            name = self.known[name].value
        return chain

    def _note(self, res: Resolution) -> str:
        if res.answers and res.answers[-1].rtype in ("A", "AAAA"):
            return ""
        target = res.answers[-1].value if res.answers else res.name
        if _is_magic(self.site, target):
            device = self.devices.get(target.split(".")[0])
            if device is None:
                return "no such device (NXDOMAIN)"
            return f"device {device} is not pinned: MagicDNS answers with its tailnet address"
        if not res.answers:
            return "the name is not declared (NXDOMAIN)"
        if zone_of(target, self.zones) is not None:
            return f"{target} is not declared (NXDOMAIN)"
        return "the client resolves the target through the global nameservers"


def _magic_records(site: Site) -> list[Record]:
    """What MagicDNS answers for each pinned device (`lookup`'s own list)."""
    out = []
    for dname, dev in site.devices.items():
        name = magic_name(site, dname)
        if name is not None and dev.tailscale_ip is not None:
            what = f"MagicDNS {MAGIC_DNS_RESOLVER}, device {dname}"
            out.append(Record(name, "A", str(site.pinned(dname)), what, ("devices", dname)))
    return out


def _is_magic(site: Site, name: str) -> bool:
    suffix = site.dns.magic_dns_suffix
    return bool(suffix and site.dns.magic_dns_on and in_zone(name, to_ascii(suffix)))


def exit_entries(site: Site, lines: Lines) -> list[ExitEntry]:
    allowed = ", ".join(site.exit_nodes.allow) or "nobody"
    found = [
        ExitEntry(name, "exit node", allowed, lines.of("exit_nodes", "allow"))
        for name, dev in site.devices.items()
        if dev.exit_node
    ]
    found += [
        ExitEntry(name, "Mullvad exit nodes", dev.owner or "its tags", lines.of("devices", name))
        for name, dev in site.devices.items()
        if dev.mullvad
    ]
    return found


def listener_entries(site: Site) -> list[ListenerEntry]:
    """Per device, the listeners the audit expects (its own, the site's, its OS's)."""
    found = []
    for device in site.devices:
        expected = tuple(str(e) for e in expected_listeners(site, device))
        if expected:
            found.append(ListenerEntry(device, expected))
    return found
