"""Properties of the review diff on random sites (tests/sitegen.py).

- `diff(x, x)` is empty: nothing changed, nothing to apply, safe.
- For two random sites, the access changes are exactly the set differences of the two
  evaluator matrices, each computed here cell by cell with `evaluate.allowed` (the plan itself
  goes through `evaluate.matrix` for device ports), over the same principals and targets.
  Independent sites exercise the general path; a site and an edit of its services (same
  tailnet, a few rules changed) exercise the path that reuses one side's answers.
"""

from __future__ import annotations

import copy
import sys
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler import evaluate
from compiler.build import compile_text
from compiler.evaluate.matrix import default_services
from compiler.review import Snapshot, diff
from compiler.review.diff import parse_policy
from compiler.review.evaluation import _allowed, prepare, principals
from compiler.review.universe import Target, for_site, site_targets, union
from compiler.site.inventory import inventory_from_site
from compiler.site.model import Site
from sitegen import sites

diff_module = sys.modules["compiler.review.diff"]  # the package's `diff` is the function

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def snapshot(site: dict[str, Any], label: str) -> Snapshot:
    result = compile_text(yaml.safe_dump(site, sort_keys=False), "site.yaml")
    return Snapshot(result.files, label, site=result.site)


@SETTINGS
@given(sites())
def test_diff_of_a_site_with_itself_is_empty(site: dict[str, Any]) -> None:
    snap = snapshot(site, "site.yaml")
    plan = diff(snap, snap)
    assert not plan.changed
    assert plan.safe
    assert not plan.files and not plan.policy and not plan.dns and not plan.launch
    assert not plan.access.gained and not plan.access.lost


def _policy(snap: Snapshot) -> str:
    return snap.files["policy.hujson"].decode()


def _rule_targets(snap: Snapshot, inventory: dict[str, Any]) -> set[Target]:
    ev = evaluate.evaluator(_policy(snap), inventory)
    devices = ev.inventory.device_by_name
    return {
        Target(s.device, devices[s.device].addresses[0], "tcp", s.port)
        for s in default_services(ev)
    }


def _matrix(
    snap: Snapshot, site: Site, who: dict[str, str], targets: list[Target]
) -> set[tuple[str, Target]]:
    """Every (principal, target) cell the side's policy allows, asked one by one."""
    inventory = inventory_from_site(site)
    policy = _policy(snap)
    return {
        (principal, target)
        for principal, src in who.items()
        for target in for_site(targets, site)
        if evaluate.allowed(policy, inventory, src, target.address, target.port, target.proto)
    }


@SETTINGS
@given(sites(), sites())
def test_access_changes_are_the_matrix_difference(a: dict[str, Any], b: dict[str, Any]) -> None:
    check_against_matrices(a, b)


@st.composite
def edited(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    """A site and a copy whose services allow other principals or moved a port."""
    a = draw(sites())
    b = copy.deepcopy(a)
    principals = [*a["users"], *(f"group:{g}" for g in a["groups"]), "autogroup:member"]
    for svc in b["services"].values():
        if draw(st.booleans()):
            svc["allow"] = draw(st.lists(st.sampled_from(principals), max_size=3, unique=True))
        if draw(st.booleans()):
            svc["port"] = [p + 1000 for p in svc["port"]]
    return a, b


@SETTINGS
@given(edited())
def test_access_changes_when_only_rules_change(pair: tuple[dict[str, Any], dict[str, Any]]) -> None:
    check_against_matrices(*pair)


def check_against_matrices(a: dict[str, Any], b: dict[str, Any]) -> None:
    new, old = snapshot(a, "a.yaml"), snapshot(b, "b.yaml")
    assert new.site is not None and old.site is not None
    plan = diff(new, old)
    who = principals(new.site, old.site)
    targets = union(site_targets(new.site), site_targets(old.site))
    extra = _rule_targets(new, inventory_from_site(new.site)) | _rule_targets(
        old, inventory_from_site(old.site)
    )
    universe = sorted(set(targets) | extra)
    after = _matrix(new, new.site, who, universe)
    before = _matrix(old, old.site, who, universe)
    assert {(c.principal, c.target) for c in plan.access.gained} == after - before
    assert {(c.principal, c.target) for c in plan.access.lost} == before - after
    assert plan.access.existing == len(before)
    assert plan.access.allowed == len(after)


@SETTINGS
@given(sites())
def test_sources_admitted_per_atoms_is_allowed_cell_by_cell(site: dict[str, Any]) -> None:
    """`evaluation._allowed` finds a target's principals once per set of reaching atoms;
    asked of every principal and every target (device ports too, whose atoms differ), it
    answers as `evaluate.allowed` does cell by cell."""
    snap = snapshot(site, "a.yaml")
    assert snap.site is not None
    inventory = inventory_from_site(snap.site)
    side = prepare(_policy(snap), parse_policy(snap), inventory)
    who = principals(snap.site)
    targets = for_site(
        sorted(set(site_targets(snap.site)) | _rule_targets(snap, inventory)), snap.site
    )
    expected = {
        (principal, target)
        for principal, src in who.items()
        for target in targets
        if evaluate.allowed(
            _policy(snap), inventory, src, target.address, target.port, target.proto
        )
    }
    assert set(_allowed(side, who, targets)) == expected


@st.composite
def devices_edited(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    """A site and a copy with the same users whose devices moved address (so the two
    tailnets differ, and the review must not take one side's inventory for the other's)."""
    a = draw(sites())
    b = copy.deepcopy(a)
    for name, dev in b["devices"].items():
        if name.startswith("d") and draw(st.booleans()):
            dev["tailscale_ip"] = dev["tailscale_ip"].replace("100.64.0.", "100.64.1.")
    return a, b


@SETTINGS
@given(devices_edited())
def test_access_changes_when_only_devices_change(
    pair: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    check_against_matrices(*pair)
