"""llama.cpp `llama-server`: `--host H --port P` (env LLAMA_ARG_HOST / LLAMA_ARG_PORT).

The default port is announced to move from 8080 to 9931, so the port is always passed.
"""

from __future__ import annotations

from compiler.emit.services.base import Kind, KindInput, KindSpec
from compiler.site.model import OS

CONTAINER_PORT = 8080


def build(k: KindInput) -> KindSpec:
    if k.in_container:  # the server image listens on all addresses inside the container
        return KindSpec(argv=("--port", str(CONTAINER_PORT), *k.args))
    return KindSpec(argv=(k.program, "--host", k.host, "--port", str(k.port), *k.args))


KIND = Kind(
    name="llamacpp",
    default_port=CONTAINER_PORT,
    binds_by="`llama-server --host ADDRESS --port PORT` (or LLAMA_ARG_HOST / LLAMA_ARG_PORT)",
    traps=(
        "The default port is moving from 8080 to 9931; tailgen always passes --port.",
        "With several --host addresses, `::` means IPv6 only; tailgen passes one address.",
        "Pass the model in `args:` (e.g. [-m, /srv/models/model.gguf]); add --api-key-file "
        "for a shared secret.",
    ),
    build=build,
    programs={
        OS.LINUX: "/usr/local/bin/llama-server",
        OS.MACOS: "/opt/homebrew/bin/llama-server",
        OS.WINDOWS: "C:\\llama.cpp\\llama-server.exe",
    },
    image="ghcr.io/ggml-org/llama.cpp:server",
    bind_env=("LLAMA_ARG_HOST",),
    bind_flags=("--host",),
)
