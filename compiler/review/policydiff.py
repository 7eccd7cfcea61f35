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

from compiler.review.canonical import Keys, canonical, key, show

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

    def sort_key(self, keys: Keys | None = None) -> tuple[int, int, str, str]:
        """Section, kind of change, name, then the key of both values (from `keys` when the
        caller holds one for the whole comparison)."""
        values = [self.old, self.new]
        both = key(values) if keys is None else keys.items(values)
        return (_section_rank(self.section), _RANK[self.change], self.key, both)


def _section_rank(section: str) -> int:
    return SECTIONS.index(section) if section in SECTIONS else len(SECTIONS)


def policy_changes(
    desired: dict[str, Any], current: dict[str, Any], keys: Keys | None = None
) -> list[PolicyChange]:
    """Every semantic difference between two parsed policies, sections in Tailscale's order
    (each value's canonical key computed once: see `canonical.Keys`, which the caller may
    hold for a larger comparison of the same documents)."""
    keys = keys or Keys()
    changes: list[PolicyChange] = []
    for section in sorted(desired.keys() | current.keys(), key=lambda s: (_section_rank(s), s)):
        changes.extend(section_changes(section, desired.get(section), current.get(section), keys))
    return sorted(changes, key=lambda c: c.sort_key(keys))


def section_changes(
    section: str, new: Any, old: Any, keys: Keys | None = None
) -> Iterator[PolicyChange]:
    """A missing section compares as an empty one of the other side's type, so a new `hosts`
    section reads as hosts added one by one."""
    keys = keys or Keys()
    if _same(section, new, old, keys):
        return
    if new is None or old is None:
        present = old if new is None else new
        if not isinstance(present, dict | list):
            yield PolicyChange(section, "added" if old is None else "removed", "", old, new)
            return
        new, old = (type(present)(), old) if new is None else (new, type(present)())
    if isinstance(new, dict) and isinstance(old, dict):
        yield from _object_changes(section, new, old, keys)
    elif isinstance(new, list) and isinstance(old, list):
        yield from _list_changes(section, new, old, keys)
    else:
        yield PolicyChange(section, "changed", "", old, new, describe(old, new, keys))


def _same(section: str, new: Any, old: Any, keys: Keys) -> bool:
    """Most sections of two policies are identical: that is found without their keys."""
    if keys.identical(new, old):
        return True
    if section in ORDERED and isinstance(new, list) and isinstance(old, list):
        return [keys(r) for r in new] == [keys(r) for r in old]
    return keys(new) == keys(old)


def _object_changes(
    section: str, new: dict[str, Any], old: dict[str, Any], keys: Keys
) -> Iterator[PolicyChange]:
    for name in sorted(old.keys() - new.keys()):
        yield PolicyChange(section, "removed", name, old[name], None)
    for name in sorted(new.keys() - old.keys()):
        yield PolicyChange(section, "added", name, None, new[name])
    for name in sorted(new.keys() & old.keys()):
        if keys(new[name]) != keys(old[name]):
            yield PolicyChange(
                section, "changed", name, old[name], new[name], describe(old[name], new[name], keys)
            )


def _list_changes(
    section: str, new: list[Any], old: list[Any], keys: Keys
) -> Iterator[PolicyChange]:
    removed, added = _multiset_difference(old, new, keys)
    for before, after in _pairs(removed, added, keys):
        if before is None:
            yield PolicyChange(section, "added", "", None, after)
        elif after is None:
            yield PolicyChange(section, "removed", "", before, None)
        else:
            yield PolicyChange(section, "changed", "", before, after, describe(before, after, keys))
    if section in ORDERED and not removed and not added and not _same(section, new, old, keys):
        yield PolicyChange(section, "reordered", "", old, new)


def _multiset_difference(old: list[Any], new: list[Any], keys: Keys) -> tuple[list[Any], list[Any]]:
    """Items only in `old` and only in `new`, by canonical key (each list keeps its order)."""
    old_keys, new_keys = Counter(map(keys, old)), Counter(map(keys, new))
    removed = _take(old, old_keys - new_keys, keys)
    added = _take(new, new_keys - old_keys, keys)
    return removed, added


