"""What plan, push and rollback need from a control plane: a small structural interface.

Two implement it: `TailscaleClient` (`compiler.remote.client`, the Tailscale API v2) and
`HeadscaleProvider` (`compiler.remote.headscale`, headscale's API v1). plan/push/rollback,
backups and the plan file are the same code for both; what differs is said by the provider:

- `stored(text)` / `etag_for(text)`: what the server keeps for a posted policy and the version
  it will then report (Tailscale reformats and hashes; headscale keeps the text verbatim);
- `guard` / `guard_note`: how `set_policy` refuses a stale write (`If-Match`; headscale has no
  ETag, so `re-read-and-compare`, which leaves a race window `guard_note` states);
- `get_dns() -> None`: a control plane without a DNS API (headscale configures DNS in its
  config file); plan/push then leave DNS alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, Self

from compiler.remote.client import PolicyFile, Validation
from compiler.remote.retry import Stats


class Provider(Protocol):
    target: str  # "tailscale" | "headscale": recorded in plans and backups
    base_url: str
    tailnet: str
    stats: Stats
    guard: str  # how a stale write is refused, in two words ("If-Match")
    guard_note: str  # what that guard cannot catch ("" when nothing)

    def __enter__(self) -> Self: ...

    def __exit__(self, *exc: object) -> None: ...

    def stored(self, text: str) -> str:
        """The text the server will hold after `set_policy(text)` (its canonical form)."""
        ...

    def etag_for(self, text: str) -> str:
        """The ETag `get_policy` will report once `text` is stored."""
        ...

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


def control_plane(provider: Provider) -> tuple[str, str, str]:
    """Which control plane and tailnet `provider` talks to: (target, API URL, tailnet), as a
    plan and a backup record it. Compared before any write made from a saved file, so a plan
    or a backup never lands on a tailnet other than the one it was made of."""
    return provider.target, provider.base_url.rstrip("/"), provider.tailnet


DEFAULT_TARGET = "tailscale"
"""The control plane of a plan or backup that names none (those made before `target` was
recorded were all Tailscale's)."""


def recorded_plane(target: object, api: object, tailnet: object) -> tuple[str, str, str]:
    """The same identity as a saved file records it (`control_plane`'s form)."""
    return str(target or DEFAULT_TARGET), str(api or "").rstrip("/"), str(tailnet or "-")


def live_label(provider: Provider) -> str:
    """How plans and diffs name the live side: the tailnet by name, "the API key's tailnet"
    for Tailscale's `-`, and a headscale server (one tailnet) by its URL. One label for
    plan, diff --against live and rollback's dry run, never the bare `-`."""
    if provider.target == "headscale":
        return f"live (headscale {provider.base_url.rstrip('/')})"
    if provider.tailnet == "-":
        return "live (the API key's tailnet)"
    return f"live ({provider.tailnet})"
