"""Service kinds (one module each), registered in one table.

Each kind knows its default port, how its bind address is set (environment variable, flags or
config file) and its known traps; `kind(name).build(...)` returns plain data. The bind guard
uses the union of every kind's bind keys, so an override written for one kind (say
OLLAMA_HOST on a generic service) is still inspected.
"""

from __future__ import annotations

from compiler.emit.services import generic, llamacpp, lmstudio, ollama, open_webui, openclaw, vllm
from compiler.emit.services.base import Kind

KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        ollama.KIND,
        lmstudio.KIND,
        openclaw.KIND,
        llamacpp.KIND,
        open_webui.KIND,
        vllm.KIND,
        generic.KIND,
    )
}

# Documented bind variables and flags of services that have no kind of their own yet
# (LocalAI, Gradio apps, ComfyUI, text-generation-webui, A1111): still guarded.
EXTRA_BIND_ENV = ("ADDRESS", "LOCALAI_ADDRESS", "GRADIO_SERVER_NAME")
EXTRA_BIND_FLAGS = ("--listen", "--listen-host", "--address", "--server-name", "--ip")


def kind(name: str) -> Kind:
    return KINDS[name]


# The unions over every kind, made once from the constant tables above: the guard asks for
# them for every argument list of every service.
_BIND_ENV = frozenset(EXTRA_BIND_ENV).union(*(k.bind_env for k in KINDS.values()))
_BIND_FLAGS = frozenset(EXTRA_BIND_FLAGS).union(*(k.bind_flags for k in KINDS.values()))
_BIND_CONFIG: frozenset[tuple[str, ...]] = frozenset().union(
    *(k.bind_config for k in KINDS.values())
)


def bind_env() -> frozenset[str]:
    return _BIND_ENV


def bind_flags() -> frozenset[str]:
    return _BIND_FLAGS


def bind_config() -> frozenset[tuple[str, ...]]:
    return _BIND_CONFIG
