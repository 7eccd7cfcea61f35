"""docker-compose: the container listens on all addresses inside; the host publishes the port
on the Tailscale address only (or on loopback for `tailscale serve`), never on every interface.
"""

from __future__ import annotations

from compiler.emit.launch.common import context
from compiler.emit.launch.spec import Install, LaunchSpec, Rendered
from compiler.emit.launch.templating import render as render_template
from compiler.site.model import OS

DROP_IN = "docker.service.d/50-after-tailscale.conf"


def render(spec: LaunchSpec) -> Rendered:
    ctx = context(spec)
    ctx["env"] = sorted(spec.process.env.items())
    out = Rendered()
    out.files["compose.yaml"] = render_template("docker-compose/compose.yaml.j2", **ctx)
    out.installs.append(Install("compose.yaml", f"/etc/tailgen/{spec.service}/compose.yaml"))
    if spec.os is OS.LINUX:
        out.files[DROP_IN] = render_template("docker-compose/after-tailscale.conf.j2", **ctx)
        out.installs.append(Install(DROP_IN, f"/etc/systemd/system/{DROP_IN}"))
        out.steps.append("systemctl daemon-reload")
    prefix = "TS_IP=$(tailscale ip -4) " if spec.runtime_lookup else ""
    out.steps.append(f"{prefix}docker-compose -f /etc/tailgen/{spec.service}/compose.yaml up -d")
    out.verify.append(f"docker ps --filter name={spec.service} --format '{{{{.Ports}}}}'")
    return out
