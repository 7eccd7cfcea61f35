"""JSON a user hands tailgen (a plan file, a backup, an inventory, a listener table, a compared
`dns.json`), read so that every way it can be unreadable is a `ValueError`.

Python's `json` decoder recurses once per bracket, so a file of a few hundred thousand `[`
raises `RecursionError` instead of `JSONDecodeError`. Each reader already turns a
`ValueError` into an error naming its file; this makes a too-deep file one more of those
instead of a traceback.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from compiler.errors import Problem, Span

TOO_DEEP = "it nests too deeply"


def loads(text: str) -> Any:
    """`json.loads(text)`; a nesting too deep for the decoder is a `ValueError` too."""
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError(TOO_DEEP) from None


@dataclass(frozen=True)
class Failure:
    """Why `loads` failed and where; line and column are 1-based, 0 when there is no place
    (a file too deep to decode)."""

    reason: str
    line: int = 0
    column: int = 0


def failure(err: ValueError) -> Failure:
    """The `loads` failure `err` as reason and place: only `JSONDecodeError` knows where the
    decoder stopped, and its own text ends with that place in words no reader can jump to."""
    if isinstance(err, json.JSONDecodeError):
        return Failure(err.msg, err.lineno, err.colno)
    return Failure(str(err))


def problem(err: ValueError, file: str, code: str) -> Problem:
    """A `loads` failure as a problem at file:line:col, as the rest of the tool reports."""
    why = failure(err)
    return Problem(code, f"invalid JSON: {why.reason}", Span(file, why.line, why.column))
