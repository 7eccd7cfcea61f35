"""What a service kind is: its defaults, how it is told where to listen, and its traps.

A kind turns a `KindInput` (the bind host and port the planner chose, plus the site's
overrides) into a `KindSpec`: plain data (argv, environment, config snippets). It never
renders text: the launch targets decide bytes, and the bind guard inspects the same data the
targets render, so a kind cannot slip a wildcard past it.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from compiler.site.access import LOOPBACK, RUNTIME_IP
from compiler.site.model import OS, BindStrategy

__all__ = ["LOOPBACK", "RUNTIME_IP", "ConfigFile", "Kind", "KindInput", "KindSpec", "host_port"]


@dataclass(frozen=True)
class KindInput:
    """Everything a kind needs to say how to start one service."""

    service: str
    host: str  # an IP literal, LOOPBACK or RUNTIME_IP
    port: int
    os: OS
    program: str  # resolved executable path (model override or the kind's default)
    args: tuple[str, ...] = ()
    command: str | None = None
    strategy: BindStrategy = BindStrategy.TAILNET_IP
    in_container: bool = False
    peers: Mapping[str, str] = field(default_factory=dict)  # kind → base URL on this device


@dataclass(frozen=True)
class ConfigFile:
    """A config fragment the service reads (JSON data); `dest` says where it belongs."""

    name: str
    dest: str
    data: Mapping[str, Any]
    how: str


@dataclass(frozen=True)
class KindSpec:
    """How to start the service, as data. An empty argv means "nothing to launch"."""

    argv: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    pre: tuple[tuple[str, ...], ...] = ()  # commands run first (e.g. `lms daemon up`)
    stop: tuple[str, ...] = ()
    oneshot: bool = False  # argv returns once the server runs in the background
    config: tuple[ConfigFile, ...] = ()
    client_env: Mapping[str, str] = field(default_factory=dict)  # for local CLI clients
    serve_self: bool = False  # the service runs `tailscale serve` itself (do not add ours)
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Kind:
    """One service kind: its facts (from the launch-configs reference) and its builder."""

    name: str
    default_port: int
    binds_by: str  # one line for the README: how the bind address is set
    traps: tuple[str, ...]
    build: Callable[[KindInput], KindSpec]
    programs: Mapping[OS, str]  # default executable per OS; "{home}" is the user's home
    image: str | None = None  # official container image, if any
    volumes: tuple[str, ...] = ()  # named volumes the container needs
    packaged_unit: str | None = None  # systemd unit the vendor's installer ships
    bind_env: tuple[str, ...] = ()  # environment variables that carry a bind address
    bind_flags: tuple[str, ...] = ()  # command-line flags that carry a bind address
    bind_config: tuple[tuple[str, ...], ...] = ()  # config paths that carry a bind address


def host_port(host: str, port: int) -> str:
    """`host:port` as Go-style listeners (Ollama) read it; IPv6 literals get brackets."""
    return f"[{host}]:{port}" if ":" in host and host != RUNTIME_IP else f"{host}:{port}"


_SHELL_SPACE = re.compile("[ \t\r\n]+")
"""What shlex splits words at (its `whitespace`; not every Unicode space)."""


def split_command(command: str, os: OS) -> list[str]:
    """Split a command line the way the target OS's shell would (Windows keeps backslashes).

    A line with nothing for shlex to interpret (no quote; no backslash, outside Windows) is
    split at shlex's whitespace directly: the same words, without shlex's character-by-character
    state machine (most generated commands are such lines)."""
    special = "'\"" if os is OS.WINDOWS else "'\"\\"
    if not any(c in command for c in special):
        return [w for w in _SHELL_SPACE.split(command) if w]
    if os is not OS.WINDOWS:
        return shlex.split(command)
    words = shlex.split(command, posix=False)
    return [w[1:-1] if len(w) > 1 and w[0] == w[-1] and w[0] in "\"'" else w for w in words]


def fill(word: str, host: str, port: int) -> str:
    """Replace `{host}` and `{port}` (only those: other braces are the program's business)."""
    return word.replace("{host}", host).replace("{port}", str(port))
