"""The fast reader: turn HuJSON into plain JSON in C-speed passes, then let C's `json` parse.

Why this shape: `json.loads` is C and fast, and everything HuJSON adds to JSON (comments, one
trailing comma) can be removed without understanding the rest. A character-by-character
Python loop, or one regex that matches every string, costs 10-15x the parse itself; so
these passes only stop where it matters. Two flavours:

- `blank` (for `standardize`): the same bytes in the same places. It visits candidate comment
  starts (`//`, `/*`) and candidate trailing commas (`,` + whitespace + `]`/`}`) found by C
  regex searches, and decides whether each sits inside a string from the parity of the real
  (unescaped) quotes before it, counted with `str.count` in C.
- `loads_text` (for `loads` and `format`'s validation): the same data, not the same length.
  Comments on their own line and trailing commas before a line break, by far the most common
  shapes, go in single `re.sub` passes with literal replacements (no Python per match; a
  JSON string cannot contain a raw newline, so a line break proves the match is not inside
  one). Whatever is left goes through `blank`'s careful visit.

`loads` first tries a third, cheaper text (`quick_text`): comment lines of either kind (`//`,
`/* */`, several on a line) and line-broken trailing commas all go in C regex passes, and
nothing else is looked at, so URLs, `//` and `/*` inside strings cost nothing. It is right
whenever `json.loads` accepts it: the leftmost wrong deletion can only start inside a string
(the kept line break then stays in that string) or inside a block comment that starts
mid-line (its `/*` then stays outside any string); either way `json.loads` fails and the
careful `loads_text` decides.

Anything unusual (an unterminated comment, a comment that is not UTF-8, a comma that does not
follow a value, or `json.loads` failing for any reason) sends the document to the exact parser
in `_ast`, which reports Tailscale's own error. A wrong parity can only come from a backslash
or a raw newline outside a valid string, and both stay in the text and make `json.loads` fail,
so the fast path never accepts a document the exact parser rejects.
"""

from __future__ import annotations

import json
import math
import re
from bisect import bisect_left
from typing import Any

from compiler.hujson import _ast

__all__ = [
    "Fallback",
    "as_text",
    "from_bytes",
    "loads",
    "loads_text",
    "minimize",
    "quick_text",
    "reject_constant",
    "standardize",
    "to_bytes",
]

_COMMENT_START = re.compile(r"/[/*]")
_TRAILING_COMMA = re.compile(r",[ \t\r\n]*+[\]}]")
# A run of backslashes from its start (so a long run is not re-scanned from each position).
_ESCAPED_QUOTE = re.compile(r'(?<!\\)(\\++)"')
_BLANK_ASCII = {code: " " for code in range(128) if chr(code) not in " \t\r\n"}
_NOT_AFTER_VALUE = "[{,:"


class Fallback(Exception):
    """The fast path cannot decide; the exact parser will."""


class _Duplicate(Exception):
    """An object has the same name twice; the exact parser finds where."""


def to_bytes(text: str | bytes | bytearray | memoryview) -> bytes:
    """The UTF-8 bytes Go would see. Lone surrogates (from surrogateescape) map back to bytes."""
    if isinstance(text, str):
        try:
            return text.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:
            return text.encode("utf-8", "surrogatepass")  # invalid UTF-8, as Go would see it
    return bytes(text)


def from_bytes(data: bytes) -> str:
    """Text for output; bytes Go passes through unchecked (inside strings) survive as surrogates."""
    return data.decode("utf-8", "surrogateescape")


