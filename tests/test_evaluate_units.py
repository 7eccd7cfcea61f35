"""Small, named behaviours of the evaluator that the capture corpus does not pin down."""

from __future__ import annotations

import json
from typing import Any

import pytest

from compiler.evaluate import allowed, lint, run_tests, ssh_allowed, validate
from compiler.evaluate.durations import format_duration, parse_duration
from compiler.evaluate.inventory import inventory_from_dict
from compiler.evaluate.model import parse_policy
from compiler.evaluate.positions import find_positions

INVENTORY: dict[str, Any] = {
    "users": [
        {"name": "ann", "email": "ann@example.com", "role": "owner"},
        {"name": "bob", "email": "bob@example.com"},
    ],
    "nodes": {
        "ann-mac": {
            "ipv4": "100.64.0.1",
            "ipv6": "fd7a:115c:a1e0::1",
            "user": "ann",
            "posture": {"node:os": "macos"},
        },
        "bob-pc": {
            "ipv4": "100.64.0.2",
            "ipv6": "fd7a:115c:a1e0::2",
            "user": "bob",
            "posture": {"node:os": "windows"},
        },
        "web": {"ipv4": "100.64.0.3", "ipv6": "fd7a:115c:a1e0::3", "tags": ["tag:web"]},
        "router": {
            "ipv4": "100.64.0.4",
            "ipv6": "fd7a:115c:a1e0::4",
            "tags": ["tag:router"],
            "approved_routes": ["192.168.1.0/24", "0.0.0.0/0", "::/0"],
        },
    },
}
OWNERS = {"tag:web": ["bob@example.com"], "tag:router": ["ann@example.com"]}


def policy(**sections: Any) -> str:
    return json.dumps({"tagOwners": OWNERS, **sections}, indent="\t")


def test_decision_names_rule_and_line() -> None:
    text = '{\n\t"tagOwners": {"tag:web": []},\n\t"grants": [\n\t\t{"src": ["bob@example.com"], "dst": ["tag:web"], "ip": ["tcp:443"]},\n\t],\n}\n'
    d = allowed(text, INVENTORY, "bob@example.com", "100.64.0.3", 443, "tcp")
    assert d.allowed and d.matches[0].rule == "grants[0]" and d.matches[0].line == 4
    assert not allowed(text, INVENTORY, "bob@example.com", "web", 80, "tcp").allowed
    assert allowed(text, INVENTORY, "ann@example.com", "web", 443).reason == "no rule matched"


def test_posture_restricts_sources() -> None:
    text = policy(
        postures={"posture:mac": ["node:os == 'macos'"]},
        grants=[
            {
                "src": ["autogroup:member"],
                "dst": ["tag:web"],
                "ip": ["22"],
                "srcPosture": ["posture:mac"],
            }
        ],
    )
    assert allowed(text, INVENTORY, "ann-mac", "web", 22).allowed
    assert not allowed(text, INVENTORY, "bob-pc", "web", 22).allowed


def test_self_subnet_and_internet() -> None:
    text = policy(
        acls=[
            {"action": "accept", "src": ["autogroup:member"], "dst": ["autogroup:self:*"]},
            {
                "action": "accept",
                "src": ["ann@example.com"],
                "dst": ["192.168.1.0/24:80", "autogroup:internet:*"],
            },
        ]
    )
    assert allowed(text, INVENTORY, "ann-mac", "100.64.0.1", 5).allowed
    assert not allowed(text, INVENTORY, "bob-pc", "100.64.0.1", 5).allowed
    assert allowed(text, INVENTORY, "ann-mac", "192.168.1.9", 80).allowed
    assert allowed(text, INVENTORY, "ann-mac", "8.8.8.8", 53, "udp").allowed
    assert not allowed(text, INVENTORY, "bob-pc", "8.8.8.8", 53, "udp").allowed


def test_ssh_check_outranks_accept_and_nonroot() -> None:
    text = policy(
        ssh=[
            {
                "action": "accept",
                "src": ["autogroup:member"],
                "dst": ["tag:web"],
                "users": ["autogroup:nonroot"],
            },
            {
                "action": "check",
                "src": ["ann@example.com"],
                "dst": ["tag:web"],
                "users": ["root", "ann"],
            },
        ]
    )
    assert ssh_allowed(text, INVENTORY, "ann@example.com", "web", "ann").action == "check"
    assert ssh_allowed(text, INVENTORY, "bob@example.com", "web", "bob").action == "accept"
    assert ssh_allowed(text, INVENTORY, "bob@example.com", "web", "root").action == "deny"


def test_failing_test_reports_api_shape_and_position() -> None:
    text = policy(acls=[], tests=[{"src": "bob@example.com", "accept": ["tag:web:443"]}])
    failures = run_tests(parse_policy(text), inventory_from_dict(INVENTORY))
    assert failures[0].to_dict() == {
        "user": "bob@example.com",
        "errors": ['address "tag:web:443": want: Accept, got: Drop'],
    }
    (problem,) = validate(text, INVENTORY)
    assert problem.message.startswith("test(s) failed") and problem.span.line > 1


