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
from compiler.report.model import DnsEntry, ExitEntry, ListenerEntry, SiteLine, SshEntry
from compiler.site.dns import records
from compiler.site.listeners import expected_listeners
from compiler.site.model import Site

if TYPE_CHECKING:
    from compiler.report.collect import Lines

NON_ROOT = "tailgen-any-user"  # stands for every non-root login (autogroup:nonroot matches it)
_RULE = re.compile(r"(\w+)\[(\d+)\]")


def ssh_entries(site: Site, ev: evaluate.Evaluator, lines: Lines) -> list[SshEntry]:
    """Every (user, device) where SSH is allowed for root or for other logins."""
    found = []
    for user in site.users.values():
        for device in site.devices:
            root = evaluate.ssh_allowed(ev, None, user.login, device, "root")
            other = evaluate.ssh_allowed(ev, None, user.login, device, NON_ROOT)
            if not (root.allowed or other.allowed):
                continue
            deciding = other if other.allowed else root
            where = _rule_line(ev, deciding.rule, lines)
            found.append(
                SshEntry(user.login, device, root.action, other.action, deciding.rule, where)
            )
    return found


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
