"""The fast formatter: one pass over the tokens of a valid document, emitting text directly.

`_format.py` is a literal port of Go's `format.go` (parse to a tree, then four passes that
mutate it). That is easy to check against Go but costs ~15x `json.dumps(indent="\\t")`. This
module computes the same bytes in one recursive pass, which works because of two facts:

- Every indentation Go emits is "depth of the enclosing composite + 0, 1 or 2". So each
  composite is rendered as if it sat at depth 0 and its parent shifts the finished text right
  (a tab after every newline that starts a non-empty line; Go never indents an empty line).
  `format_extra` then only ever sees depths 0-2, and its results are cached.
- A composite's inline/expanded decision depends only on its own extra and its children's
  line statistics, all known once its children are rendered (bottom-up), and the trailing-comma
  rule needs only one global fact, "was the input standard JSON?", which the fast validator
  already knows.

The input must be valid (the caller validates it first), so tokenizing needs no error handling.
`tests/test_hujson_props.py` checks this module against `_format.py` on random documents.
"""

from __future__ import annotations

import json
import re
from typing import Any

from compiler.hujson import _fast
from compiler.hujson._ast import MAX_DEPTH, pack, parse
from compiler.hujson._format import (
    PUNCH_CARD_WIDTH,
    Opts,
    Stats,
    extra_stats,
    format_extra,
    format_tree,
    go_string,
    rstrip_space,
)

__all__ = ["format_text", "render"]

_SCALAR = rb'(?:"(?:[^"\\\n]++|\\.)*+"|[-0-9a-z][-+.a-zA-Z0-9]*+)'
# An array of scalars on one line with no comments: by far the most common composite in a
# policy (`"ip": ["tcp:443"]`), so it is one token and skips the general machinery.
_SCALAR_ARRAY = (
    rb"\[[ \t]*+(?:" + _SCALAR + rb"[ \t]*+(?:,[ \t]*+" + _SCALAR + rb"[ \t]*+)*+(?:,[ \t]*+)?)?\]"
)
# Extra (whitespace and comments) | scalar array | string | number/true/false/null | one byte.
# A member's name with its colon (and one space, unless more extra follows) is one token too.
_TOKEN = re.compile(
    rb"(?:[ \t\r\n]++|//[^\n]*+\n|/\*.*?\*/)++|"
    + _SCALAR_ARRAY
    + rb'|"(?:[^"\\]++|\\.)*+"(?::(?: (?![ \t\r\n/]))?)?|[^ \t\r\n/",:\[\]{}]++|.',
    re.S,
)
_SCALARS = re.compile(_SCALAR)
# Already formatted (and no backslash escape to re-encode): the token is its own output.
_CANONICAL_ARRAY = re.compile(
    rb'\[(?:(?:"[^"\\\n]*+"|[-0-9a-z][-+.a-zA-Z0-9]*+)(?:, (?:"[^"\\\n]*+"|[-0-9a-z][-+.a-zA-Z0-9]*+))*+)?\]'
)
_LINE_START = re.compile(rb"\n(?=[^\n])")
_EXTRA_START = frozenset(b" \t\r\n/")
_CLOSERS = frozenset(b"]}")
_OPENERS = frozenset(b"[{")
_INNER = Opts.TRIM_LEADING | Opts.TRIM_TRAILING
_BEFORE_VALUE = _INNER | Opts.SPACE_IF_EMPTY
_CLOSE = _INNER | Opts.UNINDENT_LAST
_FIRST = Opts.TRIM_LEADING
_NEXT = Opts.SPACE_IF_EMPTY
_OPEN_ARRAY, _OPEN_OBJECT = 0x5B, 0x7B
_COMMA = b","
_FLAT: Stats = (0, 0, False)

# An item (array element or object member) is a list, for speed; these name its slots.
BEFORE = 0  # extra before the name (objects) or the element (arrays)
NAME = 1  # the name literal (objects)
NAME_AFTER = 2  # extra between name and colon, or None
VALUE_BEFORE = 3  # extra between colon and value, or None
TEXT = 4  # the value rendered at relative depth 0
STATS = 5  # the value's line statistics (Go's lineStats)
NL = 6  # a newline in any extra inside the value (Go's hasNewline(false))
AFTER = 7  # extra before the comma, or None; on the last item, not None = trailing comma


def _shift(text: bytes, tabs: int) -> bytes:
    """Indent every non-empty line after the first by `tabs` more tabs."""
    if not tabs or b"\n" not in text:
        return text
    if b"\n\n" in text:
        return _LINE_START.sub(b"\n" + b"\t" * tabs, text)
    return text.replace(b"\n", b"\n" + b"\t" * tabs)  # no empty line: every line


