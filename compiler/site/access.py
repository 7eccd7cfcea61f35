"""The access model: where clients reach each service, and what the service itself binds.

One source of truth, derived from the site model alone (pure). Policy grants and tests, DNS
records, launch binds and serve configs, the audit's expectations, the evaluator's site view
(matrix, lint, explain) and the review's universe all read it; none works it out again.

For each service:

- its **endpoints**, as tailnet clients see them: the address they connect to (the device's
  pinned tailnet address, or its LAN address through the location's subnet router), the port
  and protocol, and how the port is reached (`Reached`). A service published by `tailscale
  serve` is reached on the port serve publishes: the same port for raw TCP (`serve: tcp`), 443
  for HTTPS (`serve: https`, and OpenClaw's own `gateway.tailscale.mode: serve`);
- its **listeners**: the address and port the process binds (loopback behind serve, the LAN
  address for `expose: lan`/`reach: subnet`, else the tailnet address — a literal when pinned,
  `RUNTIME_IP` when looked up at start);
- its **serve routes**: each `tailscale serve` handler (published port → loopback target), and
  whether tailgen writes it or the service runs serve itself.

Beside it, reference expansion (`members`: the users a `group:`/`autogroup:member`/user key
stands for) and break-glass expansion (`break_glass_paths`), each computed once here.

`access(site)` is computed once per Site value (see `Site.derived`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum

from compiler.site.model import BindStrategy, Expose, Reach, Role, Serve, Service, Site

# Placeholder for "this node's Tailscale address, looked up when the service starts". Each
# launch target replaces it with its own syntax ($addr, ${TS_IP}, …); it is deliberately not
# valid shell, so a target that forgot to replace it produces a visible error, never a bind.
RUNTIME_IP = "⟨tailscale-ip⟩"
LOOPBACK = "127.0.0.1"
HTTPS_PORT = 443
SERVE_TARGET = "tailscale-serve"  # the launch target that only publishes a loopback service

# Service kinds that run `tailscale serve` themselves when bound to loopback, and the scheme
# they publish (OpenClaw's gateway.tailscale.mode: serve is HTTPS on 443: reference §9).
SERVES_ITSELF: dict[str, Serve] = {"openclaw": Serve.HTTPS}


class Reached(StrEnum):
    """How a client's packets get to the listener."""

    TAILNET = "tailnet"  # the node's tailnet address; the service listens there itself
    SERVE = "serve"  # the node's tailnet address; tailscaled's serve forwards to loopback
    SUBNET = "subnet"  # the device's LAN address, through its location's subnet router
    LAN = "lan"  # like subnet, because the site opted in to a LAN bind (expose: lan)


@dataclass(frozen=True, order=True)
class Endpoint:
    """One address:port/proto a client connects to. `address` is an IP literal, or None when
    it is the device's tailnet address and that is not pinned (the policy then names the
    device by tag or owner)."""

    service: str
    device: str
    address: str | None
    port: int
    proto: str  # tcp | udp
    reached: Reached
    scheme: str = "tcp"  # "https" when serve terminates TLS

    def dst(self, host: str | None = None) -> str:
        """`host:port` as policy tests write it (IPv6 literals bracketed); `host` defaults to
        the address."""
        return host_port(host or self.address or self.device, self.port)

    @property
    def on_tailnet(self) -> bool:
        return self.reached in (Reached.TAILNET, Reached.SERVE)


@dataclass(frozen=True)
class Listener:
    """What the service process binds: an IP literal, LOOPBACK, RUNTIME_IP, or None when the
    site gives no address for it (reported by the checks or the launch planner)."""

    host: str | None
    port: int
    proto: str


@dataclass(frozen=True)
class ServeRoute:
    """One `tailscale serve` handler on the node: published port → loopback target."""

    port: int
    scheme: Serve  # tcp (raw TCP forward) | https (TLS terminated, HTTP proxy)
    target_host: str
    target_port: int
    by_service: bool = False  # the service runs serve itself: tailgen writes no handler


