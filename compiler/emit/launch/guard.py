"""The bind guard: the last look at every host value a launch config would write.

It runs over the finished specs (the data the templates render), not over the site, so no
path through the planner or a kind can slip a wildcard past it: environment variables and
flags known to carry a bind (the union over all kinds), config fragments, published ports
and serve forwards are classed; any other value that is itself a wildcard IP is caught too.
Allowed: loopback and this node's Tailscale address. Anything else is refused, naming the
service and its site.yaml line, unless the service says `expose: lan`: then it is a warning on
every build.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from compiler.emit import services
from compiler.emit.launch.hosts import HostClass, classify, describe, hosts_of, is_wildcard_literal
from compiler.emit.launch.spec import LaunchSpec
from compiler.errors import Problem, Severity
from compiler.site.model import Site

ALLOWED = {HostClass.LOOPBACK, HostClass.TAILNET}
HINT = "tailgen binds only the Tailscale address or loopback; `expose: lan` allows this, warned"
BARE_WILDCARD_FLAGS = {"--listen"}  # ComfyUI, text-generation-webui: no value = all interfaces


@dataclass(frozen=True)
class Bind:
    """One host value found in a spec, and where it was found."""

    where: str  # e.g. "OLLAMA_HOST=0.0.0.0" or "argument --host 0.0.0.0"
    host: str
    cls: HostClass | None
    key: str = ""  # the env key or flag, to find the site.yaml line


def _bind(where: str, value: str, tailnet: set[str], key: str = "") -> Iterator[Bind]:
    """`tailnet` holds the node's pinned address as `Site.pinned` writes it (canonical, in
    100.64.0.0/10: neither loopback nor a wildcard), which `classify` would call the tailnet
    after parsing it again; the other hosts are classed."""
    for host in hosts_of(value):
        yield Bind(
            where, host, HostClass.TAILNET if host in tailnet else classify(host, tailnet), key
        )


def env_binds(env: Mapping[str, str], tailnet: set[str]) -> Iterator[Bind]:
    keys = services.bind_env()
    for key, value in env.items():
        if key in keys or is_wildcard_literal(value):
            yield from _bind(f"{key}={value}", value, tailnet, key)


def argv_binds(argv: tuple[str, ...], tailnet: set[str]) -> Iterator[Bind]:
    flags = services.bind_flags()
    i = 0
    while i < len(argv):
        word, following = argv[i], argv[i + 1] if i + 1 < len(argv) else None
        flag, eq, inline = word.partition("=")
        if flag in flags and eq:
            yield from _bind(f"argument {word}", inline, tailnet, flag)
        elif word in flags and following is not None and not following.startswith("-"):
            yield from _bind(f"argument {word} {following}", following, tailnet, word)
            i += 1
        elif word in BARE_WILDCARD_FLAGS:
            yield Bind(f"argument {word} without an address", "", HostClass.WILDCARD, word)
        elif is_wildcard_literal(word):
            yield from _bind(f"argument {word}", word, tailnet)
        i += 1


def config_binds(
    data: Mapping[str, Any], tailnet: set[str], path: tuple[str, ...] = ()
) -> Iterator[Bind]:
    keys = services.bind_config()
    for key, value in data.items():
        here = (*path, key)
        if isinstance(value, Mapping):
            yield from config_binds(value, tailnet, here)
        elif isinstance(value, str) and (here in keys or is_wildcard_literal(value)):
            yield from _bind(f"{'.'.join(here)}: {value}", value, tailnet, ".".join(here))


def binds(spec: LaunchSpec) -> Iterator[Bind]:
    """Every host value the targets will write for this spec."""
    tailnet = {spec.pinned} if spec.pinned else set()
    if not spec.in_container:  # inside a container only the published host address matters
        yield from env_binds(spec.process.env, tailnet)
        for argv in (spec.process.argv, *spec.process.pre, spec.process.stop):
            yield from argv_binds(argv, tailnet)
        for config in spec.process.config:
            yield from config_binds(config.data, tailnet)
    for pub in spec.publish:
        yield from _bind(f"published port {pub.host_port} on {pub.host}", pub.host, tailnet)


def _span_path(site: Site, spec: LaunchSpec, bind: Bind) -> tuple[str | int, ...]:
    """The most precise site.yaml key the value came from (env key, args, command), else the
    service itself (or its `expose:` for LAN binds tailgen chose)."""
    svc = site.services[spec.service]
    base: tuple[str | int, ...] = ("services", spec.service)
    if bind.key in svc.env:
        return (*base, "env", bind.key)
    for key, text in (("args", " ".join(svc.args)), ("command", svc.command or "")):
        if (bind.key and bind.key in text) or (bind.host and bind.host in text):
            return (*base, key)
    return (*base, "expose") if spec.expose_lan else base


def _problem(site: Site, spec: LaunchSpec, bind: Bind) -> Problem:
    assert bind.cls is not None
    form = describe(bind.cls, bind.host)
    path = _span_path(site, spec, bind)
    if spec.expose_lan:
        message = f"service {spec.service!r}: {bind.where} binds {form} (expose: lan: LAN neighbours can reach it)"
        return Problem("bind-lan", message, site.span(*path), Severity.WARNING, path=path)
    message = f"service {spec.service!r}: {bind.where} binds {form}"
    return Problem("bind-guard", message, site.span(*path), Severity.ERROR, HINT, path)


def forward_problems(site: Site, spec: LaunchSpec) -> Iterator[Problem]:
    for fwd in spec.forwards:
        if classify(fwd.target_host) is not HostClass.LOOPBACK:
            message = f"service {spec.service!r}: tailscale serve forwards to {fwd.target_host}, not loopback"
            yield Problem("bind-guard", message, site.span("services", spec.service))


def check(site: Site, specs: list[LaunchSpec]) -> list[Problem]:
    """Problems for every forbidden bind in the finished specs (errors, or warnings for lan)."""
    problems: list[Problem] = []
    for spec in specs:
        seen: set[tuple[str, str]] = set()
        for bind in binds(spec):
            if bind.cls is None or bind.cls in ALLOWED or (bind.where, bind.host) in seen:
                continue
            seen.add((bind.where, bind.host))
            problems.append(_problem(site, spec, bind))
        problems.extend(forward_problems(site, spec))
    return problems
