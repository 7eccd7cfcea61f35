"""The policy compiler's decisions, on the IR (before rendering)."""

from __future__ import annotations

from compiler.emit.policy import compile_policy
from compiler.errors import Severity
from compiler.site.loader import load_text

SITE = """
plan: personal
users:
  a: {login: a@example.com, role: admin}
  b: {login: b@example.com}
  c: {login: c@example.com}
groups:
  g1: [a, b, c]
  g2: [a, b]
  g3: [a]
  g4: [b, c]
tags:
  ai: {owners: [a]}
devices:
  box: {os: linux, tags: [ai], tailscale_ip: 100.64.0.1}
services:
  x: {device: box, port: 1000, allow: [group:g3]}
  y: {device: box, port: [2000, 2001], protocol: udp, allow: [group:g1]}
  z: {device: box, port: 3000, allow: [b]}
"""


def test_groups_over_plan_limit_are_inlined_smallest_first() -> None:
    ir = compile_policy(load_text(SITE))
    assert set(ir.sections["groups"]) == {"group:g1", "group:g2", "group:g4"}
    assert ir.sections["grants"][0]["src"] == ["a@example.com"]
    [warning] = [p for p in ir.problems if p.code == "plan-groups"]
    assert warning.severity is Severity.WARNING
    assert (
        warning.message
        == "4 groups, but the personal plan allows 3 ACL groups: inlined group:g3 as member logins"
    )


def test_one_grant_per_service_with_exact_ports() -> None:
    ir = compile_policy(load_text(SITE))
    grants = ir.sections["grants"]
    assert grants[1] == {"src": ["group:g1"], "dst": ["box"], "ip": ["udp:2000", "udp:2001"]}
    assert grants[2] == {"src": ["b@example.com"], "dst": ["box"], "ip": ["tcp:3000"]}


def test_tests_accept_allowed_and_deny_other_ports_on_the_device() -> None:
    ir = compile_policy(load_text(SITE))
    tests = {(t["src"], t["proto"]): t for t in ir.sections["tests"]}
    assert tests[("a@example.com", "tcp")] == {
        "src": "a@example.com",
        "proto": "tcp",
        "accept": ["box:1000"],
        "deny": ["box:3000"],
    }
    assert tests[("c@example.com", "udp")]["accept"] == ["box:2000", "box:2001"]
    assert "deny" not in tests[("c@example.com", "udp")]


def test_every_entry_has_a_source_comment() -> None:
    ir = compile_policy(load_text(SITE))
    for section, body in ir.sections.items():
        keys = range(len(body)) if isinstance(body, list) else body
        for key in keys:
            pointer = f"/{section}/{str(key).replace('/', '~1')}"
            assert ir.comments.get(pointer, "").startswith("site.yaml:"), pointer
    assert ir.comments["/grants/0"] == "site.yaml:17 service x on box"


def test_unpinned_device_falls_back_to_tag_with_warning() -> None:
    site = load_text(
        "users:\n  a: {login: a@example.com}\ntags:\n  ai: {}\n"
        "devices:\n  box: {tags: [ai]}\nservices:\n  x: {device: box, port: 1, allow: [a]}\n"
    )
    ir = compile_policy(site)
    assert ir.sections["grants"][0]["dst"] == ["tag:ai"]
    assert [p.code for p in ir.problems] == ["unpinned-device"]


def test_location_principal_uses_subnet_hosts() -> None:
    site = load_text(
        "users:\n  a: {login: a@example.com}\nlocations:\n  home: {subnets: [10.0.0.0/24, 10.0.1.0/24]}\n"
        "devices:\n  box: {owner: a, tailscale_ip: 100.64.0.2}\n"
        "services:\n  x: {device: box, port: 1, allow: [location:home]}\n"
    )
    ir = compile_policy(site)
    assert ir.sections["hosts"]["home-lan-1"] == "10.0.0.0/24"
    assert ir.sections["grants"][0]["src"] == ["home-lan-1", "home-lan-2"]


def test_empty_site_still_states_grants() -> None:
    ir = compile_policy(load_text("users: {}\n"))
    assert ir.sections["grants"] == []