class _Quotes:
    """Tracks whether a position is inside a string, moving forward only."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.escaped = _escaped_quotes(text) if "\\" in text else None
        self.counted = 0
        self.inside = False

    def inside_at(self, pos: int) -> bool:
        count = self.text.count('"', self.counted, pos)
        if self.escaped is not None:
            count -= bisect_left(self.escaped, pos) - bisect_left(self.escaped, self.counted)
        self.counted = pos
        if count & 1:
            self.inside = not self.inside
        return self.inside

    def skip_to(self, pos: int) -> None:
        """Continue counting after a comment (its quotes are not string delimiters)."""
        self.counted = pos


def _escaped_quotes(text: str) -> list[int]:
    """Positions of quotes preceded by an odd run of backslashes."""
    return [m.end() - 1 for m in _ESCAPED_QUOTE.finditer(text) if len(m.group(1)) % 2]


def _blank_comment(comment: str) -> str:
    """Spaces for a comment, one per UTF-8 byte, keeping tabs, CRs and newlines (like Go)."""
    if comment.isascii():
        return comment.translate(_BLANK_ASCII)
    try:
        comment.encode("utf-8")
    except UnicodeEncodeError:
        raise Fallback from None  # not UTF-8: the exact parser reports it
    return "".join(ch if ch in "\t\r\n" else " " * len(ch.encode()) for ch in comment)


def _blank_comments(text: str) -> str:
    parts: list[str] = []
    quotes = _Quotes(text)
    done = pos = 0
    search = _COMMENT_START.search
    while (match := search(text, pos)) is not None:
        start = match.start()
        if quotes.inside_at(start):
            pos = start + 1
            continue
        if match.group() == "//":
            end = text.find("\n", start + 2) + 1
        else:
            end = text.find("*/", start + 2) + 2
        if end <= 1:
            raise Fallback  # unterminated comment
        parts += (text[done:start], _blank_comment(text[start:end]))
        done = pos = end
        quotes.skip_to(end)
    if not parts:
        return text
    parts.append(text[done:])
    return "".join(parts)


def _follows_value(text: str, pos: int) -> bool:
    """Whether the last non-space character before `pos` ends a value (a comma may follow)."""
    pos -= 1
    while pos >= 0 and text[pos] in " \t\r\n":
        pos -= 1
    return pos >= 0 and text[pos] not in _NOT_AFTER_VALUE


def _blank_trailing_commas(text: str) -> str:
    parts: list[str] = []
    quotes = _Quotes(text)
    done = 0
    for match in _TRAILING_COMMA.finditer(text):
        comma = match.start()
        if quotes.inside_at(comma):
            continue
        if not _follows_value(text, comma):
            raise Fallback  # `[,]`, `{,}`, `,,]`: the exact parser words the error
        parts += (text[done:comma], " ")
        done = comma + 1
    if not parts:
        return text
    parts.append(text[done:])
    return "".join(parts)


def blank(text: str) -> str:
    """Standard JSON of the same UTF-8 length, if the document looks well formed."""
    if "/" in text:
        text = _blank_comments(text)
    if "," in text:
        text = _blank_trailing_commas(text)
    return text


# For `loads` the text need not keep its length (errors come from the exact parser), which
# allows C-speed regex substitutions with literal replacements for the common shapes:
# comments on their own line and trailing commas before a line break. Possessive
# quantifiers keep each attempt cheap.
_OWN_LINE_COMMENT = re.compile(r"\n[ \t]*+//[^\n]*+(?=\n)")  # one at EOF is an error
# The lookbehind, checked last so the literal "," still drives the search, keeps commas that
# do not directly follow a value: `[\n,\n]` stays an error, and `1 ,\n]` (rare) goes to the
# exact parser.
_MULTILINE_TRAILING_COMMA = re.compile(r",(?=[ \t\r]*+\n[ \t\r\n]*+[\]}])(?<=[^ \t\r\n\[{,:],)")
_INLINE_TRAILING_COMMA = re.compile(r",[ \t\r]*+[\]}]")


def _block_end_in_line_comment(text: str) -> bool:
    """Whether a `*/` sits in a comment line; deleting that line could move a block's end.

    Each line holding a `*/` is looked at once (then the search resumes on the next line),
    so a long line full of `*/` stays linear.
    """
    pos = text.find("*/")
    while pos >= 0:
        line_start = text.rfind("\n", 0, pos) + 1
        if text[line_start:pos].lstrip(" \t").startswith("//"):
            return True
        line_end = text.find("\n", pos)
        if line_end < 0:
            return False
        pos = text.find("*/", line_end)
    return False


_SURROGATE = re.compile("[\ud800-\udfff]")


def _is_utf8(text: str) -> bool:
    """No lone surrogates (bytes that were not UTF-8): only then may comments go unchecked."""
    return text.isascii() or _SURROGATE.search(text) is None


def _strip_comments(text: str) -> str:
    """Delete own-line `//` comments in one C pass, then blank whatever comments remain.

    A comment line cannot be inside a string (JSON strings hold no raw newline; if one does,
    the newline stays and `json.loads` fails). Inside a block comment, deleting a line is
    harmless unless that line holds the block's `*/`, which is checked first.
    """
    if _is_utf8(text) and ("/*" not in text or not _block_end_in_line_comment(text)):
        text = _OWN_LINE_COMMENT.sub("\n", text)
    return _blank_comments(text)


def _strip_trailing_commas(text: str) -> str:
    """Blank inline trailing commas carefully, then delete line-broken ones in one C pass.

    A comma followed by a line break cannot be inside a valid string (strings hold no raw
    newline; if one does, it stays and `json.loads` fails).
    """
    if _INLINE_TRAILING_COMMA.search(text):
        text = _blank_trailing_commas(text)
    return _MULTILINE_TRAILING_COMMA.sub("", text)


# One or more block comments then an optional `//` comment, or a `//` comment, filling a line
# (the line break before is kept, the one after is the next match's start).
_BLOCK_COMMENT = r"/\*[^*]*+\*++(?:[^/*][^*]*+\*++)*+/"
_COMMENT_LINES = re.compile(
    rf"\n[ \t]*+(?:(?:{_BLOCK_COMMENT}[ \t\r]*+)++(?://[^\n]*+)?|//[^\n]*+)(?=\n)"
)


def quick_text(text: str) -> str:
    """Comment lines and line-broken trailing commas deleted in C passes, nothing else.

    Only trustworthy when `json.loads` accepts the result (see the module docstring); a
    comment at the very start counts as a line (a newline is put before the text).
    """
    if "/" in text:
        text = _COMMENT_LINES.sub("\n", "\n" + text)
    if "," in text:
        text = _MULTILINE_TRAILING_COMMA.sub("", text)
    return text


def loads_text(text: str) -> str:
    """Standard JSON with the same data (not the same length) for `json.loads`."""
    if "/" in text:
        text = _strip_comments(text)
    if "," in text:
        text = _strip_trailing_commas(text)
    return text


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise _Duplicate
    return result


def _finite_float(text: str) -> float:
    """1e400 would be inf: Go's decoder rejects it, and it is not a JSON value for us either."""
    value = float(text)
    if math.isinf(value):
        raise Fallback  # the exact parser reports where
    return value


