"""Property tests: the policy's `tests`, run on the evaluator's indexes, agree with a plain
re-reading of their meaning, and the index they use agrees with the per-flow question.

`run_tests` answers each entry from one union of admitted sources per (destination, port,
protocols), or for a few sources against a wide grant source by source in the reaching
atoms (both ways are checked), with every test source resolved once; the oracle here walks every source device
and asks the brute-force reference of `test_evaluate_props` about each flow, the way the
reference document (§6) words a test: every device of `src` must (accept) or must not (deny)
reach the entry's address. Stand-in devices for sources without one are modelled from §6
as well, not taken from the code.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from test_evaluate_props import TAGS, USERS, Dev, policies, ref_allowed, tailnets, topology

from compiler.evaluate import Evaluator, as_inventory, parse_policy, policytests, run_tests
from compiler.evaluate.addrs import addr_key
from compiler.evaluate.policytests import with_stand_ins
from compiler.evaluate.ports import ICMP, TCP, UDP

SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SOURCES = [*USERS, "group:staff", *TAGS, "zed@example.com", "100.64.0.1", "100.64.0.2"]
"""Test sources; the addresses are devices d0 and d1, which every generated tailnet has."""
HOSTS = ["box", "10.0.1.7", "100.64.0.9", "100.64.0.1", "100.64.0.2", "100.64.0.4", "d0"]
HOSTS += ["[fd7a:115c:a1e0::1]", "[fd7a:115c:a1e0::3]"]
V4_ONLY = ("box", "net", "10.0.1.0/24")
"""The generator's selectors that name IPv4 prefixes only (so no IPv6 flow matches them)."""
PORTS = ["22", "53", "80", "443", "5432", "22", "80", "http", "70000"]


@st.composite
def open_policies(draw: st.DrawFn) -> dict[str, Any]:
    """The generator's policies, plus (often) a wide grant, so that many entries pass."""
    policy = draw(policies())
    if draw(st.booleans()):
        src = draw(st.sampled_from(["*", *USERS, "group:staff", *TAGS, "box"]))
        dst = draw(st.sampled_from(["*", *USERS, *TAGS, "autogroup:member"]))
        policy["grants"].append({"src": [src], "dst": [dst], "ip": ["*"]})
    return policy


@st.composite
def policy_tests(draw: st.DrawFn) -> list[dict[str, Any]]:
    entry = st.builds(lambda h, p: f"{h}:{p}", st.sampled_from(HOSTS), st.sampled_from(PORTS))
    tests = []
    for _ in range(draw(st.integers(1, 5))):
        test: dict[str, Any] = {"src": draw(st.sampled_from(SOURCES))}
        proto = draw(st.sampled_from([None, "tcp", "udp", "icmp", "bogus"]))
        if proto:
            test["proto"] = proto
        for verdict in ("accept", "deny"):
            entries = draw(st.lists(entry, max_size=4))
            if entries:
                test[verdict] = entries
        tests.append(test)
    return tests


# ---------------------------------------------------------------- the oracle


def with_oracle_stand_ins(devices: list[Dev], tests: list[dict[str, Any]]) -> list[Dev]:
    """§6: a user or tag a test names that has no device is tested from a stand-in device of
    its own, numbered down from 100.127.255.254 in the sources' sorted order."""
    extra = []
    for src in sorted({t["src"] for t in tests}):
        if src.startswith("tag:"):
            needed = not any(src in d.tags for d in devices)
            owner, tags = "", (src,)
        else:
            needed = src in USERS and not any(d.owner == src and not d.tags for d in devices)
            owner, tags = src, ()
        if needed:
            n = len(extra) + 1
            extra.append(Dev(f"stand-in {src}", f"100.127.255.{255 - n}", owner, tags, ""))
    return devices + extra


def source_devices(policy: dict[str, Any], devices: list[Dev], src: str) -> list[Dev]:
    if src[0].isdigit():
        return [d for d in devices if d.ip == src]
    if src.startswith("tag:"):
        return [d for d in devices if src in d.tags]
    members = policy["groups"][src] if src.startswith("group:") else [src]
    return [d for d in devices if not d.tags and d.owner in members]


def v6_view(policy: dict[str, Any]) -> dict[str, Any]:
    """The policy as IPv6 flows see it: identities and `*` mean the same in both families,
    IPv4 prefixes match nothing (here: become a tag no device carries)."""

    def dst(text: str) -> str:
        sel, _, ports = text.rpartition(":")
        return f"tag:none:{ports}" if sel in V4_ONLY else text

    def rule(r: dict[str, Any], acl: bool) -> dict[str, Any]:
        srcs = ["tag:none" if s in V4_ONLY else s for s in r["src"]]
        dsts = [dst(d) if acl else ("tag:none" if d in V4_ONLY else d) for d in r["dst"]]
        return {**r, "src": srcs, "dst": dsts}

    acls = [rule(r, True) for r in policy["acls"]]
    return {**policy, "acls": acls, "grants": [rule(r, False) for r in policy["grants"]]}


