"""headscale as a live target, behind the same `Provider` interface as the Tailscale client.

plan, push, rollback, backups and the plan file are `compiler.remote`'s one path; this module
only speaks headscale's REST API (v1, reference/tailscale.md §8):

- `GET /api/v1/policy` → `{"policy": "<hujson>", "updatedAt": …}` (a 500 `policy not found`
  while none is stored: read as the empty text, headscale's untouched default);
  `PUT /api/v1/policy` `{"policy": …}` (headscale must run with `policy.mode: database`);
- `POST /api/v1/policy/check` is `validate_policy`: headscale parses the policy against its
  live users and nodes and runs the policy's tests (nothing is stored). The build's
  compatibility lint has already named, at their site.yaml lines, what headscale cannot
  express; and a `PUT` headscale refuses stores nothing either;
- `GET /api/v1/node` is `devices()`, in the Tailscale API's device shape the live snapshot,
  drift and backups read; `POST /api/v1/node/{id}/approve_routes` is `set_routes`;
- DNS lives in headscale's config file, not its API: `get_dns()` is None, so plan and push
  leave DNS alone (`out/headscale/dns.yaml` is the `dns:` section to put there).

Concurrency. headscale has no ETag and no If-Match, so the ETag this provider reports is the
quoted SHA-256 of the stored text (`etag_of`), and `set_policy` re-reads the policy right
before its `PUT` and raises the same `PreconditionFailed` (exit 4) as a Tailscale 412 when the
version differs. This is weaker than If-Match: a change landing between that read and the
write is not detected (`WEAKER_THAN_IF_MATCH`, printed in every plan and push).

Auth: `Authorization: Bearer <HEADSCALE_API_KEY>` (from env or keyring,
`compiler.remote.credentials`); the key is sent in that header only and redacted from every
message. Retries are the Tailscale client's (`compiler.remote.retry`): a read is tried again
after a dropped connection, a 5xx or a 429; a write never is, since the re-read just before it
is its only guard.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from compiler.emit.headscale import DNS as HEADSCALE_DNS
from compiler.emit.headscale import POLICY as HEADSCALE_POLICY
from compiler.emit.headscale.users import headscale_user
from compiler.errors import RemoteError, TailgenError
from compiler.remote.client import (
    TS_DEFAULT,
    OwnsHttp,
    PolicyFile,
    Validation,
    quote_etag,
)
from compiler.remote.credentials import (
    HEADSCALE_API_KEY,
    HEADSCALE_URL,
    Credentials,
    headscale_from_env,
    redact,
)
from compiler.remote.errors import ApiError, OutcomeUnknown, PreconditionFailed, error_message
from compiler.remote.retry import Retrier, RetryPolicy, Stats
from compiler.review.snapshot import POLICY, Snapshot, snapshot
from compiler.site.model import Site

POLICY_PATH = "/api/v1/policy"
CHECK_PATH = "/api/v1/policy/check"
NODES_PATH = "/api/v1/node"
NO_POLICY = "policy not found"  # headscale's 500 while none is stored yet (v0.29)
GUARD = "re-read-and-compare"
WEAKER_THAN_IF_MATCH = (
    "headscale has no ETag: tailgen re-reads the policy and compares it just before writing; "
    "a change in the moment between that read and the write would not be detected "
    "(weaker than Tailscale's If-Match)"
)
DNS_NOTE = (
    "DNS is not managed here: headscale reads it from its config.yaml "
    f"(put out/{HEADSCALE_DNS} in its `dns:` section)"
)


def version_of(text: str) -> str:
    """The version a plan pins for a headscale policy: the SHA-256 of its text."""
    return hashlib.sha256(text.encode()).hexdigest()


def etag_of(text: str) -> str:
    """The ETag this provider reports for a stored text (quoted, like an HTTP ETag)."""
    return '"' + version_of(text) + '"'


class HeadscaleProvider(OwnsHttp):
    """One headscale server through its API. Use as a context manager (it owns an httpx
    client)."""

    target = "headscale"
    tailnet = "-"  # a headscale server is one tailnet
    guard = GUARD
    guard_note = WEAKER_THAN_IF_MATCH

    def __init__(
        self,
        base_url: str,
        credentials: Credentials,
        *,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.credentials = credentials
        self.stats = Stats()
        self.retry = retry or RetryPolicy()
        self._retrier = Retrier(self.retry, self.stats, sleep)
        self._http = httpx.Client(
            base_url=self.base_url, timeout=timeout, transport=transport, follow_redirects=False
        )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **kwargs: Any) -> HeadscaleProvider:
        url, credentials = headscale_from_env(env)
        return cls(url, credentials, **kwargs)

    # -- policy ----------------------------------------------------------------------------

    def stored(self, text: str) -> str:
        """headscale stores a policy's text as it was sent (comments and layout kept)."""
        return text

    def etag_for(self, text: str) -> str:
        return etag_of(text)

    def get_policy(self) -> PolicyFile:
        """The stored policy (the empty text while none is stored) and its version."""
        text = str(self._call("GET", POLICY_PATH, missing_policy_ok=True).get("policy", ""))
        return PolicyFile(text, etag_of(text))

    def set_policy(self, text: str, if_match: str) -> PolicyFile:
        """Write `text` only while the policy re-read now is still `if_match` (`ts-default`:
        none stored yet); `PreconditionFailed` (exit 4, nothing sent) otherwise."""
        live = self.get_policy()
        default = if_match.strip().strip('"') == TS_DEFAULT
        if (live.text != "") if default else (live.etag != quote_etag(if_match)):
            raise self._changed(live, if_match, default)
        stored = self._call("PUT", POLICY_PATH, {"policy": text}, write=True)
        now = str(stored.get("policy", text))
        return PolicyFile(now, etag_of(now))

    def _changed(self, live: PolicyFile, if_match: str, default: bool) -> PreconditionFailed:
        if default:
            found = "a policy is stored already; first adoption writes only where none is"
        else:
            found = f"the policy changed since the plan (version {live.etag}, plan {if_match})"
        return PreconditionFailed(
            f"PUT {POLICY_PATH}",
            412,
            f"{found}; {WEAKER_THAN_IF_MATCH}",
            "run `tailgen plan` again and review the new plan",
            what=f"refused by tailgen's {GUARD}",
        )

    def validate_policy(self, text: str) -> Validation:
        """headscale's own verdict (users, nodes, the policy's tests); a 400 is a failed
        validation carrying headscale's message, not an error."""
        try:
            self._call("POST", CHECK_PATH, {"policy": text})
        except ApiError as exc:
            if exc.status != 400:
                raise
            return Validation(exc.message)
        return Validation()

    # -- DNS and devices ---------------------------------------------------------------------

    def get_dns(self) -> None:
        """headscale has no DNS API (its config file holds DNS): nothing to read or compare."""
        return None

    def set_dns(self, config: Mapping[str, Any]) -> dict[str, Any]:
        raise RemoteError(f"headscale has no DNS API; {DNS_NOTE}")

    def devices(self, fields: str = "all") -> list[dict[str, Any]]:
        """headscale's nodes in the Tailscale API's device shape (`fields` is ignored: a
        node always carries its routes)."""
        return [device(node) for node in self._call("GET", NODES_PATH).get("nodes") or []]

    def set_routes(self, device_id: str, routes: list[str]) -> dict[str, list[str]]:
        path = f"{NODES_PATH}/{device_id}/approve_routes"
        node = device(self._call("POST", path, {"routes": routes}, write=True).get("node") or {})
        return {k: node[k] for k in ("advertisedRoutes", "enabledRoutes")}

    # -- transport ---------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        *,
        write: bool = False,
        missing_policy_ok: bool = False,
    ) -> dict[str, Any]:
        """One request with the retries every client has (`compiler.remote.retry`: reads are
        retried, a write never blindly); typed errors (`OutcomeUnknown` for a write whose
        effect is unknown)."""
        endpoint = f"{method} {path}"
        headers = {"Authorization": f"Bearer {self.credentials.api_key}", "User-Agent": "tailgen"}

        def unreachable(exc: httpx.HTTPError, tries: int) -> Exception:
            cls = OutcomeUnknown if write else ApiError
            times = f" after {tries} tr{'y' if tries == 1 else 'ies'}" if tries > 1 else ""
            message = f"{self.base_url} did not answer ({type(exc).__name__}){times}"
            return cls(endpoint, 0, message, f"check {HEADSCALE_URL}")

        def no_policy_yet(resp: httpx.Response) -> bool:  # headscale says so with a 500
            return missing_policy_ok and NO_POLICY.encode() in resp.content

        try:
            resp = self._retrier.send(
                lambda: self._http.request(method, path, json=body, headers=headers),
                not write,
                unreachable,
                no_policy_yet,
                wait_out_429=not write,  # a write is guarded by the re-read just before it
            )
        except httpx.HTTPError as exc:  # not a transport failure (e.g. a redirect loop)
            raise unreachable(exc, 1) from None
        if resp.status_code >= 400:
            message, data = error_message(resp.content, resp.headers.get("Content-Type", ""))
            message = redact(message, self.credentials.secrets())
            if missing_policy_ok and NO_POLICY in message:
                return {}
            cls = OutcomeUnknown if write and resp.status_code >= 500 else ApiError
            raise cls(endpoint, resp.status_code, message, _hint(resp.status_code, message), data)
        try:
            value = resp.json() if resp.content.strip() else {}
        except ValueError:
            raise ApiError(endpoint, resp.status_code, "the answer is not JSON") from None
        return value if isinstance(value, dict) else {}


