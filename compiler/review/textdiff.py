"""The exact text of every changed artifact, as unified diffs (pure).

The semantic sections of a plan say what a change means; this part says exactly what bytes
will change, for the reviewer who wants to see the line. Paths read `a/<path>` (current) and
`b/<path>` (desired), as `git diff` writes them, so the output pastes into the usual tools.

The hunks are difflib's, line for line; only the search for each longest matching block is
done differently (see `_Matcher`), because difflib's own search rescans every line of the
remaining range once per block. A policy whose provenance comments all shift by one line has
a changed line every few lines, and difflib then takes minutes on a 5,000-device policy.
"""

from __future__ import annotations

import difflib
from bisect import bisect_left
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise


@dataclass(frozen=True)
class FileDiff:
    path: str
    change: str  # removed | added | changed
    diff: str  # unified diff, every line ending in "\n"

    @property
    def counts(self) -> tuple[int, int]:
        """Lines added and removed, as `git diff --stat` counts them."""
        lines = self.diff.splitlines()[2:]
        added = sum(1 for line in lines if line.startswith("+"))
        removed = sum(1 for line in lines if line.startswith("-"))
        return added, removed


def file_diffs(
    desired: Mapping[str, str | None], current: Mapping[str, str | None], paths: list[str]
) -> list[FileDiff]:
    """A FileDiff for each of `paths` whose text differs (None = the file is absent)."""
    out = []
    for path in paths:
        new, old = desired.get(path), current.get(path)
        if new == old:
            continue
        change = "added" if old is None else "removed" if new is None else "changed"
        out.append(FileDiff(path, change, unified(path, new, old)))
    return out


def unified(path: str, new: str | None, old: str | None) -> str:
    a = "/dev/null" if old is None else f"a/{path}"
    b = "/dev/null" if new is None else f"b/{path}"
    lines = list(unified_lines(_lines(old), _lines(new), a, b))
    return "\n".join(lines) + "\n" if lines else ""


def _lines(text: str | None) -> list[str]:
    return [] if text is None else text.splitlines()


def unified_lines(
    a: list[str], b: list[str], fromfile: str, tofile: str, indexed: bool | None = None
) -> Iterator[str]:
    """`difflib.unified_diff(a, b, fromfile, tofile, lineterm="")`, line for line, with the
    matching blocks found by `_Matcher` (tests/test_textdiff_props.py compares the two), or
    by difflib's own search, which is quicker on small inputs (`SMALL`; `indexed` forces
    the choice)."""
    aligned = _aligned_blocks(a, b) if indexed is None else None
    indexed = len(a) + len(b) > SMALL if indexed is None else indexed
    matcher: difflib.SequenceMatcher[str]
    if aligned is not None:
        matcher = _Aligned(a, b, aligned)
    else:
        matcher = _Matcher(a, b) if indexed else difflib.SequenceMatcher(None, a, b)
    groups = matcher.get_grouped_opcodes(3)
    for number, group in enumerate(groups):
        if number == 0:
            yield f"--- {fromfile}"
            yield f"+++ {tofile}"
        first, last = group[0], group[-1]
        yield f"@@ -{_range(first[1], last[2])} +{_range(first[3], last[4])} @@"
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                yield from (" " + line for line in a[i1:i2])
                continue
            yield from ("-" + line for line in a[i1:i2])
            yield from ("+" + line for line in b[j1:j2])


SMALL = 400
"""Lines on both sides up to which difflib's own matcher is used: indexing the runs costs
more than it saves on a launch config (a 5,000-device diff holds thousands of them)."""


AUTOJUNK = 200
"""From this many lines in `b` on, difflib ignores its popular lines while it searches."""


