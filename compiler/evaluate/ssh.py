"""Tailscale SSH: per-node SSH rules and the verdict for one connection.

A node's SSH policy is an ordered rule list (check rules first, as the control plane sends
them); a connection takes the first rule whose principals include the source address and
whose `sshUsers` map the requested login to a non-empty local user. `autogroup:nonroot` maps
`*` to `=` (same name) while pinning `root` to "" (refused); `localpart:*@domain` adds, per
matching user, a rule mapping the local part of their login to itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from compiler.evaluate.addrs import AddrSet, addr_key, key_addr
from compiler.evaluate.inventory import Device
from compiler.evaluate.model import SshRule
from compiler.evaluate.resolve import SELF
from compiler.evaluate.rules import Evaluator

NONROOT = "autogroup:nonroot"
LOCALPART = "localpart:*@"


@dataclass(frozen=True)
class SshGrant:
    """One compiled SSH rule for one node."""

    rule: SshRule | None
    principals: AddrSet
    users: dict[str, str]
    action: str  # "accept" or "check"

    def local_user(self, login: str) -> str:
        mapped = self.users.get(login, self.users.get("*", ""))
        return login if mapped == "=" else mapped


@dataclass(frozen=True)
class SshVerdict:
    action: str  # "accept", "check" or "deny"
    grant: SshGrant | None = None

    @property
    def allowed(self) -> bool:
        return self.action != "deny"


def base_users(users: tuple[str, ...]) -> dict[str, str]:
    """The sshUsers map of a rule (before localpart expansion)."""
    mapping: dict[str, str] = {"*": "="} if NONROOT in users else {}
    mapping["root"] = "root" if "root" in users else ""
    for user in users:
        if user not in (NONROOT, "root") and not _localpart_domain(user):
            mapping[user] = user
    return mapping


def compile_node_ssh(ev: Evaluator, node: Device) -> list[SshGrant]:
    """`node`'s SSH rules in evaluation order (check before accept, else policy order)."""
    grants = [g for rule in ev.policy.ssh for g in _rule_grants(ev, rule, node)]
    return sorted(grants, key=lambda g: g.action != "check")


def _rule_grants(ev: Evaluator, rule: SshRule, node: Device) -> list[SshGrant]:
    if rule.action not in ("accept", "check") or not rule.users:
        return []
    domains = [_localpart_domain(u) for u in rule.users]
    domains = [d for d in domains if d]
    principals = _principals(ev, rule, node)
    if not principals and domains:
        principals = _self_access(ev, rule, node)
    if not principals:
        return []
    grants = [SshGrant(rule, principals, base_users(rule.users), rule.action)]
    for domain in domains:
        grants.extend(_localpart_grants(ev, rule, principals, domain))
    return grants


def _localpart_domain(user: str) -> str:
    """The domain of a `localpart:*@domain` entry ("" for anything else, a literal login)."""
    return user.removeprefix(LOCALPART) if user.startswith(LOCALPART) else ""


def _self_access(ev: Evaluator, rule: SshRule, node: Device) -> AddrSet:
    """With localpart users, a source node outside the destinations may still reach itself.

    Observed in the captures (and mirrored by headscale): the node gets the rule scoped to its
    own user's devices (or to itself when tagged).
    """
    src = _sources(ev, rule)
    if not src.overlaps(node.addrs):
        return AddrSet()
    if node.tagged:
        return node.addrs
    mine = ev.inventory.devices_of.get(node.owner, ())
    return src & AddrSet.of(iv for d in mine for iv in d.addrs.intervals)


def _sources(ev: Evaluator, rule: SshRule) -> AddrSet:
    src = AddrSet()
    for ref in rule.srcs:
        src = src | ev.resolver.src(ref.text)
    src = ev.resolver.with_posture(src, rule.src_posture or ev.policy.default_src_posture)
    return src & AddrSet.of(iv for d in ev.inventory.devices for iv in d.addrs.intervals)


def _principals(ev: Evaluator, rule: SshRule, node: Device) -> AddrSet:
    src = _sources(ev, rule)
    found = AddrSet()
    if any(r.text == SELF for r in rule.dsts) and not node.tagged:
        mine = ev.inventory.devices_of.get(node.owner, ())
        found = src & AddrSet.of(iv for d in mine for iv in d.addrs.intervals)
    dst = AddrSet()
    for ref in rule.dsts:
        if ref.text != SELF:
            dst = dst | ev.resolver.dst(ref.text)
    if dst.overlaps(node.addrs):
        found = found | src
    return found


def _localpart_grants(
    ev: Evaluator, rule: SshRule, principals: AddrSet, domain: str
) -> list[SshGrant]:
    grants = []
    for user in ev.inventory.users:
        if user.domain.lower() != domain.lower() or not user.localpart:
            continue
        mine = AddrSet.of(
            iv for d in ev.inventory.devices_of.get(user.login, ()) for iv in d.addrs.intervals
        )
        if principals & mine:
            local = {user.localpart: user.localpart}
            grants.append(SshGrant(rule, principals & mine, local, rule.action))
    return grants


def ssh_verdict(grants: list[SshGrant], source: int, login: str) -> SshVerdict:
    """The first rule admitting `login` from the `source` address decides."""
    for grant in grants:
        if source in grant.principals and grant.local_user(login):
            return SshVerdict(grant.action, grant)
    return SshVerdict("deny")


def grants_to_wire(grants: list[SshGrant]) -> list[dict[str, Any]]:
    """The tailcfg.SSHRule wire shape (principals by node IP)."""
    out = []
    for g in grants:
        ips = [str(key_addr(k)) for lo, hi in g.principals.intervals for k in range(lo, hi + 1)]
        action = {"accept": True} if g.action == "accept" else {"holdAndDelegate": "check"}
        out.append(
            {"principals": [{"nodeIP": ip} for ip in ips], "sshUsers": g.users, "action": action}
        )
    return out


def grants_from_wire(rules: list[dict[str, Any]] | None) -> list[SshGrant]:
    """Recorded tailcfg.SSHRule values as grants (to replay the control plane's own verdicts)."""
    out = []
    for r in rules or ():
        keys = [addr_key(p["nodeIP"]) for p in r.get("principals") or () if p.get("nodeIP")]
        action = r.get("action") or {}
        verb = (
            "check"
            if action.get("holdAndDelegate")
            else "accept"
            if action.get("accept")
            else "deny"
        )
        if verb != "deny":
            out.append(
                SshGrant(
                    None, AddrSet.of((k, k) for k in keys), dict(r.get("sshUsers") or {}), verb
                )
            )
    return out
