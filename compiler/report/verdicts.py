"""The report's verdicts, found column by column, and the reasons of the cells that need them.

`evaluate.allowed` asked once per cell re-resolves the row's sources and the column's
destination and locates every matching rule, for every cell: at 2,000 devices that was most
of 40 seconds. Here each row's sources are resolved once (`resolve_sources`, as `allowed` does)
and each column's rules are looked up once in the destination index (`Evaluator.reaching`);
the source addresses each rule admits are listed once per rule (`SortedKeys.within`, what
`evaluate.matrix.allowed_cells` uses) and counted against the rows' devices. Most cells are
denied with no rule matching any of the row's devices: those are the column's default cell
and cost nothing more. Only cells where some device matched (allowed, or allowed for some
devices and not others) are decided again in full, with the rules `allowed` would name.

`allowed_cells` is not used as is because the report also needs the cells some but not all
of a row's devices reach ("no rule matched for laptop-2"), and asks LAN clients (an address,
not an identity) the way `allowed` does. tests/test_report_props.py checks every cell against
`evaluate.allowed` asked cell by cell.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import chain

from compiler.evaluate.addrs import V6_BASE, AddrSet
from compiler.evaluate.decision import (
    Match,
    match_of,
    resolve_destination,
    resolve_sources,
    with_stand_in,
)
from compiler.evaluate.matrix import SortedKeys
from compiler.evaluate.ports import proto_number
from compiler.evaluate.rules import Atom, Evaluator

Sources = list[tuple[str, tuple[int, ...]]]


@dataclass(frozen=True)
class Question:
    """One column as `allowed` is asked about it: an address, a port and a protocol."""

    address: str
    port: int
    proto: str


@dataclass(frozen=True)
class Detail:
    """One cell as `allowed` decides it: the verdict, the deciding rules' matches (in the
    order `allowed` lists them) and the sources no rule admits."""

    allowed: bool
    matches: tuple[Match, ...]
    denied: tuple[str, ...]


UNMATCHED, PARTLY, ALLOWED = 0, 1, 2
"""A cell's state in `Verdicts.matched`: no rule matches any source (the column's default
denial), some source is admitted but not every one, every source is admitted."""

_MATCHED = re.compile(rb"[^\x00]")


class Verdicts:
    """Which cells some rule matches: per row, one byte per column (`UNMATCHED`, `PARTLY`,
    `ALLOWED`). A byte, not a map entry per matched cell: with a permissive policy nearly
    every cell matches, and a map grew with rows × columns by tens of bytes a cell."""

    def __init__(self, ev: Evaluator, sources: Sequence[str], questions: Sequence[Question]):
        self.ev = ev
        self.questions = questions
        self.dests = [resolve_destination(ev, q.address) for q in questions]
        self.rows: list[tuple[Evaluator, Sources]] = [self._sources(src) for src in sources]
        self._matches: dict[int, Match] = {}
        self._keys_row = -1  # the row whose sources' addresses `_keys` holds, per family
        self._keys: dict[bool, list[int | None]] = {}
        self.matched = self._matched()

    def _sources(self, src: str) -> tuple[Evaluator, Sources]:
        """The row's sources, from a stand-in device when it has none (as `allowed` does)."""
        found = resolve_sources(self.ev, src)
        if found:
            return self.ev, found
        ev = with_stand_in(self.ev, src)
        return ev, resolve_sources(ev, src)

    def matched_columns(self, row: int) -> list[int]:
        """The columns of `row` some rule matches (the cells that are not the default)."""
        return [m.start() for m in _MATCHED.finditer(self.matched[row])]

    def allowed_count(self, row: int) -> int:
        return self.matched[row].count(ALLOWED)

    def _matched(self) -> list[bytearray]:
        index = _Index(self.ev, [srcs if ev is self.ev else [] for ev, srcs in self.rows])
        matched = [bytearray(len(self.questions)) for _ in self.rows]
        for col, (q, d) in enumerate(zip(self.questions, self.dests, strict=True)):
            if d is None:
                continue
            atoms = self.ev.reaching(d, q.port, proto_number(q.proto))
            for row, every in index.matched(atoms, d):
                matched[row][col] = ALLOWED if every else PARTLY
        for row, (ev, srcs) in enumerate(self.rows):
            if ev is not self.ev and srcs:  # a stand-in's own evaluator: asked cell by cell
                matched[row] = self._row_by_cells(row)
        return matched

    def _row_by_cells(self, row: int) -> bytearray:
        found = bytearray(len(self.questions))
        for col in range(len(self.questions)):
            detail = self.detail(row, col)
            if detail.matches:
                found[col] = ALLOWED if detail.allowed else PARTLY
        return found

    def detail(self, row: int, col: int) -> Detail:
        """The cell decided in full: what `allowed` finds, source by source (each source
        asked from its first address of the destination's family; the column's rules looked
        up once). Atoms are gathered in the order the sources first match them, then made
        matches: the order `allowed` lists its matches in."""
        ev, sources = self.rows[row]
        d, q = self.dests[col], self.questions[col]
        if d is None or not sources:
            return Detail(False, (), ())
        atoms = ev.reaching(d, q.port, proto_number(q.proto))
        found: dict[int, Atom] = {}
        denied = []
        for (label, _), s in zip(sources, self._chosen(row, d >= V6_BASE), strict=True):
            admitting = [a for a in atoms if a.admits_from(ev, s, d)] if s is not None else []
            if not admitting:
                denied.append(label)
            for atom in admitting:
                found.setdefault(atom.order, atom)
        matches = dict.fromkeys(self._match(ev, a) for a in found.values())
        return Detail(not denied, tuple(matches), tuple(denied))

    def _chosen(self, row: int, v6: bool) -> list[int | None]:
        """Each source's first address of a family (None when it has none), kept per row."""
        if self._keys_row != row:  # rows are asked in order: keep only the current one's
            self._keys_row, self._keys = row, {}
        found = self._keys.get(v6)
        if found is None:
            _, sources = self.rows[row]
            found = [next((k for k in keys if (k >= V6_BASE) == v6), None) for _, keys in sources]
            self._keys[v6] = found
        return found

    def _match(self, ev: Evaluator, atom: Atom) -> Match:
        if ev is not self.ev:
            return match_of(ev, atom)
        found = self._matches.get(atom.order)
        if found is None:
            found = self._matches[atom.order] = match_of(ev, atom)
        return found


