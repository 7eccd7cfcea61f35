"""systemd (Linux): a unit, or a drop-in for the vendor's unit, ordered after tailscaled.

Ordering is belt and braces: `Wants=`/`After=tailscale-online.target` where the Tailscale
package ships it (≥ 1.98), and on every version an `ExecStartPre=+` script that waits, bounded,
until tailscale0 carries the node's address — refusing a stale pinned address, or writing the
looked-up one to an environment file the unit reads (a failed lookup fails the start).
"""

from __future__ import annotations

from compiler.emit.launch.common import context
from compiler.emit.launch.spec import Install, LaunchSpec, Rendered
from compiler.emit.launch.templating import render as render_template

LIBEXEC = "/usr/local/libexec/tailgen"
UNIT_DIR = "/etc/systemd/system"
ENV_DIR = "/run/tailgen"


def _unit_file(spec: LaunchSpec) -> tuple[str, str]:
    """(file name in out/, template)."""
    if spec.drop_in:
        return f"{spec.unit}.d/50-tailnet.conf", "systemd/drop-in.conf.j2"
    return spec.unit, "systemd/unit.service.j2"


def render(spec: LaunchSpec) -> Rendered:
    ctx = context(spec)
    ready = f"{LIBEXEC}/{spec.service}-tailnet-ready"
    ctx.update(
        unit=spec.unit,
        ready_path=ready,
        env_dir=ENV_DIR,
        env_file=f"{ENV_DIR}/{spec.service}.env",
        ts="tailscale",
        has_addr='ip -o -4 addr show dev tailscale0 2>/dev/null | grep -qF " $addr/"',
        client_env=sorted(spec.process.client_env.items()),
    )
    name, template = _unit_file(spec)
    out = Rendered()
    out.files[name] = render_template(template, **ctx)
    out.installs.append(Install(name, f"{UNIT_DIR}/{name}"))
    if ctx["needs_wait"]:
        out.files["tailnet-ready.sh"] = render_template("systemd/tailnet-ready.sh.j2", **ctx)
        out.installs.append(Install("tailnet-ready.sh", ready, "0755"))
    if spec.process.client_env:
        out.files["client-env.sh"] = render_template("systemd/client-env.sh.j2", **ctx)
        out.installs.append(Install("client-env.sh", f"/etc/profile.d/tailgen-{spec.service}.sh"))
    verb = "restart" if spec.drop_in else "enable --now"
    out.steps += ["systemctl daemon-reload", f"systemctl {verb} {spec.unit}"]
    out.verify += [f"systemctl status {spec.unit}", f"ss -Htlnp 'sport = :{spec.port}'"]
    return out
