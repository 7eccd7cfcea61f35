"""Where each value sits in a HuJSON policy text.

`compiler.hujson.loads` returns plain data without positions, but every problem must point at
the offending value's line and column. This scanner walks the same text once (skipping
comments and trailing commas, trusting that the text already parsed) and records the 1-based
line and column of every value, keyed by its JSON path, e.g. `("acls", 0, "dst", 1)`. It also
remembers the comment lines just before each value, which is how `explain` finds the
`// site.yaml:LINE …` provenance comments our compiler writes above each rule.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

Path = tuple[str | int, ...]


@dataclass
class Positions:
    """Line/column (and preceding comments) of each value, by JSON path."""

    where: dict[Path, tuple[int, int]] = field(default_factory=dict)
    comments: dict[Path, list[str]] = field(default_factory=dict)

    def of(self, path: Path) -> tuple[int, int]:
        """The position of `path`, or of its nearest recorded ancestor (0, 0 when unknown)."""
        while path:
            if path in self.where:
                return self.where[path]
            path = path[:-1]
        return self.where.get((), (0, 0))

    def comments_before(self, path: Path) -> list[str]:
        return self.comments.get(path, [])


_BLANK = re.compile(r"[ \t\r\n,:]*")
# a string from its opening quote (whatever stands there) to its closing one, if any
_STRING = re.compile(r'[\s\S](?:[^"\\]|\\[\s\S]?)*"?')
_SCALAR = re.compile(r"[^ \t\r\n,\]}/]*")
# what may stand between two brackets of a container skipped whole: whole strings and
# anything but a bracket, a quote or a slash (a comment's, which stops the skip)
_FILL = r'(?:[^"\[\]{}/]++|"(?:[^"\\]|\\[\s\S])*+")'
_FILLER = re.compile(_FILL + "*+")
_CLOSER = {"[": "]", "{": "}"}


def _nested(levels: int) -> re.Pattern[str]:
    """A container holding containers up to `levels` deep and no comment, as one pattern
    (a policy's entries are rarely deeper: one match each instead of one per bracket)."""
    inner = _FILL
    for _ in range(levels):
        whole = rf"\[(?:{inner})*+\]|\{{(?:{inner})*+\}}"
        inner = rf"{_FILL}|{whole}"
    return re.compile(whole)


_WHOLE = _nested(3)


class _Scanner:
    """One pass over the text by regular expressions; a value's line is found by counting
    the line breaks since the value before it, its column from the last break."""

    def __init__(self, text: str, depth: int | None = None) -> None:
        self.text = text
        self.depth = depth
        self.i = 0
        self.line, self.counted = 1, 0  # the line at offset `counted` (values come in order)
        self.pending: list[str] = []
        self.out = Positions()

    def _skip_ws(self) -> None:
        text = self.text
        end = _BLANK.match(text, self.i).end()  # type: ignore[union-attr]
        while text.startswith("/", end):  # comments are rare between values: looked at here
            if text.startswith("//", end):
                stop = text.find("\n", end)
                stop = len(text) if stop < 0 else stop
                self.pending.append(text[end + 2 : stop].strip())
            elif text.startswith("/*", end):
                stop = text.find("*/", end + 2)
                stop = len(text) if stop < 0 else stop + 2
                self.pending.append(text[end + 2 : stop - 2].strip())
            else:
                break
            end = _BLANK.match(text, stop).end()  # type: ignore[union-attr]
        self.i = end

    def value(self, path: Path, skipped: bool = False) -> None:
        """Record the value at `i` (after blanks and comments, unless the caller `skipped`
        them already) and move past it."""
        if not skipped:
            self._skip_ws()
        i, text = self.i, self.text
        if self.depth is None or len(path) <= self.depth:
            self.line += text.count("\n", self.counted, i)
            self.counted = i
            self.out.where[path] = (self.line, i - text.rfind("\n", 0, i))
            if self.pending:
                self.out.comments[path] = self.pending
        self.pending = []
        if i >= len(text):
            return
        ch = text[i]
        if len(path) == self.depth and ch in "[{" and self._skip_container():
            return
        if ch == "{":
            self._object(path)
        elif ch == "[":
            self._array(path)
        elif ch == '"':
            self.i = _STRING.match(text, i).end()  # type: ignore[union-attr]
        else:
            self.i = _SCALAR.match(text, i).end()  # type: ignore[union-attr]

    def _skip_container(self) -> bool:
        """Past the container at `i` when nothing in it can matter below `depth`: no comment
        (one could be left pending for the values after it), every bracket closed in turn.
        False (and `i` unmoved) otherwise, for the walk to go through it value by value."""
        whole = _WHOLE.match(self.text, self.i)
        if whole is not None:
            self.i = whole.end()
            return True
        text, i, closers = self.text, self.i, []
        while True:
            i = _FILLER.match(text, i).end()  # type: ignore[union-attr]
            ch = text[i : i + 1]
            if ch in _CLOSER:
                closers.append(_CLOSER[ch])
            elif ch and closers and closers[-1] == ch:
                closers.pop()
                if not closers:
                    self.i = i + 1
                    return True
            else:
                return False  # the end, a comment, an unclosed string or a stray bracket
            i += 1

    def _object(self, path: Path) -> None:
        self.i += 1
        while True:
            self._skip_ws()
            if self.i >= len(self.text) or self.text[self.i] == "}":
                self.i = min(self.i + 1, len(self.text))
                return
            key_comments, self.pending = self.pending, []
            key = self._string()
            self.pending = key_comments + self.pending
            self.value((*path, key))

    def _array(self, path: Path) -> None:
        self.i += 1
        index = 0
        while True:
            self._skip_ws()
            if self.i >= len(self.text) or self.text[self.i] == "]":
                self.i = min(self.i + 1, len(self.text))
                return
            self.value((*path, index), skipped=True)
            index += 1

    def _string(self) -> str:
        """Past a string; its value (read as JSON when it holds an escape, else as written)."""
        start = self.i
        self.i = _STRING.match(self.text, start).end()  # type: ignore[union-attr]
        raw = self.text[start : self.i]
        if "\\" not in raw:
            return raw[1:-1]
        try:
            return str(json.loads(raw))
        except ValueError:
            return raw[1:-1]


def find_positions(text: str, depth: int | None = None) -> Positions:
    """Positions of every value in `text` (best effort on malformed input), or only of those
    at most `depth` keys deep: the values below are skipped by their brackets where that
    gives the same answers (see `_Scanner._skip_container`)."""
    scanner = _Scanner(text, depth)
    scanner.value(())
    return scanner.out