def _hint(status: int, message: str) -> str:
    if status == 401:
        return f"set {HEADSCALE_API_KEY} to a valid key (`headscale apikeys create`; keys expire)"
    if "database" in message:
        return "headscale takes a policy over its API only with `policy.mode: database`"
    if status == 404:
        return f"check {HEADSCALE_URL} (headscale's server_url) and the node id"
    return ""


def device(node: Mapping[str, Any]) -> dict[str, Any]:
    """A headscale node as the Tailscale API's device (what drift, snapshots and backups
    read): `name` is the node's hostname, `givenName` its name in the tailnet."""
    return {
        "id": str(node.get("id", "")),
        "hostname": str(node.get("name", "")),
        "name": str(node.get("givenName") or node.get("name", "")),
        "user": str((node.get("user") or {}).get("name", "")),
        "addresses": [str(a) for a in node.get("ipAddresses") or []],
        "tags": [str(t) for t in node.get("tags") or []],
        "advertisedRoutes": [str(r) for r in node.get("availableRoutes") or []],
        "enabledRoutes": [str(r) for r in node.get("approvedRoutes") or []],
    }


# ---------------------------------------------------------------------------------------------
# the desired side of a headscale plan


def headscale_view(site: Site) -> Site:
    """`site` with each user's login as headscale's policy names them (`emory@github` →
    `emory@`), so the offline evaluator matches the people of a headscale policy."""
    users = {
        key: user.model_copy(update={"login": headscale_user(user.login)})
        for key, user in site.users.items()
    }
    return site.model_copy(update={"users": users})


def desired_snapshot(files: Mapping[str, bytes], site: Site, label: str) -> Snapshot:
    """What a push makes live on headscale: the build's `headscale/policy.hujson` (the same
    build's bytes, never compiled again) as the policy, reviewed against `headscale_view`."""
    text = files.get(HEADSCALE_POLICY)
    if text is None:
        raise TailgenError(f"{label}: builds no {HEADSCALE_POLICY} (set `target: headscale`)")
    return snapshot({POLICY: text}, label, headscale_view(site))
