"""Where the API credentials come from (environment, else the OS keyring) and how they stay
out of every output.

A `Credentials` value never shows its secrets: its repr hides them, errors are built from
endpoints and server messages only, and `redact` is applied to any text that leaves the
client as a last line of defence.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from compiler.errors import UsageError

API_KEY = "TAILSCALE_API_KEY"
OAUTH_ID = "TAILSCALE_OAUTH_CLIENT_ID"
OAUTH_SECRET = "TAILSCALE_OAUTH_CLIENT_SECRET"
OAUTH_SCOPES = "TAILSCALE_OAUTH_SCOPES"
AUTH_SCHEME = "TAILSCALE_AUTH_SCHEME"  # basic (default, as Tailscale's Go clients) or bearer
BASE_URL = "TAILSCALE_BASE_URL"
TAILNET = "TAILSCALE_TAILNET"
DEFAULT_BASE_URL = "https://api.tailscale.com"
KEYRING_SERVICE = "tailgen"
HEADSCALE_URL = "HEADSCALE_URL"
HEADSCALE_API_KEY = "HEADSCALE_API_KEY"


@dataclass(frozen=True)
class Credentials:
    """An API access token, or an OAuth client (id + secret, optional narrower scopes)."""

    api_key: str = field(default="", repr=False)
    oauth_id: str = ""
    oauth_secret: str = field(default="", repr=False)
    scheme: str = "basic"
    scopes: tuple[str, ...] = ()

    @property
    def is_oauth(self) -> bool:
        return bool(self.oauth_id)

    def secrets(self) -> tuple[str, ...]:
        return tuple(s for s in (self.api_key, self.oauth_secret) if s)


def from_env(env: Mapping[str, str] | None = None) -> Credentials:
    """Credentials from the environment, falling back to the OS keyring (service `tailgen`,
    names `api-key` and `oauth-client-secret`) when the `keyring` package is installed."""
    env = os.environ if env is None else env
    scheme = env.get(AUTH_SCHEME, "basic").lower()
    if scheme not in ("basic", "bearer"):
        raise UsageError(f"{AUTH_SCHEME}={scheme!r}: use 'basic' or 'bearer'")
    oauth_id = env.get(OAUTH_ID, "")
    if oauth_id:
        secret = env.get(OAUTH_SECRET, "") or _keyring("oauth-client-secret")
        if not secret:
            raise UsageError(f"{OAUTH_ID} is set but {OAUTH_SECRET} is not")
        scopes = tuple(env.get(OAUTH_SCOPES, "").split())
        return Credentials(oauth_id=oauth_id, oauth_secret=secret, scopes=scopes)
    key = env.get(API_KEY, "") or _keyring("api-key")
    if not key:
        raise UsageError(
            f"no Tailscale credentials: set {API_KEY} (an API access token), or "
            f"{OAUTH_ID} and {OAUTH_SECRET} (an OAuth client)"
        )
    return Credentials(api_key=key, scheme=scheme)


def api_url(env: Mapping[str, str], name: str, default: str = "") -> str:
    """The API URL in `name` (else `default`), refused when it carries a user or password:
    the key authenticates, and a URL is written into plans, backups and messages, where a
    secret must never be."""
    url = env.get(name, "") or default
    netloc = url.partition("://")[2].partition("/")[0]
    if "@" in netloc:
        raise UsageError(f"{name}: give the URL without a user or password (the key signs in)")
    return url


def headscale_from_env(env: Mapping[str, str] | None = None) -> tuple[str, Credentials]:
    """headscale's API URL and key: `HEADSCALE_URL` and `HEADSCALE_API_KEY` (the key from
    `headscale apikeys create`), the key falling back to the OS keyring (service `tailgen`,
    name `headscale-api-key`). A bearer token, as headscale's API wants."""
    env = os.environ if env is None else env
    url = api_url(env, HEADSCALE_URL)
    key = env.get(HEADSCALE_API_KEY, "") or (_keyring("headscale-api-key") if url else "")
    if not url or not key:
        raise UsageError(
            f"no headscale credentials: set {HEADSCALE_URL} (e.g. http://127.0.0.1:8080) and "
            f"{HEADSCALE_API_KEY} (from `headscale apikeys create`)"
        )
    return url, Credentials(api_key=key, scheme="bearer")


def _keyring(name: str) -> str:
    """A secret from the OS keyring, or '' when keyring is not installed or has none."""
    try:
        import keyring  # type: ignore[import-not-found]
    except ImportError:
        return ""
    try:
        value = keyring.get_password(KEYRING_SERVICE, name)
    except Exception:  # any backend failure means "no secret here", never a crash
        return ""
    return str(value or "")


def redact(text: str, secrets: Iterable[str]) -> str:
    """`text` with every secret replaced by `***` (long secrets only: never mangle text by
    replacing a one-letter 'secret')."""
    for secret in secrets:
        if len(secret) >= 8:
            text = text.replace(secret, "***")
    return text