def _literal(token: bytes) -> bytes:
    """Go's normalize: a string with a backslash is re-encoded; anything else is kept."""
    if token[0] == 0x22 and b"\\" in token:
        return go_string(token)
    return token


def _add(stats: Stats, current: int, lengths: list[int]) -> int:
    current += stats[0]
    if stats[2]:
        lengths.append(current)
        return stats[1]
    return current


def _add_extra(extra: bytes | None, current: int, lengths: list[int]) -> int:
    """Go's updateStats(extra.lineStats()), short-cut for whitespace."""
    if not extra:
        return current
    if b"/" in extra:
        return _add(extra_stats(extra), current, lengths)
    if b"\n" in extra:
        lengths.append(current)
        return 0
    return current


def _line_stats(items: list[list[Any]], closing: bytes, is_object: bool) -> tuple[bool, Stats]:
    """Go's expandComposites for one composite: (expand, stats for the parent)."""
    current = 1  # "{" or "["
    lengths: list[int] = []
    expand = False
    for item in items:
        before = item[BEFORE]
        if before:
            expand = expand or b"\n" in before
            current = _add_extra(before, current, lengths)
        if is_object:
            current = _add_extra(item[NAME_AFTER], current + len(item[NAME]), lengths) + 2  # ": "
            current = _add_extra(item[VALUE_BEFORE], current, lengths)
        current = _add(item[STATS], current, lengths)
        current = _add_extra(item[AFTER], current, lengths) + 2  # ", "
    lengths.append(current + 1)  # "}" or "]"
    if items and items[-1][AFTER] is not None:
        expand = expand or b"\n" in items[-1][AFTER]
    expand = expand or b"\n" in closing or max(lengths) > PUNCH_CARD_WIDTH
    if expand:
        first = items[0][BEFORE] if items else closing
        return True, (1 + extra_stats(first)[0], 1, True)
    return False, (lengths[0], lengths[-1], len(lengths) > 1)


def _has_newline(item: list[Any]) -> bool:
    """Go's hasNewline(true) for a member's name and value, or for an element."""
    return bool(
        item[NL]
        or b"\n" in item[BEFORE]
        or (item[NAME_AFTER] and b"\n" in item[NAME_AFTER])
        or (item[VALUE_BEFORE] and b"\n" in item[VALUE_BEFORE])
        or (item[AFTER] and b"\n" in item[AFTER])
    )


def _align(items: list[list[Any]]) -> None:
    """Go's alignObjectValues for one object: pad the extra before each value in a run."""
    rows: list[tuple[list[Any], int]] = []
    for item in items:
        before, name_after, value_before = item[BEFORE], item[NAME_AFTER], item[VALUE_BEFORE]
        if (
            b"\n" not in before
            or (name_after and b"\n" in name_after)
            or b"\n" in value_before
            or item[NL]
            or (item[AFTER] and b"\n" in item[AFTER])
        ):
            _flush(rows)
            continue
        if before.count(b"\n") > 1:
            _flush(rows)  # a blank line or a comment line starts a new run
        rows.append((item, len(item[NAME]) + len(name_after or b"") + 1 + len(value_before)))
    _flush(rows)


def _flush(rows: list[tuple[list[Any], int]]) -> None:
    if rows:
        width = max(length for _, length in rows)
        for item, length in rows:
            if length < width:
                item[VALUE_BEFORE] += b" " * (width - length)
        rows.clear()


def _normalize(items: list[list[Any]], closing: bytes) -> bytes:
    """Go's normalize: whitespace-only extra after names and values goes (a trailing comma
    with it); an empty composite keeps its inside only if that holds a comment."""
    if not items:
        return closing if b"/" in closing else b""
    for item in items:
        after = item[AFTER]
        if after is not None and b"/" not in after:
            item[AFTER] = None
        after = item[NAME_AFTER]
        if after is not None and b"/" not in after:
            item[NAME_AFTER] = None
    return closing


def _plain_stats(items: list[list[Any]], closing: bytes, is_object: bool) -> tuple[bool, Stats]:
    """`_line_stats` when all extras are whitespace: only line breaks count."""
    if b"\n" in items[0][BEFORE] or b"\n" in closing:
        return True, (1, 1, True)  # expanded whatever the line lengths
    expand = False
    current = 1
    lengths: list[int] = []
    for item in items:
        before = item[BEFORE]
        if before and b"\n" in before:
            expand = True
            lengths.append(current)
            current = 0
        if is_object:
            current += len(item[NAME]) + 2
            value_before = item[VALUE_BEFORE]
            if value_before and b"\n" in value_before:
                lengths.append(current)
                current = 0
        stats = item[STATS]
        current += stats[0]
        if stats[2]:
            lengths.append(current)
            current = stats[1]
        current += 2
    lengths.append(current + 1)
    if expand or max(lengths) > PUNCH_CARD_WIDTH:
        return True, (1, 1, True)
    return False, (lengths[0], lengths[-1], len(lengths) > 1)


def _plain_piece(item: list[Any], is_object: bool) -> bytes:
    """An inline member or element (relative depth 0): name, colon, extra, value."""
    text = item[TEXT]
    if not is_object:
        return text
    value_before = item[VALUE_BEFORE]
    if value_before and b"\n" in value_before:
        return item[NAME] + b":\n\t\t" + _shift(text, 1)
    return item[NAME] + b": " + text


def _plain_expanded(items: list[list[Any]], is_object: bool, standard: bool) -> bytes:
    """An expanded composite without comments: one item per line, aligned, trailing comma."""
    parts = [b"{" if is_object else b"["]
    pads = _plain_pads(items) if is_object else None
    for position, item in enumerate(items):
        parts.append(b"\n\n\t" if position and item[BEFORE].count(b"\n") > 1 else b"\n\t")
        text = item[TEXT]
        if b"\n" in text:
            text = _shift(text, 1)
        if pads is None:
            parts += (text, _COMMA)
            continue
        value_before = item[VALUE_BEFORE]
        if value_before and b"\n" in value_before:
            parts += (item[NAME], b":\n\t\t", _shift(text, 1), _COMMA)
        else:
            parts += (item[NAME], b":" + b" " * (1 + pads[position]), text, _COMMA)
    if standard:
        parts.pop()
    parts.append(b"\n}" if is_object else b"\n]")
    return b"".join(parts)


def _plain_pads(items: list[list[Any]]) -> list[int]:
    """Go's alignObjectValues for an expanded object whose extras are whitespace: the spaces
    to add after each colon. A run of one-line members ends at a blank line or at a member
    whose value spans lines."""
    pads: list[int] = []
    start = width = 0
    for position, item in enumerate(items):
        value_before = item[VALUE_BEFORE]
        if item[NL] or (value_before and b"\n" in value_before):
            _close_run(pads, start, width)
            pads.append(0)
            start, width = position + 1, 0
            continue
        if position and item[BEFORE].count(b"\n") > 1:
            _close_run(pads, start, width)
            start, width = position, 0
        length = len(item[NAME])
        width = max(width, length)
        pads.append(length)
    _close_run(pads, start, width)
    return pads


def _close_run(pads: list[int], start: int, width: int) -> None:
    """Turn the name lengths of a finished run into padding."""
    for position in range(start, len(pads)):
        pads[position] = width - pads[position]


def _emit(items: list[list[Any]], closing: bytes, is_object: bool) -> bytes:
    parts: list[bytes] = [b"{" if is_object else b"["]
    for item in items:
        parts.append(item[BEFORE])
        if is_object:
            parts += (item[NAME], item[NAME_AFTER] or b"", b":", item[VALUE_BEFORE])
        parts.append(item[TEXT])
        if item[AFTER] is not None:
            parts.append(item[AFTER])
        parts.append(_COMMA)
    if items and items[-1][AFTER] is None:
        parts.pop()  # no trailing comma
    parts += (closing, b"}" if is_object else b"]")
    return b"".join(parts)


class Renderer:
    """Renders one valid document; caches `format_extra` (its inputs repeat line after line)."""

    def __init__(self, data: bytes, standard: bool) -> None:
        self.tokens: list[bytes] = _TOKEN.findall(data)
        self.tokens.append(b"")  # an end marker, so looking one token ahead never fails
        self.standard = standard
        self.cache: dict[tuple[bytes | None, int, int], bytes | None] = {}

    def fmt(self, extra: bytes | None, depth: int, opts: int) -> bytes | None:
        key = (extra, depth, opts)
        try:
            return self.cache[key]
        except KeyError:
            result = self.cache[key] = format_extra(extra, depth, opts)
            return result

    def document(self) -> bytes:
        """Go's Value.Format for the whole document."""
        tokens = self.tokens
        before, index = None, 0
        if tokens[0][0] in _EXTRA_START:
            before, index = tokens[0], 1
        head = (self.fmt(before, 0, 0) or b"").lstrip(b" \t\r\n")
        text, _, _, index = self.value(index)
        after = tokens[index] or None
        return head + text + rstrip_space(self.fmt(after, 0, 0) or b"") + b"\n"

    def value(self, index: int) -> tuple[bytes, Stats, bool, int]:
        """The value at tokens[index]: text, line stats, hasNewline, next index."""
        token = self.tokens[index]
        lead = token[0]
        if lead == _OPEN_OBJECT:
            return self.composite(index + 1, True)
        if lead == _OPEN_ARRAY:
            if len(token) > 1:
                return (*self.scalar_array(token), index + 1)
            return self.composite(index + 1, False)
        text = _literal(token)
        return text, (len(text), len(text), False), False, index + 1

    def scalar_array(self, token: bytes) -> tuple[bytes, Stats, bool]:
        """A one-line array of scalars without comments; inline unless over 80 columns."""
        if len(token) <= PUNCH_CARD_WIDTH - 2 and _CANONICAL_ARRAY.fullmatch(token):
            measure = len(token) + 2 if len(token) > 2 else 2  # Go counts ", " after the last
            return token, (measure, measure, False), False
        literals = [_literal(lit) for lit in _SCALARS.findall(token)]
        if not literals:
            return b"[]", (2, 2, False), False
        measure = sum(map(len, literals)) + 2 * len(literals) + 2
        if measure <= PUNCH_CARD_WIDTH:
            return b"[" + b", ".join(literals) + b"]", (measure, measure, False), False
        end = b"\n]" if self.standard else b",\n]"
        return b"[\n\t" + b",\n\t".join(literals) + end, (1, 1, True), True

    def composite(
        self, index: int, is_object: bool, depth: int = 1
    ) -> tuple[bytes, Stats, bool, int]:
        """Parse items up to the closing bracket, then decide and render (Go's four passes).

        This is the hot loop of `format` (one iteration per member or element), which is why
        it is written out in one piece with local names rather than split into helpers.
        """
        if depth > MAX_DEPTH:
            raise RecursionError  # the exact parser reports the same limit with its position
        tokens, extra_start = self.tokens, _EXTRA_START
        items: list[list[Any]] = []
        comments = False  # any comment in this composite's own extras
        while True:
            token = tokens[index]
            before = b""
            if token[0] in extra_start:
                before, index = token, index + 1
                comments = comments or b"/" in before
                token = tokens[index]
            if token[0] in _CLOSERS:
                if items and items[-1][AFTER] is None:
                    items[-1][AFTER] = b""  # a trailing comma
                finish = self.finish if comments else self.finish_plain
                return finish(items, before, is_object, index + 1)
            name, name_after, value_before = b"", None, None
            if is_object:
                name, name_after, value_before, index = self.member_head(index)
                if name_after is not None or (value_before is not None and value_before != b" "):
                    comments = comments or b"/" in (name_after or b"") + (value_before or b"")
                token = tokens[index]
            lead = token[0]
            if lead == _OPEN_OBJECT:
                text, stats, nl, index = self.composite(index + 1, True, depth + 1)
            elif lead == _OPEN_ARRAY and len(token) == 1:
                text, stats, nl, index = self.composite(index + 1, False, depth + 1)
            elif lead == _OPEN_ARRAY:
                if depth >= MAX_DEPTH:
                    raise RecursionError  # counted like the exact parser counts it
                (text, stats, nl), index = self.scalar_array(token), index + 1
            else:  # a literal
                text = go_string(token) if lead == 0x22 and b"\\" in token else token
                stats, nl, index = (len(text), len(text), False), False, index + 1
            token = tokens[index]
            after = None
            if token and token[0] in extra_start:
                after, index = token, index + 1
                comments = comments or b"/" in token
                token = tokens[index]
            items.append([before, name, name_after, value_before, text, stats, nl, after])
            if token != _COMMA:
                closing, items[-1][AFTER] = after or b"", None
                finish = self.finish if comments else self.finish_plain
                return finish(items, closing, is_object, index + 1)
            index += 1

    def member_head(self, index: int) -> tuple[bytes, bytes | None, bytes | None, int]:
        """Name, extra before the colon, extra after it, and the index of the value."""
        tokens = self.tokens
        token = tokens[index]
        name_after = None
        if token[-1] == 0x22:  # the name alone: extra or the colon follows
            index += 1
            if tokens[index][0] in _EXTRA_START:
                name_after, index = tokens[index], index + 1
            space = b""
        else:  # `"name":` or `"name": ` as one token
            token, _, space = token.rpartition(b":")
        index += 1
        if tokens[index][0] in _EXTRA_START:  # only if the token took no space
            space, index = space + tokens[index], index + 1
        name = go_string(token) if b"\\" in token else token
        return name, name_after, space or None, index

    def finish_plain(
        self, items: list[list[Any]], closing: bytes, is_object: bool, index: int
    ) -> tuple[bytes, Stats, bool, int]:
        """`finish` for a composite whose own extras are all whitespace (the common case).

        Whitespace-only extra after names and values is dropped by normalize, every extra
        formats to a fixed shape (" ", "\\n\\t", "\\n\\n\\t", "\\n\\t\\t"), and the line
        statistics only see line breaks; so Go's passes reduce to the arithmetic below.
        """
        if not items:
            return (b"{}" if is_object else b"[]"), (2, 2, False), False, index
        expand, stats = _plain_stats(items, closing, is_object)
        if expand:
            text = _plain_expanded(items, is_object, self.standard)
            return text, stats, True, index
        pieces = [_plain_piece(item, is_object) for item in items]
        has_newline = any(
            item[NL] or (item[VALUE_BEFORE] and b"\n" in item[VALUE_BEFORE]) for item in items
        )
        opener, closer = (b"{", b"}") if is_object else (b"[", b"]")
        return opener + b", ".join(pieces) + closer, stats, has_newline, index

    def finish(
        self, items: list[list[Any]], closing: bytes, is_object: bool, index: int
    ) -> tuple[bytes, Stats, bool, int]:
        """Go's normalize, expandComposites, formatWhitespace and alignObjectValues for one
        composite with comments in its own extras, then its text at relative depth 0."""
        closing = _normalize(items, closing)
        expand, stats = _line_stats(items, closing, is_object)
        self.format_items(items, expand, is_object)
        opts = _CLOSE | (Opts.TRAILING_NEWLINE if expand else 0)
        closing = self.fmt(closing, 1, opts & ~Opts.TRIM_LEADING if items else opts) or b""
        closing = self.trailing_comma(items, closing, expand)
        has_newline = any(_has_newline(item) for item in items)
        if is_object:
            _align(items)
        return _emit(items, closing, is_object), stats, has_newline, index

    def format_items(self, items: list[list[Any]], expand: bool, is_object: bool) -> None:
        """Go's formatWhitespace for each member or element, at relative depth 0."""
        fmt = self.fmt
        first = _FIRST | Opts.LEADING_NEWLINE if expand else _FIRST
        rest = _NEXT | Opts.LEADING_NEWLINE if expand else _NEXT
        for position, item in enumerate(items):
            item[BEFORE] = fmt(item[BEFORE], 1, rest if position else first) or b""
            offset = 1 if expand else 0
            if is_object:
                name_after = item[NAME_AFTER]
                if name_after is not None:
                    name_after = item[NAME_AFTER] = fmt(name_after, 2, _INNER)
                value_before = item[VALUE_BEFORE] = fmt(item[VALUE_BEFORE], 2, _BEFORE_VALUE)
                if (name_after and b"\n" in name_after) or b"\n" in value_before:  # type: ignore[operator]
                    offset += 1
            if offset:
                item[TEXT] = _shift(item[TEXT], offset)
            if item[AFTER] is not None:
                item[AFTER] = fmt(item[AFTER], 2, _INNER)

    def trailing_comma(self, items: list[list[Any]], closing: bytes, expand: bool) -> bytes:
        if not items:
            return closing
        last = items[-1]
        if not expand and not (last[AFTER] and closing):
            if last[AFTER] is not None:
                closing, last[AFTER] = last[AFTER] + closing, None
        elif expand and not self.standard and last[AFTER] is None:
            last[AFTER] = b""
        return closing


def render(data: bytes, standard: bool) -> bytes:
    """Format a document known to be valid; `standard`: it has no comments or trailing commas."""
    return Renderer(data, standard).document()


def _fast_render(text: str) -> bytes | None:
    """Validate with the fast reader, then render; None when only the exact parser can tell."""
    try:
        stripped = _fast.loads_text(text)
        json.loads(stripped, parse_constant=_fast.reject_constant)
        return render(_fast.to_bytes(text), standard=stripped == text)
    except (_fast.Fallback, ValueError, RecursionError):
        return None


def format_text(text: str | bytes | bytearray | memoryview) -> str:
    """Tailscale's `hujson.Format`, byte for byte; raises HujsonError for invalid input."""
    decoded = _fast.as_text(text)
    if decoded is not None:
        result = _fast_render(decoded)
        if result is not None:
            return _fast.from_bytes(result)
    root = parse(_fast.to_bytes(text))
    format_tree(root)
    return _fast.from_bytes(pack(root))
