"""Golden plans: each case is a before/after pair and the expected text, markdown and json plan.

A case directory holds `before.yaml` and `after.yaml` (site files, compiled as `site.yaml` so
the artifacts read as a real build's), or `after.policy.hujson` for a change the site model
cannot express (a hand-edited policy as the desired side). Besides the goldens, each case
states the facts a reviewer must see (who gains, who loses, the safety reasons), so a golden
rewritten with `--update-goldens` cannot silently lose the point of the case.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from compiler.build import compile_text
from compiler.review import Plan, Snapshot, diff
from compiler.review.planfmt import jsonfmt, markdown, text
from goldens import assert_text

CASES_DIR = Path(__file__).parent / "golden" / "diff"
CASES = sorted(p.name for p in CASES_DIR.iterdir() if p.is_dir())


def snapshot(case: Path, side: str) -> Snapshot:
    site = case / f"{side}.yaml"
    if site.is_file():
        result = compile_text(site.read_text(encoding="utf-8"), "site.yaml")
        return Snapshot(result.files, site.name, site=result.site)
    policy = case / f"{side}.policy.hujson"
    return Snapshot({"policy.hujson": policy.read_bytes()}, policy.name, partial=True)


def plan_for(name: str) -> Plan:
    case = CASES_DIR / name
    return diff(snapshot(case, "after"), snapshot(case, "before"))


def gained(plan: Plan) -> set[tuple[str, str]]:
    return {(c.principal, str(c.target)) for c in plan.access.gained}


def lost(plan: Plan) -> set[tuple[str, str]]:
    return {(c.principal, str(c.target)) for c in plan.access.lost}


def reasons(plan: Plan) -> set[str]:
    return {r.code for r in plan.verdict.reasons}


def test_there_are_enough_cases() -> None:
    assert len(CASES) >= 12


@pytest.mark.parametrize("name", CASES)
def test_plan_matches_golden(name: str, update_goldens: bool) -> None:
    plan = plan_for(name)
    case = CASES_DIR / name
    assert_text(case / "plan.txt", text.render(plan), update_goldens)
    assert_text(case / "plan.md", markdown.render(plan), update_goldens)
    assert_text(case / "plan.json", jsonfmt.render(plan), update_goldens)


def _add_user(plan: Plan) -> None:
    assert gained(plan) == {
        ("partner@example.com", "icon:11434/tcp"),
        ("partner@example.com", "icon:8080/tcp"),
        ("partner@example.com", "192.168.240.1:53/tcp"),
        ("partner@example.com", "192.168.240.1:53/udp"),
    }
    assert not plan.access.lost and plan.safe
    assert [(c.section, c.key, c.details) for c in plan.policy if c.section == "groups"] == [
        ("groups", "group:family", ('+ "partner@example.com"',))
    ]


def _remove_service(plan: Plan) -> None:
    assert lost(plan) == {("emory@github", "icon:8080/tcp"), ("guest@example.com", "icon:8080/tcp")}
    assert not plan.access.gained


def _widen_port(plan: Plan) -> None:
    assert gained(plan) == {
        ("emory@github", "icon:11435/tcp"),
        ("emory@github", "icon:11436/tcp"),
    }
    [grant] = [c for c in plan.policy if c.section == "grants"]
    assert grant.change == "changed" and any(d.startswith("ip:") for d in grant.details)


def _move_device(plan: Plan) -> None:
    assert not plan.access and plan.safe
    moved = {(c.zone, c.key, c.change) for c in plan.dns if c.kind == "record"}
    assert ("iow.kvet.ch", "wintendo.iow.kvet.ch A", "removed") in moved
    assert ("phl.kvet.ch", "wintendo.phl.kvet.ch A", "added") in moved


def _drop_break_glass(plan: Plan) -> None:
    assert {("emory@github", "icon:22/tcp"), ("emory@github", "wintendo:22/tcp")} <= lost(plan)
    assert "break-glass" in reasons(plan)


def _split_dns(plan: Plan) -> None:
    assert ("split-dns", "phl.kvet.ch", "192.168.240.1", "192.168.240.53") in {
        (c.kind, c.key, c.old, c.new) for c in plan.dns
    }
    assert ("emory@github", "192.168.240.53:53/udp") in gained(plan)
    assert ("emory@github", "192.168.240.1:53/udp") in lost(plan)


def _comment_only(plan: Plan) -> None:
    assert not plan.access and not plan.policy and not plan.dns and not plan.launch
    assert plan.files and plan.safe  # line numbers in the artifacts' comments moved


def _exit_widen(plan: Plan) -> None:
    assert ("partner@example.com", "internet via exit nodes") in gained(plan)
    assert "internet" in reasons(plan)


def _lose_most(plan: Plan) -> None:
    assert "lost-access" in reasons(plan)
    assert len(plan.access.lost) / plan.access.existing > 0.3


def _nameservers(plan: Plan) -> None:
    # a search path sends everyone's short names to that zone's resolver: they need port 53
    assert ("guest@example.com", "192.168.240.1:53/udp") in gained(plan)
    assert {(c.kind, c.change, c.key) for c in plan.dns} >= {
        ("nameserver", "added", "9.9.9.9"),
        ("nameserver", "changed", "1.1.1.1"),
        ("search-path", "added", "phl.kvet.ch"),
    }


def _unpin(plan: Plan) -> None:
    # the grants now aim at tag:ai, which wintendo carries too: access widens
    assert ("guest@example.com", "wintendo:8080/tcp") in gained(plan)


def _launch_bind(plan: Plan) -> None:
    assert not plan.access
    assert plan.launch and {c.device for c in plan.launch} == {"icon"}


def _identical(plan: Plan) -> None:
    assert not plan.changed and plan.safe


def _ssh_reorder(plan: Plan) -> None:
    assert [(c.section, c.change) for c in plan.policy] == [("ssh", "reordered")]


def _location_allow(plan: Plan) -> None:
    assert gained(plan) == {("location:phl", "icon:8080/tcp")}


def _star(plan: Plan) -> None:
    assert "wildcard" in reasons(plan)
    assert plan.access.gained and all(c.wildcard for c in plan.access.gained)
    assert not plan.dns and not plan.launch  # a lone policy file compares only the policy


def _remove_device(plan: Plan) -> None:
    """Retiring wintendo: its service goes, and so does a declared break-glass path."""
    assert lost(plan) >= {
        ("emory@github", "wintendo:11434/tcp"),
        ("partner@example.com", "wintendo:11434/tcp"),
        ("emory@github", "wintendo:22/tcp"),
    }
    assert "break-glass" in reasons(plan) and not plan.access.gained
    assert ("record", "removed", "wintendo.iow.kvet.ch A") in {
        (c.kind, c.change, c.key) for c in plan.dns
    }


EXPECT: dict[str, Callable[[Plan], None]] = {
    "add-user-to-group": _add_user,
    "remove-service": _remove_service,
    "widen-port": _widen_port,
    "move-device-location": _move_device,
    "drop-break-glass": _drop_break_glass,
    "split-dns-resolver": _split_dns,
    "comment-only": _comment_only,
    "exit-node-widen": _exit_widen,
    "lose-most-access": _lose_most,
    "nameservers": _nameservers,
    "unpin-device": _unpin,
    "launch-bind": _launch_bind,
    "identical": _identical,
    "ssh-reorder": _ssh_reorder,
    "location-allow": _location_allow,
    "star-grant": _star,
    "remove-device": _remove_device,
}


def test_every_case_has_expectations() -> None:
    assert sorted(EXPECT) == CASES


@pytest.mark.parametrize("name", CASES)
def test_plan_says_what_matters(name: str) -> None:
    EXPECT[name](plan_for(name))
