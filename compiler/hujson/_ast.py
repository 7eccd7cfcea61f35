"""A syntax tree that keeps every byte of a HuJSON document, parsed the way Go's parser does.

This is a port of `parse.go` from github.com/tailscale/hujson. It is the slow, exact path:
when the fast reader rejects a document this parser finds the error and words it exactly as
Tailscale would (the fast reader only knows that *something* is wrong); it also backs
`minimize`, the exact-path `standardize` and the reference formatter in `_format`. It works on
UTF-8 bytes because Go does: offsets, columns and the 80-column rule all count bytes.

Representation (mirrors Go's `Value`/`Object`/`Array`):
- `Value.before` / `Value.after` are the whitespace and comments around a value ("extra").
  `after` is `None` when Go's slice is nil; on the last element of a composite a non-None
  `after` (even `b""`) *is* the trailing comma, exactly as in Go.
- `Composite.items` holds array elements, or object names and values interleaved
  (name0, value0, name1, value1, ...), which is how Go's `rangeValues` visits them.
- `Composite.after` is the extra between the last comma (or the opening bracket) and the
  closing bracket.
"""

from __future__ import annotations

import codecs
import json
import math
import re

from compiler.hujson._errors import HujsonError, error_at, quote_rune_at

__all__ = [
    "MAX_DEPTH",
    "Composite",
    "Value",
    "go_decode",
    "is_standard",
    "minimize_tree",
    "pack",
    "parse",
    "standardize_tree",
    "to_python",
]

MAX_DEPTH = 200
"""Nesting limit for the exact parser, `format` and `dumps`. Go has none, but Python's
recursion does (the parser uses three frames per level); no policy comes close to it."""

_WS = re.compile(rb"[ \t\r\n]*")
# Whitespace and complete comments. A comment that does not end stops the match, and the
# parser then reports it. Every repeat here is possessive (`++`, `*+`): a nested plain repeat
# backtracks exponentially on an unterminated string.
_EXTRA = re.compile(rb"(?:[ \t\r\n]++|//[^\n]*+\n|/\*.*?\*/)*+", re.S)
_COMMENT = re.compile(rb"//[^\n]*+\n|/\*.*?\*/", re.S)
# Go's scan of a string ends at the first unescaped quote; `json.Valid` then judges it.
_STRING_ANY = re.compile(rb'"(?:[^"\\]++|\\.)*+"', re.S)
_STRING_OK = re.compile(rb'"(?:[^"\\\x00-\x1f]++|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*+"')
_LITERAL_CHARS = re.compile(rb"[-+.a-zA-Z0-9]*")
_LITERAL_OK = re.compile(rb"true|false|null|-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")
_INTEGER = re.compile(rb"-?(?:0|[1-9][0-9]*)")


class Value:
    """One JSON value with the extra (whitespace and comments) before and after it."""

    __slots__ = ("after", "before", "node", "start")

    def __init__(self, before: bytes, node: bytes | Composite, after: bytes | None, start: int):
        self.before = before
        self.node = node  # literal bytes, or a Composite
        self.after = after
        self.start = start  # byte offset of the value itself (for error messages)


class Composite:
    """An object (names and values interleaved in `items`) or an array."""

    __slots__ = ("after", "expand", "is_object", "items")

    def __init__(self, is_object: bool, items: list[Value], after: bytes) -> None:
        self.is_object = is_object
        self.items = items
        self.after = after
        self.expand = False  # set by the formatter


def _go_replace(exc: UnicodeError) -> tuple[str, int]:
    """Replace one invalid byte with U+FFFD, as Go's decoder does (Python's 'replace' may
    swallow a whole truncated sequence)."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    return "\ufffd", exc.start + 1


codecs.register_error("hujson-go-replace", _go_replace)


def go_decode(data: bytes) -> str:
    """UTF-8 to text where each invalid byte becomes U+FFFD, like Go's `string` decoding."""
    return data.decode("utf-8", "hujson-go-replace")


