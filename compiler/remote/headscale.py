"""headscale as a live target: read, check and write its policy through its REST API (v1).

`GET /api/v1/policy` → `{"policy": "<hujson>", "updatedAt": …}`; `PUT /api/v1/policy` with
`{"policy": "<hujson>"}` (headscale must run with `policy.mode: database`);
`POST /api/v1/policy/check` validates against the server's users and nodes and runs the
policy's tests. Auth: `Authorization: Bearer <key from headscale apikeys create>`
(reference/tailscale.md §8).

Concurrency. headscale's v1 API has no ETag and no If-Match, so the version a plan pins is the
SHA-256 of the policy text tailgen read. Right before writing, the provider reads the policy
again and refuses (`LiveChangedError`, exit 4) when the hash differs. This is weaker than
Tailscale's If-Match: a change made between that last read and the write is not detected
(`WEAKER_THAN_IF_MATCH` is the sentence tailgen prints about it).

The API key comes from the environment (or the caller); it is sent only in the Authorization
header and never appears in an error, a plan or a backup.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from compiler.errors import IOFailure, LiveChangedError, PolicyError, RemoteError, UsageError

URL_ENV = "TAILGEN_HEADSCALE_URL"
KEY_ENV = "TAILGEN_HEADSCALE_API_KEY"
POLICY_PATH = "/api/v1/policy"
NO_POLICY = "policy not found"  # headscale's 500 when none is stored yet (v0.29)
WEAKER_THAN_IF_MATCH = (
    "headscale has no ETag: tailgen re-read the policy and compared it just before writing; "
    "a change in the moment between that read and the write would not be detected "
    "(weaker than Tailscale's If-Match)"
)


def version_of(text: str) -> str:
    """The version a plan pins for a headscale policy: the SHA-256 of its text."""
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class LivePolicy:
    text: str
    version: str
    updated_at: str = ""


class HeadscaleProvider:
    """One headscale server's policy, over HTTP. Thin: no retries beyond httpx's own."""

    name = "headscale"

    def __init__(
        self, base_url: str, api_key: str, client: httpx.Client | None = None, timeout: float = 10
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._client = client or httpx.Client(timeout=timeout)
        self._headers = {"Authorization": f"Bearer {api_key}"}
        self._secret = api_key

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> HeadscaleProvider:
        values = os.environ if env is None else env
        url, key = values.get(URL_ENV), values.get(KEY_ENV)
        if not url or not key:
            raise UsageError(
                f"set {URL_ENV} (e.g. http://127.0.0.1:8080) and {KEY_ENV} "
                "(from `headscale apikeys create`)"
            )
        return cls(url, key)

    def _request(
        self, method: str, path: str, body: dict[str, Any] | None = None, missing_ok: bool = False
    ) -> Any:
        try:
            response = self._client.request(
                method, self.base_url + path, json=body, headers=self._headers
            )
        except httpx.HTTPError as err:
            raise RemoteError(f"headscale at {self.base_url}: {type(err).__name__}") from None
        if response.status_code >= 400:
            message = _message(response)
            if self._secret:
                message = message.replace(self._secret, "[api key]")
            if missing_ok and NO_POLICY in message:
                return {}
            if path.endswith("/check") or response.status_code == 400:
                raise PolicyError(f"headscale refused the policy: {message}")
            raise RemoteError(f"headscale {method} {path}: HTTP {response.status_code}: {message}")
        return response.json() if response.content else {}

    def fetch_policy(self) -> LivePolicy:
        """The stored policy and its version (an empty text when none is set yet)."""
        data = self._request("GET", POLICY_PATH, missing_ok=True)
        text = str(data.get("policy", ""))
        return LivePolicy(text, version_of(text), str(data.get("updatedAt", "")))

    def check_policy(self, text: str) -> None:
        """headscale's own verdict on `text` (users, nodes, tests); PolicyError with its message."""
        self._request("POST", POLICY_PATH + "/check", {"policy": text})

    def write_policy(self, text: str, expected_version: str) -> LivePolicy:
        """Write `text` if the live policy is still `expected_version`; returns what was read
        back (verify: it must equal `text`)."""
        live = self.fetch_policy()
        if live.version != expected_version:
            raise LiveChangedError(
                f"the headscale policy changed since the plan (now {live.version[:12]}, plan "
                f"pinned {expected_version[:12]}); nothing was written. {WEAKER_THAN_IF_MATCH}"
            )
        self._request("PUT", POLICY_PATH, {"policy": text})
        after = self.fetch_policy()
        if after.text != text:
            raise RemoteError("headscale stored a different policy than the one sent")
        return after


def _message(response: httpx.Response) -> str:
    """headscale's error text (grpc-gateway body `{"code", "message"}`), else the raw body."""
    try:
        data = response.json()
    except ValueError:
        return response.text.strip()[:500]
    if isinstance(data, dict) and data.get("message"):
        return str(data["message"])
    return response.text.strip()[:500]


# ---------------------------------------------------------------------------------------------
# plan / push / rollback on top of the provider


@dataclass(frozen=True)
class HeadscalePlan:
    """What `push` applies: the desired text and the live version it was reviewed against."""

    desired: str
    live_version: str
    changed: bool

    def to_json(self) -> str:
        body = {"target": "headscale", "desired": self.desired, "live_version": self.live_version}
        return json.dumps({**body, "changed": self.changed}, indent=2) + "\n"


def plan(provider: HeadscaleProvider, desired: str) -> HeadscalePlan:
    """Read the live policy and pin its version; headscale checks the desired one."""
    live = provider.fetch_policy()
    provider.check_policy(desired)
    return HeadscalePlan(desired, live.version, live.text != desired)


def push(provider: HeadscaleProvider, reviewed: HeadscalePlan, backup_dir: Path) -> Path:
    """Back up the live policy, then write the plan's policy (refused if live changed)."""
    live = provider.fetch_policy()
    if live.version != reviewed.live_version:
        raise LiveChangedError(
            f"the headscale policy changed since the plan; nothing was written. "
            f"{WEAKER_THAN_IF_MATCH}"
        )
    backup = write_backup(backup_dir, live)
    provider.write_policy(reviewed.desired, reviewed.live_version)
    return backup


def write_backup(backup_dir: Path, live: LivePolicy) -> Path:
    """The live policy as it was, named by its version; written atomically before any push."""
    path = backup_dir / f"headscale-policy-{live.version[:16]}.hujson"
    try:
        backup_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(live.text, encoding="utf-8")
        tmp.replace(path)
    except OSError as err:
        raise IOFailure(f"{path}: cannot write the backup: {err.strerror}") from None
    return path


def rollback(provider: HeadscaleProvider, backup: Path) -> LivePolicy:
    """Put a backup back: headscale checks it, the policy it replaces is backed up beside it
    first, and the write has the same re-read-and-compare guard as a push."""
    try:
        text = backup.read_text(encoding="utf-8")
    except OSError as err:
        raise IOFailure(f"{backup}: {err.strerror}") from None
    provider.check_policy(text)
    live = provider.fetch_policy()
    write_backup(backup.parent, live)
    return provider.write_policy(text, live.version)
