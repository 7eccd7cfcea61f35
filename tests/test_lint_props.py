"""Property tests: the lints' shortcuts answer as the plain reading they replace.

- `SourceFamilies.none_comparable` (is a deny entry vacuous?) against deciding the flow with
  `allowed(…, "icmp")` and reading its sources, as the lint did per entry;
- `group_used` against searching the joined policy text with the group's own name taken out.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_evaluate_props import policies, tailnets, topology
from test_lint_mentions_props import CHARS, mentioned
from test_policytests_props import HOSTS, SOURCES

from compiler.evaluate import Evaluator, allowed, as_inventory, parse_policy
from compiler.evaluate.inventory import Device, Inventory, User
from compiler.evaluate.lint import (
    LintCtx,
    SourceFamilies,
    group_used,
    lint_unreachable_services,
    lint_vacuous_tests,
)
from compiler.evaluate.matrix import Service, allowed_cells

ENTRIES = [f"{h}:80" for h in [*HOSTS, "nowhere", "[fd7a:115c:a1e0::99]"]]
ONE_FAMILY = ["10.0.1.7", "fd7a:115c:a1e0::42", "box", "net"]
"""Sources with addresses of one family only (no device has them; `net` is a prefix)."""


def vacuous(ev: Evaluator, src: str, entry: str) -> bool:
    """The plain reading: the decision has sources, and none has an address to compare."""
    decision = allowed(ev, None, src, entry.rpartition(":")[0].strip("[]"), 0, "icmp")
    return bool(decision.sources) and all(not r.address for r in decision.sources)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(devices=tailnets(), policy=policies(), data=st.data())
def test_source_families_agree_with_deciding_each_entry(
    devices: list[Any], policy: dict[str, Any], data: st.DataObject
) -> None:
    ev = Evaluator(parse_policy(json.dumps(policy)), as_inventory(topology(devices)))
    families = SourceFamilies(ev)
    pairs = data.draw(
        st.lists(
            st.tuples(st.sampled_from(SOURCES + ONE_FAMILY), st.sampled_from(ENTRIES)), max_size=12
        )
    )
    assert [families.none_comparable(s, e) for s, e in pairs] == [
        vacuous(ev, s, e) for s, e in pairs
    ]


BRACED = st.sampled_from(['"', ":", " ", "a", "{", "}", "é"])
NAMES = st.text(BRACED, max_size=3)


@settings(max_examples=400, deadline=None)
@given(
    groups=st.dictionaries(NAMES, st.lists(st.text(CHARS, max_size=4)), max_size=4),
    extra=st.lists(NAMES, max_size=3),
    data=st.data(),
)
def test_group_used_agrees_with_searching_the_joined_text(
    groups: dict[str, list[str]], extra: list[str], data: st.DataObject
) -> None:
    names = [*groups, *extra]
    # the rest of the policy: random text and, often, the names as members, quoted or bare
    piece = st.text(BRACED, max_size=4)
    if names:
        name = st.sampled_from(names)
        piece |= name.map(lambda n: f'"{n}": ') | name.map(lambda n: f'"{n}"') | name
    rest = "".join(data.draw(st.lists(piece, max_size=6)))
    text, members = "{" + rest + "}", json.dumps(groups)
    for group in names:
        plain = mentioned(group, (text + members).replace(f'"{group}": ', "", 1))
        assert group_used(group, text, members) == plain, group


TEST_TEXTS = st.sampled_from(["a:1", "a:2", "b:1", "[fd7a:115c:a1e0::1]:80"])


@settings(max_examples=150, deadline=None)
@given(
    tests=st.lists(
        st.fixed_dictionaries(
            {"src": st.sampled_from(["u@x", "v@x", "tag:t"])},
            optional={
                "proto": st.sampled_from(["tcp", "udp"]),
                "accept": st.lists(TEST_TEXTS, max_size=4),
                "deny": st.lists(TEST_TEXTS, max_size=4),
            },
        ),
        max_size=6,
    )
)
def test_repeated_test_entries_are_those_seen_before(tests: list[dict[str, Any]]) -> None:
    """`test-duplicate`: an entry whose source, protocol, verdict and text came before, found
    by walking every entry (the lint asks a test's entries as one set when none repeats)."""
    seen: set[tuple[str, str, str, str]] = set()
    want = []
    for i, test in enumerate(tests):
        for verdict in ("accept", "deny"):
            for n, text in enumerate(test.get(verdict, [])):
                key = (test["src"], test.get("proto", ""), verdict, text)
                if key in seen:
                    message = f"test {verdict} {text} from {test['src']} is repeated"
                    want.append((message, ("tests", i, verdict, n)))
                seen.add(key)
    ev = Evaluator(parse_policy(json.dumps({"tests": tests})), as_inventory({}))
    found = lint_vacuous_tests(LintCtx(ev, "policy.hujson"))
    assert [(p.message, p.path) for p in found if p.code == "test-duplicate"] == want


PORTS_ASKED = [22, 53, 80, 443, 5432]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(devices=tailnets(), policy=policies(), data=st.data())
def test_unreachable_services_are_those_nobody_is_allowed(
    devices: list[Any], policy: dict[str, Any], data: st.DataObject
) -> None:
    """The lint's column-wise answer against the plain reading: a service is unreachable
    when `allowed()`, asked for every principal (users and tags) in turn, says no."""
    ev = Evaluator(parse_policy(json.dumps(policy)), as_inventory(topology(devices)))
    names = [d.name for d in devices]
    services = data.draw(
        st.lists(
            st.builds(
                lambda n, p: Service(f"{n}:{p}", n, p),
                st.sampled_from(names),
                st.sampled_from(PORTS_ASKED),
            ),
            max_size=6,
            unique=True,
        )
    )
    ctx = LintCtx(ev, "policy.hujson", tuple(services))
    flagged = [w.message for w in lint_unreachable_services(ctx)]
    # every principal, listed here rather than by the matrix code the lint relies on
    tags = {t for d in ev.inventory.devices for t in d.tags} | set(ev.policy.tag_owners)
    principals = [u.login for u in ev.inventory.users] + sorted(tags)
    expected = [
        f"nobody can reach {svc.label}"
        for svc in services
        if not any(allowed(ev, None, p, svc.device, svc.port, "tcp") for p in principals)
    ]
    assert flagged == expected


def test_two_devices_sharing_a_name_both_count() -> None:
    """ann's two devices are both named laptop; only the second may reach server:22. Every
    device of a principal must reach a service for the principal to: nobody reaches it."""
    ann = "ann@example.com"
    inventory = Inventory(
        (User(ann, "ann"),),
        (
            Device("laptop", ("100.64.0.1", "fd7a:115c:a1e0::1"), owner=ann),
            Device("laptop", ("100.64.0.2", "fd7a:115c:a1e0::2"), owner=ann),
            Device("server", ("100.64.0.3", "fd7a:115c:a1e0::3"), tags=("tag:srv",)),
        ),
    )
    policy = {
        "tagOwners": {"tag:srv": [ann]},
        "acls": [{"action": "accept", "src": ["100.64.0.2"], "dst": ["tag:srv:22"]}],
    }
    ev = Evaluator(parse_policy(json.dumps(policy)), inventory)
    service = Service("server:22", "server", 22)
    assert not allowed(ev, None, ann, "server", 22, "tcp").allowed
    assert list(allowed_cells(ev, None, [ann], [service])) == []
    ctx = LintCtx(ev, "policy.hujson", (service,))
    assert [w.message for w in lint_unreachable_services(ctx)] == ["nobody can reach server:22"]
