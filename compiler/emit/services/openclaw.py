"""OpenClaw gateway: the bind lives in ~/.openclaw/openclaw.json (`gateway.bind`, `gateway.host`).

Two safe profiles (reference §9): loopback with OpenClaw's own `tailscale serve` (identity
headers are verified, so tailgen adds no raw TCP forward, which would make every tailnet client
look like a same-host, auto-approved one), or the Tailscale address with token auth and the
Control UI origin pinned. Never `lan`, never `funnel`.
"""

from __future__ import annotations

from typing import Any

from compiler.emit.services.base import (
    LOOPBACK,
    RUNTIME_IP,
    ConfigFile,
    Kind,
    KindInput,
    KindSpec,
)
from compiler.site.model import OS

CONFIG_DEST = "~/.openclaw/openclaw.json"
UNPINNED = (
    "OpenClaw on a tailnet bind needs gateway.controlUi.allowedOrigins, which names the "
    "address: pin the device's tailscale_ip, or OpenClaw refuses to start"
)


def gateway(k: KindInput) -> tuple[dict[str, Any], str]:
    """The `gateway` section and the --bind mode for this host."""
    if k.host == LOOPBACK:
        section = {
            "bind": "loopback",
            "tailscale": {"mode": "serve"},
            "auth": {"allowTailscale": True},
        }
        return section, "loopback"
    if k.host == RUNTIME_IP:
        return {"bind": "tailnet", "auth": {"mode": "token"}}, "tailnet"
    origin = f"http://{k.host}:{k.port}"
    section = {
        "bind": "custom",
        "host": k.host,
        "auth": {"mode": "token"},
        "controlUi": {"allowedOrigins": [origin]},
    }
    return section, "custom"


def build(k: KindInput) -> KindSpec:
    section, mode = gateway(k)
    section = {**section, "port": k.port}
    config = ConfigFile(
        name="openclaw.json",
        dest=CONFIG_DEST,
        data={"gateway": section},
        how="merge into the gateway section; set the token yourself (tailgen writes no secrets)",
    )
    argv = (k.program, "gateway", "run", "--bind", mode, "--port", str(k.port), *k.args)
    warnings = (UNPINNED,) if k.host == RUNTIME_IP else ()
    return KindSpec(argv=argv, config=(config,), serve_self=k.host == LOOPBACK, warnings=warnings)


KIND = Kind(
    name="openclaw",
    default_port=18789,
    binds_by="openclaw.json gateway.bind (loopback | tailnet | custom + gateway.host)",
    traps=(
        "Non-loopback binds need token or password auth; tailgen sets mode token but never "
        "writes the token.",
        "gateway.tailscale.mode funnel publishes to the whole internet: tailgen never sets it.",
        "Same-host connections may be auto-approved for pairing, so a raw TCP forward to "
        "loopback would auto-approve every tailnet client: loopback uses OpenClaw's own serve.",
    ),
    build=build,
    programs={
        OS.LINUX: "/usr/local/bin/openclaw",
        OS.MACOS: "/opt/homebrew/bin/openclaw",
        OS.WINDOWS: "openclaw.cmd",
    },
    bind_flags=("--bind",),
    bind_config=(("gateway", "bind"), ("gateway", "host")),
)
