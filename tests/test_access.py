"""Regression tests for issue 14: one access model, and answers that agree with each other.

Each symptom the issue lists has a test here (the property test in test_access_props.py
covers the agreement in general; the build goldens show the artifacts).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from compiler import build, hujson
from compiler.errors import TailgenError
from compiler.evaluate import Evaluator, allowed, as_inventory, evaluator, lint, matrix, validate
from compiler.evaluate import rules as evaluate_rules
from compiler.evaluate.model import policy_from_data
from compiler.evaluate.site_view import inventory_from_site, site_principals, site_services
from compiler.review import diff
from compiler.review.snapshot import snapshot
from compiler.site import check as site_check
from compiler.site.access import Reached, access
from compiler.site.loader import load_text
from goldens import assert_text

GOLDEN = Path(__file__).parent / "golden" / "access"

BASE: dict[str, Any] = {
    "users": {
        "me": {"login": "me@example.com", "role": "admin"},
        "guest": {"login": "guest@example.com"},
    },
    "tags": {"ai": {"owners": ["me"]}, "router": {"owners": ["me"]}},
    "devices": {
        "mac": {"os": "macos", "tags": ["ai"], "tailscale_ip": "100.64.2.1"},
        "box": {"os": "linux", "tags": ["ai"], "tailscale_ip": "100.64.2.2"},
    },
}


def compiled(**extra: Any) -> build.BuildResult:
    return build.compile_text(yaml.safe_dump({**BASE, **extra}, sort_keys=False))


def evaluated(result: build.BuildResult) -> Evaluator:
    assert result.artifacts is not None
    policy = policy_from_data(result.artifacts.policy_document)
    return Evaluator(policy, as_inventory(inventory_from_site(result.site)))


# ---------------------------------------------------------------------------------------------
# tailscale serve: reached on the port serve publishes


def test_openclaw_serve_mode_is_granted_and_reached_on_443() -> None:
    claw = {"device": "mac", "kind": "openclaw", "port": 18789, "bind": "loopback+serve"}
    result = compiled(services={"claw": {**claw, "allow": ["me"]}})
    ev = evaluated(result)
    assert allowed(ev, None, "me@example.com", "mac", 443, "tcp").allowed
    assert not allowed(ev, None, "me@example.com", "mac", 18789, "tcp").allowed
    [column] = site_services(result.site)
    assert (column.device, column.port) == ("mac", 443)  # what explain and matrix ask about


def test_https_serve_publishes_443_and_listens_on_loopback() -> None:
    webui = {"device": "box", "kind": "open-webui", "port": 8080, "bind": "loopback+serve"}
    result = compiled(services={"ui": {**webui, "serve": "https", "allow": ["me"]}})
    svc = access(result.site).services["ui"]
    assert [(e.port, e.scheme, e.reached) for e in svc.endpoints] == [(443, "https", Reached.SERVE)]
    assert [(x.host, x.port) for x in svc.listeners] == [("127.0.0.1", 8080)]
    assert result.artifacts is not None
    [spec] = result.artifacts.launch.specs
    assert [(f.port, f.scheme, f.target_port) for f in spec.forwards] == [(443, "https", 8080)]


def test_two_serve_services_on_one_port_is_an_error_naming_both_lines() -> None:
    text = (GOLDEN / "serve-conflict" / "site.yaml").read_text()
    with pytest.raises(TailgenError) as err:
        build.compile_text(text)
    assert_text(GOLDEN / "serve-conflict" / "errors.txt", str(err.value) + "\n", update=False)


# ---------------------------------------------------------------------------------------------
# SSH needs tcp:22


SSH_RULE = {"from": ["me"], "to": ["tag:ai"], "as": ["autogroup:nonroot"], "mode": "check"}


def test_every_ssh_rule_gets_its_port_22_grant_and_ssh_tests() -> None:
    result = compiled(ssh=[SSH_RULE])
    ev = evaluated(result)
    assert allowed(ev, None, "me@example.com", "box", 22, "tcp").allowed
    assert not allowed(ev, None, "guest@example.com", "box", 22, "tcp").allowed
    assert result.artifacts is not None
    doc = result.artifacts.policy_document
    assert doc["sshTests"] == [{"src": "me@example.com", "dst": ["tag:ai"], "check": ["me"]}]


def test_lint_flags_a_hand_written_ssh_rule_without_network_access() -> None:
    result = compiled(ssh=[SSH_RULE])
    assert result.artifacts is not None
    doc = result.artifacts.policy_document
    doc["grants"] = [g for g in doc["grants"] if g["ip"] != ["tcp:22"]]
    doc.pop("tests", None)
    codes = [p.code for p in lint(policy_from_data(doc), inventory_from_site(result.site))]
    assert "ssh-without-network" in codes


# ---------------------------------------------------------------------------------------------
# deny tests on every device


def test_opening_a_service_to_someone_the_site_never_named_fails_the_tests() -> None:
    services = {
        "ollama": {"device": "mac", "kind": "ollama", "port": 11434, "allow": ["me", "guest"]},
        "lmstudio": {"device": "box", "kind": "lmstudio", "port": 11337, "allow": ["me"]},
    }
    result = compiled(services=services)
    assert result.artifacts is not None
    doc = result.artifacts.policy_document
    doc["grants"].append({"src": ["guest@example.com"], "dst": ["box"], "ip": ["tcp:11337"]})
    problems = validate(policy_from_data(doc), inventory_from_site(result.site))
    assert any("guest@example.com" in p.message and "box:11337" in p.message for p in problems)


def test_deny_tests_are_bounded_and_say_what_was_left_out() -> None:
    from compiler.emit.policytests import MAX_DENIES_PER_USER

    n = MAX_DENIES_PER_USER + 5  # two users: the per-user limit is MAX_DENIES_PER_USER
    devices = {
        f"d{i}": {"os": "linux", "tailscale_ip": f"100.64.7.{i + 1}", "tags": ["ai"]}
        for i in range(n)
    }
    services = {f"s{i}": {"device": f"d{i}", "port": 9000, "allow": ["me"]} for i in range(n)}
    result = compiled(devices=devices, services=services)
    assert result.artifacts is not None
    tests = result.artifacts.policy_document["tests"]
    [guest] = [t for t in tests if t["src"] == "guest@example.com"]
    assert len(guest["deny"]) == MAX_DENIES_PER_USER
    assert any("left out for 1 user" in line for line in result.summary)
    assert "5 more denied ports not tested" in result.files["policy.hujson"].decode()


# ---------------------------------------------------------------------------------------------
# expose: lan and reach: subnet: one listener for every answer

LAN: dict[str, Any] = {
    "locations": {
        "home": {
            "subnets": "10.30.0.0/24",
            "router": "rpi",
            "zone": "home.example",
            "resolver": "10.30.0.1",
        }
    },
    "devices": {
        "rpi": {
            "os": "linux",
            "location": "home",
            "tags": ["router"],
            "routes": ["10.30.0.0/24"],
            "tailscale_ip": "100.64.4.1",
        },
        "gpu": {
            "os": "linux",
            "location": "home",
            "tags": ["ai"],
            "tailscale_ip": "100.64.4.2",
            "lan_ip": "10.30.0.20",
        },
    },
}


def test_expose_lan_grant_dns_explain_and_audit_describe_the_lan_listener() -> None:
    from compiler.audit import Listener, Table, audit

    svc = {"device": "gpu", "kind": "ollama", "port": 11434, "expose": "lan", "allow": ["me"]}
    result = compiled(**LAN, services={"o": {**svc, "name": "o.home.example"}})
    assert result.artifacts is not None
    grant = result.artifacts.policy_document["grants"][0]
    assert grant["dst"] == ["10.30.0.20"]
    [record] = [
        r for r in result.artifacts.dns.records["home.example"] if r.name == "o.home.example"
    ]
    assert record.value == "10.30.0.20"
    assert allowed(evaluated(result), None, "me@example.com", "10.30.0.20", 11434, "tcp").allowed
    table = Table("test", [Listener("10.30.0.20", 11434)])
    assert audit(result.site, "gpu", table).findings == []


def test_reach_subnet_is_seen_by_matrix_and_lint() -> None:
    svc = {"device": "gpu", "port": 631, "reach": "subnet", "allow": ["me"]}
    result = compiled(**LAN, services={"ipp": svc})
    ev = evaluated(result)
    columns = site_services(result.site)
    assert [(c.device, c.port) for c in columns] == [("10.30.0.20", 631)]
    grid = matrix(ev, None, site_principals(result.site), columns)
    assert grid.cell("me@example.com", columns[0]).allowed
    warnings = lint(ev, None, "policy.hujson", columns)
    assert "service-unreachable" not in [w.code for w in warnings]


# ---------------------------------------------------------------------------------------------
# IPv6 wherever IPv4 is accepted


def test_ipv6_location_is_accepted_end_to_end() -> None:
    text = (Path(__file__).parent / "golden" / "build" / "ipv6-location" / "site.yaml").read_text()
    result = build.compile_text(text)
    assert result.artifacts is not None
    doc = result.artifacts.policy_document
    assert doc["autoApprovers"]["routes"] == {"fd00:1::/64": ["tag:router"]}
    assert "[fd00:1::20]:445" in doc["tests"][-1]["accept"]
    assert {r.rtype for r in result.artifacts.dns.records["lab.example"]} >= {"AAAA"}
    widened = text.replace("allow: [me]", "allow: [me, autogroup:member]").replace(
        "port: 445", "port: [445, 139]"
    )
    after = build.compile_text(widened)
    plan = diff(
        snapshot(after.files, "after", after.site, policy=after.policy_document),
        snapshot(result.files, "before", result.site, policy=result.policy_document),
    )
    assert [str(c.target) for c in plan.access.gained] == ["nas:139/tcp"]
    assert plan.access.gained[0].target.address == "fd00:1::20"


# ---------------------------------------------------------------------------------------------
# no stale indexes, no caches, no registries by position or by string


def test_model_copy_does_not_keep_the_old_service_index() -> None:
    site = load_text(yaml.safe_dump({**BASE, "services": {"s": {"device": "mac", "port": 80}}}))
    assert site.services_on("mac") == ["s"]
    assert access(site).services["s"].device == "mac"
    moved = {"s": site.services["s"].model_copy(update={"device": "box"})}
    copy = site.model_copy(update={"services": moved})
    assert copy.services_on("mac") == [] and copy.services_on("box") == ["s"]
    assert access(copy).services["s"].device == "box"
    assert site.services_on("mac") == ["s"]  # the original is untouched


def test_evaluator_is_not_cached_between_calls() -> None:
    text = '{"grants": [{"src": ["*"], "dst": ["*"], "ip": ["*"]}]}'
    inventory: dict[str, Any] = {"users": [], "nodes": {}}
    assert evaluator(text, inventory) is not evaluator(text, inventory)


def test_checks_are_registered_by_value_not_by_position() -> None:
    defined = {
        name
        for name, value in vars(site_check).items()
        if name.startswith("check_") and callable(value) and value.__module__ == site_check.__name__
    }
    registered = {f.__name__ for f in site_check.CHECKS}
    assert isinstance(site_check.CHECKS, tuple)
    assert registered == defined - {"check_references"}  # that one always runs first


def test_emit_has_no_string_registry_or_import_cycle() -> None:
    emit_dir = Path(__file__).parents[1] / "compiler" / "emit"
    assert not [p for p in emit_dir.rglob("*.py") if "importlib" in p.read_text()]
    code = (
        "import sys, compiler.emit.dns.grants; "
        "assert 'compiler.emit.policy' not in sys.modules, 'emit.dns.grants imports emit.policy'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# ---------------------------------------------------------------------------------------------
# compiled data is kept: no re-parse of our own output, one Evaluator per diff side


def test_build_never_parses_its_own_output(monkeypatch: pytest.MonkeyPatch) -> None:
    text = (Path(__file__).parents[1] / "site.yaml").read_text()

    def refuse(*_: Any, **__: Any) -> Any:
        raise AssertionError("hujson.loads called during a build")

    monkeypatch.setattr(hujson, "loads", refuse)
    result = build.compile_text(text)
    monkeypatch.undo()
    assert result.policy_document == hujson.loads(result.files["policy.hujson"])


def test_diff_builds_one_evaluator_per_side(monkeypatch: pytest.MonkeyPatch) -> None:
    text = (Path(__file__).parents[1] / "site.yaml").read_text()
    new, old = build.compile_text(text), build.compile_text(text.replace("guest]", "]", 1))
    desired = snapshot(new.files, "site.yaml", new.site, policy=new.policy_document)
    current = snapshot(old.files, "out/")
    built: list[Evaluator] = []
    original = evaluate_rules.Evaluator.__post_init__

    def counting(self: Evaluator, basis: Evaluator | None = None) -> None:
        built.append(self)
        original(self, basis)

    monkeypatch.setattr(evaluate_rules.Evaluator, "__post_init__", counting)
    plan = diff(desired, current)
    assert plan.access.gained  # guest gains ollama-icon: both sides were evaluated
    assert len(built) == 2
