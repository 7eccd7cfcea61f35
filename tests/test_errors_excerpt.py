"""`errors.excerpt` on a `SourceText` (lines split once per file) says what it says on the text.

The oracle is written out here: line N of `text.splitlines()`, tabs (not printable) as
spaces, a caret under the column; out-of-range lines give "".
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from compiler.errors import SourceText, excerpt

LINES = st.lists(st.text(st.sampled_from("ab\t: é"), max_size=6), max_size=6)
BREAKS = st.sampled_from(["\n", "\r\n", "\r"])


def _expected(text: str, line: int, column: int) -> str:
    lines = text.splitlines()
    if not 1 <= line <= len(lines):
        return ""
    return "    " + lines[line - 1].replace("\t", " ") + "\n    " + " " * max(column - 1, 0) + "^"


@settings(deadline=None)  # a shared, loaded machine: no per-example time limit
@given(LINES, BREAKS, st.integers(-1, 8), st.integers(0, 9))
def test_indexed_excerpt_matches_the_split_text(
    lines: list[str], brk: str, line: int, column: int
) -> None:
    text = brk.join(lines)
    indexed = SourceText(text)
    assert excerpt(indexed, line, column) == _expected(text, line, column)
    assert excerpt(text, line, column) == _expected(text, line, column)


def test_one_source_text_serves_every_line() -> None:
    indexed = SourceText("users:\n\tme: {rol: admin}\nlast")
    assert excerpt(indexed, 2, 6) == "     me: {rol: admin}\n         ^"
    assert excerpt(indexed, 3, 1) == "    last\n    ^"
    assert excerpt(indexed, 4, 1) == ""
    assert indexed.line(1) == "users:"
