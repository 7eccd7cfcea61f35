"""Ollama: the bind address comes only from OLLAMA_HOST (`ollama serve` has no flags).

`ollama serve --listen tailscale0:11434` (the source document's example) does not exist, and
an interface name in OLLAMA_HOST would be resolved as a DNS name. One listener per process.
"""

from __future__ import annotations

from compiler.emit.services.base import Kind, KindInput, KindSpec, host_port
from compiler.site.model import OS, BindStrategy

LOOPBACK_HOST_GUARD = (
    "Ollama bound to loopback answers 403 to Host names other than localhost, *.local, "
    "*.internal or the bare machine name, so tailnet clients must use the 100.x address or the "
    "bare hostname, not the *.ts.net name or a custom DNS name"
)


def build(k: KindInput) -> KindSpec:
    if k.in_container:  # the image runs `ollama serve` with OLLAMA_HOST for its own inside
        return KindSpec(argv=tuple(k.args))
    address = host_port(k.host, k.port)
    warnings = (LOOPBACK_HOST_GUARD,) if k.strategy is BindStrategy.LOOPBACK_SERVE else ()
    return KindSpec(
        argv=(k.program, "serve", *k.args),
        env={"OLLAMA_HOST": address},
        client_env={"OLLAMA_HOST": address},
        warnings=warnings,
    )


KIND = Kind(
    name="ollama",
    default_port=11434,
    binds_by="environment variable OLLAMA_HOST=HOST:PORT (no command-line flag exists)",
    traps=(
        "The desktop app's 'Expose Ollama to the network' setting overwrites OLLAMA_HOST with "
        "the all-interfaces address: keep it off, or quit the app and let this launch config "
        "run `ollama serve`.",
        "On macOS, `launchctl setenv OLLAMA_HOST` (the FAQ's method) is lost on reboot; the "
        "LaunchAgent here sets it on every start instead.",
        "Local clients (`ollama run`, scripts, Open WebUI) must use the same OLLAMA_HOST, or "
        "they report that the server is not running.",
        "Behind `tailscale serve --https` a loopback-bound Ollama answers 403 (Host-header "
        "guard); tailgen publishes it with `--tcp` instead.",
    ),
    build=build,
    programs={
        OS.LINUX: "/usr/local/bin/ollama",
        OS.MACOS: "/usr/local/bin/ollama",
        OS.WINDOWS: "{home}\\AppData\\Local\\Programs\\Ollama\\ollama.exe",
    },
    image="ollama/ollama",
    volumes=("ollama:/root/.ollama",),
    packaged_unit="ollama.service",
    bind_env=("OLLAMA_HOST",),
)
