"""Expected system listeners: declared per device or for every device, plus each OS's own.

On a real host sshd listens on `[::]:22` and Windows on 135/445: the audit shows such
listeners as expected when the site says so and leaves them out of the exit code; anything
else on a wildcard address still counts. One capture per format: ss (Linux), PowerShell
Get-NetTCPConnection (Windows) and lsof (macOS, where launchd holds Remote Login's port 22).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from compiler import audit
from compiler.cli import app
from compiler.site import loader
from compiler.site.listeners import Expected
from compiler.site.model import ExpectedListener

DATA = Path(__file__).parent / "data" / "listeners"
SITE = """\
users:
  me: {login: me@example.com, role: admin}
tags:
  ai: {owners: [me]}
devices:
  gpu: {os: linux, tags: [ai], tailscale_ip: 100.64.9.2}
  win: {os: windows, tags: [ai], tailscale_ip: 100.64.9.3}
  mac:
    os: macos
    tags: [ai]
    tailscale_ip: 100.64.9.4
    expected_listeners:{mac}
services:
  llm-gpu: {device: gpu, kind: ollama, port: 11434, allow: [me]}
  llm-win: {device: win, kind: ollama, port: 11434, allow: [me]}
  llm-mac: {device: mac, kind: ollama, port: 11434, allow: [me]}
audit:
  expected:{everywhere}
"""
DECLARED = SITE.replace(
    "{mac}", "\n      - {port: 22, process: launchd, why: Remote Login}"
).replace("{everywhere}", "\n    - {port: 22, process: sshd, why: OpenSSH server}")
UNDECLARED = SITE.replace("{mac}", " []").replace("{everywhere}", " []")
CAPTURES = [("gpu", "ss-sshd.txt"), ("win", "windows-sshd.json"), ("mac", "lsof-sshd.txt")]


def _audit(tmp_path: Path, site_text: str, device: str, capture: str) -> tuple[int, str]:
    site = tmp_path / "site.yaml"
    site.write_text(site_text, encoding="utf-8")
    args = ["audit", device, "--from", str(DATA / capture), "--site", str(site)]
    result = CliRunner().invoke(app, args)
    return result.exit_code, result.stdout


@pytest.mark.parametrize(("device", "capture"), CAPTURES)
def test_sshd_declared_expected_exits_0(tmp_path: Path, device: str, capture: str) -> None:
    code, out = _audit(tmp_path, DECLARED, device, capture)
    assert code == 0, out
    assert "0 finding(s)" in out
    assert ":22" in out and "expected:" in out  # shown, not hidden


@pytest.mark.parametrize(("device", "capture"), CAPTURES)
def test_sshd_not_declared_exits_2(tmp_path: Path, device: str, capture: str) -> None:
    code, out = _audit(tmp_path, UNDECLARED, device, capture)
    assert code == 2, out
    findings = [line for line in out.splitlines() if "undeclared listener" in line]
    assert len(findings) == 1 and ":22" in findings[0], out


def test_os_defaults_show_as_expected_and_can_be_turned_off(tmp_path: Path) -> None:
    code, out = _audit(tmp_path, DECLARED, "win", "windows-sshd.json")
    assert code == 0
    for port in ("135", "445", "5040", "49664", "49667"):
        assert f":{port} (" in out and "windows default" in out
    no_defaults = DECLARED.replace("audit:\n", "audit:\n  os_defaults: false\n")
    code, out = _audit(tmp_path, no_defaults, "win", "windows-sshd.json")
    assert code == 2
    ports = sorted(f["port"] for f in _json(tmp_path, no_defaults, "win")["findings"])
    assert ports == [135, 445, 5040, 49664, 49667]


def _json(tmp_path: Path, site_text: str, device: str) -> dict[str, object]:
    site = tmp_path / "site.yaml"
    site.write_text(site_text, encoding="utf-8")
    args = ["audit", device, "--from", str(DATA / "windows-sshd.json"), "--site", str(site)]
    return json.loads(CliRunner().invoke(app, [*args, "--format", "json"]).stdout)


def test_macos_defaults_match_lsof_names_cut_to_nine_characters(tmp_path: Path) -> None:
    code, out = _audit(tmp_path, DECLARED, "mac", "lsof-sshd.txt")
    assert code == 0, out
    assert "rapportd" in out and "ControlCe" in out and "macos default" in out
    assert (
        "Remote Login: port 22, launchd (site.yaml:13)" in out
    )  # the device's own declaration, by line


def test_undeclared_wildcards_still_count(tmp_path: Path) -> None:
    site = loader.load_text(DECLARED)
    table = audit.parse(
        (DATA / "ss-sshd.txt").read_text(encoding="utf-8")
        + 'LISTEN 0 5 0.0.0.0:8000 0.0.0.0:* users:(("python3",pid=9,fd=3))\n'
        + 'LISTEN 0 5 0.0.0.0:22 0.0.0.0:* users:(("dropbear",pid=7,fd=3))\n'
    )
    report = audit.audit(site, "gpu", table)
    assert [(f.code, f.port) for f in report.findings] == [
        ("undeclared-wildcard", 22),  # port 22, but not the process declared there
        ("undeclared-wildcard", 8000),
    ]
    assert [str(e.listener) for e in report.expected] == ["[::]:22 (sshd pid 401)"]


def test_a_wildcard_service_is_still_a_finding_even_if_its_port_is_expected(
    tmp_path: Path,
) -> None:
    text = DECLARED.replace("{port: 22, process: sshd", "{port: 11434, process: ollama")
    site = loader.load_text(text)
    table = audit.parse('LISTEN 0 5 0.0.0.0:11434 0.0.0.0:* users:(("ollama",pid=8,fd=3))\n')
    assert [f.code for f in audit.audit(site, "gpu", table).findings] == ["wildcard"]


@pytest.mark.parametrize(
    ("entry", "message"),
    [("{}", "give a port, a process, or both"), ("{port: 9-3}", "not within 1-65535")],
)
def test_bad_expected_entries_are_site_errors(tmp_path: Path, entry: str, message: str) -> None:
    text = UNDECLARED.replace("expected: []", f"expected: [{entry}]")
    code, _ = _audit(tmp_path, text, "gpu", "ss-sshd.txt")
    assert code == 1
    result = CliRunner().invoke(
        app,
        [
            "audit",
            "gpu",
            "--from",
            str(DATA / "ss-sshd.txt"),
            "--site",
            str(tmp_path / "site.yaml"),
        ],
    )
    assert message in result.stderr and "site.yaml:" in result.stderr


@given(
    low=st.integers(1, 65535),
    span=st.integers(0, 200),
    port=st.integers(1, 65535),
    listed=st.sampled_from(["", "sshd", "ControlCe", "launchd"]),
)
def test_expected_matches_its_port_range_and_process(
    low: int, span: int, port: int, listed: str
) -> None:
    high = min(low + span, 65535)
    text = str(low) if low == high else f"{low}-{high}"
    entry = Expected(ExpectedListener(port=text, process="ControlCenter"), "test")
    same_process = listed in ("", "ControlCe")  # unknown, or lsof's 9-character cut
    assert entry.matches(port, listed) == (low <= port <= high and same_process)
