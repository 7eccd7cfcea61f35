"""vLLM `vllm serve MODEL --host H --port P`: with no --host it listens on every IPv4 address."""

from __future__ import annotations

from compiler.emit.services.base import Kind, KindInput, KindSpec
from compiler.site.model import OS

CONTAINER_PORT = 8000
NO_MODEL = "vllm serve needs the model: put it first in args: (e.g. [Qwen/Qwen3-8B])"


def build(k: KindInput) -> KindSpec:
    warnings: tuple[str, ...] = () if k.args else (NO_MODEL,)
    if k.os is OS.WINDOWS and not k.in_container:
        warnings += ("vLLM does not run natively on Windows: use launch: docker-compose or WSL",)
    if k.in_container:  # the image's entrypoint is `vllm serve`
        return KindSpec(argv=(*k.args, "--port", str(CONTAINER_PORT)), warnings=warnings)
    argv = (k.program, "serve", *k.args[:1], "--host", k.host, "--port", str(k.port), *k.args[1:])
    return KindSpec(argv=argv, warnings=warnings)


KIND = Kind(
    name="vllm",
    default_port=CONTAINER_PORT,
    binds_by="`vllm serve MODEL --host ADDRESS --port PORT`",
    traps=(
        "Without --host vLLM listens on every IPv4 address.",
        "--api-key protects only /v1, /v2 and /inference, not the other endpoints.",
    ),
    build=build,
    programs={
        OS.LINUX: "/usr/local/bin/vllm",
        OS.MACOS: "/opt/homebrew/bin/vllm",
        OS.WINDOWS: "vllm.exe",
    },
    image="vllm/vllm-openai:latest",
    bind_flags=("--host",),
)
