"""LM Studio: `lms server start --bind ADDRESS --port N` (lms ≥ 2025-10; env LMS_SERVER_HOST).

The source document's `lmstudio --port [tailscale0]:11337` does not exist. `lms server start`
returns once the server runs inside the LM Studio daemon, so launch configs treat it as a
one-shot command after `lms daemon up`.
"""

from __future__ import annotations

from compiler.emit.services.base import Kind, KindInput, KindSpec
from compiler.site.model import OS


def build(k: KindInput) -> KindSpec:
    lms = k.program
    return KindSpec(
        argv=(lms, "server", "start", "--bind", k.host, "--port", str(k.port), *k.args),
        pre=((lms, "daemon", "up"),),
        stop=(lms, "daemon", "down"),
        oneshot=True,
    )


KIND = Kind(
    name="lmstudio",
    default_port=1234,
    binds_by="`lms server start --bind ADDRESS --port PORT` (or LMS_SERVER_HOST)",
    traps=(
        "The app's 'Serve on Local Network' switch listens on all interfaces (it only displays "
        "one address): keep it off.",
        "`lms server status` and `lms server stop` probe 127.0.0.1 and report 'not running' for "
        "a server bound elsewhere (lms #622): check GET /lmstudio-greeting on the bound address.",
        "The default port is 1234; tailgen always passes --port.",
        "`lms server start` returns once the server is up, so the service manager cannot "
        "restart the server if it dies later.",
    ),
    build=build,
    programs={
        # LM Studio installs its CLI per user; "{home}" is the `user:`'s home directory.
        OS.LINUX: "{home}/.lmstudio/bin/lms",
        OS.MACOS: "{home}/.lmstudio/bin/lms",
        OS.WINDOWS: "{home}\\.lmstudio\\bin\\lms.exe",
    },
    bind_env=("LMS_SERVER_HOST",),
    bind_flags=("--bind",),
)
