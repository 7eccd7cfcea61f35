"""Indexed look-ups answer exactly what a scan would (hypothesis).

NetworkIndex: the oracle is the scan written here with `ipaddress` alone: `value in net` /
`subnet_of` / `overlaps`, never across IP versions, in the order the networks were given.
`users_of`: the oracle expands the references by hand and keeps the users in site order.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from compiler.site.access import users_of
from compiler.site.model import Site
from compiler.site.netindex import NetworkIndex

# Small address spaces, so that containment and overlap are common.
v4 = st.builds(
    lambda a, n: ipaddress.ip_network((a << 24 | (a & 3) << 16, n), strict=False),
    st.integers(0, 3),
    st.integers(6, 32),
)
v6 = st.builds(
    lambda a, n: ipaddress.ip_network((a << 120, n), strict=False),
    st.integers(0, 3),
    st.integers(118, 128),
)
networks = v4 | v6
addresses = st.builds(lambda n, k: n[min(k, n.num_addresses - 1)], networks, st.integers(0, 300))


def _contains(net: Any, value: Any) -> bool:
    if net.version != value.version:
        return False
    if isinstance(value, ipaddress.IPv4Network | ipaddress.IPv6Network):
        return bool(value.subnet_of(net))
    return value in net


@settings(max_examples=300, deadline=None)
@given(st.lists(networks, max_size=12), st.lists(addresses | networks, max_size=6))
def test_containing_is_the_scan(nets: list[Any], values: list[Any]) -> None:
    index = NetworkIndex((net, f"n{i}") for i, net in enumerate(nets))
    for value in values:
        expected = [i for i, net in enumerate(nets) if _contains(net, value)]
        assert index.containing(value) == expected
        assert index.labels(expected) == [f"n{i}" for i in expected]


@settings(max_examples=300, deadline=None)
@given(st.lists(networks, max_size=12), networks)
def test_overlapping_is_the_scan(nets: list[Any], probe: Any) -> None:
    index = NetworkIndex((net, i) for i, net in enumerate([*nets, probe]))
    expected = [
        i
        for i, net in enumerate([*nets, probe])
        if net.version == probe.version and net.overlaps(probe)
    ]
    assert index.overlapping(probe) == expected


def test_labels_once_each_in_order() -> None:
    nets = [ipaddress.ip_network(n) for n in ("10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24")]
    index = NetworkIndex(zip(nets, ["a", "b", "a"], strict=True))
    address = ipaddress.ip_address("10.1.2.3")
    assert index.labels(index.containing(address)) == ["a", "b"]


# -- users_of: the user keys a list of references stands for, in site order -----------------

user_keys = st.lists(st.sampled_from([f"u{i}" for i in range(8)]), unique=True, max_size=8)


@settings(max_examples=200, deadline=None)
@given(user_keys, st.lists(user_keys, max_size=3), st.data())
def test_users_of_is_the_scan(users: list[str], groups: list[list[str]], data: Any) -> None:
    site = Site.model_validate(
        {
            "users": {u: {"login": f"{u}@example.com"} for u in users},
            "groups": {f"g{i}": members for i, members in enumerate(groups)},
        }
    )
    choices = [*users, "u9", "autogroup:member", *(f"group:g{i}" for i in range(4))]
    refs = data.draw(st.lists(st.sampled_from(choices), max_size=5))
    named: set[str] = set()
    for ref in refs:
        if ref == "autogroup:member":
            named.update(users)
        elif ref.startswith("group:"):
            named.update(dict(enumerate(groups)).get(int(ref[7:]), []))
        else:
            named.add(ref)
    assert users_of(site, refs) == tuple(u for u in users if u in named)
