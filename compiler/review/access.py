"""Who gains and who loses access: both policies evaluated by `compiler.evaluate` (pure).

Text diffs of a policy hide intent (a one-line change to a group can open a model server to
everyone), so access is decided by evaluating each side's policy against its own tailnet and
comparing the two sets of (principal, target) pairs. Each side is evaluated over the same
principals and targets (the union of both sides'), so a pair is "gained" only when the new
policy allows something the old one did not, whatever the sites declared.

The evaluator is reached through `compiler.review.evaluation` only; nothing here decides
what a rule means.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from compiler.review.canonical import Keys
from compiler.review.evaluation import (
    Evaluated,
    Pair,
    allowed_pairs,
    explain,
    prepare,
    principals,
    reused_pairs,
    rule_targets,
)
from compiler.review.snapshot import POLICY, Snapshot
from compiler.review.universe import FactsOf, SiteFacts, Target, union


@dataclass(frozen=True)
class AccessChange:
    principal: str
    target: Target
    labels: tuple[str, ...] = ()  # what declares the target: "service ollama-icon", …
    rules: tuple[str, ...] = ()  # the rules that allow it (new side for gains, old for losses)
    wildcard: bool = False  # every rule that allows it has a `*` source or destination

    def sort_key(self) -> tuple[Target, str]:
        return (self.target, self.principal)


@dataclass(frozen=True)
class AccessDiff:
    gained: tuple[AccessChange, ...] = ()
    lost: tuple[AccessChange, ...] = ()
    existing: int = 0  # pairs the current policy allows
    allowed: int = 0  # pairs the desired policy allows
    evaluated: bool = True
    note: str = ""  # why access was not evaluated, or what it was evaluated against

    def __bool__(self) -> bool:
        return bool(self.gained or self.lost)


@dataclass(frozen=True)
class Side:
    """One side, evaluated: the pairs its policy allows, and how to explain one."""

    evaluated: Evaluated | None
    pairs: frozenset[Pair] = field(default_factory=frozenset)


def review(
    desired: Snapshot,
    current: Snapshot,
    docs: tuple[dict[str, Any], dict[str, Any]] | None,
    facts: FactsOf | None = None,
    keys: Keys | None = None,
) -> AccessDiff:
    """The access diff of two snapshots. Each side is evaluated against its own site's
    tailnet; a side without a site (read from out/ or a file) borrows the other side's.
    `facts`: what the caller already found about the sites (see `universe.FactsOf`), `keys`
    the canonical keys of its comparison of the policies."""
    if docs is None:
        return AccessDiff(evaluated=False, note="the policy is not part of this comparison")
    new_site, old_site = desired.site or current.site, current.site or desired.site
    if new_site is None or old_site is None:
        return AccessDiff(evaluated=False, note=NO_SITE)
    facts = facts or FactsOf()
    new_facts, old_facts = facts(new_site), facts(old_site)
    new = _prepare(desired, docs[0], new_facts)
    old = _prepare(current, docs[1], old_facts, new)
    labels = _labels([new_facts, old_facts], [e for e in (new, old) if e is not None])
    who = principals(new_site, old_site)
    old_targets = old_facts.for_targets(labels)
    old_side = _side(old, who, old_targets)
    like = (old, old_side, old_targets)
    new_side = _side(new, who, new_facts.for_targets(labels), like, keys)
    return replace(access_diff(new_side, old_side, labels, who), note=_borrowed(desired, current))


NO_SITE = "access not evaluated: neither side comes from a site file, so the tailnet is unknown"
RULE_LABEL = "named by a policy rule"


def _prepare(
    snapshot: Snapshot, doc: dict[str, Any], site: SiteFacts, like: Evaluated | None = None
) -> Evaluated | None:
    """A side ready to evaluate, or None when it has no policy file at all (before the first
    build: that allows nothing, unlike a policy without rules, which Tailscale reads as
    allow-all). `like`: the other side, whose work this one may share."""
    text = snapshot.text(POLICY)
    if text is None:
        return None
    return prepare(text, doc, site.inventory, like)


def _side(
    evaluated: Evaluated | None,
    who: Mapping[str, str],
    targets: list[Target],
    like: tuple[Evaluated | None, Side, list[Target]] | None = None,
    keys: Keys | None = None,
) -> Side:
    """A side's pairs; `like` is the other side (and its targets), whose answers are reused
    where the policies cannot differ (see `evaluation.reused_pairs`)."""
    if evaluated is None:
        return Side(None)
    kept: set[Pair] = set()
    other, side, before = like or (None, Side(None), [])
    if other is not None:
        both = list(zip(targets, before, strict=True))
        kept, targets = reused_pairs(evaluated, other, side.pairs, both, keys)
    return Side(evaluated, frozenset(kept | allowed_pairs(evaluated, who, targets)))


def _labels(sites: list[SiteFacts], sides: list[Evaluated]) -> dict[Target, tuple[str, ...]]:
    """Targets the sites declare, then those only a policy rule names."""
    declared = union(*(site.targets for site in sites))
    for side in sides:
        for target in rule_targets(side) - declared.keys():
            declared[target] = (RULE_LABEL,)
    return dict(sorted(declared.items()))


def _borrowed(desired: Snapshot, current: Snapshot) -> str:
    for side, other in ((desired, current), (current, desired)):
        if side.site is None and other.site is not None:
            return f"{side.label} has no site: evaluated against the users and devices of {other.label}"
    return ""


def access_diff(
    desired: Side,
    current: Side,
    labels: Mapping[Target, tuple[str, ...]],
    who: Mapping[str, str],
) -> AccessDiff:
    """Gained and lost pairs between two evaluated sides, each explained by its rules."""
    gained = desired.pairs - current.pairs
    lost = current.pairs - desired.pairs
    return AccessDiff(
        gained=tuple(_changes(desired, gained, labels, who)),
        lost=tuple(_changes(current, lost, labels, who)),
        existing=len(current.pairs),
        allowed=len(desired.pairs),
    )


def _changes(
    side: Side,
    pairs: frozenset[Pair],
    labels: Mapping[Target, tuple[str, ...]],
    who: Mapping[str, str],
) -> list[AccessChange]:
    out = []
    for principal, target in sorted(pairs, key=lambda p: (p[1], p[0])):
        rules, wildcard = (
            explain(side.evaluated, who[principal], target) if side.evaluated else ((), False)
        )
        out.append(AccessChange(principal, target, labels.get(target, ()), rules, wildcard))
    return out
