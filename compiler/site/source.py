"""Where each key and value of a site file was written: the loader fills it, the Site keeps it,
and every problem or generated comment asks it for a file:line:column."""

from __future__ import annotations

from dataclasses import dataclass, field

from compiler.errors import Span

Path_ = tuple[str | int, ...]


@dataclass
class SourceMap:
    """Where each key (`keys`) and each value (`values`) of the document was written."""

    file: str
    keys: dict[Path_, Span] = field(default_factory=dict)
    values: dict[Path_, Span] = field(default_factory=dict)

    def at(self, path: Path_, *, key: bool = True) -> Span:
        """The span of `path`, or of its nearest ancestor that was written down."""
        table = self.keys if key else self.values
        while path:
            if path in table:
                return table[path]
            if not key and path in self.keys:
                return self.keys[path]
            path = path[:-1]
        return Span(self.file, 1, 1)