def flow_target(policy: dict[str, Any], host: str) -> tuple[dict[str, Any], str]:
    """(policy as the flow's family sees it, the IPv4 address standing for the destination):
    `[fd7a:115c:a1e0::n]` is device 100.64.0.n's IPv6 address in these tailnets."""
    if host.startswith("["):
        return v6_view(policy), f"100.64.0.{int(host.rstrip(']').rpartition(':')[2], 16)}"
    return policy, policy["hosts"].get(host, host)


def oracle_errors(policy: dict[str, Any], devices: list[Dev], test: dict[str, Any]) -> list[str]:
    sources = source_devices(policy, devices, test["src"])
    if not sources:
        return [f'src "{test["src"]}": unknown or invalid test source']
    if not test.get("accept") and not test.get("deny"):
        return ["test has neither accept nor deny"]
    proto = test.get("proto")
    if proto == "bogus":
        return ['proto "bogus": unknown protocol']
    protos = [proto] if proto else ["tcp", "udp"]
    errors = []
    for want, entries in ((True, test.get("accept", [])), (False, test.get("deny", []))):
        for text in entries:
            host, _, port = text.rpartition(":")
            seen, addr = flow_target(policy, host)
            if host == "d0" or not port.isdigit() or int(port) > 65535:
                errors.append(f'address "{text}": invalid test destination')
                continue
            reach = [
                any(ref_allowed(seen, devices, s, addr, int(port), p) for p in protos)
                for s in sources
            ]
            if (all(reach) if want else not any(reach)) is False:
                wanted, got = ("Accept", "Drop") if want else ("Drop", "Accept")
                errors.append(f'address "{text}": want: {wanted}, got: {got}')
    return errors


# ---------------------------------------------------------------- properties


TWO = [Dev("d0", "100.64.0.1", USERS[0], (), ""), Dev("d1", "100.64.0.2", USERS[1], (), "")]
V4_SOURCE = {
    "groups": {"group:staff": []},
    "tagOwners": {t: [USERS[0]] for t in TAGS},
    "hosts": {"box": "100.64.0.1", "net": "10.0.0.0/16"},
    "acls": [],
    "grants": [{"src": ["box"], "dst": ["*"], "ip": ["*"]}],
}
"""A source by IPv4 prefix reaches IPv6 destinations from none of its addresses."""


@SETTINGS
@example(TWO, V4_SOURCE, [{"src": "100.64.0.1", "accept": ["[fd7a:115c:a1e0::2]:80"]}])
@given(devices=tailnets(), policy=open_policies(), tests=policy_tests())
def test_run_tests_agrees_with_walking_every_source(
    devices: list[Dev], policy: dict[str, Any], tests: list[dict[str, Any]]
) -> None:
    parsed = parse_policy(json.dumps({**policy, "tests": tests}))
    inventory = as_inventory(topology(devices))
    everyone = with_oracle_stand_ins(devices, tests)
    want = [(t["src"], errors) for t in tests if (errors := oracle_errors(policy, everyone, t))]
    got = [(f.user, f.errors) for f in run_tests(parsed, inventory)]
    assert got == want
    # The self-check's way: stand-ins added first, the tests run on a shared evaluator.
    joined = with_stand_ins(parsed, inventory)
    shared = run_tests(parsed, joined, Evaluator(parsed, joined))
    assert [(f.user, f.errors) for f in shared] == want
    # Both ways of asking a question: every source through the union of admitted sources
    # (few_sources=0), and each source in the reaching atoms (any atom counts as wide).
    for few, many in ((0, 0), (1_000, 0)):
        ev = Evaluator(parsed, joined)
        runner = policytests.TestRunner(ev, few_sources=few, many_intervals=many)
        failures = [f for t in parsed.tests if (f := runner.run_net(t))]
        assert [(f.user, f.errors) for f in failures] == want, (few, many)


@SETTINGS
@given(devices=tailnets(), policy=open_policies(), data=st.data())
def test_admitted_sources_agree_with_matching(
    devices: list[Dev], policy: dict[str, Any], data: st.DataObject
) -> None:
    """`s in admitted(d, port, protos)` ⇔ some atom matches the flow on one of `protos`, for
    both families and `autogroup:self` rules (whose sources depend on the destination)."""
    ev = Evaluator(parse_policy(json.dumps(policy)), as_inventory(topology(devices)))
    keys = [k for d in ev.inventory.devices for k in d.keys]
    outside = [addr_key("10.0.1.7"), addr_key("100.64.0.9"), addr_key("fd7a:115c:a1e0::99")]
    for _ in range(10):
        d = data.draw(st.sampled_from(keys + outside))
        port = data.draw(st.sampled_from([22, 53, 80, 443, 5432, 8080]))
        protos = data.draw(st.sampled_from([(TCP,), (UDP,), (ICMP,), (TCP, UDP)]))
        admitted = ev.admitted(d, port, protos)
        sources = frozenset(data.draw(st.lists(st.sampled_from(keys + outside), max_size=4)))
        verdicts = {s: any(ev.matching(s, d, port, p) for p in protos) for s in sources}
        assert {s: s in admitted for s in sources} == verdicts
        assert admitted.covers(sources) == all(verdicts.values())
        assert admitted.meets(sources) == any(verdicts.values())
