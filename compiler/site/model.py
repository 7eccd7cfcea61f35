"""The site model: what a person declares in site.yaml, validated by pydantic.

The model holds facts and intent only (who, what, where, who may use it). Everything that
follows from it (policy rules, DNS records, launch files) is derived by `compiler.emit`.
Every model forbids unknown keys so a typo is an error with a "did you mean" hint, not a
silently ignored setting.

Names used as references:
- users, devices, locations and services are keyed by short names chosen by the author;
- `allow`/`from` lists take a user key (`emory`), `group:NAME`, `tag:NAME`,
  `autogroup:member`, or `location:KEY` (that location's subnets).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from enum import StrEnum
from typing import Annotated, Any, Literal, TypeVar, cast

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    IPvAnyAddress,
    IPvAnyNetwork,
    PrivateAttr,
    field_validator,
    model_validator,
)

from compiler.errors import Span, did_you_mean
from compiler.site.source import SourceMap

IPv4 = ipaddress.IPv4Address
TAILSCALE_V4 = ipaddress.IPv4Network("100.64.0.0/10")
"""Where Tailscale gives nodes their IPv4 addresses (CGNAT space); built once, not per device
validated (a network parse per device was 40 % of validating a large site)."""
IP = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
# Site fields accept IPv6 wherever they accept IPv4 (home LANs increasingly have ULA/GUA
# prefixes, and Tailscale routes and auto-approves them); pydantic's "any" types give one
# error for a value that is neither, not one per family.


T = TypeVar("T")


def contains(net: Network, value: IP | Network) -> bool:
    """`value` (an address or a network) lies inside `net`; never true across IP versions
    (`ipaddress` raises for mixed-version networks and compares raw integers for addresses)."""
    if net.version != value.version:
        return False
    if isinstance(value, ipaddress.IPv4Network | ipaddress.IPv6Network):
        return value.subnet_of(net)  # type: ignore[arg-type]
    return value in net


def overlap(a: Network, b: Network) -> bool:
    return a.version == b.version and a.overlaps(b)


def _as_list(value: Any) -> Any:
    """Let a single value stand where a list is expected (`subnets: 10.0.0.0/24`)."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _as_ports(value: Any) -> Any:
    return _as_list(value)


def _dotted_quad(value: Any) -> Any:
    """A canonical dotted quad (`100.64.0.7`) as its address, parsed by the C library: the
    strings `IPv4Address` accepts are exactly those `inet_aton` reads and `inet_ntoa` writes
    back unchanged (four decimal octets, no leading zeros). Anything else is left as it is,
    for pydantic's validator and its message; a site pins thousands of addresses, and the
    pure-Python parse of each was a fifth of validating a large site."""
    if type(value) is str:
        try:
            packed = socket.inet_aton(value)
        except (OSError, ValueError):  # not an address, or a NUL / non-ASCII character
            return value
        if socket.inet_ntoa(packed) == value:
            return IPv4(packed)
    return value


PinnedV4 = Annotated[IPv4 | None, BeforeValidator(_dotted_quad)]


Port = Annotated[int, Field(ge=1, le=65535)]
# `json_schema_input_type`: the JSON Schema says what the loader accepts (one value or a list).
Ports = Annotated[list[Port], BeforeValidator(_as_ports, json_schema_input_type=Port | list[Port])]
Subnets = Annotated[
    list[IPvAnyNetwork],
    BeforeValidator(
        _as_list,
        json_schema_input_type=IPvAnyNetwork | list[IPvAnyNetwork] | None,
    ),
]
Names = Annotated[
    list[str], BeforeValidator(_as_list, json_schema_input_type=str | list[str] | None)
]


class Strict(BaseModel):
    """Base: unknown keys are errors, values are not coerced across types silently."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Role(StrEnum):
    MEMBER = "member"
    ADMIN = "admin"
    OWNER = "owner"
    NETWORK_ADMIN = "network-admin"


class OS(StrEnum):
    LINUX = "linux"
    MACOS = "macos"
    WINDOWS = "windows"
    IOS = "ios"
    TVOS = "tvos"
    ANDROID = "android"
    FREEBSD = "freebsd"


class Protocol(StrEnum):
    TCP = "tcp"
    UDP = "udp"


# Launch targets and service kinds are checked here so a typo is reported at its site.yaml line;
# tests assert these equal the registries in compiler.emit.launch and compiler.emit.services.
LaunchTarget = Literal["systemd", "launchd", "windows", "docker-compose", "tailscale-serve", "none"]
ServiceKind = Literal["ollama", "lmstudio", "openclaw", "llamacpp", "open-webui", "vllm", "generic"]


class BindStrategy(StrEnum):
    TAILNET_IP = "tailnet-ip"
    LOOPBACK_SERVE = "loopback+serve"


class Reach(StrEnum):
    """How clients reach a service: the node's tailnet address, or its LAN address via the router."""

    TAILNET = "tailnet"
    SUBNET = "subnet"