def test_lint_flags_tag_escalation() -> None:
    text = policy(grants=[{"src": ["tag:web"], "dst": ["tag:router"], "ip": ["*"]}])
    codes = {p.code for p in lint(text, INVENTORY)}
    assert "tag-escalation" in codes  # bob owns tag:web and tag:web reaches more than bob


def test_positions_and_provenance_comments() -> None:
    text = '{\n\t"grants": [\n\t\t// site.yaml:7 service x\n\t\t{"src": ["*"]},\n\t],\n}\n'
    pos = find_positions(text)
    assert pos.of(("grants", 0)) == (4, 3)
    assert pos.comments_before(("grants", 0)) == ["site.yaml:7 service x"]


def test_go_durations() -> None:
    assert format_duration(parse_duration("168h0m1s")) == "168h0m1s"
    assert format_duration(parse_duration("-1m")) == "-1m0s"
    assert format_duration(parse_duration("200h")) == "200h0m0s"


NOPE = '"tag:nope"'
MIXED_LISTS: list[tuple[dict[str, Any], str, str, tuple[Any, ...]]] = [
    (
        {"acls": [{"action": "accept", "src": [{"x": 1}, "tag:nope"], "dst": ["*:*"]}]},
        "src-invalid",
        NOPE,
        ("acls", 0, "src", 1),
    ),
    (
        {"grants": [{"src": ["*"], "dst": [7, "tag:nope"], "ip": ["*"]}]},
        "dst-invalid",
        NOPE,
        ("grants", 0, "dst", 1),
    ),
    (
        {"grants": [{"src": ["*"], "dst": ["tag:web"], "ip": [443, "tcp:99999"]}]},
        "grant-ip",
        '"tcp:99999"',
        ("grants", 0, "ip", 1),
    ),
    (
        {
            "ssh": [
                {
                    "action": "accept",
                    "src": ["bob@example.com"],
                    "dst": ["tag:web"],
                    "users": [1, "*"],
                }
            ]
        },
        "ssh-users",
        '"*"',
        ("ssh", 0, "users", 1),
    ),
    (
        {
            "ssh": [
                {
                    "action": "accept",
                    "src": ["bob@example.com"],
                    "dst": ["tag:web"],
                    "users": ["root"],
                    "acceptEnv": [{}, ""],
                }
            ]
        },
        "ssh-env",
        '""',
        ("ssh", 0, "acceptEnv", 1),
    ),
    (
        {"nodeAttrs": [{"target": ["*"], "ipPool": [1, "100.100.100.0/24"]}]},
        "node-attr-pool",
        '"100.100.100.0/24"',
        ("nodeAttrs", 0, "ipPool", 1),
    ),
    (
        {"autoApprovers": {"routes": {"10.0.0.0/8": [1, "tag:nope"]}}},
        "approver-tag",
        NOPE,
        ("autoApprovers", "routes", "10.0.0.0/8", 1),
    ),
    (
        {"autoApprovers": {"exitNode": [None, "tag:nope"]}},
        "approver-tag",
        NOPE,
        ("autoApprovers", "exitNode", 1),
    ),
    (
        {"groups": {"group:a": [1, "group:b"]}},
        "group-recursive",
        '"group:b"',
        ("groups", "group:a", 1),
    ),
    ({"tagOwners": {"tag:x": [2.5, "tag:nope"]}}, "tag-unknown", NOPE, ("tagOwners", "tag:x", 1)),
]


def _where(text: str, token: str) -> tuple[int, int]:
    """Line and 1-based column of the only occurrence of `token`, found by plain text search
    so the expectation does not come from the position code under test."""
    assert text.count(token) == 1, token
    start = text.index(token)
    return text.count("\n", 0, start) + 1, start - text.rfind("\n", 0, start)


@pytest.mark.parametrize(("sections", "code", "token", "path"), MIXED_LISTS)
def test_problem_in_mixed_list_is_placed_at_its_own_index(
    sections: dict[str, Any], code: str, token: str, path: tuple[Any, ...]
) -> None:
    """A list's numbers and objects count for the index of the string after them: the
    problem's path and line:col must point at the bad string, not at the first item."""
    text = json.dumps({"tagOwners": OWNERS, **sections}, indent="\t")
    (problem,) = [p for p in validate(text, INVENTORY) if p.code == code]
    assert problem.path == path
    assert (problem.span.line, problem.span.column) == _where(text, token)


def test_unreadable_policy_is_one_problem_at_its_place() -> None:
    """The place is the parser's (line 3, the column of the stray comma), not 0:0."""
    (problem,) = validate('{\n\t"acls": [\n\t\t,\n\t],\n}\n', INVENTORY, "p.hujson")
    assert problem.code == "hujson"
    assert (problem.span.file, problem.span.line, problem.span.column) == ("p.hujson", 3, 3)
