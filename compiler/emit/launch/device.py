"""Per-device files: the README (what to install, how to verify) and, on Linux, the optional
nftables guard against the weak-host model (reference §4.9)."""

from __future__ import annotations

from dataclasses import dataclass, field

from compiler.emit.launch.spec import LOOPBACK, RUNTIME_IP, Install, LaunchSpec, Rendered
from compiler.emit.launch.templating import render as render_template
from compiler.emit.services import kind as get_kind
from compiler.emit.services.base import ConfigFile
from compiler.site.model import OS, TAILSCALE_V4

GUARD_FILE = "tailnet-guard.nft"
OS_NAMES = {OS.LINUX: "Linux", OS.MACOS: "macOS", OS.WINDOWS: "Windows"}
AUDIT = {
    OS.LINUX: "tailgen audit {device} --local      # on the device; or: ss -Htlnp > listeners.txt",
    OS.MACOS: "lsof -nP -iTCP -sTCP:LISTEN > listeners.txt && tailgen audit {device} --from listeners.txt",
    OS.WINDOWS: "Get-NetTCPConnection -State Listen | Select-Object LocalAddress,LocalPort,OwningProcess |\n    ConvertTo-Json | Out-File -Encoding utf8 listeners.json\ntailgen audit {device} --from listeners.json",
}


@dataclass
class ServiceDoc:
    """One service's section of the device README."""

    name: str
    kind: str
    binds_by: str
    listen: str
    ports: tuple[int, ...]
    targets: tuple[str, ...]
    installs: list[Install] = field(default_factory=list)
    configs: tuple[ConfigFile, ...] = ()
    steps: list[str] = field(default_factory=list)
    verify: list[str] = field(default_factory=list)
    traps: tuple[str, ...] = ()


def _publisher(spec: LaunchSpec) -> str:
    """Who publishes a loopback service, and on which tailnet port(s)."""
    if not spec.forwards:
        return "the service's own `tailscale serve` (HTTPS on port 443)"
    return ", ".join(
        f"`tailscale serve --https={f.port}`"
        if f.scheme == "https"
        else f"`tailscale serve --tcp {f.port}`"
        for f in spec.forwards
    )


def listen(spec: LaunchSpec) -> str:
    if spec.host == RUNTIME_IP:
        where = "this node's Tailscale address, looked up at start (`tailscale ip -4`)"
    elif spec.host == LOOPBACK:
        where = f"{LOOPBACK} only, published to the tailnet by {_publisher(spec)}"
    elif spec.expose_lan:
        where = f"{spec.host}, a LAN address (`expose: lan`): LAN neighbours can reach it"
    else:
        where = f"{spec.host}, the pinned Tailscale address"
    return f"the host port {where} (the container listens inside)" if spec.in_container else where


def service_doc(spec: LaunchSpec, rendered: Rendered) -> ServiceDoc:
    kind = get_kind(spec.kind)
    return ServiceDoc(
        name=spec.service,
        kind=spec.kind,
        binds_by=kind.binds_by,
        listen=listen(spec),
        ports=spec.ports,
        targets=spec.targets,
        installs=rendered.installs,
        configs=() if spec.in_container else spec.process.config,
        steps=rendered.steps,
        verify=rendered.verify,
        traps=kind.traps,
    )


def needs_guard(specs: list[LaunchSpec]) -> bool:
    """Linux, and something binds or publishes the Tailscale address directly."""
    return any(s.os is OS.LINUX and s.host != LOOPBACK and not s.expose_lan for s in specs)


def guard(device: str, specs: list[LaunchSpec], source: str) -> str:
    pinned = specs[0].pinned
    return render_template(
        "systemd/tailnet-guard.nft.j2",
        source=source,
        device=device,
        pinned=pinned,
        address=pinned or str(TAILSCALE_V4),
    )


def readme(
    device: str,
    docs: list[ServiceDoc],
    specs: list[LaunchSpec],
    skipped: list[tuple[str, str]],
    source: str,
) -> str:
    os = specs[0].os
    pinned = specs[0].pinned
    return render_template(
        "readme/device.md.j2",
        device=device,
        source=source,
        os_name=OS_NAMES.get(os, os.value),
        address=f"{pinned} (pinned)" if pinned else "not pinned: looked up at start",
        services=docs,
        skipped=skipped,
        guard=needs_guard(specs),
        lan=any(s.expose_lan for s in specs),
        fence="powershell" if os is OS.WINDOWS else "sh",
        audit=AUDIT.get(os, AUDIT[OS.LINUX]).format(device=device),
    )
