"""Render Python data directly in the formatter's layout, with `//` comments.

Why not `format(json.dumps(v))`: the formatter walks a syntax tree in Python four times; the
compiler renders 5,000-device policies on every build, and writing the layout directly is one
pass. The layout is chosen so that `format(dumps(v)) == dumps(v)`:

- a composite is inline (`["a", "b"]`, `{"a": 1}`) when it has no comment inside, no expanded
  child, is not the root or a top-level section, and Go's line measure (the inline text plus
  2) stays within 80 bytes; otherwise it is expanded, one item per line, tab-indented, with a
  trailing comma after every item (an expanded composite always has one in Tailscale's layout);
- in an expanded object, runs of members whose value is one line are aligned (values start
  one space after the longest name of the run); a member with a comment starts a new run and
  a member whose value is expanded ends it, as in `format.go`;
- strings use Go's encoding (only `"`, `\\` and control characters escaped), which is what
  Python's `ensure_ascii=False` string encoder does;
- a comment is placed on its own lines before the member or element its JSON pointer names
  ("" names the root); trailing whitespace is trimmed from each line, as the formatter would.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from compiler.hujson._ast import MAX_DEPTH

__all__ = ["dumps"]

_encode_string = json.encoder.encode_basestring
_encode_strings = json.JSONEncoder(ensure_ascii=False, check_circular=False).encode
"""A list of strings inline, `["a", "b"]`: the C encoder (no indent) with its default
separators, each string by `encode_basestring`."""
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_GO_SPACE = "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
_WIDTH = 80  # format.go's punchCardWidth
_ALWAYS_EXPANDED_DEPTH = 1  # the root and its direct children (the policy's sections)


def _byte_len(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-8"))


def _escape_pointer(token: str) -> str:
    if "~" in token or "/" in token:  # most names need no escape, and then no copies
        return token.replace("~", "~0").replace("/", "~1")
    return token


def _comment_lines(comment: str, indent: str) -> str:
    """`// line` for each line of the comment, each on its own line at `indent`."""
    if "\n" not in comment and "\r" not in comment:  # one line: most comments
        line = comment.rstrip(_GO_SPACE)
        return f"{indent}//{' ' if line else ''}{line}\n"
    lines = (line.rstrip(_GO_SPACE) for line in _LINE_BREAK.split(comment))
    return "".join(f"{indent}//{' ' if line else ''}{line}\n" for line in lines)


_MULTILINE = -1


class _Renderer:
    """One pass over the data; each value returns its text and Go's line measure of it.

    The measure is what `format.go` adds up to decide whether a parent fits in 80 columns: the
    byte length of a literal, or for an inline composite its text plus 2 (Go counts ", " after
    every item, the last one included). `_MULTILINE` marks an expanded composite.
    """

    def __init__(self, comments: Mapping[str, str]) -> None:
        self.comments = comments
        self.used: set[str] = set()
        # The containers with a comment on a child: elsewhere no child's pointer is built
        # unless the child is a container itself (a policy's lists are mostly strings).
        self.commented = {path.rpartition("/")[0] for path in comments if path}

    def comment(self, path: str, indent: str) -> str:
        text = self.comments.get(path)
        if text is None:
            return ""
        self.used.add(path)
        return _comment_lines(text, indent)

    def value(self, value: Any, depth: int, path: str) -> tuple[str, int]:
        if isinstance(value, str):
            text = _encode_string(value)
        elif value is None or isinstance(value, bool):
            text = "null" if value is None else "true" if value else "false"
        elif isinstance(value, int):
            text = int.__repr__(value)
        elif isinstance(value, float):
            text = _float(value)
        elif depth >= MAX_DEPTH:
            raise ValueError(f"nesting deeper than {MAX_DEPTH} at {path or '/'}")
        elif isinstance(value, Mapping):
            return self.mapping(value, depth, path)
        elif isinstance(value, list | tuple):
            return self.sequence(value, depth, path)
        else:
            raise TypeError(f"{type(value).__name__} at {path or '/'} is not JSON serializable")
        return text, _byte_len(text)

    def child(self, item: Any, depth: int, path: str, token: str | int) -> tuple[str, int]:
        """`value` of a child; a string needs no pointer (it holds no comment of its own)."""
        if isinstance(item, str):
            text = _encode_string(item)
            return text, _byte_len(text)
        return self.value(item, depth + 1, f"{path}/{token}")

    def notes(self, path: str, tokens: Sequence[str | int], indent: str) -> list[str]:
        """The comment lines before each child (all empty for most containers)."""
        if path not in self.commented:
            return [""] * len(tokens)
        return [self.comment(f"{path}/{token}", indent) for token in tokens]

    def sequence(
        self, items: list[Any] | tuple[Any, ...], depth: int, path: str
    ) -> tuple[str, int]:
        strings = all(type(item) is str for item in items)
        if strings and items and depth > _ALWAYS_EXPANDED_DEPTH and path not in self.commented:
            # Strings with no comment among them (most of a policy's lists): laid out inline
            # by the C encoder in one call, the same text item by item (`encode_basestring`
            # joined by ", "), and Go's measure is the text's bytes plus 2.
            text = _encode_strings(items)
            measure = _byte_len(text) + 2
            if measure <= _WIDTH:
                return text, measure
        if strings:  # the common case, one call fewer each
            rendered = [
                (text, len(text) if text.isascii() else len(text.encode("utf-8")))
                for text in map(_encode_string, items)
            ]
        else:
            rendered = [self.child(item, depth, path, i) for i, item in enumerate(items)]
        indent = "\t" * (depth + 1)
        notes = self.notes(path, range(len(items)), indent)
        measure = _inline_measure(depth, rendered, notes, 0)
        if measure != _MULTILINE:
            return "[" + ", ".join(text for text, _ in rendered) + "]", measure
        if not any(notes):
            body = "".join(f"{indent}{text},\n" for text, _ in rendered)
        else:
            body = "".join(
                f"{note}{indent}{text},\n" for note, (text, _) in zip(notes, rendered, strict=True)
            )
        return f"[\n{body}{indent[:-1]}]", _MULTILINE

    def mapping(self, obj: Mapping[Any, Any], depth: int, path: str) -> tuple[str, int]:
        names: list[str] = []
        tokens: list[str] = []
        rendered: list[tuple[str, int]] = []
        indent = "\t" * (depth + 1)
        for key, item in obj.items():
            if not isinstance(key, str):
                raise TypeError(f"object name {key!r} at {path or '/'} is not a string")
            token = _escape_pointer(key)
            names.append(_encode_string(key))
            tokens.append(token)
            rendered.append(self.child(item, depth, path, token))
        notes = self.notes(path, tokens, indent)
        widths = [_byte_len(name) for name in names]
        measure = _inline_measure(depth, rendered, notes, sum(widths) + 2 * len(widths))
        if measure != _MULTILINE:
            pairs = (f"{name}: {text}" for name, (text, _) in zip(names, rendered, strict=True))
            return "{" + ", ".join(pairs) + "}", measure
        body = "".join(_aligned(names, widths, rendered, notes, indent))
        return f"{{\n{body}{indent[:-1]}}}", _MULTILINE


def _inline_measure(
    depth: int, rendered: list[tuple[str, int]], notes: list[str], extra: int
) -> int:
    """Go's measure of the composite laid out inline, or _MULTILINE if it must be expanded."""
    if not rendered:
        return 2
    if depth <= _ALWAYS_EXPANDED_DEPTH or any(notes):
        return _MULTILINE
    total = extra + 2 + 2 * len(rendered)
    for _, measure in rendered:
        if measure == _MULTILINE:
            return _MULTILINE
        total += measure
    return total if total <= _WIDTH else _MULTILINE


