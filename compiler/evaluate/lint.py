"""Warnings about a policy that the control plane accepts but a reviewer should question.

Each lint is a function `(ctx) -> Iterator[Problem]` registered in `LINTS`; all are warnings.
They work on any policy; the site-aware ones (services nobody can reach, break-glass paths)
need the caller to say which services and paths matter.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from compiler.errors import Problem, Severity, Span
from compiler.evaluate.addrs import V6_BASE
from compiler.evaluate.decision import (
    PROVENANCE,
    allowed,
    evaluator,
    resolve_destination,
    resolve_sources,
    with_stand_in,
)
from compiler.evaluate.inventory import Inventory
from compiler.evaluate.matrix import Service, allowed_cells
from compiler.evaluate.model import Policy
from compiler.evaluate.ports import ALL_PORTS
from compiler.evaluate.positions import Path
from compiler.evaluate.rules import Evaluator

EVERYONE = frozenset({"*", "autogroup:member", "autogroup:members", "autogroup:danger-all"})
TRUSTED_ROLES = frozenset({"owner", "admin", "network-admin"})


@dataclass(frozen=True)
class LintCtx:
    ev: Evaluator
    file: str
    services: tuple[Service, ...] = ()
    must_keep: tuple[tuple[str, str, int], ...] = ()

    @property
    def policy(self) -> Policy:
        return self.ev.policy

    @cached_property
    def section_json(self) -> dict[str, str]:
        """Each top-level section as `json.dumps` writes it inside the policy's object."""
        return {k: f"{json.dumps(k)}: {json.dumps(v)}" for k, v in self.policy.raw.items()}

    def warn(self, code: str, message: str, path: Path, hint: str = "") -> Problem:
        """A warning at the site.yaml line the rule came from (the compiler's comment above
        it says, and the hint keeps the policy place), else at the policy line."""
        line, column = self.policy.where(path)
        here = Span(self.file, line, column)
        origin = site_origin(self.policy, path)
        if origin is None:
            return Problem(code, message, here, Severity.WARNING, hint, path)
        hint = "; ".join(x for x in (hint, f"policy rule at {here}") if x)
        return Problem(code, message, origin, Severity.WARNING, hint, path)


def site_origin(policy: Policy, path: Path) -> Span | None:
    """Where in the site file the entry at `path` (or its nearest commented parent) came from."""
    for end in range(len(path), 0, -1):
        for comment in policy.positions.comments_before(path[:end]):
            found = PROVENANCE.match(comment)
            if found:
                return Span(found["file"], int(found["line"]), 1)
    return None


Lint = Callable[[LintCtx], Iterator[Problem]]


def _mentions(ctx: LintCtx, skip_section: str) -> str:
    """Every string in the policy outside one section, joined (for 'is it used?' lookups):
    the JSON of the policy without that section, put together from each section's JSON
    (written once per lint run, not once per lint)."""
    skip = skip_section.lower()
    return "{" + ", ".join(j for k, j in ctx.section_json.items() if k.lower() != skip) + "}"


def _used(name: str, haystack: str) -> bool:
    return f'"{name}"' in haystack or f'"{name}:' in haystack or f' {name}"' in haystack


