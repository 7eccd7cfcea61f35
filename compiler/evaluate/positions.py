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


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.i = 0
        self.line = 1
        self.col = 1
        self.pending: list[str] = []
        self.out = Positions()

    def _advance(self, n: int = 1) -> None:
        for _ in range(n):
            if self.i >= len(self.text):
                return
            if self.text[self.i] == "\n":
                self.line += 1
                self.col = 1
            else:
                self.col += 1
            self.i += 1

    def _skip_ws(self) -> None:
        text = self.text
        while self.i < len(text):
            ch = text[self.i]
            if ch in " \t\r\n,:":
                self._advance()
            elif text.startswith("//", self.i):
                end = text.find("\n", self.i)
                end = len(text) if end < 0 else end
                self.pending.append(text[self.i + 2 : end].strip())
                self._advance(end - self.i)
            elif text.startswith("/*", self.i):
                end = text.find("*/", self.i + 2)
                end = len(text) if end < 0 else end + 2
                self.pending.append(text[self.i + 2 : end - 2].strip())
                self._advance(end - self.i)
            else:
                return

    def value(self, path: Path) -> None:
        self._skip_ws()
        self.out.where[path] = (self.line, self.col)
        if self.pending:
            self.out.comments[path] = self.pending
            self.pending = []
        if self.i >= len(self.text):
            return
        ch = self.text[self.i]
        if ch == "{":
            self._object(path)
        elif ch == "[":
            self._array(path)
        elif ch == '"':
            self._string()
        else:
            self._scalar()

    def _object(self, path: Path) -> None:
        self._advance()
        while True:
            self._skip_ws()
            if self.i >= len(self.text) or self.text[self.i] == "}":
                self._advance()
                return
            key_comments, self.pending = self.pending, []
            key = self._string()
            self.pending = key_comments + self.pending
            self.value((*path, key))

    def _array(self, path: Path) -> None:
        self._advance()
        index = 0
        while True:
            self._skip_ws()
            if self.i >= len(self.text) or self.text[self.i] == "]":
                self._advance()
                return
            self.value((*path, index))
            index += 1

    def _string(self) -> str:
        start = self.i
        self._advance()
        text = self.text
        while self.i < len(text) and text[self.i] != '"':
            self._advance(2 if text[self.i] == "\\" else 1)
        self._advance()
        try:
            return str(json.loads(text[start : self.i]))
        except ValueError:
            return text[start + 1 : self.i - 1]

    def _scalar(self) -> None:
        while self.i < len(self.text) and self.text[self.i] not in " \t\r\n,]}/":
            self._advance()


def find_positions(text: str) -> Positions:
    """Positions of every value in `text` (best effort on malformed input)."""
    scanner = _Scanner(text)
    scanner.value(())
    return scanner.out
