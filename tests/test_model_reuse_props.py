"""Reading a policy `like` another (compiler/evaluate/model.py `policy_from_data`): the
entries both hold as written at the same place are taken from the other's reading. The
oracle is the reading without `like`. The two policies share, by construction, entries at
some indexes and differ at others, also in ways Python's `==` does not see (`1` and `True`),
and some entries are skipped (an unknown protocol)."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st
from test_evaluate_props import policies

from compiler.evaluate.model import policy_from_data

tests = st.lists(
    st.fixed_dictionaries(
        {
            "src": st.sampled_from(["ann@example.com", "tag:web", "group:staff"]),
            "accept": st.lists(st.sampled_from(["box:22", "100.64.0.1:80", "net:443"])),
        },
        optional={"proto": st.sampled_from(["tcp", 1, True, "bogus"])},
    ),
    max_size=3,
)
odd_acls = st.lists(
    st.fixed_dictionaries(
        {"action": st.just("accept"), "src": st.just(["*"]), "dst": st.just(["box:22"])},
        optional={"proto": st.sampled_from(["tcp", 6, True, "bogus"])},
    ),
    max_size=2,
)


@st.composite
def pair(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    """Two policies whose sections share the entries at the indexes drawn."""
    first, second = draw(policies()), draw(policies())
    for doc in (first, second):
        doc["tests"] = draw(tests)
        doc["acls"] += draw(odd_acls)
    for section in ("acls", "grants", "tests"):
        mine, theirs = first[section], second[section]
        for i in range(min(len(mine), len(theirs))):
            if draw(st.booleans()):
                theirs[i] = copy.deepcopy(mine[i])
    return first, second


ONE = {"tests": [{"src": "ann@example.com", "proto": 1, "accept": ["box:22"]}]}
TRUE = {"tests": [{"src": "ann@example.com", "proto": True, "accept": ["box:22"]}]}


@settings(max_examples=150, deadline=None)
@given(pair())
@example((ONE, TRUE))  # equal to Python, not as written
def test_reading_like_another_policy_reads_the_same(
    docs: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    first, second = docs
    like = policy_from_data(copy.deepcopy(first))
    assert policy_from_data(second, "", like) == policy_from_data(second)