@dataclass(frozen=True)
class Mentions:
    """`_used(name, text)` for many names over one text, without a scan of the text per name
    (hosts grow with the tailnet, and so does the text: that was quadratic).

    For a name without a quote, each of `_used`'s three patterns is a fact about the pieces
    of the text between consecutive quotes: `"name"` is such a piece, `"name:` the part of
    one before a colon, ` name"` the part of one after a space. Only parts as long as the
    longest name are kept; a name with a quote is looked for in the text as before."""

    text: str
    whole: frozenset[str]
    before_colon: frozenset[str]
    after_space: frozenset[str]

    @classmethod
    def of(cls, text: str, longest: int) -> Mentions:
        pieces = text.split('"')
        # Only pieces with a colon (a space) can say anything below; most have neither, and
        # asking with `in` first skips a method call per piece.
        before: set[str] = set()
        for piece in [p for p in set(pieces[1:]) if ":" in p]:
            i = piece.find(":", 0, longest + 1)
            while i != -1:
                before.add(piece[:i])
                i = piece.find(":", i + 1, longest + 1)
        after: set[str] = set()
        for piece in [p for p in set(pieces[:-1]) if " " in p]:
            start = max(len(piece) - 1 - longest, 0)
            i = piece.rfind(" ", start)
            while i != -1:
                after.add(piece[i + 1 :])
                i = piece.rfind(" ", start, i)
        return cls(text, frozenset(pieces[1:-1]), frozenset(before), frozenset(after))

    def used(self, name: str) -> bool:
        if '"' in name:
            return _used(name, self.text)
        return name in self.whole or name in self.before_colon or name in self.after_space


def lint_unused_groups(ctx: LintCtx) -> Iterator[Problem]:
    """A group is used when it is mentioned outside its own definition: in the rest of the
    policy, or in the groups section with its own name (`"group": `) taken out once."""
    key = ctx.policy.key("groups")
    rest, members = _mentions(ctx, "groups"), json.dumps(ctx.policy.groups)
    for group in ctx.policy.groups:
        if not group_used(group, rest, members):
            yield ctx.warn("unused-group", f"group {group} is not used by any rule", (key, group))


def group_used(group: str, rest: str, members: str) -> bool:
    """`_used(group, (rest + members).replace(f'"{group}": ', "", 1))` without copying the
    whole policy's text once per group (that copy was quadratic in the tailnet's size).

    `rest` ends in `}` and `members` starts with `{`, so unless the name holds a brace no
    mention spans the two, and unless `rest` itself holds `"group": ` the one taken out is in
    `members`; otherwise (never, in a generated policy) the joined text is read as it was."""
    own = f'"{group}": '
    if "{" in group or "}" in group or own in rest:
        return _used(group, (rest + members).replace(own, "", 1))
    return _used(group, rest) or _used(group, members.replace(own, "", 1))


def lint_unused_tags(ctx: LintCtx) -> Iterator[Problem]:
    key = ctx.policy.key("tagOwners")
    text = _mentions(ctx, "tagOwners") + json.dumps(list(ctx.policy.tag_owners.values()))
    carried = {t for d in ctx.ev.inventory.devices for t in d.tags}
    for tag in ctx.policy.tag_owners:
        if tag not in carried and not _used(tag, text):
            message = f"tag {tag} is on no device and in no rule"
            yield ctx.warn("unused-tag", message, (key, tag))


def lint_unused_hosts(ctx: LintCtx) -> Iterator[Problem]:
    key = ctx.policy.key("hosts")
    longest = max((len(h) for h in ctx.policy.hosts), default=0)
    mentions = Mentions.of(_mentions(ctx, "hosts"), longest)
    for host in ctx.policy.hosts:
        if not mentions.used(host):
            yield ctx.warn("unused-host", f"host {host} is not used by any rule", (key, host))


def _identity_rules(ctx: LintCtx, identity: tuple[str, str]) -> set[str]:
    """Rules whose sources name this identity (a ("tag", t) or ("user", login)) by identity."""
    return {r.name for r in ctx.ev.rules if any(_covers(ctx, s.text, identity) for s in r.srcs)}


def _covers(ctx: LintCtx, selector: str, identity: tuple[str, str]) -> bool:
    kind, name = identity
    if selector == "*":
        return True
    if kind == "tag":
        return selector in (name, "autogroup:tagged")
    if selector in ("autogroup:member", "autogroup:members"):
        return True
    return name in ctx.ev.resolver.logins(selector)