def _aligned_blocks(a: list[str], b: list[str]) -> list[difflib.Match] | None:
    """difflib's matching blocks, found without searching, for the common edit of a small
    file: the same number of lines, where no line that differs occurs anywhere on the other
    side (a port or an address that changed in a launch file). Then the
    blocks are the stretches of lines that are equal at the same place; None for any other
    input (and for one difflib would search with popular lines left out: `AUTOJUNK`).

    Why they are difflib's: a block `a[i:i+n] == b[j:j+n]` never holds a differing line, so
    it lies inside one equal stretch of each side; as both sides hold the same lines there,
    `(i, i, n)` and `(j, j, n)` are blocks too. difflib takes the longest block in a box,
    the earliest in `a`, then in `b`: `(j, j, n)` beats `(i, j, n)` when j < i, `(i, i, n)`
    when j > i. So it takes an aligned block, the whole stretch (a longer one would win),
    and the boxes left and right of it are again aligned and end at differing lines.
    tests/test_textdiff_props.py compares the result with difflib's own."""
    if len(a) != len(b) or len(b) >= AUTOJUNK:
        return None
    differ = [k for k, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
    olds, news = {a[k] for k in differ}, {b[k] for k in differ}
    if not olds.isdisjoint(b) or not news.isdisjoint(a):
        return None
    blocks, start = [], 0
    for k in [*differ, len(a)]:
        if k > start:
            blocks.append(difflib.Match(start, start, k - start))
        start = k + 1
    return [*blocks, difflib.Match(len(a), len(b), 0)]


class _Aligned(difflib.SequenceMatcher[str]):
    """A SequenceMatcher told its matching blocks (`_aligned_blocks`): difflib's own
    opcodes and hunks are made from them, and b's index, which only the search needs, is
    never built."""

    def __init__(self, a: list[str], b: list[str], blocks: list[difflib.Match]) -> None:
        super().__init__(None, (), ())
        self.a, self.b = a, b
        self.matching_blocks = blocks


def _range(start: int, stop: int) -> str:
    """A hunk's line range as difflib writes it (`3`, `3,4`, or `2,0` for an empty one)."""
    length = stop - start
    if length == 1:
        return str(start + 1)
    return f"{start if length == 0 else start + 1},{length}"


# A run is a maximal diagonal of equal, non-junk lines: a[i + t] == b[j + t] for t < length,
# each of them in difflib's `b2j` (lines that are not "popular"). difflib's longest match in a
# box is the run that stays longest once clipped to the box (the earliest in `a`, then in `b`,
# among equals), extended over popular lines. Runs of two lines or more are indexed once (in a
# tree keyed by where they start, holding the largest length and end below each node), so each
# box asks only the runs that can still win; a box whose best is a single line is scanned the
# way difflib scans it, which is cheap because such boxes are small.
Run = tuple[int, int, int]  # (i, j, length)
_MIN_INDEXED = 2


class _Matcher(difflib.SequenceMatcher[str]):
    """difflib's SequenceMatcher (no junk function, autojunk on) with the same
    `find_longest_match` answers, found through an index of the runs (see above)."""

    small_box = 1024
    """Boxes of at most this many line pairs are scanned the way difflib scans them: that is
    cheaper than searching the tree (a policy whose comments all moved is cut into
    thousands of small boxes)."""

    def __init__(self, a: Sequence[str], b: Sequence[str]) -> None:
        super().__init__(None, a, b)
        self._a, self._b = a, b
        # difflib's index of b (typeshed does not declare it): non-popular line → positions
        self._b2j: Mapping[str, list[int]] = vars(self)["b2j"]
        self._tree = _RunTree(_runs(a, b, self._b2j))

    def find_longest_match(
        self, alo: int = 0, ahi: int | None = None, blo: int = 0, bhi: int | None = None
    ) -> difflib.Match:
        ahi = len(self._a) if ahi is None else ahi
        bhi = len(self._b) if bhi is None else bhi
        small = (ahi - alo) * (bhi - blo) <= self.small_box
        found = (alo, blo, 0) if small else self._tree.best(alo, ahi, blo, bhi)
        if found[2] < _MIN_INDEXED:
            found = _scan(self._a, self._b2j, alo, ahi, blo, bhi)
        return difflib.Match(*_extend(self._a, self._b, found, (alo, ahi, blo, bhi)))


def _runs(a: Sequence[str], b: Sequence[str], b2j: Mapping[str, list[int]]) -> list[Run]:
    """Every run of at least two lines, in (i, j) order: found from the pairs of adjacent
    non-junk lines the two sides share (far fewer than the single lines they share)."""
    pairs: dict[tuple[str, str], list[int]] = {}
    for j, pair in enumerate(pairwise(b)):
        if pair[0] in b2j and pair[1] in b2j:
            pairs.setdefault(pair, []).append(j)
    runs: list[Run] = []
    open_runs: dict[int, int] = {}  # j of the pair at a[i - 1] → pairs in its run so far
    for i, pair in enumerate(pairwise(a)):
        here = {j: open_runs.pop(j - 1, 0) + 1 for j in pairs.get(pair, ())}
        if open_runs:
            runs += [(i - n, j - n + 1, n + 1) for j, n in open_runs.items()]
        open_runs = here
    runs += [(len(a) - 1 - n, j - n + 1, n + 1) for j, n in open_runs.items()]
    return sorted(runs)


class _RunTree:
    """Runs in a complete binary tree over their start order; each node keeps the largest
    length, end in `a` and end in `b` below it, which bound what any of them can give a box
    (a run's clipped length is at most its length, and at most how far it ends past the
    box's first line on either side)."""

    def __init__(self, runs: list[Run]) -> None:
        self.runs = runs
        self.starts = [r[0] for r in runs]
        size = 1
        while size < len(runs):
            size *= 2
        self.size = size
        self.length, self.a_end, self.b_end = ([-1] * (2 * size) for _ in range(3))
        for p, (i, j, n) in enumerate(runs):
            self.length[size + p], self.a_end[size + p], self.b_end[size + p] = n, i + n, j + n
        for v in range(size - 1, 0, -1):
            self.length[v] = max(self.length[2 * v], self.length[2 * v + 1])
            self.a_end[v] = max(self.a_end[2 * v], self.a_end[2 * v + 1])
            self.b_end[v] = max(self.b_end[2 * v], self.b_end[2 * v + 1])

    def best(self, alo: int, ahi: int, blo: int, bhi: int) -> Run:
        """The run longest once clipped to the box, earliest in `a` then `b` among equals
        (clipped), or (alo, blo, 0) when no indexed run reaches into the box."""
        box = (alo, ahi, blo, bhi)
        limit = bisect_left(self.starts, ahi)  # runs starting at or after ahi are outside
        longest = self._search(box, limit, 0, None)[2]
        return self._search(box, limit, longest, longest) if longest > 0 else (alo, blo, 0)

    def _search(
        self, box: tuple[int, int, int, int], limit: int, at_least: int, exactly: int | None
    ) -> Run:
        """Depth first in start order. exactly=None: the longest clipped run (pruning what
        cannot beat the best so far). Else the earliest clipped run of that length (pruning
        what is too short, and what starts after the earliest found: it cannot start
        earlier once clipped)."""
        alo, ahi, blo, bhi = box
        length, a_end, b_end, size = self.length, self.a_end, self.b_end, self.size
        best: Run = (alo, blo, at_least)
        floor = at_least if exactly is None else exactly - 1
        found = False
        stack = [(1, 0, size)]
        while stack:
            v, lo, hi = stack.pop()
            if lo >= limit or min(length[v], a_end[v] - alo, b_end[v] - blo) <= floor:
                continue
            if found and self.starts[lo] > best[0]:
                continue
            if v < size:
                mid = (lo + hi) // 2
                stack += [(2 * v + 1, mid, hi), (2 * v, lo, mid)]
                continue
            run = _clip(self.runs[lo], alo, ahi, blo, bhi)
            if exactly is None and run[2] > best[2]:
                best, floor = run, run[2]
            elif exactly is not None and run[2] == exactly and (not found or run < best):
                best, found = run, True
        return best


def _clip(run: Run, alo: int, ahi: int, blo: int, bhi: int) -> Run:
    """The part of a run inside the box (its length 0 or less when none is)."""
    i, j, n = run
    shift = j - i
    start = max(i, alo, blo - shift)
    return start, start + shift, min(i + n, ahi, bhi - shift) - start


def _scan(
    a: Sequence[str], b2j: Mapping[str, list[int]], alo: int, ahi: int, blo: int, bhi: int
) -> Run:
    """difflib's own search for the longest junk-free match (before extension), reading
    only the part of each line's positions that lies inside the box."""
    best = (alo, blo, 0)
    ending: dict[int, int] = {}  # j → length of the match ending at a[i - 1], b[j]
    for i in range(alo, ahi):
        positions = b2j.get(a[i], [])
        here = {}
        for j in positions[bisect_left(positions, blo) : bisect_left(positions, bhi)]:
            n = here[j] = ending.get(j - 1, 0) + 1
            if n > best[2]:
                best = (i - n + 1, j - n + 1, n)
        ending = here
    return best


def _extend(a: Sequence[str], b: Sequence[str], found: Run, box: tuple[int, int, int, int]) -> Run:
    """The match grown over equal lines on both sides within the box, as difflib grows it
    (there is no junk function, so popular lines are the only ones the search skipped)."""
    i, j, n = found
    alo, ahi, blo, bhi = box
    while i > alo and j > blo and a[i - 1] == b[j - 1]:
        i, j, n = i - 1, j - 1, n + 1
    while i + n < ahi and j + n < bhi and a[i + n] == b[j + n]:
        n += 1
    return i, j, n
