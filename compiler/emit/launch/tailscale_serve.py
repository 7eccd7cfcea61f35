"""tailscale-serve: the service stays on loopback; `tailscale serve --tcp` publishes it.

Used after the OS target for `bind: loopback+serve`, or alone (`launch: tailscale-serve`) for a
service started some other way that already listens on loopback (a desktop app). Loopback binds
also resist the Linux weak-host problem: 127/8 packets from another interface are martians.
"""

from __future__ import annotations

from compiler.emit.launch import launchd, windows
from compiler.emit.launch.common import context
from compiler.emit.launch.spec import Install, LaunchSpec, Rendered
from compiler.emit.launch.templating import render as render_template
from compiler.site.model import OS


def _script(spec: LaunchSpec) -> tuple[str, str, str]:
    """(file, template, tailscale CLI) for the device's OS."""
    if spec.os is OS.WINDOWS:
        return "serve.ps1", "tailscale-serve/serve.ps1.j2", windows.TAILSCALE
    cli = launchd.TAILSCALE if spec.os is OS.MACOS else "tailscale"
    return "serve.sh", "tailscale-serve/serve.sh.j2", cli


def render(spec: LaunchSpec) -> Rendered:
    out = Rendered()
    if not spec.forwards:  # the service publishes itself (OpenClaw's gateway.tailscale.mode)
        out.steps.append(f"# nothing to run: {spec.service} runs tailscale serve itself")
        return out
    name, template, cli = _script(spec)
    out.files[name] = render_template(template, **context(spec), ts=cli)
    out.installs.append(Install(name, "(run in place)", "0755"))
    script = f"sh {spec.service}/{name}" if name.endswith(".sh") else f".\\{spec.service}\\{name}"
    out.steps.append(f"{script} on")
    out.verify.append(f"{cli if spec.os is OS.MACOS else 'tailscale'} serve status")
    return out