def _aligned(
    names: list[str],
    widths: list[int],
    rendered: list[tuple[str, int]],
    notes: list[str],
    indent: str,
) -> list[str]:
    """Member lines; each run of one-line members shares the value column (alignObjectValues).
    `widths` are the names' byte lengths."""
    lines: list[str] = []
    start = 0
    while start < len(names):
        end = start + 1
        if rendered[start][1] != _MULTILINE:
            while end < len(names) and not notes[end] and rendered[end][1] != _MULTILINE:
                end += 1
        width = max(widths[start:end])
        for i in range(start, end):
            pad = " " * (width - widths[i] + 1)
            lines.append(f"{notes[i]}{indent}{names[i]}:{pad}{rendered[i][0]},\n")
        start = end
    return lines


def _float(value: float) -> str:
    if math.isnan(value) or math.isinf(value):
        raise ValueError(f"{value!r} is not a JSON number")
    return float.__repr__(value)


def dumps(value: Any, *, comments: Mapping[str, str] | None = None) -> str:
    """Python data as HuJSON in Tailscale's layout, with `//` comments at JSON-pointer paths.

    Raises ValueError for a comment path that names nothing (a lost comment is a bug), for
    NaN/Infinity and for nesting deeper than MAX_DEPTH; TypeError for non-JSON data.
    """
    renderer = _Renderer(comments or {})
    text, _ = renderer.value(value, 0, "")
    head = renderer.comment("", "")
    unknown = sorted(set(renderer.comments) - renderer.used)
    if unknown:
        raise ValueError(f"comment paths match nothing: {', '.join(unknown)}")
    return f"{head}{text}\n"
