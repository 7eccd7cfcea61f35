"""The Tailscale API v2 client (httpx): policy, DNS and devices, with safe retries.

Failures are typed (`compiler.remote.errors`); retries are bounded: connection errors and
5xx are retried with exponential backoff for idempotent operations only (see
`Operation.idempotent`), 429 honours `Retry-After` (capped) for every operation since the
server did not act on it. `sleep` and `clock` are parameters so tests run the retry logic
without waiting. Secrets live in the `Credentials` and the OAuth token cache, nowhere else.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Self

import httpx

from compiler import hujson
from compiler.remote import operations as ops
from compiler.remote.credentials import (
    BASE_URL,
    DEFAULT_BASE_URL,
    TAILNET,
    Credentials,
    api_url,
    from_env,
    redact,
)
from compiler.remote.errors import (
    ApiError,
    OutcomeUnknown,
    PreconditionFailed,
    error_message,
    hint_for,
)
from compiler.remote.oauth import TokenSource
from compiler.remote.operations import Operation
from compiler.remote.retry import RETRYABLE, Retrier, RetryPolicy, Stats

HUJSON = "application/hujson"
JSON = "application/json"
TS_DEFAULT = "ts-default"


@dataclass(frozen=True)
class PolicyFile:
    text: str
    etag: str  # quoted, as the server sends it


@dataclass(frozen=True)
class Validation:
    """`/acl/validate`'s verdict: an empty message means pass (reference §7.4)."""

    message: str = ""
    data: list[Any] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.message and not self.data


class OwnsHttp:
    """A client that owns an httpx.Client (`_http`): use it as a context manager."""

    _http: httpx.Client

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()


