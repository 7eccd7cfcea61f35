"""Where each key and value of a site file was written: the loader fills it, the Site keeps it,
and every problem or generated comment asks it for a file:line:column."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Protocol

from compiler.errors import Span

Path_ = tuple[str | int, ...]

YAML_TAG = "tag:yaml.org,2002:"
PLAIN_TAGS = frozenset(
    f"{YAML_TAG}{t}" for t in ("str", "int", "float", "bool", "null", "seq", "map", "timestamp")
)
"""The only tags a site file may use: YAML's plain types."""
MERGE_TAG = f"{YAML_TAG}merge"


class Mark(Protocol):
    """A place as YAML's composer marks it: 0-based line and column."""

    @property
    def line(self) -> int: ...

    @property
    def column(self) -> int: ...


Entries = dict[str | int, tuple[Mark, Any]]
"""A container's children: key (or index) → (where it was declared, the child node)."""


def entries(node: Any) -> Entries:
    """The children of a composed mapping or sequence that the loader builds: a sequence's
    items by index (an item is declared where it starts); a mapping's plain scalar keys as
    written, the first of a key written twice, never a merge key (`<<`)."""
    if node.id == "sequence":
        return {i: (item.start_mark, item) for i, item in enumerate(node.value)}
    found: Entries = {}
    for key_node, value_node in node.value:
        if key_node.id != "scalar" or key_node.tag == MERGE_TAG:
            continue
        found.setdefault(str(key_node.value), (key_node.start_mark, value_node))
    return found


@dataclass
class SourceMap:
    """Where each key and each value of the document was written.

    The loader records each container it builds (the composer's node, under the container's
    path) and nothing per key or value: a mark is looked up in the container's children only
    when somebody asks (a large site has a hundred thousand places and a build asks for a few
    thousand), each container's children indexed once, at the first question."""

    file: str
    containers: dict[Path_, Any] = field(default_factory=dict)
    _entries: dict[Path_, Entries] = field(default_factory=dict, repr=False)

    @cached_property
    def label(self) -> str:
        """The file's base name: what generated artifacts cite (every launch file and policy
        comment asks, tens of thousands of times on a large site)."""
        return self.file.replace("\\", "/").rsplit("/", 1)[-1]

    def children(self, path: Path_) -> Entries | None:
        """The indexed children of the container built at `path`, or None (none built there)."""
        found = self._entries.get(path)
        if found is None:
            node = self.containers.get(path)
            if node is None:
                return None
            found = self._entries[path] = entries(node)
        return found

    def at(self, path: Path_, *, key: bool = True) -> Span:
        """The span of `path`, or of its nearest ancestor that was written down; with
        `key=False`, where a scalar value starts rather than its key."""
        while path:
            siblings = self.children(path[:-1])
            entry = siblings.get(path[-1]) if siblings is not None else None
            if entry is not None:
                mark, node = entry
                if not key and node.id == "scalar" and node.tag in PLAIN_TAGS:
                    mark = node.start_mark
                return Span(self.file, mark.line + 1, mark.column + 1)
            path = path[:-1]
        return Span(self.file, 1, 1)
