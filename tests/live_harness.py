"""Shared set-up for the live-tailnet tests: an emulator on loopback (port 0) seeded from the
example site, credentials made up per test session, and a client whose retries never sleep.

The credentials are random so the secret-leak test can grep every produced file, log and
output for them; the client's `sleep` records the waits instead of sleeping, so retry and
Retry-After logic runs at full speed.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from compiler.remote.client import RetryPolicy, TailscaleClient
from compiler.remote.credentials import Credentials
from compiler.remote.emulator import Emulator
from compiler.remote.emulator.auth import ALL, Auth
from compiler.remote.emulator.seed import state_from_site
from compiler.review import Snapshot
from compiler.review.read import read_snapshot

REPO = Path(__file__).resolve().parents[1]
SITE = REPO / "site.yaml"
API_KEY = "tskey-api-" + secrets.token_hex(16)
POLICY_ONLY_KEY = "tskey-api-" + secrets.token_hex(16)
OAUTH_ID = "k" + secrets.token_hex(6)
OAUTH_SECRET = "tskey-client-" + secrets.token_hex(20)
NARROW_ID = "k" + secrets.token_hex(6)
NARROW_SECRET = "tskey-client-" + secrets.token_hex(20)
SECRETS = (API_KEY, POLICY_ONLY_KEY, OAUTH_SECRET, NARROW_SECRET)
FAST = RetryPolicy(attempts=3, backoff=0.001, max_backoff=0.002, rate_limited=3)


@dataclass
class Sleeps:
    """Stands in for time.sleep: records each wait, waits for none."""

    waits: list[float] = field(default_factory=list)

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make_auth(clock: Clock | None = None) -> Auth:
    return Auth(
        api_keys={API_KEY: ALL, POLICY_ONLY_KEY: frozenset({"policy_file"})},
        oauth_clients={
            OAUTH_ID: (OAUTH_SECRET, ALL),
            NARROW_ID: (NARROW_SECRET, frozenset({"policy_file", "devices:core:read"})),
        },
        **({"clock": clock} if clock else {}),
    )


@contextmanager
def emulator(log: list[str] | None = None, clock: Clock | None = None) -> Iterator[Emulator]:
    emu = Emulator(
        state_from_site(desired().site),
        make_auth(clock),
        log=log.append if log is not None else None,
    )
    with emu:
        yield emu


def client(
    emu: Emulator,
    credentials: Credentials | None = None,
    *,
    sleeps: Sleeps | None = None,
    retry: RetryPolicy = FAST,
    transport: httpx.BaseTransport | None = None,
    clock: Clock | None = None,
    timeout: float = 5.0,
) -> TailscaleClient:
    return TailscaleClient(
        credentials or Credentials(api_key=API_KEY),
        emu.url,
        "-",
        retry=retry,
        timeout=timeout,
        sleep=sleeps if sleeps is not None else Sleeps(),
        transport=transport,
        **({"clock": clock} if clock else {}),
    )


_DESIRED: list[Snapshot] = []


def desired() -> Snapshot:
    """The example site's build (compiled once per test session: it is the slow part)."""
    if not _DESIRED:
        _DESIRED.append(read_snapshot(SITE))
    return _DESIRED[0]


@dataclass
class Exchange:
    method: str
    url: str
    headers: dict[str, str]  # Authorization reduced to its scheme: never kept
    body: bytes
    status: int
    response_headers: dict[str, str]
    response_body: bytes


class Recorder(httpx.BaseTransport):
    """A real HTTP transport that keeps every exchange (for the conformance test)."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.exchanges: list[Exchange] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        response = self.inner.handle_request(request)
        content = response.read()
        headers = {k.lower(): v for k, v in request.headers.items()}
        if "authorization" in headers:
            headers["authorization"] = headers["authorization"].split(" ")[0] + " (elided)"
        self.exchanges.append(
            Exchange(
                request.method,
                str(request.url),
                headers,
                body,
                response.status_code,
                {k.lower(): v for k, v in response.headers.items()},
                content,
            )
        )
        return httpx.Response(
            response.status_code, headers=response.headers, content=content, request=request
        )

    def close(self) -> None:
        self.inner.close()
