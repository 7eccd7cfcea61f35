"""Typed API failures: every HTTP failure says the endpoint, the server's message and a hint.

The classes sit on `compiler.errors.RemoteError` (exit 1) and `LiveChangedError` (exit 4), so
the CLI's exit code follows from the kind. Texts are built from the endpoint and the server's
words only (never from request headers), then redacted, so a secret cannot leak through them.
"""

from __future__ import annotations

from typing import Any

from compiler.errors import LiveChangedError, Problem, RemoteError
from compiler.remote.credentials import API_KEY, OAUTH_ID, OAUTH_SECRET, TAILNET
from compiler.remote.operations import Operation


class ApiError(RemoteError):
    """The API answered with a failure status (or could not be reached: status 0)."""

    def __init__(
        self,
        endpoint: str,
        status: int,
        message: str,
        hint: str = "",
        data: Any = None,
        what: str = "",
    ) -> None:
        self.endpoint = endpoint
        self.status = status
        self.message = message
        self.data = data
        what = what or (f"HTTP {status}" if status else "no answer")
        super().__init__([Problem(f"remote-{status}", f"{endpoint}: {what}: {message}", hint=hint)])


class OutcomeUnknown(ApiError):
    """A write that is not safe to repeat failed in a way that leaves its effect unknown
    (connection dropped, 5xx): the caller must read the state back to know."""


class PreconditionFailed(ApiError, LiveChangedError):
    """412: the policy's ETag is no longer the one the plan was reviewed against (headscale,
    which has no ETag: the policy re-read just before the write differs from the plan's)."""


def hint_for(op: Operation, status: int, oauth: bool) -> str:
    """What to do about a failure, by status (reference §7.3)."""
    if status == 401:
        if oauth:
            return f"check {OAUTH_ID} and {OAUTH_SECRET} (the OAuth client may be deleted)"
        return f"set {API_KEY} to a valid API access token (tskey-api-…; they expire)"
    if status == 403:
        return f"the credential lacks the `{op.scope}` scope: give the OAuth client that scope"
    if status == 404:
        if "{deviceId}" in op.path:
            return "no such device in this tailnet (it may have been removed)"
        return f"check {TAILNET} (default `-`: the credential's own tailnet)"
    if status == 412:
        return (
            "someone changed the policy since the plan was reviewed: "
            "run `tailgen plan` again and review the new plan"
        )
    if status == 429:
        return "rate limited: wait a minute and try again"
    if status >= 500:
        return "the API failed; try again later (nothing is retried past the retry budget)"
    return ""


def error_message(body: bytes, content_type: str) -> tuple[str, Any]:
    """The server's `message` (and `data`) from an error body, or its text, shortened."""
    import json

    if "json" in content_type:
        try:
            value = json.loads(body)
        except ValueError:
            value = None
        if isinstance(value, dict):
            message = value.get("message") or value.get("error_description") or value.get("error")
            if message:
                return str(message), value.get("data")
    text = body.decode("utf-8", "replace").strip()
    return (text[:300] + ("…" if len(text) > 300 else "")) or "(empty body)", None
