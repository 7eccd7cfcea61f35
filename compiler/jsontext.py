"""JSON a user hands tailgen (a plan file, a backup, an inventory, a listener table, a compared
`dns.json`), read so that every way it can be unreadable is a `ValueError`.

Python's `json` decoder recurses once per bracket, so a file of a few hundred thousand `[`
raises `RecursionError` instead of `JSONDecodeError`. Each reader already turns a
`ValueError` into an error naming its file; this makes a too-deep file one more of those
instead of a traceback.
"""

from __future__ import annotations

import json
from typing import Any

from compiler.errors import Problem, Span

TOO_DEEP = "it nests too deeply"


def loads(text: str) -> Any:
    """`json.loads(text)`; a nesting too deep for the decoder is a `ValueError` too."""
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError(TOO_DEEP) from None


def problem(err: ValueError, file: str, code: str) -> Problem:
    """What a `loads` failure is, at the file:line:col where the decoder stopped (a file
    too deep to decode has no such place): the decoder's own text ends with its place in
    its own words, which a person cannot jump to."""
    if isinstance(err, json.JSONDecodeError):
        return Problem(code, f"invalid JSON: {err.msg}", Span(file, err.lineno, err.colno))
    return Problem(code, f"invalid JSON: {err}", Span(file))
