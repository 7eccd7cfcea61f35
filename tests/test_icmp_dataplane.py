"""ICMP read two ways: the policy's (a rule must allow ICMP) and the data plane's (tailscale's
wgengine/filter accepts an echo request when any rule admits the address pair). The real
nodes' behaviour is checked in test_headscale_nodes.py; these pin the offline reading."""

from __future__ import annotations

from typing import Any

from typer.testing import CliRunner

from compiler.cli import app
from compiler.errors import ExitCode
from compiler.evaluate import allowed, icmp_echo

INVENTORY: dict[str, Any] = {
    "users": [
        {"name": "ann", "email": "ann@example.com"},
        {"name": "bob", "email": "bob@example.com"},
    ],
    "nodes": {
        "ann-mac": {"ipv4": "100.64.0.1", "user": "ann"},
        "bob-pc": {"ipv4": "100.64.0.2", "user": "bob"},
        "web": {"ipv4": "100.64.0.3", "tags": ["tag:web"]},
    },
}
POLICY = """{
  "tagOwners": {"tag:web": ["ann@example.com"]},
  "grants": [
    {"src": ["ann@example.com"], "dst": ["tag:web"], "ip": ["tcp:443"]},
    {"src": ["bob@example.com"], "dst": ["tag:web"], "ip": ["icmp:*"]},
  ],
}"""


def test_any_rule_for_the_pair_lets_an_echo_through() -> None:
    assert icmp_echo(POLICY, INVENTORY, "ann@example.com", "web").allowed
    assert not allowed(POLICY, INVENTORY, "ann@example.com", "web", 0, "icmp").allowed


def test_an_icmp_rule_is_read_the_same_both_ways() -> None:
    assert icmp_echo(POLICY, INVENTORY, "bob@example.com", "web").allowed
    assert allowed(POLICY, INVENTORY, "bob@example.com", "web", 0, "icmp").allowed


def test_no_rule_for_the_pair_drops_the_echo() -> None:
    assert not icmp_echo(POLICY, INVENTORY, "web", "ann-mac").allowed
    assert not icmp_echo(POLICY, INVENTORY, "ann@example.com", "bob-pc").allowed


def test_explain_prints_both_readings(tmp_path: Any) -> None:
    import json

    (tmp_path / "p.hujson").write_text(POLICY)
    (tmp_path / "inv.json").write_text(json.dumps(INVENTORY))
    args = ["explain", "ann@example.com", "web", "--proto", "icmp"]
    args += ["--policy", str(tmp_path / "p.hujson"), "--inventory", str(tmp_path / "inv.json")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == ExitCode.ATTENTION  # the policy's reading decides it
    assert "DENIED" in result.stdout
    assert "data plane: an echo request gets through" in result.stdout
    assert "differs from the policy's reading (denied)" in result.stdout
