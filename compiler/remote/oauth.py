"""OAuth client credentials → short-lived access tokens, cached in memory and refreshed.

The token is fetched on first use from `/api/v2/oauth/token` (client id and secret in the form
body, reference §7.1), kept in this object only (never on disk), and fetched again a minute
before it expires or when the API answers 401 (revoked early).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from compiler.remote.credentials import OAUTH_ID, OAUTH_SECRET, Credentials, redact
from compiler.remote.errors import ApiError, error_message
from compiler.remote.operations import OAUTH_TOKEN_PATH

if TYPE_CHECKING:
    import httpx

REFRESH_MARGIN = 60.0  # seconds before expiry at which a token is replaced


class TokenSource:
    def __init__(
        self,
        post: Callable[[dict[str, str]], httpx.Response],
        credentials: Credentials,
        clock: Callable[[], float],
    ) -> None:
        self._post = post
        self._credentials = credentials
        self._clock = clock
        self._token = ""
        self._expires = 0.0
        self.fetched = 0  # how many tokens were fetched (tests read it)

    def token(self) -> str:
        if not self._token or self._clock() >= self._expires - REFRESH_MARGIN:
            self._fetch()
        return self._token

    def invalidate(self) -> None:
        self._token = ""

    def _fetch(self) -> None:
        creds = self._credentials
        form = {
            "client_id": creds.oauth_id,
            "client_secret": creds.oauth_secret,
            "grant_type": "client_credentials",
        }
        if creds.scopes:
            form["scope"] = " ".join(creds.scopes)
        resp = self._post(form)
        if resp.status_code != 200:
            message, _ = error_message(resp.content, resp.headers.get("Content-Type", ""))
            raise ApiError(
                f"POST {OAUTH_TOKEN_PATH}",
                resp.status_code,
                redact(message, creds.secrets()),
                f"check {OAUTH_ID} and {OAUTH_SECRET}",
            )
        body = resp.json()
        self._token = str(body["access_token"])
        self._expires = self._clock() + float(body.get("expires_in") or 3600)
        self.fetched += 1