class Expose(StrEnum):
    TAILNET = "tailnet"
    LAN = "lan"


class Serve(StrEnum):
    """How `tailscale serve` publishes a loopback service: raw TCP on the same port(s), or
    HTTPS on 443 (TLS terminated by tailscaled, then HTTP to the loopback port)."""

    TCP = "tcp"
    HTTPS = "https"


class PlanLimits(Strict):
    """Limits of a Tailscale plan; `None` means unlimited."""

    users: int | None = Field(None, description="Most users the plan allows (null: no limit)")
    groups: int | None = Field(None, description="Most ACL groups the plan allows (null: no limit)")
    tagged: int | None = Field(
        None, description="Most tagged devices the plan allows (null: no limit)"
    )


PLAN_PRESETS: dict[str, PlanLimits] = {
    "personal": PlanLimits(users=6, groups=3, tagged=50),
    "standard": PlanLimits(groups=10),
    "premium": PlanLimits(groups=300),
    "enterprise": PlanLimits(),
}


class User(Strict):
    login: str = Field(
        description="Login exactly as Tailscale shows it: alice@github, bob@example.com"
    )
    role: Role = Field(Role.MEMBER, description="Tailnet role: member, admin, owner, network-admin")
    name: str = Field("", description="Display name (documentation only)")


class Tag(Strict):
    owners: Names = Field(
        default_factory=list,
        description="Who may apply the tag: user keys, group:NAME, tag:NAME; empty = admins only",
    )


class Location(Strict):
    name: str = Field("", description="Human name of the place, e.g. Philadelphia")
    subnets: Subnets = Field(default_factory=list, description="LAN prefixes behind the router")
    zone: str | None = Field(None, description="DNS zone served at this location, e.g. phl.kvet.ch")
    resolver: IPvAnyAddress | None = Field(
        None,
        description="Resolver for `zone`: a LAN address (reached through `router`) or a "
        "device's tailscale_ip",
    )
    router: str | None = Field(None, description="Device that advertises `subnets`")
    wifi: str | None = Field(None, description="Wi-Fi name (documentation only)")
    use_with_exit_node: bool = Field(
        False, description="Keep using this location's resolver while an exit node is on"
    )


class ExpectedListener(Strict):
    """A listener the host runs on purpose (sshd, SMB): `tailgen audit` shows it as expected
    and does not count it as a finding, even on a wildcard address."""

    port: (
        Annotated[int, Field(ge=1, le=65535)] | Annotated[str, Field(pattern=r"^\d+-\d+$")] | None
    ) = Field(None, description="Port or range, e.g. 22 or 49664-49669; any port when omitted")
    process: str | None = Field(
        None, description="Process name as the listener table shows it, e.g. sshd; any if omitted"
    )
    why: str = Field("", description="What it is, for the audit's output, e.g. Remote Login")

    @model_validator(mode="after")
    def _port_or_process(self) -> ExpectedListener:
        if self.port is None and self.process is None:
            raise ValueError("give a port, a process, or both")
        low, high = self.port_range()
        if not 1 <= low <= high <= 65535:
            raise ValueError(f"port range {self.port} is not within 1-65535, low to high")
        return self

    def port_range(self) -> tuple[int, int]:
        if self.port is None:
            return (1, 65535)
        if isinstance(self.port, int):
            return (self.port, self.port)
        low, _, high = self.port.partition("-")
        return (int(low), int(high))


class Audit(Strict):
    """What `tailgen audit` should expect on every device, besides what each device declares."""

    expected: list[ExpectedListener] = Field(
        default_factory=list, description="Expected on every device, e.g. {port: 22, process: sshd}"
    )
    os_defaults: bool = Field(
        True,
        description="Also expect each OS's own services (Windows RPC/SMB, macOS rapportd/AirPlay)",
    )


