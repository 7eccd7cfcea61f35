"""The one error type of the HuJSON module, worded the way Tailscale words it.

Tailscale's API answers a bad policy with `line L, column C: <reason>`, where the reason comes
from Go's `github.com/tailscale/hujson` parser; gitops tooling pattern-matches that shape. Our
errors use the same shape and the same reasons, so a message from `tailgen` and a message from
the control plane about the same file read alike. Lines and columns are 1-based and count bytes
of the UTF-8 encoding, exactly like Go (a column after an emoji is 4 further on, not 1).
"""

from __future__ import annotations

__all__ = ["HujsonError", "error_at", "quote_rune", "quote_rune_at"]

_RUNE_ESCAPES = {
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
}


class HujsonError(ValueError):
    """Invalid HuJSON, with the place (1-based line and byte column, 0-based byte offset).

    It subclasses ValueError so code that already guards `json.loads` with `except ValueError`
    keeps working. `str(err)` is `line L, column C: <reason>`; a caller adds the file name.
    """

    def __init__(self, reason: str, line: int, column: int, offset: int) -> None:
        super().__init__(f"line {line}, column {column}: {reason}")
        self.reason = reason
        self.line = line
        self.column = column
        self.offset = offset

    def __reduce__(self) -> tuple[type[HujsonError], tuple[str, int, int, int]]:
        # ValueError pickles only its args; keep the fields across processes (pytest-xdist).
        return (HujsonError, (self.reason, self.line, self.column, self.offset))


def error_at(data: bytes, offset: int, reason: str) -> HujsonError:
    """Build the error for a byte offset, counting lines and columns as Go's `lineColumn` does."""
    offset = max(0, min(offset, len(data)))
    line = 1 + data.count(b"\n", 0, offset)
    column = 1 + offset - (data.rfind(b"\n", 0, offset) + 1)
    return HujsonError(reason, line, column, offset)


def quote_rune(ch: str) -> str:
    """Quote one character the way Go's `strconv.QuoteRune` (and so `%q`) does.

    Error messages name the offending character this way ('\\'' , '\\uffff', '💩'), and the test
    vectors compare those messages byte for byte.
    """
    if ch in ("'", "\\"):
        return f"'\\{ch}'"
    if ch.isprintable():
        return f"'{ch}'"
    if ch in _RUNE_ESCAPES:
        return f"'{_RUNE_ESCAPES[ch]}'"
    code = ord(ch)
    if code < 0x20 or code == 0x7F:
        return f"'\\x{code:02x}'"
    if 0xD800 <= code <= 0xDFFF:
        return "'\ufffd'"  # Go turns an invalid rune into the replacement character
    if code < 0x10000:
        return f"'\\u{code:04x}'"
    return f"'\\U{code:08x}'"


def quote_rune_at(data: bytes, offset: int) -> str:
    """Quote the character starting at `offset`; a byte that starts no valid UTF-8 is '\\xNN'."""
    lead = data[offset]
    if lead < 0x80:
        return quote_rune(chr(lead))
    width = 2 if lead < 0xE0 else 3 if lead < 0xF0 else 4
    try:
        return quote_rune(data[offset : offset + width].decode("utf-8"))
    except UnicodeDecodeError:
        return f"'\\x{lead:02x}'"
