"""`find_positions` records each value's line, column and preceding comments exactly as a
character-by-character walk does (compiler/evaluate/positions.py scans by regular
expressions and finds lines from offsets). The oracle below is that walk, written here.

Texts are HuJSON built from random values with random layout between tokens: blank runs
(tabs, CRLF), `//` and `/* */` comments (also holding quotes and slashes), trailing commas,
and strings with escapes, slashes and non-ASCII characters.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from compiler.evaluate.positions import find_positions

Path = tuple[str | int, ...]


class Walk:
    """The oracle: one character at a time, counting lines and columns as it goes."""

    def __init__(self, text: str) -> None:
        self.text, self.i, self.line, self.col = text, 0, 1, 1
        self.pending: list[str] = []
        self.where: dict[Path, tuple[int, int]] = {}
        self.comments: dict[Path, list[str]] = {}

    def step(self, n: int = 1) -> None:
        for _ in range(n):
            if self.i < len(self.text):
                self.line, self.col = (
                    (self.line + 1, 1) if self.text[self.i] == "\n" else (self.line, self.col + 1)
                )
                self.i += 1

    def blank(self) -> None:
        while self.i < len(self.text):
            rest = self.text[self.i :]
            if rest[0] in " \t\r\n,:":
                self.step()
            elif rest.startswith(("//", "/*")):
                close = "\n" if rest[1] == "/" else "*/"
                end = rest.find(close, 2)
                end = len(rest) if end < 0 else end + (0 if close == "\n" else 2)
                inner = rest[2:end] if close == "\n" else rest[2 : end - 2]
                self.pending.append(inner.strip())
                self.step(end)
            else:
                return

    def value(self, path: Path) -> None:
        self.blank()
        self.where[path] = (self.line, self.col)
        if self.pending:
            self.comments[path], self.pending = self.pending, []
        ch = self.text[self.i] if self.i < len(self.text) else ""
        if ch in ("{", "["):
            self.step()
            index = 0
            while True:
                self.blank()
                if self.i >= len(self.text) or self.text[self.i] in "}]":
                    self.step()
                    return
                if ch == "[":
                    self.value((*path, index))
                    index += 1
                    continue
                held, self.pending = self.pending, []
                key = self.string()
                self.pending = held + self.pending
                self.value((*path, key))
        elif ch == '"':
            self.string()
        else:
            while self.i < len(self.text) and self.text[self.i] not in " \t\r\n,]}/":
                self.step()

    def string(self) -> str:
        start = self.i
        self.step()
        while self.i < len(self.text) and self.text[self.i] != '"':
            self.step(2 if self.text[self.i] == "\\" else 1)
        self.step()
        return str(json.loads(self.text[start : self.i]))


gap = st.lists(
    st.sampled_from([" ", "\t", "\n", "\r\n", '// a "quote" / here\n', "/* x\n// y */", "//\n"]),
    max_size=3,
).map("".join)
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.text(alphabet='ab/"\\\n\t é*', max_size=6)
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text("ab/é", max_size=3), inner, max_size=4)
    ),
    max_leaves=20,
)


def layout(value: Any, draw: st.DrawFn, between: st.SearchStrategy[str] = gap) -> str:
    """`value` as HuJSON with random blanks and comments between tokens, trailing commas."""
    g = lambda: draw(between)  # noqa: E731
    if isinstance(value, list):
        items = [g() + layout(v, draw, between) + g() for v in value]
        return "[" + ",".join(items) + draw(st.sampled_from(["", ","])) + g() + "]"
    if isinstance(value, dict):
        items = [
            f"{g()}{json.dumps(k)}{g()}:{g()}{layout(v, draw, between)}{g()}"
            for k, v in value.items()
        ]
        return "{" + ",".join(items) + draw(st.sampled_from(["", ","])) + g() + "}"
    return json.dumps(value, ensure_ascii=draw(st.booleans()))


@settings(max_examples=200, deadline=None)
@given(values, st.data())
def test_positions_match_a_character_walk(value: Any, data: st.DataObject) -> None:
    text = data.draw(gap) + layout(value, data.draw) + data.draw(gap)
    walk = Walk(text)
    walk.value(())
    found = find_positions(text)
    assert found.where == walk.where
    assert found.comments == walk.comments


# containers in containers with values after them, at every depth a skip may start from
nested = st.builds(
    lambda a, b, c: {"x": [[a, [b]], c], "y": [{"z": [a]}, b]}, values, values, values
)


@settings(max_examples=200, deadline=None)
@given(st.one_of(values, nested), st.data(), st.integers(0, 3))
def test_positions_to_a_depth_match_the_walk_to_that_depth(
    value: Any, data: st.DataObject, depth: int
) -> None:
    """Only the values at most `depth` keys deep, with the same lines, columns and comments
    as the whole walk gives them (a comment left pending inside a skipped entry included).
    Comments are rarer here, so that most entries have none and are skipped whole."""
    blanks = st.sampled_from(["", " ", "\n\t"])
    between = data.draw(st.sampled_from([blanks, st.one_of(blanks, blanks, gap), gap]))
    text = data.draw(gap) + layout(value, data.draw, between) + data.draw(gap)
    walk = Walk(text)
    walk.value(())
    found = find_positions(text, depth)
    assert found.where == {p: w for p, w in walk.where.items() if len(p) <= depth}
    assert found.comments == {p: c for p, c in walk.comments.items() if len(p) <= depth}