class Device(Strict):
    os: OS = Field(OS.LINUX, description="Operating system: decides launch target and SSH")
    location: str | None = Field(None, description="Location key where the device sits")
    owner: str | None = Field(None, description="User key; omit for a tagged-only device")
    tags: Names = Field(default_factory=list, description="Tag names (declared under tags:)")
    tailscale_ip: PinnedV4 = Field(None, description="Pinned Tailscale IPv4 (100.64.0.0/10)")
    lan_ip: IPvAnyAddress | None = Field(
        None, description="Address on the location's LAN (IPv4 or IPv6)"
    )
    routes: Subnets = Field(default_factory=list, description="Subnet routes it advertises")
    exit_node: bool = Field(False, description="Advertises itself as an exit node (auto-approved)")
    mullvad: bool = Field(False, description="Gets Mullvad exit nodes (the add-on: at most 5)")
    launch: LaunchTarget | None = Field(
        None,
        description="Launch target for its services (default from os: linux systemd, macos "
        "launchd, windows windows; none for tvos/ios/android, which cannot run services)",
    )
    expected_listeners: list[ExpectedListener] = Field(
        default_factory=list, description="Listeners `tailgen audit` expects on this device"
    )

    @field_validator("tailscale_ip")
    @classmethod
    def _in_cgnat(cls, value: IPv4 | None) -> IPv4 | None:
        if value is not None and value not in TAILSCALE_V4:
            raise ValueError(f"{value} is not a Tailscale address ({TAILSCALE_V4})")
        return value


class Service(Strict):
    device: str = Field(description="Device key the service runs on")
    kind: ServiceKind = Field("generic", description="What runs: decides how the bind is set")
    port: Ports = Field(description="Port or list of ports the service listens on")
    protocol: Protocol = Field(Protocol.TCP, description="tcp or udp")
    allow: Names = Field(default_factory=list, description="Who may use it")
    name: str | None = Field(None, description="DNS name, e.g. ollama.iow.kvet.ch")
    cname: bool = Field(False, description="Publish `name` as a CNAME to the MagicDNS name")
    bind: BindStrategy = Field(
        BindStrategy.TAILNET_IP,
        description="tailnet-ip: bind the node's Tailscale address; loopback+serve: bind "
        "loopback and publish with tailscale serve",
    )
    reach: Reach = Field(
        Reach.TAILNET,
        description="tailnet: clients use the node's tailnet address; subnet: its lan_ip "
        "through the location's router",
    )
    expose: Expose = Field(Expose.TAILNET, description="`lan` opts in to a LAN bind (warned)")
    serve: Serve = Field(
        Serve.TCP,
        description="With bind: loopback+serve: `tcp` publishes the same port(s), `https` "
        "publishes https://<node>.<tailnet>.ts.net on 443",
    )
    command: str | None = Field(None, description="generic kind: command with {host} and {port}")
    launch: LaunchTarget | None = Field(
        None,
        description="Launch target override for this service (`none`: tailgen writes no launch "
        "config; `tailscale-serve`: only publish a loopback service you start yourself)",
    )
    program: str | None = Field(
        None, description="Executable to start (default: the kind's usual path on the device's OS)"
    )
    args: list[str] = Field(
        default_factory=list,
        description="Extra arguments after the bind flags, e.g. the model for llama.cpp or vLLM",
    )
    env: dict[str, str] = Field(
        default_factory=dict,
        description="Extra environment for the service; checked by the bind guard like the rest",
    )
    image: str | None = Field(
        None, description="Container image for launch: docker-compose (default: the kind's image)"
    )
    user: str | None = Field(
        None,
        description="Account the service runs as (systemd User=, Windows task principal); "
        "also picks the home directory for per-user installs such as LM Studio",
    )


class Record(Strict):
    """A name the model declares outright (a printer, a NAS): exactly one of address or cname."""

    name: str = Field(description="Full name inside a split-DNS zone, e.g. nas.phl.kvet.ch")
    address: IPvAnyAddress | None = Field(
        None, description="IPv4 or IPv6 address: published as an A or AAAA record"
    )
    cname: str | None = Field(None, description="Target name: published as a CNAME record")


class SharedZone(Strict):
    """A zone served by several locations' resolvers (any of them answers)."""

    zone: str = Field(description="DNS zone, e.g. estuary.kvet.ch")
    resolvers: list[IPvAnyAddress] = Field(
        description="Resolver addresses, each inside a location subnet"
    )
    use_with_exit_node: bool = Field(
        False, description="Keep using these resolvers while an exit node is on"
    )


class Nameserver(Strict):
    address: ipaddress.IPv4Address | ipaddress.IPv6Address = Field(
        description="Resolver address for every other name, e.g. 1.1.1.1"
    )
    use_with_exit_node: bool = Field(
        False, description="Keep using this nameserver while an exit node is on"
    )