def _take(items: list[Any], wanted: Counter[str], keys: Keys) -> list[Any]:
    out = []
    for item in items:
        k = keys(item)
        if wanted[k] > 0:
            wanted[k] -= 1
            out.append(item)
    return out


def _pairs(removed: list[Any], added: list[Any], keys: Keys) -> Iterator[tuple[Any, Any]]:
    """A removed and an added rule that differ in exactly one field are one changed rule;
    the rest stay removed or added. Pairing is greedy in file order, so it is deterministic:
    each removed rule takes the first added rule still free that is one field apart. The
    candidates are found by hash join (an added rule is filed under each field it could be
    the one that differs in: the key of all its other fields), not by comparing all pairs."""
    filed: dict[tuple[Any, ...], list[int]] = {}
    for index, after in enumerate(added):
        for signature in _signatures(after, keys):
            filed.setdefault(signature, []).append(index)
    free = [True] * len(added)
    for before in removed:
        candidates = (i for s in _signatures(before, keys) for i in filed.get(s, ()) if free[i])
        match = min(
            (i for i in candidates if _one_field_apart(before, added[i], keys)), default=None
        )
        if match is not None:  # the first free rule equal to it goes, as list.remove takes it
            same = (i for i in range(match) if free[i] and added[i] == added[match])
            free[next(same, match)] = False
        yield before, None if match is None else added[match]
    yield from ((None, after) for after, left in zip(added, free, strict=True) if left)


def _signatures(rule: Any, keys: Keys) -> list[tuple[Any, ...]]:
    """One per field of an object: its field names, the field left out, and the keys of the
    others. Two objects one field apart share the signature that leaves out that field."""
    if not isinstance(rule, dict):
        return []
    names = frozenset(rule)
    fields = {name: keys(value) for name, value in rule.items()}
    return [
        (names, name, frozenset(item for item in fields.items() if item[0] != name))
        for name in rule
    ]


def _one_field_apart(a: Any, b: Any, keys: Keys) -> bool:
    if not (isinstance(a, dict) and isinstance(b, dict)) or a.keys() != b.keys():
        return False
    return sum(keys(a[k]) != keys(b[k]) for k in a) == 1


def describe(old: Any, new: Any, keys: Keys | None = None) -> tuple[str, ...]:
    """What changed inside a value, one line per leaf: `src: + "partner@example.com"`.

    Two objects with the same members differ only inside the members whose keys differ, so
    those alone are handed to DeepDiff (under their name): what it says of a whole object is
    what it says of each member at that member's path, and most of a rule is unchanged."""
    keys = keys or Keys()
    if _same_names(old, new):
        lines = [
            line
            for name in old
            if keys(old[name]) != keys(new[name])
            for line in _member_lines(old[name], new[name], (name,), keys)
        ]
        return tuple(sorted(lines))
    return tuple(sorted(_deep_lines(old, new, ())))


def _member_lines(old: Any, new: Any, prefix: tuple[str, ...], keys: Keys) -> list[str]:
    """`_deep_lines`, once per distinct pair of keys: DeepDiff reads only the canonical
    forms, which the keys stand for, and one edit often repeats over many rules (a moved
    port, in every test that lists it)."""
    memo = (keys(old), keys(new), prefix)
    return keys.once(memo, lambda: list(_deep_lines(old, new, prefix)))


def _same_names(old: Any, new: Any) -> bool:
    return (
        isinstance(old, dict)
        and isinstance(new, dict)
        and old.keys() == new.keys()
        and all(isinstance(name, str) for name in old)
    )


def _deep_lines(old: Any, new: Any, prefix: tuple[str, ...]) -> Iterator[str]:
    tree = DeepDiff(canonical(old), canonical(new), ignore_order=True, view="tree")
    for report_type, items in tree.items():
        for item in items:
            yield _detail(report_type, item, prefix)


def _detail(report_type: str, item: Any, prefix: tuple[str, ...] = ()) -> str:
    path = [*prefix, *item.path(output_format="list")]
    where = ".".join(str(p) for p in path if not isinstance(p, int))
    label = f"{where}: " if where else ""
    if report_type.endswith("_added"):
        return f"{label}+ {show(item.t2)}"
    if report_type.endswith("_removed"):
        return f"{label}- {show(item.t1)}"
    return f"{label}{show(item.t1)} → {show(item.t2)}"