@dataclass(frozen=True)
class ServiceAccess:
    """Everything about reaching one service (see the module docstring)."""

    name: str
    device: str
    proto: str
    users: tuple[str, ...]  # user keys the allow list stands for, in site order
    endpoints: tuple[Endpoint, ...]
    listeners: tuple[Listener, ...]
    serve: tuple[ServeRoute, ...] = ()

    @property
    def ports(self) -> tuple[int, ...]:
        """The ports clients connect to (what grants open and tests check)."""
        return tuple(e.port for e in self.endpoints)

    @property
    def served(self) -> bool:
        return bool(self.serve)


@dataclass(frozen=True)
class Conflict:
    """Two services on one node that publish the same tailnet port: only one can have it."""

    device: str
    proto: str
    port: int
    first: str
    second: str


@dataclass(frozen=True)
class BreakGlassPath:
    """A person who must keep SSH (or `port`) to a device: `break_glass[index]`."""

    user: str
    device: str
    port: int
    index: int


@dataclass(frozen=True)
class Access:
    """The access model of one site."""

    services: dict[str, ServiceAccess]
    conflicts: tuple[Conflict, ...]

    def endpoints(self) -> Iterator[Endpoint]:
        for svc in self.services.values():
            yield from svc.endpoints


def access(site: Site) -> Access:
    """The site's access model, computed once per Site value."""
    return site.derived("access", _compute)


def _compute(site: Site) -> Access:
    services = {
        name: service_access(site, name)
        for name, svc in site.services.items()
        if svc.device in site.devices
    }
    return Access(services, tuple(_conflicts(services)))


# ---------------------------------------------------------------------------------------------
# references


ROLE_AUTOGROUPS: dict[str, frozenset[Role]] = {
    "autogroup:admin": frozenset({Role.OWNER, Role.ADMIN}),
    "autogroup:owner": frozenset({Role.OWNER}),
    "autogroup:network-admin": frozenset({Role.NETWORK_ADMIN}),
}
"""The role autogroups a site can name, and the roles each covers (the owner is an admin too,
as the control plane reads it: compiler/evaluate/resolve.py agrees on the recorded cases)."""


def members(site: Site, ref: str) -> list[str]:
    """The user keys a reference stands for; tags and locations stand for no user."""
    if ref in site.users:
        return [ref]
    kind, _, name = ref.partition(":")
    if kind == "group":
        return list(site.groups.get(name, []))
    if ref == "autogroup:member":
        return list(site.users)
    if ref in ROLE_AUTOGROUPS:
        return [key for key, user in site.users.items() if user.role in ROLE_AUTOGROUPS[ref]]
    return []


def users_of(site: Site, refs: Iterable[str]) -> tuple[str, ...]:
    """The user keys a list of references stands for, each once, in site order."""
    found = {u for ref in refs for u in members(site, ref)}
    order = site.derived("user_order", _user_order)  # not a scan of every user per list
    return tuple(sorted((u for u in found if u in order), key=order.__getitem__))


def _user_order(site: Site) -> dict[str, int]:
    return {user: i for i, user in enumerate(site.users)}


def break_glass_paths(site: Site) -> list[BreakGlassPath]:
    """Every (person, device, port) the site says must never be lost, in file order."""
    paths: list[BreakGlassPath] = []
    for i, bg in enumerate(site.break_glass):
        for user in users_of(site, bg.who):
            paths.extend(BreakGlassPath(user, dev, bg.port, i) for dev in bg.devices)
    return paths


# ---------------------------------------------------------------------------------------------
# one service


def is_served(site: Site, svc: Service) -> bool:
    """Published by `tailscale serve` from loopback: `bind: loopback+serve`, or the
    tailscale-serve launch target (the service's own, else its device's)."""
    target = svc.launch or site.devices[svc.device].launch
    return svc.bind is BindStrategy.LOOPBACK_SERVE or target == SERVE_TARGET