class DNS(Strict):
    magic_dns: bool | None = Field(
        None,
        description="MagicDNS on/off; default: on when there is at least one nameserver (the API "
        "refuses MagicDNS without one)",
    )
    magic_dns_suffix: str | None = Field(
        None,
        description="The tailnet's MagicDNS domain, e.g. tail1234.ts.net; needed by `cname: true`",
    )
    override_local_dns: bool = Field(
        False, description="Devices use the tailnet's nameservers instead of their own"
    )
    nameservers: list[Nameserver] = Field(default_factory=list, description="Global nameservers")
    search_paths: list[str] = Field(
        default_factory=list, description="Search domains, e.g. estuary.kvet.ch"
    )
    shared_zones: list[SharedZone] = Field(
        default_factory=list, description="Zones answered by several locations' resolvers"
    )
    records: list[Record] = Field(
        default_factory=list, description="Names declared outright (a printer, a NAS)"
    )

    @property
    def magic_dns_on(self) -> bool:
        """MagicDNS as the tailnet will have it: as written, else on when a nameserver exists."""
        return bool(self.nameservers) if self.magic_dns is None else self.magic_dns


class ExitNodes(Strict):
    allow: Names = Field(default_factory=list, description="Who may use exit nodes")


class SSHRule(Strict):
    from_: Names = Field(alias="from", description="Who may connect: user keys, group:, tag:")
    to: Names = Field(description="Where: tag:NAME or autogroup:self")
    as_: Names = Field(
        alias="as",
        default_factory=lambda: ["autogroup:nonroot"],
        description="Local accounts they may log in as",
    )
    mode: Literal["accept", "check"] = Field(
        "accept", description="accept, or check (re-authenticate periodically)"
    )


class BreakGlass(Strict):
    """A path that must never be lost: these people keep SSH to these devices."""

    who: Names = Field(description="User keys who must keep the path")
    devices: Names = Field(description="Device keys they must keep reaching")
    port: int = Field(22, ge=1, le=65535, description="The port of the path (22: SSH)")


POLICY_SECTIONS: dict[str, type] = {
    **dict.fromkeys(("acls", "grants", "ssh", "nodeAttrs", "tests", "sshTests"), list),
    **dict.fromkeys(("groups", "hosts", "tagOwners", "autoApprovers", "postures"), dict),
    **dict.fromkeys(("ipsets", "derpMap"), dict),
    "defaultSrcPosture": list,
    **dict.fromkeys(("disableIPv4", "OneCGNATRoute", "randomizeClientPort"), object),
}
"""Top-level keys of a Tailscale policy file (matched case-insensitively, as the control plane
does), for the `policy:` escape hatch."""


