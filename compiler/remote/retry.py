"""The one retry loop every control plane's client sends through (Tailscale's API, headscale's).

Bounded and safe: a connection error or a 5xx is retried with exponential backoff only for
an idempotent request (a write whose outcome is unknown is never repeated blindly: the
caller reads back instead); a 429 is waited out (its `Retry-After`, capped), since the server
did not act on it, except for a write guarded only by the client's own re-read (headscale's). `sleep` is a parameter, so tests run the loop without
waiting.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from compiler.numerals import is_decimal

RETRYABLE = frozenset({500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try: `attempts` tries in all for an idempotent call, waits starting at
    `backoff` and doubling up to `max_backoff`; at most `rate_limited` 429s are waited out,
    each for `Retry-After` capped at `max_retry_after` (Tailscale's own client caps at 5 min)."""

    attempts: int = 4
    backoff: float = 0.5
    max_backoff: float = 8.0
    rate_limited: int = 5
    max_retry_after: float = 300.0


@dataclass
class Stats:
    """What the client did, for progress output and the load test's figures."""

    requests: int = 0
    retries: int = 0
    waits: list[float] = field(default_factory=list)


Unreachable = Callable[[httpx.TransportError, int], Exception]
"""The error to raise when the server never answered: (the last error, tries made)."""


def _no(resp: httpx.Response) -> bool:
    return False


@dataclass
class Retrier:
    """Sends one request with the policy's retries, counting them in `stats`."""

    policy: RetryPolicy
    stats: Stats
    sleep: Callable[[float], None] = time.sleep

    def send(
        self,
        send: Callable[[], httpx.Response],
        idempotent: bool,
        unreachable: Unreachable,
        answered: Callable[[httpx.Response], bool] = _no,
        wait_out_429: bool = True,
    ) -> httpx.Response:
        """`send()`'s response once it is final; `answered(resp)` marks a 5xx that is the
        server's answer rather than a failure (headscale's "no policy stored yet").
        `wait_out_429=False` for a write whose guard was checked by the client just before
        it (headscale's re-read): sent again after a wait, it would skip that check."""
        failures = rate_limited = 0
        while True:
            self.stats.requests += 1
            try:
                resp = send()
            except httpx.TransportError as exc:
                failures += 1
                if idempotent and failures < self.policy.attempts:
                    self._wait(self.backoff(failures))
                    continue
                raise unreachable(exc, failures) from None
            if resp.status_code == 429 and wait_out_429 and rate_limited < self.policy.rate_limited:
                rate_limited += 1
                self._wait(self.retry_after(resp, failures + rate_limited))
                continue
            if resp.status_code in RETRYABLE and idempotent and not answered(resp):
                failures += 1
                if failures < self.policy.attempts:
                    self._wait(self.backoff(failures))
                    continue
            return resp

    def _wait(self, seconds: float) -> None:
        self.stats.retries += 1
        self.stats.waits.append(seconds)
        self.sleep(seconds)

    def backoff(self, failures: int) -> float:
        return float(min(self.policy.backoff * 2 ** (failures - 1), self.policy.max_backoff))

    def retry_after(self, resp: httpx.Response, tries: int) -> float:
        """`Retry-After` in seconds or as an HTTP date, capped; backoff when absent."""
        value = resp.headers.get("Retry-After", "").strip()
        seconds = float(value) if is_decimal(value) else seconds_until(value)
        if seconds is None:
            seconds = self.backoff(tries)
        return min(seconds, self.policy.max_retry_after)


def seconds_until(http_date: str) -> float | None:
    """Seconds from now until an HTTP date (0 if past), or None when it is not one."""
    try:
        when = email.utils.parsedate_to_datetime(http_date)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
