"""The live tailnet as import input: its policy text, device list and DNS settings.

`read_live` takes anything shaped like `compiler.remote`'s provider (the Tailscale client or
headscale): `get_policy()` with the stored text, `devices()`, `get_dns()`. The CLI passes the
real client; tests pass a stand-in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from compiler.adopt.inputs import DnsSettings, dns_settings, topology


class StoredPolicy(Protocol):
    @property
    def text(self) -> str: ...


class LiveSource(Protocol):
    def get_policy(self) -> StoredPolicy: ...

    def get_dns(self) -> dict[str, Any] | None: ...

    def devices(self, fields: str = "all") -> list[dict[str, Any]]: ...


@dataclass(frozen=True)
class LiveInputs:
    policy_text: str
    devices: dict[str, Any]
    dns: DnsSettings | None


def read_live(source: LiveSource) -> LiveInputs:
    """The three inputs of an import, read from the live tailnet (comments kept: the stored
    HuJSON text, not its JSON rendering)."""
    dns = source.get_dns()
    return LiveInputs(
        source.get_policy().text,
        topology({"devices": source.devices()}, "live devices"),
        dns_settings(dns, "live DNS") if dns is not None else None,
    )
