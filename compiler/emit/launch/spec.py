"""The launch IR: one target-neutral `LaunchSpec` per launched service, and what targets return.

The planner fills a spec from the site and the service kind; the bind guard inspects it; the
targets render it. Every host value a target can write is in the spec (the process, config
fragments, published ports, serve forwards), which is what lets the guard be a final check.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from compiler.emit.services.base import LOOPBACK, RUNTIME_IP, KindSpec
from compiler.site.model import OS

__all__ = ["LOOPBACK", "RUNTIME_IP", "Forward", "Install", "LaunchSpec", "Publish", "Rendered"]


@dataclass(frozen=True)
class Publish:
    """A container port published on the host (docker-compose)."""

    host: str
    host_port: int
    container_port: int
    protocol: str = "tcp"


@dataclass(frozen=True)
class Forward:
    """A `tailscale serve` handler: tailnet port → loopback target; `scheme` "tcp" is
    `--tcp PORT tcp://host:port`, "https" is `--https=PORT http://host:port`."""

    port: int
    target_host: str
    target_port: int
    scheme: str = "tcp"


@dataclass(frozen=True)
class LaunchSpec:
    device: str
    service: str
    kind: str
    os: OS
    targets: tuple[str, ...]  # primary target first, then "tailscale-serve" when serving
    host: str  # where the service itself listens: IP literal, LOOPBACK or RUNTIME_IP
    ports: tuple[int, ...]  # declared ports; the first is the one the process listens on
    process: KindSpec
    pinned: str | None = None  # the device's pinned Tailscale IPv4, if any
    expose_lan: bool = False
    in_container: bool = False
    protocol: str = "tcp"
    user: str | None = None
    unit: str = ""  # systemd unit name (new unit) or the vendor unit the drop-in extends
    drop_in: bool = False
    image: str | None = None
    volumes: tuple[str, ...] = ()
    publish: tuple[Publish, ...] = ()
    forwards: tuple[Forward, ...] = ()
    # The site file the service was declared in, for the files' headers. Not its line: a line
    # number there would change every later service's files whenever a line is added above
    # them, and each header already names its service.
    origin: str = ""

    @property
    def port(self) -> int:
        return self.ports[0]

    @property
    def runtime_lookup(self) -> bool:
        return self.host == RUNTIME_IP or any(p.host == RUNTIME_IP for p in self.publish)


@dataclass(frozen=True)
class Install:
    """A generated file and where it goes on the device."""

    file: str  # relative to the service's output folder
    dest: str
    mode: str = "0644"


@dataclass
class Rendered:
    """What a target produced for one service: files, where they go, how to verify."""

    files: dict[str, str] = field(default_factory=dict)
    installs: list[Install] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)  # commands to install and start
    verify: list[str] = field(default_factory=list)
