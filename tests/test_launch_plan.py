"""Planning decisions: which target, which host, what is skipped or refused, and why."""

from __future__ import annotations

from typing import Any

import pytest
from launch_cases import emit_case, site_dict

from compiler.errors import Severity


def problems(site: dict[str, Any]) -> list[tuple[str, Severity]]:
    return [(p.code, p.severity) for p in emit_case(site).problems]


def paths(site: dict[str, Any]) -> list[str]:
    return sorted(emit_case(site).files)


@pytest.mark.parametrize(
    "os,expected",
    [
        ("linux", "ollama.service.d/50-tailnet.conf"),
        ("macos", "tailgen.svc.plist"),
        ("windows", "run.ps1"),
    ],
)
def test_os_picks_the_default_target(os: str, expected: str) -> None:
    site = site_dict("systemd", "ollama")
    del site["services"]["svc"]["launch"]
    site["devices"]["box"]["os"] = os
    assert f"launch/box/svc/{expected}" in paths(site)


@pytest.mark.parametrize("os", ["tvos", "ios", "android"])
def test_devices_that_cannot_run_services_get_a_warning_not_files(os: str) -> None:
    site = site_dict("systemd", "ollama")
    del site["services"]["svc"]["launch"]
    site["devices"]["box"]["os"] = os
    assert paths(site) == []
    assert problems(site) == [("no-launch-target", Severity.WARNING)]
    site["services"]["svc"]["launch"] = "none"
    assert problems(site) == []


def test_device_override_applies_to_its_services() -> None:
    site = site_dict("systemd", "ollama")
    del site["services"]["svc"]["launch"]
    site["devices"]["box"]["launch"] = "docker-compose"
    assert "launch/box/svc/compose.yaml" in paths(site)


def test_generic_without_command_is_policy_only() -> None:
    site = site_dict("systemd", "generic")
    del site["services"]["svc"]["command"]
    assert paths(site) == []
    assert problems(site) == []


@pytest.mark.parametrize(
    "target,kind,change,code",
    [
        ("docker-compose", "lmstudio", {}, "no-image"),
        ("systemd", "generic", {"command": "srv --port {port}"}, "command-no-host"),
        ("systemd", "generic", {"bind": "loopback+serve", "protocol": "udp"}, "serve-udp"),
        ("systemd", "ollama", {"reach": "subnet"}, "subnet-bind"),
        ("systemd", "ollama", {"expose": "lan", "bind": "loopback+serve"}, "expose-serve"),
    ],
)
def test_refusals(target: str, kind: str, change: dict[str, Any], code: str) -> None:
    site = site_dict(target, kind, **change)
    assert (code, Severity.ERROR) in problems(site)
    assert paths(site) == []


def test_openclaw_runtime_lookup_warns_about_allowed_origins() -> None:
    site = site_dict("systemd", "openclaw")
    del site["devices"]["box"]["tailscale_ip"]
    assert problems(site) == [("openclaw-trap", Severity.WARNING)]


def test_two_ollamas_on_one_box_get_their_own_units() -> None:
    site = site_dict("systemd", "ollama")
    site["services"]["second"] = {"device": "box", "kind": "ollama", "port": 11435, "allow": ["me"]}
    found = paths(site)
    assert "launch/box/svc/tailgen-svc.service" in found
    assert "launch/box/second/tailgen-second.service" in found
    assert not any("ollama.service.d" in p for p in found)


def test_program_user_and_args_overrides() -> None:
    site = site_dict("systemd", "lmstudio", user="emory", args=["--cors"])
    unit = emit_case(site).files["launch/box/svc/tailgen-svc.service"].decode()
    assert "User=emory" in unit
    assert (
        "ExecStart=/home/emory/.lmstudio/bin/lms server start --bind 100.64.0.10 --port 1234 --cors"
        in unit
    )
    site = site_dict("systemd", "ollama", program="/usr/bin/ollama")
    unit = emit_case(site).files["launch/box/svc/tailgen-svc.service"].decode()
    assert "ExecStart=/usr/bin/ollama serve" in unit
