"""The launch targets, registered in one table (sqlglot's dialect pattern).

A target is a module with `render(spec) -> Rendered` and a `templates/<target>/` folder. Adding
one (runit, a NixOS module) is one module, one folder and one line here plus its name in the
model's `LaunchTarget` literal (a test keeps the two equal).
"""

from __future__ import annotations

from collections.abc import Callable

from compiler.emit.launch import docker_compose, launchd, systemd, tailscale_serve, windows
from compiler.emit.launch.spec import LaunchSpec, Rendered

TARGETS: dict[str, Callable[[LaunchSpec], Rendered]] = {
    "systemd": systemd.render,
    "launchd": launchd.render,
    "windows": windows.render,
    "docker-compose": docker_compose.render,
    "tailscale-serve": tailscale_serve.render,
}
