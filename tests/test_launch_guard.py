"""The bind guard: every forbidden bind form is refused, named, with its site.yaml line; with
`expose: lan` it is a warning on every build instead."""

from __future__ import annotations

from dataclasses import replace

import pytest

from compiler import build
from compiler.emit.launch import emit, guard
from compiler.emit.launch.plan import plan
from compiler.emit.launch.spec import Forward, Publish
from compiler.emit.services.base import ConfigFile
from compiler.errors import Severity, TailgenError
from compiler.site import loader

HEAD = """\
users:
  me: {login: me@example.com, role: admin}
devices:
  box: {os: linux, owner: me, tailscale_ip: 100.64.0.10, lan_ip: 192.168.1.10}
services:
  svc:
    device: box
    allow: [me]
"""  # the service's own keys follow, from line 9


def site_text(*lines: str) -> str:
    return HEAD + "".join(f"    {line}\n" for line in lines)


def refusal(text: str) -> list[str]:
    with pytest.raises(TailgenError) as caught:
        build.compile_text(text, "site.yaml")
    guard_problems = [p for p in caught.value.problems if p.code == "bind-guard"]
    assert guard_problems, caught.value.problems
    return [str(p) for p in guard_problems]


# (case, service lines, the form the message must name, the line it must point at)
FORBIDDEN = [
    (
        "ipv4-wildcard",
        ["kind: ollama", "port: 11434", "env: {OLLAMA_HOST: '0.0.0.0:11434'}"],
        "a wildcard address (0.0.0.0)",
        11,
    ),
    (
        "ipv6-wildcard",
        ["kind: ollama", "port: 11434", "env: {OLLAMA_HOST: '[::]:11434'}"],
        "a wildcard address (::)",
        11,
    ),
    (
        "empty-host",
        ["kind: ollama", "port: 11434", "env: {OLLAMA_HOST: ':11434'}"],
        "all interfaces (an empty host)",
        11,
    ),
    ("star", ["kind: llamacpp", "port: 8080", "args: [--host, '*']"], "a wildcard address (*)", 11),
    (
        "interface-name",
        ["kind: ollama", "port: 11434", "env: {OLLAMA_HOST: 'tailscale0:11434'}"],
        "an interface or host name (tailscale0)",
        11,
    ),
    (
        "lan-address",
        ["kind: ollama", "port: 11434", "env: {OLLAMA_HOST: '192.168.1.10:11434'}"],
        "a LAN or other non-tailnet address (192.168.1.10)",
        11,
    ),
    (
        "flag-equals",
        ["kind: vllm", "port: 8000", "args: [model, '--host=::']"],
        "a wildcard address (::)",
        11,
    ),
    (
        "bare-listen",
        ["kind: generic", "port: 7860", "command: 'app --port {port} --server {host} --listen'"],
        "all interfaces (an empty host)",
        11,
    ),
    (
        "other-service-env",
        ["kind: open-webui", "port: 3000", "env: {HOST: 0.0.0.0}"],
        "a wildcard address (0.0.0.0)",
        11,
    ),
    (
        "wildcard-anywhere",
        ["kind: generic", "port: 9000", "command: 'srv --bind {host} --peer 0.0.0.0:9000'"],
        "a wildcard address (0.0.0.0)",
        11,
    ),
]


@pytest.mark.parametrize("case,lines,form,line", FORBIDDEN, ids=[c[0] for c in FORBIDDEN])
def test_forbidden_bind_is_refused_with_its_line(
    case: str, lines: list[str], form: str, line: int
) -> None:
    messages = refusal(site_text(*lines))
    assert any(
        m.startswith(f"site.yaml:{line}:") and "service 'svc'" in m and form in m for m in messages
    ), messages


def test_refusal_renders_nothing() -> None:
    site = loader.load_text(
        site_text("kind: ollama", "port: 11434", "env: {OLLAMA_HOST: '0.0.0.0'}")
    )
    emitted = emit(site)
    assert emitted.files == {}
    assert [p.severity for p in emitted.problems] == [Severity.ERROR]


@pytest.mark.parametrize(
    "lines,form",
    [
        (
            ["kind: ollama", "port: 11434", "expose: lan"],
            "a LAN or other non-tailnet address (192.168.1.10)",
        ),
        (
            ["kind: ollama", "port: 11434", "expose: lan", "env: {OLLAMA_HOST: '0.0.0.0:11434'}"],
            "a wildcard address (0.0.0.0)",
        ),
    ],
)
def test_expose_lan_warns_on_every_build(lines: list[str], form: str) -> None:
    text = site_text(*lines)
    for _ in range(2):
        result = build.compile_text(text, "site.yaml")
        warnings = [str(p) for p in result.warnings if p.code == "bind-lan"]
        assert any(
            form in w and "expose: lan" in w and w.startswith("site.yaml:") for w in warnings
        ), warnings
        assert any(path.startswith("launch/box/svc/") for path in result.files)


def test_expose_lan_needs_a_lan_address() -> None:
    text = site_text("kind: ollama", "port: 11434", "expose: lan").replace(
        ", lan_ip: 192.168.1.10", ""
    )
    with pytest.raises(TailgenError, match=r"expose: lan needs devices\.box\.lan_ip"):
        build.compile_text(text, "site.yaml")


def _spec() -> tuple[object, object]:
    site = loader.load_text(site_text("kind: ollama", "port: 11434"))
    [spec] = plan(site).specs
    return site, spec


@pytest.mark.parametrize(
    "change,form",
    [
        ({"publish": (Publish("0.0.0.0", 11434, 11434),)}, "a wildcard address (0.0.0.0)"),
        ({"publish": (Publish("192.168.1.10", 11434, 11434),)}, "a LAN or other"),
        (
            {"forwards": (Forward(11434, "192.168.1.10", 11434),)},
            "forwards to 192.168.1.10, not loopback",
        ),
    ],
)
def test_guard_is_a_final_check_over_the_spec(change: dict[str, object], form: str) -> None:
    """Whatever produced the spec, a wildcard or LAN host in it is refused."""
    site, spec = _spec()
    problems = guard.check(site, [replace(spec, **change)])  # type: ignore[arg-type,type-var]
    assert any(form in p.message and p.is_error for p in problems), problems


def test_guard_reads_config_fragments() -> None:
    site, spec = _spec()
    config = ConfigFile("openclaw.json", "~", {"gateway": {"bind": "lan"}}, "")
    process = replace(spec.process, config=(config,))  # type: ignore[attr-defined]
    problems = guard.check(site, [replace(spec, process=process)])  # type: ignore[arg-type,type-var]
    assert any("gateway.bind: lan" in p.message for p in problems), problems


def test_container_internal_binds_are_not_host_binds() -> None:
    """Inside a container the image listens everywhere; only the published host address counts."""
    text = site_text(
        "kind: ollama", "port: 11434", "launch: docker-compose", "env: {OLLAMA_HOST: '0.0.0.0'}"
    )
    result = build.compile_text(text, "site.yaml")
    compose = result.files["launch/box/svc/compose.yaml"].decode()
    assert '"100.64.0.10:11434:11434/tcp"' in compose
