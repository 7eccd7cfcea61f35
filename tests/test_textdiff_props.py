"""The plan's unified diffs are difflib's, line for line (compiler/review/textdiff.py).

textdiff finds difflib's longest matching blocks through an index of runs instead of
difflib's rescans; the oracle here is the standard library itself: `difflib.unified_diff`,
and `SequenceMatcher.find_longest_match` on arbitrary boxes. Lines come from a small alphabet
(so lines repeat and runs cross), and long inputs make difflib treat common lines as popular.
"""

from __future__ import annotations

import difflib

from hypothesis import example, given, settings
from hypothesis import strategies as st

from compiler.review.textdiff import _aligned_blocks, _Matcher, unified, unified_lines

SETTINGS = settings(max_examples=150, deadline=None)
line = st.sampled_from(["{", "}", "a", "b", "c", "d", '"src": [x]', ""])
lines = st.lists(line, max_size=60)


@st.composite
def edited(draw: st.DrawFn) -> tuple[list[str], list[str]]:
    """A text and an edit of it: long shared runs, lines replaced, inserted and removed, and
    sometimes long enough (over 200 lines) that difflib's popular-line heuristic applies."""
    block = draw(st.lists(line, min_size=1, max_size=12))
    a = block * draw(st.integers(1, 25))
    b = list(a)
    for _ in range(draw(st.integers(0, 12))):
        at = draw(st.integers(0, len(b)))
        what = draw(st.sampled_from(["insert", "delete", "replace"]))
        if what == "insert":
            b.insert(at, draw(line))
        elif b and at < len(b):
            b[at : at + 1] = [] if what == "delete" else [f"changed {at}"]
    return (a, b) if draw(st.booleans()) else (b, a)


@SETTINGS
@given(st.one_of(st.tuples(lines, lines), edited()))
def test_unified_lines_are_difflibs(pair: tuple[list[str], list[str]]) -> None:
    a, b = pair
    expected = list(difflib.unified_diff(a, b, "a/f", "b/f", lineterm=""))
    assert list(unified_lines(a, b, "a/f", "b/f", indexed=True)) == expected
    assert list(unified_lines(a, b, "a/f", "b/f")) == expected


@SETTINGS
@given(st.one_of(st.tuples(lines, lines), edited()), st.data())
def test_longest_match_in_any_box_is_difflibs(
    pair: tuple[list[str], list[str]], data: st.DataObject
) -> None:
    a, b = pair
    alo = data.draw(st.integers(0, len(a)))
    ahi = data.draw(st.integers(alo, len(a)))
    blo = data.draw(st.integers(0, len(b)))
    bhi = data.draw(st.integers(blo, len(b)))
    expected = difflib.SequenceMatcher(None, a, b).find_longest_match(alo, ahi, blo, bhi)
    assert _Matcher(a, b).find_longest_match(alo, ahi, blo, bhi) == expected
    tree_only = _Matcher(a, b)
    tree_only.small_box = 0  # every box through the index, however small
    assert tree_only.find_longest_match(alo, ahi, blo, bhi) == expected


@SETTINGS
@given(st.text(alphabet="ab\n", max_size=40), st.text(alphabet="ab\n", max_size=40))
def test_unified_file_text_is_difflibs(new: str, old: str) -> None:
    expected = difflib.unified_diff(old.splitlines(), new.splitlines(), "a/p", "b/p", lineterm="")
    assert unified("p", new, old) == "".join(line + "\n" for line in expected)


@st.composite
def realigned(draw: st.DrawFn) -> tuple[list[str], list[str]]:
    """A text and the same text with a few lines replaced in place, as a launch file whose
    `site.yaml:LINE` header moved: by a line found nowhere else (the shortcut's case) or,
    sometimes, by a line of the alphabet (which may occur elsewhere), at sizes on both sides
    of difflib's popular-line threshold (200 lines)."""
    block = draw(st.lists(line, min_size=1, max_size=12))
    near_threshold = -(-200 // len(block)) + draw(st.integers(-2, 2))
    a = block * draw(st.sampled_from([draw(st.integers(1, 30)), max(1, near_threshold)]))
    b = list(a)
    for _ in range(draw(st.integers(0, 5))):
        at = draw(st.integers(0, len(b) - 1))
        if draw(st.integers(0, 4)) == 0:
            b[at] = draw(line)
        else:
            a[at], b[at] = f"site.yaml:{at}", f"site.yaml:{at + 1000}"
    return (a, b) if draw(st.booleans()) else (b, a)


_AT_THRESHOLD = ["a", "b"] * 50 + ["site.yaml:1"] + ["a", "b"] * 49 + ["a"]


@SETTINGS
@given(st.one_of(realigned(), edited(), st.tuples(lines, lines)))
@example((_AT_THRESHOLD, [*_AT_THRESHOLD[:100], "site.yaml:2", *_AT_THRESHOLD[101:]]))
def test_aligned_blocks_are_difflibs(pair: tuple[list[str], list[str]]) -> None:
    """Where the shortcut answers, it gives difflib's matching blocks, and so its hunks."""
    a, b = pair
    found = _aligned_blocks(a, b)
    if found is None:
        return
    assert found == difflib.SequenceMatcher(None, a, b).get_matching_blocks()
    expected = list(difflib.unified_diff(a, b, "a/f", "b/f", lineterm=""))
    assert list(unified_lines(a, b, "a/f", "b/f")) == expected


@SETTINGS
@given(st.lists(line, min_size=1, max_size=199), st.data())
def test_moved_headers_take_the_shortcut(a: list[str], data: st.DataObject) -> None:
    """A small file whose changed lines occur nowhere else is answered without a search."""
    a, b = list(a), list(a)
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(b) - 1))
        a[at], b[at] = f"site.yaml:{at}", f"site.yaml:{at + 1000}"
    assert _aligned_blocks(a, b) is not None
