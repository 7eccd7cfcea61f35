"""Windows: a PowerShell wrapper run by a scheduled task at boot (no third-party service host).

The wrapper waits until the `Tailscale` adapter owns the address in state Preferred, sets the
environment, runs the service and starts it again when it exits; the task has no execution
time limit (the default stops it after 72 hours).
"""

from __future__ import annotations

from compiler.emit.launch.common import context
from compiler.emit.launch.spec import Install, LaunchSpec, Rendered
from compiler.emit.launch.templating import render as render_template

TAILSCALE = "C:\\Program Files\\Tailscale\\tailscale.exe"


def render(spec: LaunchSpec) -> Rendered:
    ctx = context(spec)
    task = f"tailgen-{spec.service}"
    ctx.update(ts=TAILSCALE, task=task, client_env=sorted(spec.process.client_env.items()))
    out = Rendered()
    out.files["run.ps1"] = render_template("windows/run.ps1.j2", **ctx)
    out.files["install.ps1"] = render_template("windows/install.ps1.j2", **ctx)
    out.installs.append(Install("run.ps1", f"C:\\ProgramData\\tailgen\\{spec.service}\\run.ps1"))
    out.installs.append(Install("install.ps1", "(run in place)"))
    install = f".\\{spec.service}\\install.ps1"
    out.steps.append(f"powershell -ExecutionPolicy Bypass -File {install}   # elevated")
    out.verify += [
        f"Get-ScheduledTask -TaskName {task}",
        f"Get-NetTCPConnection -State Listen -LocalPort {spec.port}",
    ]
    return out