def lint_tag_escalation(ctx: LintCtx) -> Iterator[Problem]:
    """An owner who can tag a device with a tag that reaches more than the owner does."""
    key = ctx.policy.key("tagOwners")
    for tag, owners in ctx.policy.tag_owners.items():
        tag_rules = _identity_rules(ctx, ("tag", tag))
        for owner in owners:
            yield from _escalation(ctx, tag, owner, tag_rules, (key, tag))


def _escalation(
    ctx: LintCtx, tag: str, owner: str, tag_rules: set[str], path: Path
) -> Iterator[Problem]:
    if owner == tag:
        yield ctx.warn(
            "tag-self-owned", f"{tag} owns itself: its devices can re-tag themselves", path
        )
        return
    inv = ctx.ev.inventory
    logins = (
        [u.login for u in inv.users]
        if owner in ("autogroup:member", "autogroup:members")
        else ctx.ev.resolver.logins(owner)
    )
    for login in logins:
        user = inv.user_by_login.get(login)
        if user is not None and user.role in TRUSTED_ROLES:
            continue
        extra = sorted(tag_rules - _identity_rules(ctx, ("user", login)))
        if extra:
            message = f"{login} owns {tag} and can gain {', '.join(extra)} by tagging a device"
            yield ctx.warn("tag-escalation", message, path)


def lint_wide_grants(ctx: LintCtx) -> Iterator[Problem]:
    for rule in ctx.policy.rules:
        for dst in rule.dsts:
            wide_dst = dst.ref.text == "*"
            wide_port = (
                any(s.ports == ALL_PORTS for s in dst.specs)
                and dst.ref.text != "autogroup:internet"
            )
            if wide_dst or wide_port:
                what = "every destination" if wide_dst else "every port"
                message = f"{rule.name} grants {what} ({dst.ref.text}); narrower than any service?"
                yield ctx.warn("wide-grant", message, dst.ref.path)


def lint_internet_for_everyone(ctx: LintCtx) -> Iterator[Problem]:
    for rule in ctx.policy.rules:
        everyone = [s for s in rule.srcs if s.text in EVERYONE]
        internet = [d for d in rule.dsts if d.ref.text in ("autogroup:internet", "*")]
        if everyone and internet:
            message = f"{rule.name} lets everyone ({everyone[0].text}) use exit nodes"
            yield ctx.warn("internet-for-everyone", message, internet[0].ref.path)


def lint_vacuous_tests(ctx: LintCtx) -> Iterator[Problem]:
    """Tests that cannot fail: repeated entries, and entries whose sources cannot connect."""
    seen: dict[tuple[str, str, str], set[str]] = {}
    families = SourceFamilies(ctx.ev)
    for test in ctx.policy.tests:
        for verdict, entries in (("accept", test.accept), ("deny", test.deny)):
            known = seen.setdefault((test.src, test.proto, verdict), set())
            if verdict == "accept" and _all_new(entries.texts, known):
                continue  # nothing repeated, and an accept entry is never vacuous
            for n, text in enumerate(entries.texts):
                if text in known:
                    yield ctx.warn(
                        "test-duplicate",
                        f"test {verdict} {text} from {test.src} is repeated",
                        entries.path(n),
                    )
                known.add(text)
                if verdict == "deny" and families.none_comparable(test.src, text):
                    message = f"deny {text} from {test.src} can never fail (no source of that address family)"
                    yield ctx.warn("test-vacuous", message, entries.path(n))


def _all_new(texts: tuple[str, ...], known: set[str]) -> bool:
    """Are `texts` all different and none in `known`? Then they are added to it: a test's
    entries are asked as one set instead of one by one (a large policy's tests have ~10
    entries per device)."""
    fresh = set(texts)
    if len(fresh) != len(texts) or not known.isdisjoint(fresh):
        return False
    known |= fresh
    return True


