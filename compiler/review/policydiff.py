"""Policy changes by section, compared by meaning rather than by text (pure).

Both policies are parsed (comments and layout are gone at that point), then each top-level
section is compared on its canonical form (see `canonical`): reordering a group's members or
the grants, repeating a selector, or re-formatting the file changes nothing. What did change is
reported the way a reviewer reads a policy: a group or host that appeared, disappeared or
changed; a rule added or removed; and a rule that differs from an old one in one field only
(a widened port, a new source) as a single "changed" rule, with deepdiff saying what moved.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from deepdiff import DeepDiff

from compiler.review.canonical import canonical, key, show

# Tailscale's sections in the order its own documentation lists them; others follow, sorted.
SECTIONS: tuple[str, ...] = ("groups", "tagOwners", "hosts", "grants", "acls", "ssh")
SECTIONS += ("autoApprovers", "nodeAttrs", "postures", "ipsets", "tests", "sshTests")
ORDERED = frozenset({"ssh"})  # first matching rule wins: the order of rules means something
_RANK = {"removed": 0, "added": 1, "changed": 2, "reordered": 3}


@dataclass(frozen=True)
class PolicyChange:
    """One change in one section. `key` names an object member (`group:family`); rules in a
    list section have no name, so `old`/`new` carry the whole rule."""

    section: str
    change: str  # removed | added | changed | reordered
    key: str = ""
    old: Any = None
    new: Any = None
    details: tuple[str, ...] = ()

    def sort_key(self) -> tuple[int, int, str, str]:
        return (
            _section_rank(self.section),
            _RANK[self.change],
            self.key,
            key([self.old, self.new]),
        )


def _section_rank(section: str) -> int:
    return SECTIONS.index(section) if section in SECTIONS else len(SECTIONS)


def policy_changes(desired: dict[str, Any], current: dict[str, Any]) -> list[PolicyChange]:
    """Every semantic difference between two parsed policies, sections in Tailscale's order."""
    changes: list[PolicyChange] = []
    for section in sorted(desired.keys() | current.keys(), key=lambda s: (_section_rank(s), s)):
        changes.extend(section_changes(section, desired.get(section), current.get(section)))
    return sorted(changes, key=PolicyChange.sort_key)


def section_changes(section: str, new: Any, old: Any) -> Iterator[PolicyChange]:
    """A missing section compares as an empty one of the other side's type, so a new `hosts`
    section reads as hosts added one by one."""
    if _same(section, new, old):
        return
    if new is None or old is None:
        present = old if new is None else new
        if not isinstance(present, dict | list):
            yield PolicyChange(section, "added" if old is None else "removed", "", old, new)
            return
        new, old = (type(present)(), old) if new is None else (new, type(present)())
    if isinstance(new, dict) and isinstance(old, dict):
        yield from _object_changes(section, new, old)
    elif isinstance(new, list) and isinstance(old, list):
        yield from _list_changes(section, new, old)
    else:
        yield PolicyChange(section, "changed", "", old, new, describe(old, new))


def _same(section: str, new: Any, old: Any) -> bool:
    if section in ORDERED and isinstance(new, list) and isinstance(old, list):
        return [key(r) for r in new] == [key(r) for r in old]
    return key(new) == key(old)


def _object_changes(
    section: str, new: dict[str, Any], old: dict[str, Any]
) -> Iterator[PolicyChange]:
    for name in sorted(old.keys() - new.keys()):
        yield PolicyChange(section, "removed", name, old[name], None)
    for name in sorted(new.keys() - old.keys()):
        yield PolicyChange(section, "added", name, None, new[name])
    for name in sorted(new.keys() & old.keys()):
        if key(new[name]) != key(old[name]):
            yield PolicyChange(
                section, "changed", name, old[name], new[name], describe(old[name], new[name])
            )


def _list_changes(section: str, new: list[Any], old: list[Any]) -> Iterator[PolicyChange]:
    removed, added = _multiset_difference(old, new)
    for before, after in _pairs(removed, added):
        if before is None:
            yield PolicyChange(section, "added", "", None, after)
        elif after is None:
            yield PolicyChange(section, "removed", "", before, None)
        else:
            yield PolicyChange(section, "changed", "", before, after, describe(before, after))
    if section in ORDERED and not removed and not added and not _same(section, new, old):
        yield PolicyChange(section, "reordered", "", old, new)


def _multiset_difference(old: list[Any], new: list[Any]) -> tuple[list[Any], list[Any]]:
    """Items only in `old` and only in `new`, by canonical key (each list keeps its order)."""
    old_keys, new_keys = Counter(map(key, old)), Counter(map(key, new))
    removed = _take(old, old_keys - new_keys)
    added = _take(new, new_keys - old_keys)
    return removed, added


def _take(items: list[Any], wanted: Counter[str]) -> list[Any]:
    out = []
    for item in items:
        k = key(item)
        if wanted[k] > 0:
            wanted[k] -= 1
            out.append(item)
    return out


def _pairs(removed: list[Any], added: list[Any]) -> Iterator[tuple[Any, Any]]:
    """A removed and an added rule that differ in exactly one field are one changed rule;
    the rest stay removed or added. Pairing is greedy in file order, so it is deterministic."""
    left = list(added)
    for before in removed:
        match = next((a for a in left if _one_field_apart(before, a)), None)
        if match is None:
            yield before, None
        else:
            left.remove(match)
            yield before, match
    for after in left:
        yield None, after


def _one_field_apart(a: Any, b: Any) -> bool:
    if not (isinstance(a, dict) and isinstance(b, dict)) or a.keys() != b.keys():
        return False
    return sum(key(a[k]) != key(b[k]) for k in a) == 1


def describe(old: Any, new: Any) -> tuple[str, ...]:
    """What changed inside a value, one line per leaf: `src: + "partner@example.com"`."""
    tree = DeepDiff(canonical(old), canonical(new), ignore_order=True, view="tree")
    lines = []
    for report_type, items in tree.items():
        for item in items:
            lines.append(_detail(report_type, item))
    return tuple(sorted(lines))


def _detail(report_type: str, item: Any) -> str:
    where = ".".join(str(p) for p in item.path(output_format="list") if not isinstance(p, int))
    label = f"{where}: " if where else ""
    if report_type.endswith("_added"):
        return f"{label}+ {show(item.t2)}"
    if report_type.endswith("_removed"):
        return f"{label}- {show(item.t1)}"
    return f"{label}{show(item.t1)} → {show(item.t2)}"
