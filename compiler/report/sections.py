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
from compiler.emit.dns.lookup import lookup
from compiler.evaluate.addrs import AddrSet
from compiler.evaluate.decision import resolve_sources
from compiler.evaluate.matrix import SortedKeys
from compiler.evaluate.ssh import SshGrant, SshVerdict, compile_node_ssh, ssh_verdict
from compiler.report.model import DnsEntry, ExitEntry, ListenerEntry, SiteLine, SshEntry
from compiler.site.dns import (
    records,
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
    """Each name the zones serve: who answers it and through which router (what
    `tailgen dns NAME` says of it)."""
    found = []
    for record in records(site):
        res = lookup(site, record.name)
        answer = " → ".join(f"{r.rtype} {r.value}" for r in res.answers) or res.note
        via = "; ".join(route.describe() for route in res.resolvers) or res.answered_by
        where = lines.of(*record.path)
        found.append(DnsEntry(record.name, res.answered_by, answer, via, where))
    return found


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