class TailscaleClient(OwnsHttp):
    """One tailnet through the API. Use as a context manager (it owns an httpx.Client)."""

    target = "tailscale"
    guard = "If-Match"
    guard_note = ""

    def __init__(
        self,
        credentials: Credentials,
        base_url: str = DEFAULT_BASE_URL,
        tailnet: str = "-",
        *,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.credentials = credentials
        self.base_url = base_url.rstrip("/")
        self.tailnet = tailnet or "-"
        self.retry = retry or RetryPolicy()
        self.stats = Stats()
        self._retrier = Retrier(self.retry, self.stats, sleep)
        self._http = httpx.Client(
            base_url=self.base_url, timeout=timeout, transport=transport, follow_redirects=False
        )
        self._tokens = (
            TokenSource(self._token_request, credentials, clock) if credentials.is_oauth else None
        )

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, default_tailnet: str = "-", **kwargs: Any
    ) -> TailscaleClient:
        """Credentials, base URL and tailnet from the environment; the tailnet falls back to
        `default_tailnet` (the site's `tailnet:`, or a plan's) when TAILSCALE_TAILNET is unset."""
        import os

        env = os.environ if env is None else env
        base = api_url(env, BASE_URL, DEFAULT_BASE_URL)
        tailnet = env.get(TAILNET, "") or default_tailnet or "-"
        return cls(from_env(env), base, tailnet, **kwargs)

    # -- policy ----------------------------------------------------------------------------

    def stored(self, text: str) -> str:
        """The control plane stores a posted policy in its canonical layout (§1.3)."""
        return hujson.format(text)

    def etag_for(self, text: str) -> str:
        return predicted_etag(text)

    def get_policy(self) -> PolicyFile:
        """The stored HuJSON (comments and layout as stored) and its ETag."""
        resp = self.call(ops.GET_POLICY, headers={"Accept": HUJSON})
        return PolicyFile(resp.text, resp.headers.get("ETag", ""))

    def get_policy_json(self) -> tuple[Any, str]:
        resp = self.call(ops.GET_POLICY, headers={"Accept": JSON})
        return resp.json(), resp.headers.get("ETag", "")

    def set_policy(self, text: str, if_match: str) -> PolicyFile:
        """Replace the policy, only while its ETag is `if_match` (or `ts-default`)."""
        headers = {"Content-Type": HUJSON, "Accept": HUJSON, "If-Match": quote_etag(if_match)}
        resp = self.call(ops.SET_POLICY, content=text.encode(), headers=headers)
        return PolicyFile(resp.text, resp.headers.get("ETag", ""))

    def validate_policy(self, text: str) -> Validation:
        """Ask the control plane to validate a policy and run its tests (nothing is stored).
        The body is standardized first, as gitops-pusher does (the endpoint once mishandled
        comments), and sent as `application/hujson`: the published definition's JSON schema
        for this body (`oneOf`: an array of tests, or a string) has no room for a policy
        object. A 400 for a malformed body is a failed validation, not an error."""
        body = hujson.standardize(text).encode()
        try:
            resp = self.call(ops.VALIDATE_POLICY, content=body, headers={"Content-Type": HUJSON})
        except ApiError as exc:
            if exc.status != 400:
                raise
            return Validation(exc.message, exc.data if isinstance(exc.data, list) else [])
        value = resp.json() if resp.content.strip() else {}
        value = value if isinstance(value, dict) else {}
        data = value.get("data")
        return Validation(str(value.get("message") or ""), data if isinstance(data, list) else [])

    # -- DNS ---------------------------------------------------------------------------------

    def get_dns(self) -> dict[str, Any]:
        return dict(self.call(ops.GET_DNS_CONFIG).json())

    def set_dns(self, config: Mapping[str, Any]) -> dict[str, Any]:
        return dict(self.call(ops.SET_DNS_CONFIG, json=dict(config)).json())

    def nameservers(self) -> list[str]:
        return list(self.call(ops.GET_NAMESERVERS).json().get("dns") or [])

    def set_nameservers(self, servers: list[str]) -> dict[str, Any]:
        return dict(self.call(ops.SET_NAMESERVERS, json={"dns": servers}).json())

    def preferences(self) -> dict[str, Any]:
        return dict(self.call(ops.GET_PREFERENCES).json())

    def set_preferences(self, magic_dns: bool) -> dict[str, Any]:
        return dict(self.call(ops.SET_PREFERENCES, json={"magicDNS": magic_dns}).json())

    def search_paths(self) -> list[str]:
        return list(self.call(ops.GET_SEARCH_PATHS).json().get("searchPaths") or [])

    def set_search_paths(self, paths: list[str]) -> list[str]:
        resp = self.call(ops.SET_SEARCH_PATHS, json={"searchPaths": paths})
        return list(resp.json().get("searchPaths") or [])

    def split_dns(self) -> dict[str, list[str]]:
        return dict(self.call(ops.GET_SPLIT_DNS).json())

    def patch_split_dns(self, changes: Mapping[str, list[str] | None]) -> dict[str, list[str]]:
        """Change the named domains only; `None` deletes a domain."""
        return dict(self.call(ops.PATCH_SPLIT_DNS, json=dict(changes)).json())

    def set_split_dns(self, mapping: Mapping[str, list[str] | None]) -> dict[str, list[str]]:
        return dict(self.call(ops.SET_SPLIT_DNS, json=dict(mapping)).json())

    # -- devices -----------------------------------------------------------------------------

    def devices(self, fields: str = "all") -> list[dict[str, Any]]:
        """Every device (`fields=all` carries advertised and enabled routes)."""
        resp = self.call(ops.LIST_DEVICES, params={"fields": fields})
        return list(resp.json().get("devices") or [])

    def device(self, device_id: str, fields: str = "all") -> dict[str, Any]:
        return dict(self.call(ops.GET_DEVICE, device=device_id, params={"fields": fields}).json())

    def routes(self, device_id: str) -> dict[str, list[str]]:
        return dict(self.call(ops.GET_ROUTES, device=device_id).json())

    def set_routes(self, device_id: str, routes: list[str]) -> dict[str, list[str]]:
        return dict(self.call(ops.SET_ROUTES, device=device_id, json={"routes": routes}).json())

    def set_tags(self, device_id: str, tags: list[str]) -> None:
        self.call(ops.SET_TAGS, device=device_id, json={"tags": tags})

    # -- transport ---------------------------------------------------------------------------

    def endpoint(self, op: Operation, device: str = "") -> str:
        return f"{op.method} {op.url_path(tailnet=self.tailnet, deviceId=device)}"

    def call(self, op: Operation, device: str = "", **request: Any) -> httpx.Response:
        """Send one operation with auth, retries and typed errors."""
        path = op.url_path(tailnet=self.tailnet, deviceId=device)
        endpoint = f"{op.method} {path}"
        refreshed = False
        while True:
            resp = self._with_retries(
                lambda: self._http.request(
                    op.method, path, headers=self._auth(request), **_body(request)
                ),
                op,
                endpoint,
            )
            if resp.status_code == 401 and self._tokens and not refreshed:
                self._tokens.invalidate()  # expired or revoked early: fetch a new one, once
                refreshed = True
                continue
            if resp.status_code >= 400:
                raise self._error(resp, op, endpoint)
            return resp

    def _with_retries(
        self, send: Callable[[], httpx.Response], op: Operation, endpoint: str
    ) -> httpx.Response:
        def unreachable(exc: httpx.TransportError, tries: int) -> Exception:
            return self._unreachable(exc, op, endpoint, tries)

        return self._retrier.send(send, op.idempotent, unreachable)

    def _auth(self, request: Mapping[str, Any]) -> dict[str, str]:
        headers = dict(request.get("headers") or {})
        creds = self.credentials
        if self._tokens:
            headers["Authorization"] = f"Bearer {self._tokens.token()}"
        elif creds.scheme == "bearer":
            headers["Authorization"] = f"Bearer {creds.api_key}"
        else:
            headers["Authorization"] = _basic(creds.api_key)
        headers.setdefault("User-Agent", "tailgen")
        return headers

    def _token_request(self, form: dict[str, str]) -> httpx.Response:
        op = Operation("oauthToken", "POST", "/oauth/token", "", idempotent=True)
        endpoint = f"POST {ops.OAUTH_TOKEN_PATH}"
        return self._with_retries(
            lambda: self._http.post(ops.OAUTH_TOKEN_PATH, data=form), op, endpoint
        )

    def _error(self, resp: httpx.Response, op: Operation, endpoint: str) -> ApiError:
        message, data = error_message(resp.content, resp.headers.get("Content-Type", ""))
        message = redact(message, self.credentials.secrets())
        status = resp.status_code
        hint = hint_for(op, status, self.credentials.is_oauth)
        if status == 412:
            return PreconditionFailed(endpoint, status, message, hint, data)
        if status in RETRYABLE and not op.idempotent:
            return OutcomeUnknown(endpoint, status, message, hint, data)
        if status in RETRYABLE:
            hint = f"gave up after {self.retry.attempts} tries; {hint}"
        return ApiError(endpoint, status, message, hint, data)

    def _unreachable(
        self, exc: httpx.TransportError, op: Operation, endpoint: str, tries: int
    ) -> ApiError:
        kind = type(exc).__name__
        message = f"{self.base_url} did not answer ({kind}) after {tries} tr{'y' if tries == 1 else 'ies'}"
        cls = ApiError if op.idempotent else OutcomeUnknown
        hint = f"check the network and {BASE_URL}"
        return cls(endpoint, 0, message, hint)


def quote_etag(etag: str) -> str:
    """An If-Match value: the ETag quoted exactly once (`ts-default` included)."""
    return '"' + etag.strip().strip('"') + '"'


def predicted_etag(text: str) -> str:
    """The ETag the control plane gives a posted policy: the quoted hex SHA-256 of its
    canonical layout (reference §1.4), so a client can tell whether its write landed."""
    import hashlib

    return '"' + hashlib.sha256(hujson.format(text).encode()).hexdigest() + '"'


def _basic(token: str) -> str:
    import base64

    return "Basic " + base64.b64encode(f"{token}:".encode()).decode()


def _body(request: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in request.items() if k != "headers"}
