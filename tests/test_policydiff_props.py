"""The policy diff's indexed parts against the naive forms written here
(compiler/review/canonical.py, compiler/review/policydiff.py):

- `Keys` (each value's key built once, from its children's) is the JSON text of the
  canonical form, computed here by sorting and de-duplicating recursively;
- pairing removed and added rules by hash join is the greedy pairwise scan in file order;
- `describe` of two objects with the same members is DeepDiff of the whole objects.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from deepdiff import DeepDiff
from hypothesis import example, given, settings
from hypothesis import strategies as st

from compiler.review.canonical import Keys
from compiler.review.policydiff import _detail, _pairs, describe

SETTINGS = settings(max_examples=150, deadline=None)
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 3), st.sampled_from(["a", "b", "é", "1", ""])
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.sampled_from("abc"), inner, max_size=3)
    ),
    max_leaves=12,
)


def naive_key(value: Any) -> str:
    def canon(v: Any) -> Any:
        if isinstance(v, dict):
            return {str(k): canon(x) for k, x in v.items()}
        if isinstance(v, list | tuple):
            texts = {json.dumps(canon(x), sort_keys=True, ensure_ascii=False): canon(x) for x in v}
            return [texts[t] for t in sorted(texts)]
        return v

    return json.dumps(canon(value), sort_keys=True, ensure_ascii=False, separators=(",", ":"))


@SETTINGS
@given(st.lists(values, max_size=4))
def test_keys_are_the_canonical_json(items: list[Any]) -> None:
    keys = Keys()
    shared = items[0] if items else None
    # asked again, as parts of a larger value, and as copies (objects known by their bytes)
    for value in [*items, shared, items, *copy.deepcopy(items)]:
        assert keys(value) == naive_key(value)
    assert keys.items(items) == naive_key(items)


@SETTINGS
@given(values, values)
def test_identical_values_have_equal_keys(a: Any, b: Any) -> None:
    keys = Keys()
    assert keys.identical(a, a)  # a copy may differ in marshal's back-references: not known
    if keys.identical(a, b):
        assert naive_key(a) == naive_key(b)
    keys(a)  # known by its bytes: `b` may only share its key if it is the same value
    assert keys(b) == naive_key(b)


# 1 == True in Python but not in JSON: `list.remove` in the greedy scan takes the first rule
# equal by Python's ==, which the hash join must take too
rules = st.dictionaries(
    st.sampled_from(["src", "dst", "ip"]),
    st.one_of(st.lists(st.sampled_from(["x", "y", "z"]), max_size=2), st.sampled_from([1, True])),
    max_size=3,
)


def naive_pairs(removed: list[Any], added: list[Any]) -> list[tuple[Any, Any]]:
    def apart(a: Any, b: Any) -> bool:
        if not (isinstance(a, dict) and isinstance(b, dict)) or a.keys() != b.keys():
            return False
        return sum(naive_key(a[k]) != naive_key(b[k]) for k in a) == 1

    out, left = [], list(added)
    for before in removed:
        match = next((a for a in left if apart(before, a)), None)
        if match is not None:
            left.remove(match)
        out.append((before, match))
    return out + [(None, a) for a in left]


@SETTINGS
@given(
    st.lists(st.one_of(rules, scalars), max_size=6), st.lists(st.one_of(rules, scalars), max_size=6)
)
@example([{"ip": 1, "src": ["z"]}], [{"ip": True, "src": ["y"]}, {"ip": 1, "src": ["y"]}])
def test_pairing_is_the_greedy_scan(removed: list[Any], added: list[Any]) -> None:
    assert repr(list(_pairs(removed, added, Keys()))) == repr(naive_pairs(removed, added))


def whole_describe(old: Any, new: Any) -> tuple[str, ...]:
    tree = DeepDiff(
        json.loads(naive_key(old)), json.loads(naive_key(new)), ignore_order=True, view="tree"
    )
    return tuple(sorted(_detail(kind, item) for kind, items in tree.items() for item in items))


@SETTINGS
@given(st.dictionaries(st.sampled_from(["src", "dst", "ip", "via"]), values, max_size=4), st.data())
def test_describe_by_member_is_deepdiff_of_the_whole(
    old: dict[str, Any], data: st.DataObject
) -> None:
    new = {k: data.draw(st.one_of(st.just(v), values)) for k, v in old.items()}
    assert describe(old, new) == whole_describe(old, new)