class _Parser:
    """Recursive descent over bytes; one Python frame per nesting level."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def fail(self, offset: int, reason: str) -> HujsonError:
        return error_at(self.data, offset, reason)

    def extra(self, pos: int) -> int:
        """Skip whitespace and comments (Go's consumeExtra), checking each comment is UTF-8."""
        data = self.data
        end = _EXTRA.match(data, pos).end()  # type: ignore[union-attr]
        if end > pos and not data[pos:end].isascii():
            self._check_comments_utf8(pos, end)
        if data.startswith((b"//", b"/*"), end):
            raise self.fail(end, "parsing comment: unexpected EOF")
        return end

    def _check_comments_utf8(self, pos: int, end: int) -> None:
        for match in _COMMENT.finditer(self.data, pos, end):
            try:
                match.group().decode("utf-8")
            except UnicodeDecodeError:
                raise self.fail(match.start(), "invalid UTF-8 in comment") from None

    def value(self, pos: int, depth: int) -> tuple[Value, int]:
        """Go's parseNext: extra, the value itself, extra."""
        start = self.extra(pos)
        node, end = self.trimmed(start, depth)
        after_end = self.extra(end)
        after = self.data[end:after_end] if after_end > end else None
        return Value(self.data[pos:start], node, after, start), after_end

    def trimmed(self, pos: int, depth: int) -> tuple[bytes | Composite, int]:
        """Go's parseNextTrimmed: one value without surrounding extra."""
        data = self.data
        if pos >= len(data):
            raise self.fail(pos, "parsing value: unexpected EOF")
        lead = data[pos]
        if lead == 0x7B or lead == 0x5B:  # { or [
            if depth >= MAX_DEPTH:
                raise self.fail(pos, f"exceeded max depth of {MAX_DEPTH}")
            if lead == 0x7B:
                return self.object(pos + 1, depth + 1)
            return self.array(pos + 1, depth + 1)
        if lead == 0x22:  # "
            return self.string(pos)
        return self.literal(pos)

    def string(self, pos: int) -> tuple[bytes, int]:
        data = self.data
        match = _STRING_OK.match(data, pos)
        if match is not None:
            return match.group(), match.end()
        match = _STRING_ANY.match(data, pos)
        if match is None:
            raise self.fail(len(data), "parsing string: unexpected EOF")
        raise self.fail(pos, f"invalid literal: {go_decode(match.group())}")

    def literal(self, pos: int) -> tuple[bytes, int]:
        data = self.data
        end = _LITERAL_CHARS.match(data, pos).end()  # type: ignore[union-attr]
        if end == pos:
            raise self.fail(pos, f"invalid character {quote_rune_at(data, pos)} at start of value")
        if _LITERAL_OK.fullmatch(data, pos, end) is None:
            raise self.fail(pos, f"invalid literal: {data[pos:end].decode('ascii')}")
        return data[pos:end], end

    def close(self, comp: Composite, pos: int) -> tuple[Composite, int]:
        """The closing bracket right after a comma or the opening bracket."""
        if comp.items and comp.items[-1].after is None:
            comp.items[-1].after = b""  # a trailing comma: Go's setTrailingComma(true)
        return comp, pos + 1

    def end_last(self, comp: Composite, pos: int) -> tuple[Composite, int]:
        """The closing bracket right after a value: its extra moves to the composite."""
        last = comp.items[-1]
        comp.after, last.after = last.after or b"", None
        return comp, pos + 1

    def array(self, pos: int, depth: int) -> tuple[Composite, int]:
        data = self.data
        comp = Composite(False, [], b"")
        while True:
            start = self.extra(pos)
            if data.startswith(b"]", start):
                comp.after = data[pos:start]
                return self.close(comp, start)
            if data.startswith(b"}", start):
                raise self.fail(start, "invalid character '}' at start of value")
            item, pos = self.value(pos, depth)
            comp.items.append(item)
            if pos >= len(data):
                raise self.fail(pos, "parsing array after value: unexpected EOF")
            if data[pos] == 0x5D:  # ]
                return self.end_last(comp, pos)
            if data[pos] != 0x2C:  # ,
                char = quote_rune_at(data, pos)
                raise self.fail(
                    pos, f"invalid character {char} after array value (expecting ',' or ']')"
                )
            pos += 1

    def object(self, pos: int, depth: int) -> tuple[Composite, int]:
        data = self.data
        comp = Composite(True, [], b"")
        while True:
            start = self.extra(pos)
            if data.startswith(b"}", start):
                comp.after = data[pos:start]
                return self.close(comp, start)
            if data.startswith(b"]", start):
                raise self.fail(start, "invalid character ']' at start of value")
            name, pos = self.value(pos, depth)
            self.check_name(name, pos)
            value, pos = self.value(pos + 1, depth)
            comp.items += (name, value)
            if pos >= len(data):
                raise self.fail(pos, "parsing object after value: unexpected EOF")
            if data[pos] == 0x7D:  # }
                return self.end_last(comp, pos)
            if data[pos] != 0x2C:
                char = quote_rune_at(data, pos)
                raise self.fail(
                    pos, f"invalid character {char} after object value (expecting ',' or '}}')"
                )
            pos += 1

    def check_name(self, name: Value, pos: int) -> None:
        """A name must be a string and be followed by a colon (at `pos`, after its extra)."""
        data = self.data
        if not isinstance(name.node, bytes) or name.node[:1] != b'"':
            char = quote_rune_at(data, name.start)
            raise self.fail(name.start, f"invalid character {char} at start of object name")
        if pos >= len(data):
            raise self.fail(pos, "parsing object after name: unexpected EOF")
        if data[pos] != 0x3A:  # :
            raise self.fail(pos, f"invalid character {quote_rune_at(data, pos)} after object name")


def parse(data: bytes) -> Value:
    """Parse a whole document (Go's Parse); raise HujsonError worded as Go words it."""
    parser = _Parser(data)
    try:
        root, end = parser.value(0, 0)
    except RecursionError:
        raise error_at(data, 0, "nesting too deep for this Python stack") from None
    if end < len(data):
        char = quote_rune_at(data, end)
        raise parser.fail(end, f"invalid character {char} after top-level value")
    return root


def pack(root: Value) -> bytes:
    """Serialize the tree back to bytes (Go's Pack); parse then pack is the identity."""
    out: list[bytes] = []
    _pack_into(root, out)
    return b"".join(out)


def _pack_into(value: Value, out: list[bytes]) -> None:
    out.append(value.before)
    node = value.node
    if isinstance(node, bytes):
        out.append(node)
    else:
        items = node.items
        out.append(b"{" if node.is_object else b"[")
        for index, item in enumerate(items):
            _pack_into(item, out)
            out.append(b":" if node.is_object and not index % 2 else b",")
        if items and items[-1].after is None:
            out.pop()  # no trailing comma
        out.append(node.after)
        out.append(b"}" if node.is_object else b"]")
    if value.after is not None:
        out.append(value.after)


def _has_comment(extra: bytes | None) -> bool:
    """Extra holds only whitespace and comments, and every comment starts with '/'."""
    return bool(extra) and b"/" in extra  # type: ignore[operator]


def is_standard(value: Value) -> bool:
    """No comments and no trailing commas anywhere (Go's IsStandard)."""
    if _has_comment(value.before) or _has_comment(value.after):
        return False
    node = value.node
    if isinstance(node, bytes):
        return True
    if (node.items and node.items[-1].after is not None) or _has_comment(node.after):
        return False
    return all(is_standard(item) for item in node.items)


_BLANK = bytes(b if b in b" \t\r\n" else 0x20 for b in range(256))


def standardize_tree(value: Value) -> None:
    """Comments and trailing commas become spaces, so every byte keeps its offset."""
    value.before = value.before.translate(_BLANK)
    node = value.node
    if isinstance(node, Composite):
        for item in node.items:
            standardize_tree(item)
        last = node.items[-1] if node.items else None
        if last is not None and last.after is not None:
            node.after = last.after + b" " + node.after  # the comma itself becomes a space
            last.after = None
        node.after = node.after.translate(_BLANK)
    if value.after is not None:
        value.after = value.after.translate(_BLANK)


def minimize_tree(value: Value) -> None:
    """Drop all whitespace, comments and trailing commas (Go's Minimize)."""
    value.before, value.after = b"", None
    node = value.node
    if isinstance(node, Composite):
        for item in node.items:
            minimize_tree(item)
        node.after = b""


def to_python(value: Value, data: bytes, allow_duplicates: bool) -> object:
    """Python data for a parsed tree; the slow twin of `json.loads` that knows positions."""
    node = value.node
    if isinstance(node, bytes):
        return _literal(node, value.start, data)
    if not node.is_object:
        return [to_python(item, data, allow_duplicates) for item in node.items]
    result: dict[str, object] = {}
    items = node.items
    for index in range(0, len(items), 2):
        name = items[index]
        key = _literal(name.node, name.start, data)  # type: ignore[arg-type]
        if key in result and not allow_duplicates:
            raise error_at(
                data, name.start, f"duplicate object name {json.dumps(key, ensure_ascii=False)}"
            )
        result[key] = to_python(items[index + 1], data, allow_duplicates)  # type: ignore[index]
    return result


_CONSTANTS: dict[bytes, object] = {b"true": True, b"false": False, b"null": None}


def _literal(lit: bytes, offset: int, data: bytes) -> object:
    if lit in _CONSTANTS:
        return _CONSTANTS[lit]
    if lit[:1] == b'"':
        return json.loads(go_decode(lit))
    if not _INTEGER.fullmatch(lit):
        value = float(lit)
        if math.isinf(value):
            raise error_at(data, offset, f"number out of range: {lit.decode()}")
        return value
    try:
        return int(lit)
    except ValueError:  # more digits than Python converts (sys.get_int_max_str_digits)
        raise error_at(data, offset, f"number too long: {len(lit)} digits") from None