class _Index:
    """The rows' source addresses (each source's first address of a family, as `allowed`
    picks it), indexed to count, per column, how many of a row's distinct sources some
    reaching rule admits."""

    def __init__(self, ev: Evaluator, rows: Sequence[Sources]) -> None:
        self.ev = ev
        self.need: dict[bool, list[int | None]] = {False: [], True: []}
        self.rows_of: dict[bool, dict[int, list[int]]] = {False: {}, True: {}}
        for row, sources in enumerate(rows):
            for v6 in (False, True):
                self._add(row, sources, v6)
        self.keys = {v6: SortedKeys(self.rows_of[v6]) for v6 in (False, True)}
        self._within: dict[tuple[int, bool], tuple[AddrSet, list[int]]] = {}

    def _add(self, row: int, sources: Sources, v6: bool) -> None:
        chosen = [next((k for k in keys if (k >= V6_BASE) == v6), None) for _, keys in sources]
        distinct = set(chosen)
        self.need[v6].append(None if None in distinct else len(distinct))
        for key in distinct - {None}:
            self.rows_of[v6].setdefault(key, []).append(row)  # type: ignore[arg-type]

    def matched(self, atoms: Iterable[Atom], d: int) -> Iterable[tuple[int, bool]]:
        """(row, every source admitted) for the rows one of whose sources some atom admits."""
        v6 = d >= V6_BASE
        covered: set[int] = set()
        for atom in atoms:
            covered.update(self._admitted(atom, d, v6))
        rows_of, need = self.rows_of[v6], self.need[v6]
        counts = Counter(chain.from_iterable(rows_of[key] for key in covered))
        return ((row, n == need[row]) for row, n in counts.items())

    def _admitted(self, atom: Atom, d: int, v6: bool) -> Iterable[int]:
        """The indexed addresses `atom` admits towards `d` (listed once per source set)."""
        if atom.kind != "self":
            return self._in(atom.src, v6)
        owner = self.ev.inventory.owner_by_key.get(d)  # only the owner's own devices qualify
        mine = self.ev.inventory.keys_by_owner.get(owner, []) if owner is not None else []
        indexed = self.rows_of[v6]
        return [s for s in mine if s in indexed and atom.admits_from(self.ev, s, d)]

    def _in(self, src: AddrSet, v6: bool) -> list[int]:
        # by id() of the address set, stored with it: kept alive here, its id is not reused
        found = self._within.get((id(src), v6))
        if found is None:
            found = self._within[(id(src), v6)] = (src, self.keys[v6].within(src))
        return found[1]