class Site(Strict):
    tailnet: str = Field("-", description='Tailnet name; "-" = the tailnet of the API key')
    target: Literal["tailscale", "headscale"] = Field(
        "tailscale",
        description="Control server: `headscale` also writes out/headscale/ (policy in the subset "
        "headscale accepts, the `dns:` section of its config.yaml) and lints what it cannot express",
    )
    plan: Literal["personal", "standard", "premium", "enterprise"] | None = Field(
        None, description="Tailscale plan: its limits are checked on every build"
    )
    limits: PlanLimits | None = Field(None, description="Override the plan preset's limits")
    users: dict[str, User] = Field(default_factory=dict, description="People, by short key")
    groups: dict[str, Names] = Field(
        default_factory=dict, description="Groups of user keys, referenced as group:NAME"
    )
    tags: dict[str, Tag] = Field(default_factory=dict, description="Tags and who owns them")
    locations: dict[str, Location] = Field(
        default_factory=dict, description="Places with a LAN behind a subnet router"
    )
    dns: DNS = Field(default_factory=DNS, description="MagicDNS, nameservers and split DNS")
    devices: dict[str, Device] = Field(default_factory=dict, description="Machines, by hostname")
    services: dict[str, Service] = Field(
        default_factory=dict, description="What runs where, and who may use it"
    )
    exit_nodes: ExitNodes = Field(
        default_factory=ExitNodes, description="Who may use the exit nodes"
    )
    ssh: list[SSHRule] = Field(default_factory=list, description="Tailscale SSH rules")
    break_glass: list[BreakGlass] = Field(
        default_factory=list,
        description="Paths that must never be lost (a push losing one is unsafe)",
    )
    audit: Audit = Field(
        default_factory=Audit, description="What `tailgen audit` expects besides the services"
    )
    policy: dict[str, Any] = Field(
        default_factory=dict,
        description="Escape hatch for what the model cannot say (posture-gated rules, app "
        "capabilities, custom nodeAttrs, ipsets, rules on arbitrary CIDRs…): policy sections "
        "merged verbatim into the compiled policy after everything the model generates (a list "
        "section's entries are appended, an object section's keys added). Each entry is "
        "validated, evaluated, diffed and linted like generated ones, with its site line as "
        "provenance. `tailgen import` puts here exactly what it could not model.",
    )

    @field_validator("policy")
    @classmethod
    def _policy_sections(cls, value: dict[str, Any]) -> dict[str, Any]:
        kinds = {name.lower(): kind for name, kind in POLICY_SECTIONS.items()}
        for name, body in value.items():
            kind = kinds.get(name.lower())
            if kind is None:
                hint = did_you_mean(name, POLICY_SECTIONS)
                raise ValueError(
                    f"{name!r} is not a policy section" + (f"; {hint}" if hint else "")
                )
            if kind is not object and not isinstance(body, kind):
                raise ValueError(f"policy section {name!r} is a {kind.__name__}")
        return value

    _source: SourceMap = PrivateAttr(default_factory=lambda: SourceMap("site.yaml"))
    _derived: dict[str, tuple[dict[str, Any], Any]] = PrivateAttr(default_factory=dict)

    def derived(self, name: str, compute: Callable[[Site], T]) -> T:
        """`compute(self)`, remembered while this site keeps the same field values.

        A derived index (services by device, the access model) is keyed by this site's field
        dictionary itself, held by reference (never `id()`): the model is frozen, and every
        copy — `model_copy(update=...)` too, which shares private attributes with the
        original — gets a dictionary of its own, so a copy recomputes instead of answering
        from the original's index. One identity test, not one per field, per question: the
        planner and the checks ask tens of thousands of times on a large site.
        """
        fields = self.__dict__
        hit = self.__pydantic_private__["_derived"].get(name)  # type: ignore[index]
        if hit is not None and hit[0] is fields:
            return hit[1]  # not `cast(T, …)`: a function call per question
        value = compute(self)
        self._derived = {**self._private["_derived"], name: (fields, value)}
        return value

    @property
    def _private(self) -> dict[str, Any]:
        """The private attributes themselves: reading `self._source` goes through pydantic's
        `__getattr__`, about thirty times slower, and spans and derived indexes are asked
        for tens of thousands of times on a large site."""
        return cast(dict[str, Any], self.__pydantic_private__)

    def services_on(self, device: str) -> list[str]:
        """Names of the services on `device`, in declaration order (indexed once per site
        value, so per-service lookups stay linear in the size of the site)."""
        return self.derived("services_by_device", _services_by_device).get(device, [])

    def pinned(self, device: str) -> str | None:
        """A device's pinned Tailscale address as text (`100.64.0.7`), or None when it has
        none or is not declared: written out once per site value, since the access model,
        the planner, the policy's hosts and the DNS records each ask for every device (an
        address's `str` is a few microseconds of Python)."""
        return self.derived("pinned_text", _pinned_text).get(device)

    def span(self, *path: str | int) -> Span:
        """Where `path` (e.g. ("services", "ollama", "port")) was written; the nearest parent
        with a known place if the key itself was defaulted."""
        source: SourceMap = self.__pydantic_private__["_source"]  # type: ignore[index]
        return source.at(path)

    def value_span(self, *path: str | int) -> Span:
        """Where the value at `path` starts (e.g. the misspelled name in a list), else the key."""
        return cast(SourceMap, self._private["_source"]).at(path, key=False)

    @property
    def source_name(self) -> str:
        """The site file as the user named it (for error messages)."""
        return self._source.file

    @property
    def source_label(self) -> str:
        """The site file's base name: what generated artifacts cite, so bytes do not depend
        on the directory tailgen was run from."""
        source: SourceMap = self.__pydantic_private__["_source"]  # type: ignore[index]
        return source.label

    def attach_source(self, source: SourceMap) -> None:
        self._source = source

    def plan_limits(self) -> PlanLimits:
        base = PLAN_PRESETS.get(self.plan or "enterprise", PlanLimits())
        if self.limits is None:
            return base
        overrides = self.limits.model_dump(exclude_unset=True)
        return base.model_copy(update=overrides)


def _pinned_text(site: Site) -> dict[str, str]:
    return {
        name: str(dev.tailscale_ip)
        for name, dev in site.devices.items()
        if dev.tailscale_ip is not None
    }


def _services_by_device(site: Site) -> dict[str, list[str]]:
    index: dict[str, list[str]] = {}
    for name, svc in site.services.items():
        index.setdefault(svc.device, []).append(name)
    return index
