"""Where each key and value of a site file was written: the loader fills it, the Site keeps it,
and every problem or generated comment asks it for a file:line:column."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Protocol

from compiler.errors import Span

Path_ = tuple[str | int, ...]


class Mark(Protocol):
    """A place as YAML's composer marks it: 0-based line and column."""

    @property
    def line(self) -> int: ...

    @property
    def column(self) -> int: ...


@dataclass
class SourceMap:
    """Where each key (`keys`) and each value (`values`) of the document was written.

    The loader stores the composer's own marks (one per node, already made), and a mark
    becomes a `Span` only when somebody asks: a large site has a hundred thousand places and
    a build asks for a few thousand."""

    file: str
    keys: dict[Path_, Mark] = field(default_factory=dict)
    values: dict[Path_, Mark] = field(default_factory=dict)

    @cached_property
    def label(self) -> str:
        """The file's base name: what generated artifacts cite (every launch file and policy
        comment asks, tens of thousands of times on a large site)."""
        return self.file.replace("\\", "/").rsplit("/", 1)[-1]

    def at(self, path: Path_, *, key: bool = True) -> Span:
        """The span of `path`, or of its nearest ancestor that was written down."""
        table = self.keys if key else self.values
        while path:
            mark = table.get(path)
            if mark is None and not key:
                mark = self.keys.get(path)
            if mark is not None:
                return Span(self.file, mark.line + 1, mark.column + 1)
            path = path[:-1]
        return Span(self.file, 1, 1)
