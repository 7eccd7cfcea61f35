"""What every target's templates share: the spec split into the pieces templates need."""

from __future__ import annotations

from typing import Any

from compiler.emit.launch.spec import RUNTIME_IP, LaunchSpec

WAIT_SECONDS = 120  # how long a start waits for the Tailscale address before failing
WAIT_STEP = 2


def split_env(env: dict[str, str] | Any) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(static, runtime): runtime values name the address looked up at start."""
    items = sorted(env.items())
    return [i for i in items if RUNTIME_IP not in i[1]], [i for i in items if RUNTIME_IP in i[1]]


def context(spec: LaunchSpec) -> dict[str, Any]:
    static_env, runtime_env = split_env(spec.process.env)
    return {
        "spec": spec,
        "service": spec.service,
        "device": spec.device,
        "origin": spec.origin,
        "pinned": spec.pinned if spec.host == spec.pinned else None,
        "runtime": spec.runtime_lookup,
        # Only a bind on the Tailscale address has to wait for it; loopback is always there.
        "needs_wait": spec.runtime_lookup or (spec.pinned is not None and spec.host == spec.pinned),
        "argv": spec.process.argv,
        "pre": spec.process.pre,
        "stop": spec.process.stop,
        "oneshot": spec.process.oneshot,
        "static_env": static_env,
        "runtime_env": runtime_env,
        "tries": WAIT_SECONDS // WAIT_STEP,
        "wait": WAIT_SECONDS,
        "step": WAIT_STEP,
    }
