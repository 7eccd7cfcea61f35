"""launchd (macOS): a per-user LaunchAgent (GPU access) that runs the service's own CLI.

launchd cannot order jobs after tailscaled (`NetworkState` is no longer implemented), so the
job is `/bin/sh -c` with a bounded wait for the address before `exec`; if it fails, KeepAlive
respawns it (at most every ThrottleInterval). Pinned values sit in EnvironmentVariables, where
an audit can read them; looked-up ones are exported by the wrapper.
"""

from __future__ import annotations

from compiler.emit.launch.common import context
from compiler.emit.launch.spec import Install, LaunchSpec, Rendered
from compiler.emit.launch.templating import render as render_template

TAILSCALE = "/Applications/Tailscale.app/Contents/MacOS/Tailscale"


def label(spec: LaunchSpec) -> str:
    return f"tailgen.{spec.service}"


def render(spec: LaunchSpec) -> Rendered:
    ctx = context(spec)
    ctx.update(ts=TAILSCALE, has_addr='/sbin/ifconfig | grep -qF "inet $addr "')
    script = render_template("launchd/start.sh.j2", **ctx).rstrip("\n")
    logs = f"/Users/{spec.user}/Library/Logs" if spec.user else "/tmp"
    name = f"{label(spec)}.plist"
    ctx.update(script=script, label=label(spec), log=f"{logs}/{label(spec)}.log")
    out = Rendered()
    out.files[name] = render_template("launchd/agent.plist.j2", **ctx)
    out.installs.append(Install(name, f"~/Library/LaunchAgents/{name}"))
    out.steps.append(f'launchctl bootstrap "gui/$(id -u)" ~/Library/LaunchAgents/{name}')
    out.verify += [
        f'launchctl print "gui/$(id -u)/{label(spec)}"',
        f"lsof -nP -iTCP:{spec.port} -sTCP:LISTEN",
    ]
    return out
