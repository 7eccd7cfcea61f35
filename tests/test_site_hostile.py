"""Hostile and misleading site files: each gives one exact `file:line:col: message`, exit 1,
no traceback, nothing written (issue 15's list, each a regression test)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from compiler.cli import app

USERS = "users:\n  me: {login: me@github}\n"
SERVICE = (
    "tags: {ai: {}}\n"
    "devices:\n  box: {tags: [ai], tailscale_ip: 100.64.0.9}\n"
    "services:\n  web: {device: box, port: 80, allow: [me]}\n"
)
HOME = "locations:\n  home: {subnets: 10.0.0.0/24, router: r}\ntags: {r: {}}\n"


def bomb(levels: int = 9) -> str:
    lines = ['a0: &a0 ["x","x","x","x","x","x","x","x","x"]']
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


CASES: list[tuple[str, str | bytes, str]] = [
    (
        "nul",
        "tailnet: a\x00b\n",
        "site.yaml:1:11: control character U+0000 is not allowed in a site file (remove it)",
    ),
    (
        "bell-on-line-3",
        USERS + "tailnet: ding\x07\n",
        "site.yaml:3:14: control character U+0007 is not allowed in a site file (remove it)",
    ),
    (
        "escape-in-a-key",
        "us\x1bers: {}\n",
        "site.yaml:1:3: control character U+001B is not allowed in a site file (remove it)",
    ),
    (
        "bad-utf8",
        b'users:\n  bob: {login: "b\xffob@x"}\n',
        "site.yaml:2:18: invalid UTF-8 (byte 0xff): save the site file as UTF-8",
    ),
    (
        "truncated-utf8",
        b"tailnet: caf\xc3",
        "site.yaml:1:13: invalid UTF-8 (byte 0xc3): save the site file as UTF-8",
    ),
    (
        "utf16",
        "tailnet: x\n".encode("utf-16"),
        "site.yaml:1:1: the site file is UTF-16: save it as UTF-8",
    ),
    (
        "alias-bomb",
        bomb(),
        "site.yaml:4:1: aliases expand this document too far (an alias bomb?): refusing it",
    ),
    (
        "5000-deep-lists",
        "a: " + "[" * 5000 + "]" * 5000 + "\n",
        "site.yaml:1:1003: YAML syntax error: exceeded maximum nesting depth",
    ),
    (
        "100-deep-maps",
        "a: " + "{b: " * 100 + "1" + "}" * 100 + "\n",
        "site.yaml:1:260: nesting deeper than 64 levels: not a site file",
    ),
    (
        "python-tag",
        "tailnet: !!python/object/apply:os.system ['echo hi']\n",
        "site.yaml:1:10: the YAML tag !!python/object/apply:os.system is not allowed in a site file (only plain values)",
    ),
    (
        "custom-tag",
        USERS + "tailnet: !vault secret\n",
        "site.yaml:3:10: the YAML tag !vault is not allowed in a site file (only plain values)",
    ),
    (
        "binary-tag",
        "tailnet: !!binary aGk=\n",
        "site.yaml:1:10: the YAML tag !!binary is not allowed in a site file (only plain values)",
    ),
    (
        "merge-key",
        "x: &base {login: a@b}\nusers:\n  a:\n    <<: *base\n",
        "site.yaml:4:5: merge keys (<<) are not supported in a site file: write the keys out",
    ),
    (
        "undefined-anchor",
        "users: *nope\n",
        "site.yaml:1:8: YAML syntax error: alias *nope has no anchor &nope before it",
    ),
    (
        "top-level-scalar",
        "hello\n",
        "site.yaml:1:1: the site file must be a mapping of sections (tailnet:, users:, …), not a single value",
    ),
    (
        "duplicate-key-three-deep",
        "devices:\n  box:\n    tags: [a]\n    os: linux\n    tags: [b]\n",
        "site.yaml:5:5: duplicate key 'tags' (first defined on line 3)",
    ),
    (
        "duplicate-key-in-flow",
        USERS + "  you: {login: a@b, role: admin, login: c@d}\n",
        "site.yaml:3:34: duplicate key 'login' (first defined on line 3)",
    ),
    (
        "multi-megabyte-key",
        "k" * (2 << 20) + ": 1\n",
        "site.yaml:1:2097153: YAML syntax error: mapping values are not allowed in this context (a YAML key is at most 1024 characters long)",
    ),
    (
        "bom-crlf-error-line",
        "\ufefftailnet: x\r\nusers:\r\n  me: {login: me@github, rol: admin}\r\n",
        "site.yaml:3:26: unknown key 'rol' in users.me (did you mean 'role'?)",
    ),
    (
        "yaml11-no",
        "locations:\n  home: {wifi: no}\n",
        'site.yaml:2:16: locations.home.wifi: Input should be a valid string (YAML reads no as a boolean: write "no" in quotes to mean the word)',
    ),
    (
        "yaml11-on-in-a-list",
        USERS + "groups:\n  g: [me, on]\n",
        'site.yaml:4:11: groups.g[1]: Input should be a valid string (YAML reads on as a boolean: write "on" in quotes to mean the word)',
    ),
    (
        "host-bits",
        "locations:\n  home: {subnets: [10.0.0.0/24, 10.0.1.1/24]}\n",
        "site.yaml:2:33: locations.home.subnets[1]: 10.0.1.1/24 has host bits set: the bits after the /24 prefix must be zero (did you mean 10.0.1.0/24?)",
    ),
    (
        "bad-address-part",
        "devices:\n  d: {tags: [x], lan_ip: 10.0.0.300}\n",
        "site.yaml:2:26: devices.d.lan_ip: value is not a valid IPv4 or IPv6 address: '10.0.0.300' is not an IPv4 or IPv6 address",
    ),
    (
        "login-without-at",
        "users:\n  bob: {login: bob}\n" + SERVICE.replace("[me]", "[bob]"),
        "site.yaml:2:16: user 'bob': login 'bob' is not a Tailscale login (write it as NAME@PROVIDER, e.g. bob@github or bob@example.com)",
    ),
    (
        "route-wider-than-subnet",
        USERS + HOME + "devices:\n  r: {location: home, tags: [r], routes: [10.0.0.0/16]}\n",
        "site.yaml:7:43: device 'r' advertises 10.0.0.0/16, which is wider than the subnet 10.0.0.0/24 of location 'home': advertise the location's subnets themselves",
    ),
    (
        "lan-ip-outside-subnet",
        USERS
        + HOME
        + "devices:\n  r: {location: home, tags: [r], routes: [10.0.0.0/24], lan_ip: 10.9.0.1}\n",
        "site.yaml:7:65: device 'r': lan_ip 10.9.0.1 is outside the subnets of location 'home' (10.0.0.0/24)",
    ),
]


def build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str | bytes) -> Any:
    monkeypatch.chdir(tmp_path)
    data = text if isinstance(text, bytes) else text.encode("utf-8")
    Path("site.yaml").write_bytes(data)
    return CliRunner().invoke(app, ["build"])


@pytest.mark.parametrize(("name", "text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_hostile_site(
    name: str, text: str | bytes, expected: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = build(tmp_path, monkeypatch, text)
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    where, _, message = expected.partition(": ")  # every problem is labelled `error:`
    labelled = f"{where}: error: {message}"
    lines = result.stderr.splitlines()
    assert labelled in lines, result.stderr
    errors = [line for line in lines if line.startswith("site.yaml") and ": warning: " not in line]
    assert errors[0] == labelled  # the first error is the one the file is about
    assert not Path("out").exists(), "a failed build must not write out/"


def test_at_least_20_new_cases() -> None:
    assert len(CASES) >= 20


@pytest.mark.parametrize("text", ["", "# only\n# comments\n", "\ufeff", "---\n"])
def test_empty_site_builds_with_a_warning(
    text: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = build(tmp_path, monkeypatch, text)
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[0] == (
        "site.yaml:1:1: warning: the site grants no access (no services, ssh rules or "
        "exit-node users): the policy it builds allows nothing"
    )


def test_bom_and_crlf_build_like_the_plain_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = USERS + SERVICE
    build(tmp_path, monkeypatch, plain)
    expected = Path("out/policy.hujson").read_bytes()
    (tmp_path / "out").rename(tmp_path / "plain-out")
    result = build(tmp_path, monkeypatch, "\ufeff" + plain.replace("\n", "\r\n"))
    assert result.exit_code == 0, result.output
    assert Path("out/policy.hujson").read_bytes() == expected


def test_multi_megabyte_value_is_accepted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = build(tmp_path, monkeypatch, USERS + SERVICE + "tailnet: " + "x" * (3 << 20) + "\n")
    assert result.exit_code == 0, result.output


def test_oversized_file_is_refused_before_parsing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = build(tmp_path, monkeypatch, "# " + "x" * (17 << 20) + "\n")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "error: site.yaml: larger than 16 MiB: not a site file",
        "out/ was left as it was",
    ]
