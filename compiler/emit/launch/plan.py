"""Site → one `LaunchSpec` per launched service (pure): target, bind host, process.

Decisions made here, in this order, so each has one home:
- the target: the service's `launch:`, else its device's, else the device OS's default;
- the host the process listens on: the access model's listener (`compiler.site.access`:
  the LAN address for `expose: lan`, warned later by the guard; loopback for serve; the
  pinned Tailscale address, or the runtime lookup placeholder when none is pinned), and the
  serve handlers from its serve routes — refused here when tailgen cannot launch it so;
- the process itself, from the service kind, with the site's `args`/`env` overrides.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from compiler.emit.launch.spec import Forward, LaunchSpec, Publish
from compiler.emit.services import kind as get_kind
from compiler.emit.services.base import LOOPBACK, RUNTIME_IP, Kind, KindInput, KindSpec, host_port
from compiler.errors import Problem, Severity
from compiler.site.access import access, is_served
from compiler.site.model import OS, BindStrategy, Expose, Protocol, Reach, Service, Site

DEFAULT_TARGETS = {OS.LINUX: "systemd", OS.MACOS: "launchd", OS.WINDOWS: "windows"}
NO_SERVICES = {OS.TVOS, OS.IOS, OS.ANDROID}
CHOOSE = "set launch: to choose one, or none to silence this"
NO_IMAGE = "set image: or choose another launch target"
NO_HOST = "the command has no {host}: tailgen cannot tell the program where to listen"
SERVE_UDP = "tailscale serve forwards TCP only; this service is udp"
SUBNET = (
    "reach: subnet clients connect to the LAN address, so it must listen there: "
    "set expose: lan (warned) or reach: tailnet"
)
SERVE = "tailscale-serve"
CONTAINER = "docker-compose"


@dataclass
class Plan:
    specs: list[LaunchSpec] = field(default_factory=list)
    skipped: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # device → (svc, why)
    problems: list[Problem] = field(default_factory=list)


def _problem(site: Site, name: str, code: str, message: str, warn: bool = False) -> Problem:
    severity = Severity.WARNING if warn else Severity.ERROR
    return Problem(code, f"service {name!r}: {message}", site.span("services", name), severity)


def primary_target(site: Site, svc: Service) -> str | None:
    dev = site.devices[svc.device]
    return svc.launch or dev.launch or DEFAULT_TARGETS.get(dev.os)


def bind_host(site: Site, name: str, target: str) -> str | Problem:
    """Where the service process listens (the access model's listener), or why tailgen
    cannot launch it there."""
    svc = site.services[name]
    listener = access(site).services[name].listeners[0]
    if svc.expose is Expose.LAN:
        if is_served(site, svc):
            return _problem(
                site, name, "expose-serve", "expose: lan cannot be combined with loopback+serve"
            )
        if listener.host is None:
            return _problem(
                site, name, "expose-no-lan-ip", f"expose: lan needs devices.{svc.device}.lan_ip"
            )
    elif svc.reach is Reach.SUBNET:
        return _problem(site, name, "subnet-bind", SUBNET)
    return listener.host or RUNTIME_IP


def home(os: OS, user: str | None) -> str:
    """The home directory per-user installs live in; a run-time variable when no user is named."""
    if os is OS.WINDOWS:
        return f"C:\\Users\\{user}" if user else "$env:USERPROFILE"
    if os is OS.MACOS:
        return f"/Users/{user}" if user else "$HOME"
    return f"/home/{user}" if user else "/root"


def program(kind: Kind, svc: Service, os: OS) -> str:
    if svc.program:
        return svc.program
    default = kind.programs.get(os) or kind.programs.get(OS.LINUX, "")
    return default.replace("{home}", home(os, svc.user))


def peers(site: Site, name: str) -> dict[str, str]:
    """Base URLs of other services on the same device that this one may call (Ollama)."""
    device = site.services[name].device
    found: dict[str, str] = {}
    for other in sorted(site.services_on(device)):
        svc = site.services[other]
        if other == name or svc.kind in found or svc.kind != "ollama":
            continue
        target = primary_target(site, svc)
        host = bind_host(site, other, target or "")
        if isinstance(host, str) and target:
            found[svc.kind] = f"http://{host_port(host, svc.port[0])}"
    return found


def unit(site: Site, name: str, kind: Kind) -> tuple[str, bool]:
    """systemd: a drop-in for the vendor's unit (keeping its ExecStart) when this is the
    device's only service of the kind and the site does not change the command; else our own."""
    svc = site.services[name]
    twins = [
        other
        for other in site.services_on(svc.device)
        if site.services[other].kind == svc.kind
        and primary_target(site, site.services[other]) == "systemd"
    ]
    if kind.packaged_unit and twins == [name] and not (svc.program or svc.args):
        return kind.packaged_unit, True
    return f"tailgen-{name}.service", False


def with_overrides(process: KindSpec, svc: Service) -> KindSpec:
    if not svc.env:
        return process
    return replace(process, env=dict(sorted({**process.env, **svc.env}.items())))


def skip_reason(site: Site, name: str, target: str | None) -> str | None:
    """Why a service gets no launch config, or None when it gets one."""
    svc = site.services[name]
    if target == "none":
        return "launch: none"
    if target is None:
        return f"{site.devices[svc.device].os.value} has no launch target"
    if svc.kind == "generic" and not svc.command and target not in (CONTAINER, SERVE):
        return "no command: declared for the policy only"
    return None


def _unlaunched(site: Site, name: str, target: str | None) -> Problem | None:
    """A warning when a service silently gets nothing because of its device's OS."""
    svc = site.services[name]
    if target is not None or svc.launch == "none":
        return None
    os = site.devices[svc.device].os
    why = "cannot run services" if os in NO_SERVICES else "has no launch target yet"
    message = f"{svc.device!r} runs {os.value}, which {why}: no launch config ({CHOOSE})"
    return _problem(site, name, "no-launch-target", message, warn=True)


def _placement(site: Site, name: str, kind: Kind, target: str) -> Problem | None:
    """Whether this kind can run under this target at all."""
    svc = site.services[name]
    if target == CONTAINER and not (svc.image or kind.image):
        return _problem(site, name, "no-image", f"{kind.name} has no container image: {NO_IMAGE}")
    generic_command = svc.kind == "generic" and svc.command
    if generic_command and target != CONTAINER and "{host}" not in (svc.command or ""):
        return _problem(site, name, "command-no-host", NO_HOST)
    if svc.protocol is Protocol.UDP and is_served(site, svc):
        return _problem(site, name, "serve-udp", SERVE_UDP)
    return None


def _targets(site: Site, name: str, target: str) -> tuple[str, ...]:
    """The primary target, then tailscale-serve when tailgen writes serve handlers for it."""
    routes = access(site).services[name].serve
    if target == SERVE or not any(not r.by_service for r in routes):
        return (target,)
    return (target, SERVE)


def _kind_input(site: Site, name: str, kind: Kind, host: str, target: str) -> KindInput:
    svc = site.services[name]
    os = site.devices[svc.device].os
    return KindInput(
        service=name,
        host=host,
        port=svc.port[0],
        os=os,
        program=program(kind, svc, os),
        args=tuple(svc.args),
        command=svc.command,
        strategy=BindStrategy.LOOPBACK_SERVE if host == LOOPBACK else BindStrategy.TAILNET_IP,
        in_container=target == CONTAINER,
        peers=peers(site, name),
    )


def _publish(svc: Service, kind: Kind, host: str) -> tuple[Publish, ...]:
    inside = kind.default_port or svc.port[0]
    first = Publish(host, svc.port[0], inside, svc.protocol.value)
    return (first, *(Publish(host, p, p, svc.protocol.value) for p in svc.port[1:]))


def _forwards(site: Site, name: str, targets: tuple[str, ...]) -> tuple[Forward, ...]:
    """The serve handlers tailgen writes: the access model's routes, less those the service
    publishes itself (OpenClaw's gateway.tailscale.mode)."""
    if SERVE not in targets:
        return ()
    routes = access(site).services[name].serve
    return tuple(
        Forward(r.port, r.target_host, r.target_port, r.scheme.value)
        for r in routes
        if not r.by_service
    )


def _spec(
    site: Site, name: str, kind: Kind, host: str, target: str, process: KindSpec
) -> LaunchSpec:
    svc = site.services[name]
    dev = site.devices[svc.device]
    targets = _targets(site, name, target)
    unit_name, drop_in = unit(site, name, kind)
    return LaunchSpec(
        device=svc.device,
        service=name,
        kind=kind.name,
        os=dev.os,
        targets=targets,
        host=host,
        ports=tuple(svc.port),
        process=process,
        pinned=str(dev.tailscale_ip) if dev.tailscale_ip is not None else None,
        expose_lan=svc.expose is Expose.LAN,
        in_container=target == CONTAINER,
        protocol=svc.protocol.value,
        user=svc.user,
        unit=unit_name,
        drop_in=drop_in,
        image=svc.image or kind.image,
        volumes=kind.volumes if target == CONTAINER else (),
        publish=_publish(svc, kind, host) if target == CONTAINER else (),
        forwards=_forwards(site, name, targets),
        origin=site.source_label,
    )


def plan_service(site: Site, name: str) -> tuple[LaunchSpec | str, list[Problem]]:
    """The spec for one service, or the reason it has none; plus problems found on the way."""
    svc = site.services[name]
    target = primary_target(site, svc)
    reason = skip_reason(site, name, target)
    if reason is not None or target is None:
        warning = _unlaunched(site, name, target)
        return reason or "", [warning] if warning else []
    kind = get_kind(svc.kind)
    host = bind_host(site, name, target)
    problem = host if isinstance(host, Problem) else _placement(site, name, kind, target)
    if problem is not None or isinstance(host, Problem):
        return "not generated (see the error)", [problem] if problem else []
    process = with_overrides(kind.build(_kind_input(site, name, kind, host, target)), svc)
    warnings = [_problem(site, name, f"{kind.name}-trap", w, warn=True) for w in process.warnings]
    return _spec(site, name, kind, host, target, process), warnings


def plan(site: Site) -> Plan:
    result = Plan()
    for name in sorted(site.services):
        if site.services[name].device not in site.devices:
            continue  # reported by the checks
        spec, problems = plan_service(site, name)
        result.problems.extend(problems)
        if isinstance(spec, LaunchSpec):
            result.specs.append(spec)
        else:
            result.skipped.setdefault(site.services[name].device, []).append((name, spec))
    return result