def service_access(site: Site, name: str) -> ServiceAccess:
    svc = site.services[name]
    users = users_of(site, svc.allow)
    proto = svc.protocol.value
    if svc.expose is Expose.LAN or svc.reach is Reach.SUBNET:
        return _on_lan(site, name, users)
    if is_served(site, svc):
        return _served(site, name, users)
    pinned = site.pinned(svc.device)
    endpoints = tuple(
        Endpoint(name, svc.device, pinned, p, proto, Reached.TAILNET) for p in svc.port
    )
    listeners = tuple(Listener(pinned or RUNTIME_IP, p, proto) for p in svc.port)
    return ServiceAccess(name, svc.device, proto, users, endpoints, listeners)


def _on_lan(site: Site, name: str, users: tuple[str, ...]) -> ServiceAccess:
    """Reached at the device's LAN address through the subnet router, and listening there."""
    svc = site.services[name]
    lan = site.devices[svc.device].lan_ip
    address = str(lan) if lan is not None else None
    how = Reached.LAN if svc.expose is Expose.LAN else Reached.SUBNET
    proto = svc.protocol.value
    endpoints = tuple(Endpoint(name, svc.device, address, p, proto, how) for p in svc.port)
    listeners = tuple(Listener(address, p, proto) for p in svc.port)
    return ServiceAccess(name, svc.device, proto, users, endpoints, listeners)


def _served(site: Site, name: str, users: tuple[str, ...]) -> ServiceAccess:
    """Listening on loopback; clients reach the ports serve publishes on the tailnet address."""
    svc = site.services[name]
    pinned = site.pinned(svc.device)
    routes = serve_routes(svc)
    endpoints = tuple(
        Endpoint(name, svc.device, pinned, r.port, "tcp", Reached.SERVE, r.scheme.value)
        for r in routes
    )
    listeners = tuple(Listener(LOOPBACK, p, svc.protocol.value) for p in svc.port)
    return ServiceAccess(name, svc.device, "tcp", users, endpoints, listeners, routes)


def serve_routes(svc: Service) -> tuple[ServeRoute, ...]:
    """The serve handlers of a loopback service: HTTPS 443 → the first port (then raw TCP for
    any further ports), or raw TCP on each port. A kind that serves itself gets its own."""
    own = SERVES_ITSELF.get(svc.kind)
    scheme = own or svc.serve
    first, *rest = svc.port
    if scheme is Serve.HTTPS:
        head = ServeRoute(HTTPS_PORT, Serve.HTTPS, LOOPBACK, first, own is not None)
        tail = tuple(ServeRoute(p, Serve.TCP, LOOPBACK, p, own is not None) for p in rest)
        return (head, *tail)
    return tuple(ServeRoute(p, Serve.TCP, LOOPBACK, p, own is not None) for p in svc.port)


def _conflicts(services: dict[str, ServiceAccess]) -> Iterator[Conflict]:
    """Tailnet ports that two services of one node both claim, when at least one of them is
    published by serve (two direct binds on one port are the `duplicate-port` check's)."""
    owner: dict[tuple[str, str, int], ServiceAccess] = {}
    for svc in services.values():
        for ep in svc.endpoints:
            if not ep.on_tailnet:
                continue
            key = (ep.device, ep.proto, ep.port)
            first = owner.setdefault(key, svc)
            declared_twice = all(ep.port in (x.port for x in s.listeners) for s in (first, svc))
            if first is not svc and (first.served or svc.served) and not declared_twice:
                yield Conflict(ep.device, ep.proto, ep.port, first.name, svc.name)


def host_port(host: str, port: int) -> str:
    """`host:port`, with an IPv6 literal bracketed (`[fd00::1]:80`) as tests and URLs need."""
    return f"[{host}]:{port}" if _is_v6(host) else f"{host}:{port}"


def _is_v6(host: str) -> bool:
    """Only IPv6 literals hold two or more colons (`tag:ai`, names and IPv4 never do)."""
    return host.count(":") >= 2