def reject_constant(name: str) -> Any:
    raise Fallback  # NaN, Infinity, -Infinity are JSON5, not JSON


def as_text(text: str | bytes | bytearray | memoryview) -> str | None:
    """The text to scan, or None when the bytes are not UTF-8 (only the exact parser copes)."""
    if isinstance(text, str):
        return text
    try:
        return bytes(text).decode("utf-8")
    except UnicodeDecodeError:
        return None


def _json_loads(text: str, hook: Any) -> Any:
    return json.loads(
        text, object_pairs_hook=hook, parse_constant=reject_constant, parse_float=_finite_float
    )


def _loads_fast(text: str, hook: Any) -> Any:
    """The quick text, then the careful one; Fallback when only the exact parser can decide."""
    try:
        if not _is_utf8(text):
            raise ValueError("a comment may not be UTF-8: only the careful text checks")
        return _json_loads(quick_text(text), hook)
    except ValueError:
        pass  # maybe a comment the quick pass left (or the document is invalid)
    except (_Duplicate, RecursionError) as err:
        raise Fallback from err  # from the part read right: the careful text would agree
    try:
        return _json_loads(loads_text(text), hook)
    except (_Duplicate, ValueError, RecursionError) as err:
        raise Fallback from err


def loads(text: str | bytes | bytearray | memoryview, *, allow_duplicates: bool = False) -> Any:
    """Strict JWCC to Python data: blank, then C json; the exact parser explains failures."""
    decoded = as_text(text)
    if decoded is not None:
        try:
            return _loads_fast(decoded, None if allow_duplicates else _unique)
        except Fallback:
            pass
    data = to_bytes(text)
    return _ast.to_python(_ast.parse(data), data, allow_duplicates)


def standardize(text: str | bytes | bytearray | memoryview) -> str:
    """Comments and trailing commas become spaces; every other byte stays where it was."""
    decoded = as_text(text)
    if decoded is not None:
        try:
            standard = blank(decoded)
            json.loads(standard, parse_constant=reject_constant)
            return standard
        except (Fallback, ValueError, RecursionError):
            pass
    root = _ast.parse(to_bytes(text))
    _ast.standardize_tree(root)
    return from_bytes(_ast.pack(root))


def minimize(text: str | bytes | bytearray | memoryview) -> str:
    """Go's Minimize: no whitespace, comments or trailing commas; literals kept as written."""
    root = _ast.parse(to_bytes(text))
    _ast.minimize_tree(root)
    return from_bytes(_ast.pack(root))
