"""What plan, push and rollback need from a control plane: a small structural interface.

`TailscaleClient` implements it; a headscale provider (`compiler.remote.headscale`) can too.
A control plane without a DNS API (headscale configures DNS in its config file) returns
`None` from `get_dns` and plan/push then leave DNS alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from compiler.remote.client import PolicyFile, Stats, Validation


class Provider(Protocol):
    base_url: str
    tailnet: str
    stats: Stats

    def get_policy(self) -> PolicyFile:
        """The stored policy text and its ETag (quoted)."""
        ...

    def set_policy(self, text: str, if_match: str) -> PolicyFile:
        """Replace the policy only while its ETag is `if_match` (`ts-default`: still the
        untouched default); raise `PreconditionFailed` otherwise."""
        ...

    def validate_policy(self, text: str) -> Validation: ...

    def get_dns(self) -> dict[str, Any] | None: ...

    def set_dns(self, config: Mapping[str, Any]) -> dict[str, Any]: ...

    def devices(self, fields: str = "all") -> list[dict[str, Any]]: ...

    def set_routes(self, device_id: str, routes: list[str]) -> dict[str, list[str]]: ...
