"""Broken site files: each reports the exact file:line:col and message, exit 1, no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from compiler.cli import app

BASE_USERS = "users:\n  me: {login: me@example.com, role: admin}\n"

# (name, site text, expected message line on stderr)
CASES: list[tuple[str, str, str]] = [
    (
        "yaml-syntax",
        "users:\n  me: {login: me@example.com\n",
        "site.yaml:3:1: YAML syntax error: did not find expected ',' or '}'",
    ),
    (
        "yaml-tab",
        "users:\n\tme: {}\n",
        "site.yaml:2:1: YAML syntax error: a tab cannot indent YAML; use spaces",
    ),
    (
        "not-a-mapping",
        "- a\n- b\n",
        "site.yaml:1:1: the site file must be a mapping of sections (tailnet:, users:, …), not a list",
    ),
    (
        "unknown-top-key",
        BASE_USERS + "servics: {}\n",
        "site.yaml:3:1: unknown key 'servics' in the site file (did you mean 'services'?)",
    ),
    (
        "unknown-user-key",
        "users:\n  me: {login: me@example.com, rol: admin}\n",
        "site.yaml:2:31: unknown key 'rol' in users.me (did you mean 'role'?)",
    ),
    (
        "missing-login",
        "users:\n  me: {role: admin}\n",
        "site.yaml:2:3: users.me: missing required key 'login'",
    ),
    (
        "bad-role",
        "users:\n  me: {login: me@example.com, role: admn}\n",
        "site.yaml:2:37: users.me.role: Input should be 'member', 'admin', 'owner' or 'network-admin' (did you mean 'admin'?)",
    ),
    (
        "port-type",
        BASE_USERS
        + "devices:\n  b: {owner: me}\nservices:\n  s: {device: b, port: http, allow: [me]}\n",
        "site.yaml:6:24: services.s.port: Input should be a valid integer, unable to parse string as an integer",
    ),
    (
        "port-zero",
        BASE_USERS
        + "devices:\n  b: {owner: me}\nservices:\n  s: {device: b, port: 0, allow: [me]}\n",
        "site.yaml:6:24: services.s.port: Input should be greater than or equal to 1",
    ),
    (
        "port-too-big",
        BASE_USERS
        + "devices:\n  b: {owner: me}\nservices:\n  s: {device: b, port: 70000, allow: [me]}\n",
        "site.yaml:6:24: services.s.port: Input should be less than or equal to 65535",
    ),
    (
        "bad-protocol",
        BASE_USERS
        + "devices:\n  b: {owner: me}\nservices:\n  s: {device: b, port: 1, protocol: tpc, allow: [me]}\n",
        "site.yaml:6:37: services.s.protocol: Input should be 'tcp' or 'udp' (did you mean 'tcp'?)",
    ),
    (
        "not-tailscale-ip",
        BASE_USERS + "devices:\n  b: {owner: me, tailscale_ip: 192.168.1.5}\n",
        "site.yaml:4:32: devices.b.tailscale_ip: 192.168.1.5 is not a Tailscale address (100.64.0.0/10)",
    ),
    (
        "bad-subnet",
        BASE_USERS + "locations:\n  home: {subnets: 10.0.0.1/24}\n",
        "site.yaml:4:19: locations.home.subnets: 10.0.0.1/24 has host bits set: the bits after the /24 prefix must be zero (did you mean 10.0.0.0/24?)",
    ),
    (
        "duplicate-key",
        "users:\n  me: {login: a@example.com}\n  me: {login: b@example.com}\n",
        "site.yaml:3:3: duplicate key 'me' (first defined on line 2)",
    ),
    (
        "duplicate-top-key",
        BASE_USERS + "users: {}\n",
        "site.yaml:3:1: duplicate key 'users' (first defined on line 1)",
    ),
    (
        "dangling-device",
        BASE_USERS
        + "devices:\n  box: {owner: me}\nservices:\n  s: {device: bx, port: 1, allow: [me]}\n",
        "site.yaml:6:15: service 's': device 'bx' is not declared (did you mean 'box'?)",
    ),
    (
        "dangling-owner",
        BASE_USERS + "devices:\n  box: {owner: mee}\n",
        "site.yaml:4:16: device 'box': owner 'mee' is not a user (did you mean 'me'?)",
    ),
    (
        "dangling-group-member",
        BASE_USERS + "groups:\n  fam: [me, you]\n",
        "site.yaml:4:13: group 'fam': 'you' is not a user",
    ),
    (
        "dangling-allow",
        BASE_USERS
        + "groups:\n  family: [me]\ndevices:\n  b: {owner: me}\nservices:\n  s: {device: b, port: 1, allow: [group:famly]}\n",
        "site.yaml:8:35: 'group:famly' is not a user, group, tag, location or autogroup (did you mean 'group:family'?)",
    ),
    (
        "dangling-tag",
        BASE_USERS + "tags:\n  server: {}\ndevices:\n  b: {tags: [servr]}\n",
        "site.yaml:6:14: device 'b': tag 'servr' is not declared under tags: (did you mean 'server'?)",
    ),
    (
        "dangling-location",
        BASE_USERS + "locations:\n  phl: {}\ndevices:\n  b: {owner: me, location: ph}\n",
        "site.yaml:6:28: device 'b': location 'ph' is not declared (did you mean 'phl'?)",
    ),
    (
        "dangling-router",
        BASE_USERS + "locations:\n  phl: {router: atv}\n",
        "site.yaml:4:17: location 'phl': router 'atv' is not declared",
    ),
    (
        "no-identity",
        BASE_USERS + "devices:\n  b: {os: linux}\n",
        "site.yaml:4:3: device 'b' needs an owner or at least one tag",
    ),
    (
        "overlapping-subnets",
        BASE_USERS + "locations:\n  a: {subnets: 10.0.0.0/16}\n  b: {subnets: 10.0.1.0/24}\n",
        "site.yaml:5:16: location 'b': 10.0.1.0/24 overlaps 10.0.0.0/16 of location 'a'",
    ),
    (
        "router-wrong-location",
        BASE_USERS
        + "tags:\n  r: {}\nlocations:\n  a: {subnets: 10.0.0.0/24}\n  b: {subnets: 10.0.1.0/24}\ndevices:\n  gw: {tags: [r], location: b, routes: [10.0.0.0/24]}\n",
        "site.yaml:9:41: device 'gw' advertises 10.0.0.0/24 of location 'a' but sits in 'b'",
    ),
    (
        "route-outside",
        BASE_USERS + "tags:\n  r: {}\ndevices:\n  gw: {tags: [r], routes: [172.16.0.0/12]}\n",
        "site.yaml:6:28: device 'gw' advertises 172.16.0.0/12, which is in no location's subnets",
    ),
    (
        "router-missing-route",
        BASE_USERS
        + "tags:\n  r: {}\nlocations:\n  a: {subnets: 10.0.0.0/24, router: gw}\ndevices:\n  gw: {tags: [r], location: a}\n",
        "site.yaml:6:37: location 'a': router 'gw' does not advertise 10.0.0.0/24 (add them to the device's routes:)",
    ),
    (
        "duplicate-port",
        BASE_USERS
        + "devices:\n  b: {owner: me}\nservices:\n  x: {device: b, port: 80, allow: [me]}\n  y: {device: b, port: [443, 80], allow: [me]}\n",
        "site.yaml:7:30: service 'y': tcp port 80 on 'b' is already used by service 'x'",
    ),
    (
        "duplicate-ip",
        BASE_USERS
        + "devices:\n  a: {owner: me, tailscale_ip: 100.64.0.1}\n  b: {owner: me, tailscale_ip: 100.64.0.1}\n",
        "site.yaml:5:32: device 'b': 100.64.0.1 is already pinned to 'a'",
    ),
    (
        "seven-users-personal",
        "plan: personal\nusers:\n"
        + "".join(f"  u{i}: {{login: u{i}@example.com}}\n" for i in range(7)),
        "site.yaml:9:3: 7 users, but the personal plan allows 6",
    ),
    (
        "six-mullvad",
        BASE_USERS
        + "devices:\n"
        + "".join(
            f"  d{i}: {{owner: me, mullvad: true, tailscale_ip: 100.64.0.{i + 1}}}\n"
            for i in range(6)
        ),
        "site.yaml:9:28: Mullvad is on 6 devices; the add-on covers at most 5",
    ),
    (
        "mullvad-unpinned",
        BASE_USERS + "devices:\n  p: {owner: me, mullvad: true}\n",
        "site.yaml:4:27: device 'p': mullvad needs tailscale_ip so the policy targets only this device",
    ),
    (
        "bad-tag-name",
        BASE_USERS + "tags:\n  my_tag: {}\n",
        "site.yaml:4:3: tag 'my_tag': tag names start with a letter and use only ASCII letters, digits and '-'",
    ),
    (
        "ssh-to-ip",
        BASE_USERS + "ssh:\n  - {from: [me], to: [100.64.0.1]}\n",
        "site.yaml:4:23: ssh[0]: '100.64.0.1' must be a declared tag or autogroup:self",
    ),
    (
        "break-glass-unknown",
        BASE_USERS + "break_glass:\n  - {who: [me], devices: [nas]}\n",
        "site.yaml:4:27: break_glass[0]: device 'nas' is not declared",
    ),
    (
        "plan-unknown",
        "plan: free\n",
        "site.yaml:1:7: plan: Input should be 'personal', 'standard', 'premium' or 'enterprise'",
    ),
]


@pytest.mark.parametrize(("name", "text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_broken_site(
    name: str, text: str, expected: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("site.yaml").write_text(text)
    result = CliRunner().invoke(app, ["build"])
    assert isinstance(result.exception, SystemExit), result.exception  # not a crash
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    where, _, message = expected.partition(": ")  # every problem is labelled `error:`
    assert f"{where}: error: {message}" in result.stderr.splitlines(), result.stderr
    assert not Path("out").exists(), "a failed build must not write out/"


def test_at_least_25_cases() -> None:
    assert len(CASES) >= 25


def test_all_schema_problems_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every schema problem is reported in one run, not only the first."""
    monkeypatch.chdir(tmp_path)
    Path("site.yaml").write_text(
        "users:\n  a: {logn: x}\n  b: {login: y, role: king}\nservics: {}\n"
    )
    result = CliRunner().invoke(app, ["build"])
    lines = [line for line in result.stderr.splitlines() if line.startswith("site.yaml:")]
    assert [line.split(":")[1] for line in lines] == ["2", "2", "3", "4"]


def test_excerpt_with_caret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("site.yaml").write_text("users:\n  me: {login: me@example.com, rol: admin}\n")
    result = CliRunner().invoke(app, ["build"])
    assert "    users:" not in result.stderr
    assert "      me: {login: me@example.com, rol: admin}\n" + " " * 34 + "^" in result.stderr


def test_failed_build_leaves_previous_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("site.yaml").write_text(BASE_USERS)
    assert CliRunner().invoke(app, ["build"]).exit_code == 0
    before = {p: p.read_bytes() for p in Path("out").rglob("*") if p.is_file()}
    Path("site.yaml").write_text(BASE_USERS + "bogus: 1\n")
    assert CliRunner().invoke(app, ["build"]).exit_code == 1
    after = {p: p.read_bytes() for p in Path("out").rglob("*") if p.is_file()}
    assert before == after


def test_missing_site_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["build", "nope.yaml"])
    assert result.exit_code == 1
    first = result.stderr.splitlines()[0]
    assert first == "error: nope.yaml: cannot read site file: No such file or directory"
