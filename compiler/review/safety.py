"""The safety verdict: octoDNS's "too much change, force required", measured in access.

A plan is unsafe when applying it could lock people out or open the tailnet wide:

- more than 30 % of the access pairs the current policy allows are lost;
- a rule with a `*` source or destination appears;
- someone gains the internet through exit nodes (`autogroup:internet`);
- a break-glass path (a person's SSH to a device, declared in either site, or allowed by a rule
  generated from such a declaration) is lost.

Each reason is named, so `push` can refuse with a message that says what to look at, and a
reviewer can acknowledge it with `--force`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from compiler.review.access import AccessDiff
from compiler.review.canonical import key, show
from compiler.review.universe import INTERNET, BreakGlassPath

MAX_SAFE_LOSS = 0.30
BREAK_GLASS_ORIGIN = "break-glass path"  # the comment compiler.emit.policy writes on those rules
RULE_SECTIONS = ("grants", "acls", "ssh")


@dataclass(frozen=True)
class Reason:
    code: str  # lost-access | wildcard | internet | break-glass
    message: str


@dataclass(frozen=True)
class Verdict:
    reasons: tuple[Reason, ...] = ()

    @property
    def safe(self) -> bool:
        return not self.reasons


def verdict(
    access: AccessDiff, wildcards: Iterable[str], break_glass: Iterable[BreakGlassPath]
) -> Verdict:
    reasons = [*_lost_share(access), *_wildcards(wildcards), *_internet(access)]
    reasons += _break_glass(access, break_glass)
    return Verdict(tuple(reasons))


def _lost_share(access: AccessDiff) -> Iterator[Reason]:
    if access.existing and len(access.lost) / access.existing > MAX_SAFE_LOSS:
        share = 100 * len(access.lost) / access.existing
        yield Reason(
            "lost-access",
            f"{len(access.lost)} of {access.existing} existing access pairs lost "
            f"({share:.1f} % is over {100 * MAX_SAFE_LOSS:.0f} %)",
        )


def _wildcards(rules: Iterable[str]) -> Iterator[Reason]:
    for rule in rules:
        yield Reason("wildcard", f"new rule with a `*` source or destination: `{rule}`")


def _internet(access: AccessDiff) -> Iterator[Reason]:
    who = sorted({c.principal for c in access.gained if c.target.host == INTERNET})
    if who:
        names = ", ".join(f"`{p}`" for p in who)
        yield Reason("internet", f"exit-node (internet) access widens to {names}")


def _break_glass(access: AccessDiff, paths: Iterable[BreakGlassPath]) -> list[Reason]:
    """Lost pairs that a site declares as break-glass, or that the current policy allowed by
    a rule generated from a break-glass declaration (its comment says so: a current side read
    from out/ has no site, and the new site may have dropped the declaration)."""
    declared = {(p.login, p.target) for p in paths}
    return [
        Reason("break-glass", f"break-glass path lost: `{c.principal}` to `{c.target}`")
        for c in access.lost
        if (c.principal, c.target) in declared or any(BREAK_GLASS_ORIGIN in r for r in c.rules)
    ]


def new_wildcard_rules(desired: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """Rules (in grants, acls, ssh) with a `*` source or destination that the current policy
    does not have, each shown as `section: {rule}`."""
    old = {key(rule) for _, rule in _wildcard_rules(current)}
    return [
        f"{section}: {show(rule)}"
        for section, rule in _wildcard_rules(desired)
        if key(rule) not in old
    ]


def _wildcard_rules(policy: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    for section in RULE_SECTIONS:
        rules = policy.get(section)
        for rule in rules if isinstance(rules, list) else []:
            if isinstance(rule, dict) and _has_star(section, rule):
                yield section, rule


def _has_star(section: str, rule: dict[str, Any]) -> bool:
    """`*` as a source, or as a destination (`*` in grants and ssh, `*:*` or `*:port` in acls,
    which may also spell them `users` and `ports`)."""
    fields = ("src", "dst", "users", "ports") if section == "acls" else ("src", "dst")
    selectors = [s for name in fields for s in _strings(rule.get(name))]
    return any(s == "*" or s.startswith("*:") for s in selectors)


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []
