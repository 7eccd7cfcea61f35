"""Tailscale's HuJSON formatter, ported from `format.go` of github.com/tailscale/hujson.

The control plane stores a policy as `hujson.Format(body)` and its ETag is the SHA-256 of that
text, so "is my file already what the server has?" is only answerable if we lay text out
byte for byte the way Go does. This is therefore a faithful port, quirks included, pass for
pass over the tree from `_ast`:

1. `normalize`: re-encode strings that contain a backslash; drop whitespace-only extra after
   names and values, and inside empty composites.
2. `expand_composites`: decide per object/array whether it is inline or one item per line
   (a newline after `{ [ ,` or before `} ]`, or a line over 80 bytes).
3. `format_whitespace`: re-indent every extra (tabs), keep at most one blank line, re-indent
   block comments, and set trailing commas (on expanded composites, unless the input was
   standard JSON).
4. `align_object_values`: pad runs of one-line members so their values share a column.

Known Go quirks kept on purpose (they decide bytes of the output): the "multiline object with
more than one member" rule reads a not-yet-computed value and so never fires; lengths are
bytes, not display width; the common prefix of a block comment only shrinks on a mismatch.

`format` normally runs the one-pass `_render` instead (this port costs ~15x json.dumps); this
module is its fallback for documents the fast validator cannot decide, the oracle it is tested
against, and the home of the per-extra formatting (`format_extra`) both share.
"""

from __future__ import annotations

import json
import re

from compiler.hujson._ast import Composite, Value, go_decode, is_standard

__all__ = ["Opts", "extra_stats", "format_extra", "format_tree", "go_string", "rstrip_space"]

PUNCH_CARD_WIDTH = 80

_WS = re.compile(rb"[ \t\r\n]*")
_SURROGATE = re.compile("[\ud800-\udfff]")
# unicode.IsSpace: what Go trims from the end of a comment line.
_GO_SPACE = "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
_GO_SPACE_ASCII = b"\t\n\v\f\r "


def _ws_len(data: bytes, pos: int = 0) -> int:
    return _WS.match(data, pos).end() - pos  # type: ignore[union-attr]


def rstrip_space(data: bytes) -> bytes:
    """bytes.TrimRightFunc(data, unicode.IsSpace); comments are valid UTF-8 by now."""
    if data.isascii():
        return data.rstrip(_GO_SPACE_ASCII)
    return (
        data.decode("utf-8", "surrogateescape").rstrip(_GO_SPACE).encode("utf-8", "surrogateescape")
    )


def go_string(literal: bytes) -> bytes:
    """Go's `String(lit.String())`: decode the JSON string and re-encode it RFC 8785 style.

    Invalid UTF-8 and lone surrogates become U+FFFD (Go's decoder does that); only `"`, `\\`
    and control characters are escaped, with `\\u00xx` in lower case, which is exactly what
    Python's `encode_basestring` (the `ensure_ascii=False` encoder) produces.
    """
    text = _SURROGATE.sub("\ufffd", json.loads(go_decode(literal)))
    return json.encoder.encode_basestring(text).encode("utf-8")


# ---------------------------------------------------------------------------------------------
# Pass 1: normalize


def _has_comment(extra: bytes | None) -> bool:
    return bool(extra) and b"/" in extra  # type: ignore[operator]


def normalize(value: Value) -> None:
    node = value.node
    if isinstance(node, bytes):
        if node[:1] == b'"' and b"\\" in node:
            value.node = go_string(node)
        return
    if not node.items:
        if not _has_comment(node.after):
            node.after = b""
        return
    for item in node.items:
        if item.after is not None and b"/" not in item.after:
            item.after = None
    for item in node.items:
        normalize(item)


# ---------------------------------------------------------------------------------------------
# Pass 2: which composites are expanded

Stats = tuple[int, int, bool]  # (first line length, last line length, spans several lines)
_FLAT: Stats = (0, 0, False)
_BROKEN: Stats = (0, 0, True)


def _comment_length(extra: bytes) -> int:
    """Approximate printed length of the comments on one line (Go's lineStats.length)."""
    length = pos = 0
    while True:
        pos += _ws_len(extra, pos)
        if extra.startswith(b"//", pos):
            return length + 1 + len(extra) - pos  # a line comment runs to the end
        if not extra.startswith(b"/*", pos):
            return length + 1 if length else length  # padding space after a block comment
        end = extra.find(b"*/", pos + 2)
        if end < 0:
            return length + 1 + len(extra) - pos
        length += 1 + end + 2 - pos
        pos = end + 2


def extra_stats(extra: bytes | None) -> Stats:
    if not extra:
        return _FLAT
    newline = extra.find(b"\n")
    if b"/" not in extra:
        return _FLAT if newline < 0 else _BROKEN
    if newline < 0:
        length = _comment_length(extra)
        return (length, length, False)
    last = extra[extra.rfind(b"\n") + 1 :]
    return (_comment_length(extra[:newline]), _comment_length(last), True)


class _Lines:
    """Line lengths of a composite laid out inline (Go's updateStats closure)."""

    __slots__ = ("current", "lengths")

    def __init__(self) -> None:
        self.current = 1  # "{" or "["
        self.lengths: list[int] = []

    def add(self, stats: Stats) -> None:
        self.current += stats[0]
        if stats[2]:
            self.lengths.append(self.current)
            self.current = stats[1]


def expand_composites(value: Value) -> Stats:
    node = value.node
    if isinstance(node, bytes):
        return (len(node), len(node), False)
    lines = _Lines()
    expand = False
    step = 2 if node.is_object else 1
    for index, item in enumerate(node.items):
        expand = expand or (not index % step and b"\n" in item.before)
        lines.add(extra_stats(item.before))
        lines.add(expand_composites(item))
        lines.add(extra_stats(item.after))
        lines.current += 2  # ": " after a name, ", " after a value
    lines.current += 1  # "}" or "]"
    if node.items and node.items[-1].after is not None:
        expand = expand or b"\n" in node.items[-1].after
    expand = expand or b"\n" in node.after
    lengths = [*lines.lengths, lines.current]
    expand = expand or max(lengths) > PUNCH_CARD_WIDTH
    node.expand = expand
    if not expand:
        return (lengths[0], lengths[-1], len(lengths) > 1)
    first_extra = node.items[0].before if node.items else node.after
    return (1 + extra_stats(first_extra)[0], 1, True)


# ---------------------------------------------------------------------------------------------
# Pass 3: whitespace and comments


class Opts:
    """formatOptions from format.go, as bit flags so calls stay cheap."""

    LEADING_NEWLINE = 1
    TRAILING_NEWLINE = 2
    TRIM_LEADING = 4
    TRIM_TRAILING = 8
    UNINDENT_LAST = 16
    SPACE_IF_EMPTY = 32


def _block_comment(comment: bytes, depth: int) -> bytes:
    """Re-indent a multi-line block comment from its common prefix ("*"-style aligned)."""
    lines = [rstrip_space(line) for line in comment.split(b"\n")]
    has_empty = any(not line for line in lines)
    prefix = next((line for line in lines[1:] if line), b"")
    for index in range(1, len(lines)):
        line = lines[index]
        if not line:
            continue
        if line.endswith(b"*/") and _ws_len(line) + 2 == len(line):
            lines[index] = prefix[: _ws_len(prefix)] + b"*/"
            break
        prefix = _shrink_prefix(prefix, line)
    cut = _ws_len(prefix)
    star = not has_empty and len(prefix) > cut and prefix[cut] == 0x2A  # '*'
    indent = b"\t" * depth + (b" " if star else b"")
    body = [indent + line[cut:] if line else b"" for line in lines[1:]]
    return b"\n".join([lines[0], *body]).rstrip(b"\n")


def _shrink_prefix(prefix: bytes, line: bytes) -> bytes:
    """Go cuts the prefix at the first mismatch only (never to a shorter line's length)."""
    for index in range(min(len(line), len(prefix))):
        if line[index] != prefix[index]:
            return prefix[:index]
    return prefix


def _comments_body(extra: bytes, depth: int, out: bytearray) -> None:
    """The paragraph loop of Extra.format: newlines capped at two, comments re-indented."""
    pos, size = 0, len(extra)
    while pos < size:
        skip = _ws_len(extra, pos)
        if skip:
            out += b"\n" * min(extra.count(b"\n", pos, pos + skip), 2)
            pos += skip
            continue
        line_comment = extra.startswith(b"//", pos)
        end = extra.find(b"\n" if line_comment else b"*/", pos + 2)
        end += 1 if line_comment else 2
        out += b"\t" * depth if out.endswith(b"\n") else b" "
        comment = extra[pos:end]
        if line_comment or b"\n" not in comment:
            out += rstrip_space(comment)
            pos = end - 1 if line_comment else end  # a line comment leaves its newline
            continue
        out += _block_comment(comment, depth)
        pos = end


def _line_comments_body(extra: bytes, depth: int, out: bytearray) -> None:
    """`_comments_body` for extra made of whitespace and `//` comments only (the usual case).

    Each line is whitespace, optionally followed by one comment, so the whitespace between
    two comments holds exactly as many newlines as the lines between them.
    """
    last = -1  # line of the previous comment; -1: none yet
    lines = extra.split(b"\n")
    for number, line in enumerate(lines):
        comment = line.lstrip(b" \t")
        if comment:
            out += b"\n" * min(number - last if last >= 0 else number, 2)
            out += b"\t" * depth if out.endswith(b"\n") else b" "
            out += rstrip_space(comment)
            last = number
    out += b"\n" * min(len(lines) - 1 - last, 2)


def format_extra(extra: bytes | None, depth: int, opts: int = 0) -> bytes | None:
    """Go's Extra.format; returns None only when Go's slice would stay nil."""
    source = extra or b""
    if b"\r" in source:
        source = source.replace(b"\r\n", b"\n").replace(b"\n\r", b"\n").replace(b"\r", b" ")
    out = bytearray()
    if opts & Opts.LEADING_NEWLINE and b"\n" not in source:
        out += b"\n"
    if b"/" not in source:
        out += b"\n" * min(source.count(b"\n"), 2)
    elif b"/*" in source:
        _comments_body(source, depth, out)
    else:
        _line_comments_body(source, depth, out)
    _finish_extra(out, depth, opts)
    if not out and extra is None:
        return None
    return bytes(out)


def _finish_extra(out: bytearray, depth: int, opts: int) -> None:
    if opts & Opts.TRAILING_NEWLINE and not out.endswith(b"\n"):
        out += b"\n"
    if opts & Opts.TRIM_LEADING:
        while out.startswith(b"\n\n"):
            del out[0]
    if opts & Opts.TRIM_TRAILING:
        while out.endswith(b"\n\n"):
            del out[-1]
    if out.endswith(b"\n"):
        out += b"\t" * (depth - 1 if opts & Opts.UNINDENT_LAST else depth)
    elif out:
        out += b" "
    if opts & Opts.SPACE_IF_EMPTY and not out:
        out += b" "


_INNER = Opts.TRIM_LEADING | Opts.TRIM_TRAILING
_BEFORE_VALUE = _INNER | Opts.SPACE_IF_EMPTY


def _first_opts(index: int, expand: bool) -> int:
    """Options for the extra before a name (objects) or element (arrays)."""
    opts = Opts.TRIM_LEADING if index == 0 else Opts.SPACE_IF_EMPTY
    return opts | Opts.LEADING_NEWLINE if expand else opts


def _format_member(name: Value, value: Value, depth: int, opts: int, standard: bool) -> None:
    name.before = format_extra(name.before, depth + 1, opts) or b""
    name.after = format_extra(name.after, depth + 2, _INNER)
    value.before = format_extra(value.before, depth + 2, _BEFORE_VALUE) or b""
    offset = 1 if opts & Opts.LEADING_NEWLINE else 0
    if (name.after and b"\n" in name.after) or b"\n" in value.before:
        offset += 1
    format_whitespace(value, depth + offset, standard)
    value.after = format_extra(value.after, depth + 2, _INNER)


def _format_element(value: Value, depth: int, opts: int, standard: bool) -> None:
    value.before = format_extra(value.before, depth + 1, opts) or b""
    format_whitespace(value, depth + 1 if opts & Opts.LEADING_NEWLINE else depth, standard)
    value.after = format_extra(value.after, depth + 2, _INNER)


def format_whitespace(value: Value, depth: int, standard: bool) -> None:
    node = value.node
    if isinstance(node, bytes):
        return
    items, expand = node.items, node.expand
    if node.is_object:
        for index in range(0, len(items), 2):
            opts = _first_opts(index, expand)
            _format_member(items[index], items[index + 1], depth, opts, standard)
    else:
        for index, item in enumerate(items):
            _format_element(item, depth, _first_opts(index, expand), standard)
    opts = _INNER | Opts.UNINDENT_LAST | (Opts.TRAILING_NEWLINE if expand else 0)
    if items:
        opts &= ~Opts.TRIM_LEADING
    node.after = format_extra(node.after, depth + 1, opts) or b""
    _set_trailing_comma(node, expand, standard)


def _set_trailing_comma(node: Composite, expand: bool, standard: bool) -> None:
    if not node.items:
        return
    last = node.items[-1]
    surrounded = bool(last.after) and bool(node.after)
    if not expand and not surrounded:
        if last.after is not None:
            node.after = last.after + node.after
            last.after = None
    elif expand and not standard and last.after is None:
        last.after = b""


# ---------------------------------------------------------------------------------------------
# Pass 4: align values


def _has_newline(value: Value) -> bool:
    """Go's Value.hasNewline(false): a newline in the extra of any descendant."""
    node = value.node
    if isinstance(node, bytes):
        return False
    for item in node.items:
        if b"\n" in item.before or (item.after and b"\n" in item.after) or _has_newline(item):
            return True
    return False


def _one_line(name: Value, value: Value) -> bool:
    """A member that starts a line and whose name and value sit on that line."""
    return (
        b"\n" in name.before
        and not (name.after and b"\n" in name.after)
        and b"\n" not in value.before
        and not _has_newline(value)
        and not (value.after and b"\n" in value.after)
    )


def _align_rows(rows: list[tuple[Value, int]]) -> None:
    if rows:
        width = max(length for _, length in rows)
        for value, length in rows:
            value.before += b" " * (width - length)
        rows.clear()


def align_object_values(value: Value) -> None:
    node = value.node
    if isinstance(node, bytes):
        return
    items = node.items
    if node.is_object:
        rows: list[tuple[Value, int]] = []
        for index in range(0, len(items), 2):
            name, member = items[index], items[index + 1]
            if not _one_line(name, member):
                _align_rows(rows)
                continue
            if name.before.count(b"\n") > 1:
                _align_rows(rows)  # a blank line or a comment line starts a new block
            length = len(name.node) + len(name.after or b"") + 1 + len(member.before)  # type: ignore[arg-type]
            rows.append((member, length))
        _align_rows(rows)
    for item in items:
        align_object_values(item)


# ---------------------------------------------------------------------------------------------


def format_tree(root: Value) -> None:
    """Go's Value.Format, in place."""
    before = format_extra(root.before, 0) or b""
    root.before = before[_ws_len(before) :]
    standard = is_standard(root)
    normalize(root)
    expand_composites(root)
    format_whitespace(root, 0, standard)
    align_object_values(root)
    after = format_extra(root.after, 0) or b""
    root.after = rstrip_space(after) + b"\n"
