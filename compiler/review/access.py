"""Who gains and who loses access: both policies evaluated by `compiler.evaluate` (pure).

Text diffs of a policy hide intent (a one-line change to a group can open a model server to
everyone), so access is decided by evaluating each side's policy against its own tailnet and
comparing the two sets of (principal, target) pairs. Each side is evaluated over the same
principals and targets (the union of both sides'), so a pair is "gained" only when the new
policy allows something the old one did not, whatever the sites declared.

The evaluator is reached through `evaluate_pairs` and `explain` only; nothing here decides
what a rule means.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from compiler.review.snapshot import POLICY, Snapshot
from compiler.review.universe import Target, site_targets, test_targets, union
from compiler.site.inventory import inventory_from_site

Pair = tuple[str, Target]


@dataclass(frozen=True)
class AccessChange:
    principal: str
    target: Target
    labels: tuple[str, ...] = ()  # what declares the target: "service ollama-icon", …
    rules: tuple[str, ...] = ()  # the rules that allow it (new side for gains, old for losses)
    wildcard: bool = False  # every rule that allows it has a `*` source, destination or port

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
    """One side as the evaluator sees it."""

    policy_text: str
    inventory: Mapping[str, Any]
    pairs: frozenset[Pair] = field(default_factory=frozenset)


def principals(*inventories: Mapping[str, Any]) -> tuple[str, ...]:
    """Everyone a review reports on: each user's login, and each tag (tagged devices are
    principals of their own: a tag replaces its device's user identity)."""
    logins: set[str] = set()
    tags: set[str] = set()
    for inv in inventories:
        logins.update(str(u.get("email") or u.get("login")) for u in inv.get("users") or [])
        for node in (inv.get("nodes") or {}).values():
            tags.update(node.get("tags") or [])
    return (*sorted(logins), *sorted(tags))


def access_diff(
    desired: Side, current: Side, labels: Mapping[Target, tuple[str, ...]]
) -> AccessDiff:
    """Gained and lost pairs between two evaluated sides, each explained by its rules."""
    gained = desired.pairs - current.pairs
    lost = current.pairs - desired.pairs
    return AccessDiff(
        gained=tuple(_changes(desired, gained, labels)),
        lost=tuple(_changes(current, lost, labels)),
        existing=len(current.pairs),
        allowed=len(desired.pairs),
    )


def _changes(
    side: Side, pairs: frozenset[Pair], labels: Mapping[Target, tuple[str, ...]]
) -> list[AccessChange]:
    out = []
    for principal, target in sorted(pairs, key=lambda p: (p[1], p[0])):
        rules, wildcard = explain(side, principal, target)
        out.append(AccessChange(principal, target, labels.get(target, ()), rules, wildcard))
    return out


def review(
    desired: Snapshot, current: Snapshot, docs: tuple[dict[str, Any], dict[str, Any]] | None
) -> AccessDiff:
    """The access diff of two snapshots. Each side is evaluated against its own site's
    tailnet; a side without a site (read from out/ or a file) borrows the other side's."""
    if docs is None:
        return AccessDiff(evaluated=False, note="the policy is not part of this comparison")
    sites = [s.site for s in (desired, current) if s.site is not None]
    if not sites:
        return AccessDiff(evaluated=False, note=NO_SITE)
    new_inv = inventory_from_site(desired.site or sites[0])
    old_inv = inventory_from_site(current.site or sites[0])
    labels = union(*(site_targets(s) for s in sites), *_recovered(desired, current, docs, new_inv))
    who = principals(new_inv, old_inv)
    targets = list(labels)
    new = Side(desired.text(POLICY) or "", new_inv)
    old = Side(current.text(POLICY) or "", old_inv)
    new = replace(new, pairs=evaluate_pairs(new.policy_text, new_inv, who, targets))
    old = replace(old, pairs=evaluate_pairs(old.policy_text, old_inv, who, targets))
    return replace(access_diff(new, old, labels), note=_borrowed(desired, current))


NO_SITE = "access not evaluated: neither side comes from a site file, so the tailnet is unknown"


def _recovered(
    desired: Snapshot,
    current: Snapshot,
    docs: tuple[dict[str, Any], dict[str, Any]],
    inv: Mapping[str, Any],
) -> list[dict[Target, set[str]]]:
    """Targets named by the tests of a side that has no site (see `universe.test_targets`)."""
    return [
        {t: {"policy test"} for t in test_targets(doc, inv)}
        for side, doc in zip((desired, current), docs, strict=True)
        if side.site is None
    ]


def _borrowed(desired: Snapshot, current: Snapshot) -> str:
    for side, other in ((desired, current), (current, desired)):
        if side.site is None and other.site is not None:
            return f"{side.label} has no site: evaluated against the users and devices of {other.label}"
    return ""


# ---------------------------------------------------------------------------------------------
# the adapter: the only place that calls the evaluator


def evaluate_pairs(
    policy_text: str,
    inventory: Mapping[str, Any],
    who: Sequence[str],
    targets: Sequence[Target],
) -> frozenset[Pair]:
    """Every (principal, target) the policy allows in this tailnet."""
    raise NotImplementedError("waiting for compiler.evaluate")


def explain(side: Side, principal: str, target: Target) -> tuple[tuple[str, ...], bool]:
    """The rules that allow `principal` to reach `target`, and whether all are wildcards."""
    return (), False
