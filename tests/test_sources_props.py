"""Property tests: a rule's sources read as keys (`Sources.points`) and the union of admitted
sources built from them agree with plain sets of integers, and the atoms reaching a
destination (found through the destination index) with a walk over every atom.

The evaluator joins the sources of small rules as key sets instead of merging intervals and
skips the merge when the keys already say how many intervals there can be; the oracle here
is Python's `set` over the same addresses, with intervals counted as runs of consecutive
keys. Sets are drawn on a short line so that they fall on both sides of the 256-key limits.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_evaluate_props import Dev, policies, tailnets, topology

from compiler.evaluate import Evaluator, as_inventory, parse_policy
from compiler.evaluate.addrs import POINTS_LIMIT, AddrSet, addr_key
from compiler.evaluate.ports import ICMP, TCP, UDP
from compiler.evaluate.resolve import Sources
from compiler.evaluate.rules import EXACT_LIMIT, _plain_admitted

SETTINGS = settings(max_examples=150, deadline=None)
LINE = 700
"""Keys are drawn from 0..LINE: wide enough for sets above the limits, small enough to walk."""


@st.composite
def addr_sets(draw: st.DrawFn) -> AddrSet:
    """Points and runs, some long enough to pass the 256-key limits on their own."""
    spans = draw(
        st.lists(
            st.tuples(st.integers(0, LINE), st.sampled_from([0, 0, 1, 3, 40, 200, 300])),
            max_size=8,
        )
    )
    return AddrSet.of((lo, min(lo + n, LINE)) for lo, n in spans)


def keys(addrs: AddrSet) -> set[int]:
    """The plain reading of a set: every key of every interval."""
    return {k for lo, hi in addrs.intervals for k in range(lo, hi + 1)}


def runs(found: set[int]) -> int:
    """How many intervals a set of keys is: keys whose predecessor is not in it start one."""
    return sum(1 for k in found if k - 1 not in found)


@SETTINGS
@given(parts=st.lists(addr_sets(), max_size=4), dropped=addr_sets(), n=st.integers(0, 300))
def test_sources_agree_with_plain_sets(parts: list[AddrSet], dropped: AddrSet, n: int) -> None:
    src = Sources(tuple(parts), dropped)
    want = set().union(*(keys(p) for p in parts)) - keys(dropped)
    assert keys(src.addrs) == want
    small_parts = all(len(keys(p)) <= POINTS_LIMIT for p in parts)
    if small_parts and len(want) <= POINTS_LIMIT:
        assert src.points == want
    else:
        assert src.points is None
    assert src.more_intervals_than(n) == (runs(want) > n)


@SETTINGS
@given(parts=st.lists(st.lists(addr_sets(), min_size=1, max_size=3), max_size=4))
def test_plain_admitted_is_the_union_of_the_sources(parts: list[list[AddrSet]]) -> None:
    plain = [Sources(tuple(p)) for p in parts]
    found, wide = _plain_admitted(plain)
    want = set().union(*(keys(p) for group in parts for p in group))
    assert found | keys(wide) == want
    # Exact keys for a small union, intervals (and no keys) for a large one.
    assert (found, wide) == (
        (frozenset(want), AddrSet()) if len(want) <= EXACT_LIMIT else (frozenset(), wide)
    )


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(devices=tailnets(), policy=policies(), data=st.data())
def test_reaching_is_every_atom_holding_the_address_in_policy_order(
    devices: list[Dev], policy: dict[str, Any], data: st.DataObject
) -> None:
    """`Evaluator.reaching` (found through the destination index) against a walk over every
    atom: its destination holds the address and its ports admit the flow, in policy order."""
    ev = Evaluator(parse_policy(json.dumps(policy)), as_inventory(topology(devices)))
    keys = [k for d in ev.inventory.devices for k in d.keys]
    outside = [addr_key("10.0.1.7"), addr_key("8.8.8.8"), addr_key("fd7a:115c:a1e0::99")]
    for _ in range(10):
        d = data.draw(st.sampled_from(keys + outside))
        port = data.draw(st.sampled_from([22, 53, 80, 443, 5432]))
        proto = data.draw(st.sampled_from([TCP, UDP, ICMP]))
        want = [a for a in ev.atoms if holds(a.dst, d) and a.spec.admits(port, proto)]
        assert list(ev.reaching(d, port, proto)) == want


def holds(addrs: AddrSet, key: int) -> bool:
    """Membership by walking the intervals (no bisection, no index)."""
    return any(lo <= key <= hi for lo, hi in addrs.intervals)
