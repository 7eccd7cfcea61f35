"""ASCII decimal numerals, the only digits the formats tailgen reads allow.

`str.isdigit()` is true for `²`, `١` and other Unicode digits that `int()` then refuses (or,
for Arabic-Indic digits, reads as a number the control plane would reject): Go's `strconv`,
which parses ports and protocol numbers on the real control plane, and the `ss`/`lsof`/`netstat`
output audit reads, know only 0-9. Every "is this a number?" test before an `int()` asks here.
"""

from __future__ import annotations


def is_decimal(text: str) -> bool:
    """True for a non-empty run of ASCII digits 0-9 (what `int()` and Go's strconv agree on)."""
    return text.isascii() and text.isdigit()
