"""Open WebUI: `open-webui serve --host H --port P` (Docker: env HOST/PORT), default all interfaces.

When an Ollama on the same device is bound to the Tailscale address, Open WebUI can no longer
reach it on 127.0.0.1, so OLLAMA_BASE_URL is pointed at the address Ollama really uses.
"""

from __future__ import annotations

from compiler.emit.services.base import Kind, KindInput, KindSpec
from compiler.site.model import OS

CONTAINER_PORT = 8080


def build(k: KindInput) -> KindSpec:
    env = {"OLLAMA_BASE_URL": k.peers["ollama"]} if "ollama" in k.peers else {}
    if k.in_container:  # the image listens on all addresses inside the container
        return KindSpec(argv=tuple(k.args))
    argv = (k.program, "serve", "--host", k.host, "--port", str(k.port), *k.args)
    return KindSpec(argv=argv, env=env)


KIND = Kind(
    name="open-webui",
    default_port=CONTAINER_PORT,
    binds_by="`open-webui serve --host ADDRESS --port PORT` (container: HOST / PORT)",
    traps=(
        "Its default is every interface on port 8080: never start it without --host.",
        "OLLAMA_BASE_URL must name the address Ollama really listens on (its Tailscale address "
        "when Ollama is bound there), or a compose service name.",
    ),
    build=build,
    programs={
        OS.LINUX: "/usr/local/bin/open-webui",
        OS.MACOS: "/opt/homebrew/bin/open-webui",
        OS.WINDOWS: "open-webui.exe",
    },
    image="ghcr.io/open-webui/open-webui:main",
    volumes=("open-webui:/app/backend/data",),
    bind_env=("HOST",),
    bind_flags=("--host",),
)