@dataclass
class SourceFamilies:
    """Whether a test's sources have no address of its destination's family, as the evaluator
    reads both (`allowed(ev, None, src, host, 0, "icmp")` then has sources, none with an
    address): the source devices' families are found once per `src` and each destination
    once per host, instead of deciding a flow (and describing its rules) per deny entry."""

    ev: Evaluator
    _families: dict[str, frozenset[bool] | None] = field(default_factory=dict)
    _dsts: dict[str, int | None] = field(default_factory=dict)

    def none_comparable(self, src: str, entry: str) -> bool:
        host = entry.rpartition(":")[0].strip("[]")
        if host not in self._dsts:
            self._dsts[host] = resolve_destination(self.ev, host)
        d = self._dsts[host]
        families = self.families(src)
        return d is not None and families is not None and (d >= V6_BASE) not in families

    def families(self, src: str) -> frozenset[bool] | None:
        """Is-IPv6 of every address of `src`'s devices (None: it stands for no device)."""
        if src not in self._families:
            sources = resolve_sources(self.ev, src) or resolve_sources(
                with_stand_in(self.ev, src), src
            )
            self._families[src] = (
                frozenset(k >= V6_BASE for _, keys in sources for k in keys) if sources else None
            )
        return self._families[src]


def lint_unreachable_services(ctx: LintCtx) -> Iterator[Problem]:
    """A service no principal's every device may reach: the matrix's allowed cells, found
    column by column from what the rules admit (`allowed_cells`), not cell by cell (at
    10,000 devices asking every principal × service took a minute)."""
    if not ctx.services:
        return
    reached = {svc for _, svc in allowed_cells(ctx.ev, services=list(ctx.services))}
    for svc in ctx.services:
        if svc not in reached:
            yield ctx.warn("service-unreachable", f"nobody can reach {svc.label}", ())


def lint_break_glass(ctx: LintCtx) -> Iterator[Problem]:
    for who, where, port in ctx.must_keep:
        if not allowed(ctx.ev, None, who, where, port, "tcp"):
            yield ctx.warn(
                "break-glass-missing", f"break-glass path {who} → {where}:{port} is not allowed", ()
            )


SSH_CHECKED_DEVICES = 16  # per rule: enough to catch a missing grant, bounded on large tailnets


def lint_ssh_without_network(ctx: LintCtx) -> Iterator[Problem]:
    """An SSH rule whose sources have no network access to tcp:22 on its destinations never
    connects: Tailscale SSH needs both (reference §4.7), and sshTests ignore the network."""
    for rule in ctx.policy.ssh:
        devices = [
            d
            for ref in rule.dsts
            if ref.text.startswith("tag:")
            for d in ctx.ev.resolver.devices(ref.text)
        ][:SSH_CHECKED_DEVICES]
        missing = next(
            (
                (src.text, d.name)
                for src in rule.srcs
                for d in devices
                if not allowed(ctx.ev, None, src.text, d.name, 22, "tcp")
            ),
            None,
        )
        if missing is not None:
            message = (
                f"{rule.name}: {missing[0]} has no network access to tcp:22 on {missing[1]}, "
                "so this SSH rule can never connect"
            )
            hint = "add a grant of tcp:22 from the rule's sources to its destinations"
            yield ctx.warn("ssh-without-network", message, rule.path, hint)


LINTS: tuple[Lint, ...] = (
    lint_ssh_without_network,
    lint_unused_groups,
    lint_unused_tags,
    lint_unused_hosts,
    lint_tag_escalation,
    lint_wide_grants,
    lint_internet_for_everyone,
    lint_vacuous_tests,
    lint_unreachable_services,
    lint_break_glass,
)


def lint(
    policy: str | Policy | Evaluator,
    inventory: Inventory | Mapping[str, Any] | None = None,
    file: str = "policy.hujson",
    services: Sequence[Service] = (),
    must_keep: Sequence[tuple[str, str, int]] = (),
) -> list[Problem]:
    """All lint warnings, sorted by position."""
    ctx = LintCtx(evaluator(policy, inventory), file, tuple(services), tuple(must_keep))
    problems = [p for check in LINTS for p in check(ctx)]
    return sorted(problems, key=lambda p: p.sort_key())
