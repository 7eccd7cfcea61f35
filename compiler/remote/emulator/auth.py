"""Who may call what: API keys, OAuth clients, the tokens they get, scopes per operation.

API keys are sent as HTTP Basic (key as username, empty password) or Bearer. OAuth clients
trade id + secret (form body or Basic) for a Bearer access token at `/api/v2/oauth/token`,
with the client's scopes or a narrower `scope` list. `open_keys` makes any `tskey-api-…` key
and any `tskey-client-…` secret valid with every scope: what a person rehearsing a push
wants. Nothing here is ever written to the state file.
"""

from __future__ import annotations

import base64
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from compiler.remote.emulator.state import Reject
from compiler.remote.operations import covers

ALL = frozenset({"all"})
TOKEN_TTL = 3600


@dataclass
class Auth:
    api_keys: dict[str, frozenset[str]] = field(default_factory=dict)
    oauth_clients: dict[str, tuple[str, frozenset[str]]] = field(default_factory=dict)
    open_keys: bool = False
    token_ttl: int = TOKEN_TTL
    clock: Callable[[], float] = time.monotonic
    tokens: dict[str, tuple[frozenset[str], float]] = field(default_factory=dict)
    issued: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def scopes_for(self, authorization: str) -> frozenset[str]:
        """The scopes of the credential in an Authorization header; 401 if none is valid."""
        token = _token(authorization)
        if token in self.api_keys:
            return self.api_keys[token]
        with self._lock:
            entry = self.tokens.get(token)
        if entry and entry[1] > self.clock():
            return entry[0]
        if self.open_keys and token.startswith("tskey-api-"):
            return ALL
        raise Reject(401, "API token invalid or expired")

    def require(self, authorization: str, scope: str) -> None:
        if not covers(self.scopes_for(authorization), scope):
            raise Reject(403, f"calling actor does not have enough permissions: needs {scope}")

    def issue(self, form: Mapping[str, str], authorization: str) -> dict[str, object]:
        """An access token for an OAuth client (RFC 6749 client credentials)."""
        client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        if authorization.lower().startswith("basic "):
            client_id, _, secret = _basic(authorization).partition(":")
        granted = self._client_scopes(client_id, secret)
        wanted = frozenset(form.get("scope", "").split()) or granted
        if not all(covers(granted, s) for s in wanted):
            raise Reject(400, "requested scope exceeds the client's", error="invalid_scope")
        token = "tskey-access-" + secrets.token_hex(16)
        with self._lock:
            self.tokens[token] = (wanted, self.clock() + self.token_ttl)
            self.issued += 1
        return {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": self.token_ttl,
            "scope": " ".join(sorted(wanted)),
        }

    def expire_tokens(self) -> None:
        """Revoke every access token now (tests: the next call must refresh)."""
        with self._lock:
            self.tokens.clear()

    def _client_scopes(self, client_id: str, secret: str) -> frozenset[str]:
        known = self.oauth_clients.get(client_id)
        if known and secrets.compare_digest(known[0], secret):
            return known[1]
        if self.open_keys and client_id and secret.startswith("tskey-client-"):
            return ALL
        raise Reject(401, "invalid client credentials", error="invalid_client")


def _token(authorization: str) -> str:
    kind, _, value = authorization.partition(" ")
    if kind.lower() == "bearer":
        return value.strip()
    if kind.lower() == "basic":
        return _basic(authorization).partition(":")[0]
    raise Reject(401, "missing API credentials: use Basic or Bearer authentication")


def _basic(authorization: str) -> str:
    try:
        return base64.b64decode(authorization.partition(" ")[2].strip()).decode()
    except (ValueError, UnicodeDecodeError):
        raise Reject(401, "malformed Basic authorization") from None
