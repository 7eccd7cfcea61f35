"""The access report as data: what the page shows, before any HTML is written.

A report is built once (`compiler.report.collect`) from a site, its compiled policy and, for a
review, the access diff; the page (`compiler.report.page`) only lays it out. Keeping the two
apart lets tests assert on verdicts and site lines without parsing HTML, and lets
`matrix --format html` show a policy without a site through the same page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum


class Change(StrEnum):
    """What a review does to one cell."""

    NONE = ""
    GAINED = "gained"
    LOST = "lost"


@dataclass(frozen=True)
class SiteLine:
    """A place in site.yaml and the text written there (empty when the file is unknown)."""

    file: str
    line: int
    text: str = ""

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


@dataclass(frozen=True)
class Reason:
    """Why a cell is what it is: the deciding rule (policy name) and the site line behind it."""

    summary: str  # "allowed by grants[0]", "not in allow", "no rule matched"
    rule: str = ""  # "grants[0]"; empty for a denial (default deny decides)
    site: SiteLine | None = None


@dataclass(frozen=True)
class Cell:
    allowed: bool
    reasons: tuple[Reason, ...] = ()
    change: Change = Change.NONE


@dataclass(frozen=True)
class Row:
    """One principal: `key` is what the evaluator and the review call it; `label` is for people."""

    key: str
    label: str
    note: str = ""  # "2 devices", "LAN 192.168.240.0/24 via appletv-phl"


@dataclass(frozen=True)
class RowGroup:
    kind: str  # users | groups | tags | locations | principals
    title: str
    rows: tuple[Row, ...]


@dataclass(frozen=True)
class Column:
    """One service port; `key` matches the review's target (`device:port/proto`)."""

    key: str
    service: str
    port: int
    proto: str
    site: SiteLine | None = None
    reach: str = ""  # "100.101.7.21", "LAN 192.168.153.21"


@dataclass(frozen=True)
class ColumnGroup:
    device: str
    note: str  # "windows · Iowa City"
    columns: tuple[Column, ...]


@dataclass(frozen=True)
class SshEntry:
    who: str
    device: str
    root: str  # accept | check | deny
    other: str  # for any non-root login
    rule: str = ""
    site: SiteLine | None = None


@dataclass(frozen=True)
class DnsEntry:
    name: str
    answered_by: str  # split DNS | MagicDNS | global nameservers
    answer: str  # "A 100.101.7.21", "CNAME …"
    via: str  # "192.168.153.1 through appletv-iow (Iowa City)"
    site: SiteLine | None = None


@dataclass(frozen=True)
class ExitEntry:
    """An exit node or a Mullvad device, and who may use it."""

    device: str
    kind: str  # exit node | Mullvad
    who: str
    site: SiteLine | None = None


@dataclass(frozen=True)
class ListenerEntry:
    """What `tailgen audit` expects on a device besides its services (not findings)."""

    device: str
    expected: tuple[str, ...]


@dataclass(frozen=True)
class OtherChange:
    """An access change the matrix has no cell for (a removed service, a resolver, SSH)."""

    change: Change
    principal: str
    target: str
    why: str


@dataclass(frozen=True)
class Counts:
    """The matrix's totals, known before its rows are (the summary above it says them)."""

    cells: int = 0
    allowed: int = 0
    gained: int = 0
    lost: int = 0


RowCells = dict[int, Cell]  # column index → cell, for a row's cells that are not the default


def no_rows() -> Iterator[RowCells]:
    return iter(())


@dataclass
class Report:
    """The page's data. The matrix is not held whole: `cells()` yields each row's cells as
    they are computed (one map per row of `rows`, in order), holding only those that differ
    from their column's `defaults` cell, so a page of millions of cells is written row by
    row (see `compiler.report.page.page_parts`)."""

    title: str
    source: str  # "site.yaml", or the policy file for a report without a site
    row_groups: list[RowGroup]
    column_groups: list[ColumnGroup]
    defaults: list[Cell] = field(default_factory=list)  # per column, in `columns` order
    cells: Callable[[], Iterator[RowCells]] = no_rows
    counts: Counts = Counts()
    ssh: list[SshEntry] = field(default_factory=list)
    dns: list[DnsEntry] = field(default_factory=list)
    exits: list[ExitEntry] = field(default_factory=list)
    listeners: list[ListenerEntry] = field(default_factory=list)
    against: str = ""  # the current side of a review, when there is one
    other_changes: list[OtherChange] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def columns(self) -> list[Column]:
        return [c for g in self.column_groups for c in g.columns]

    @property
    def rows(self) -> list[Row]:
        return [r for g in self.row_groups for r in g.rows]

    def matrix(self) -> Iterator[tuple[Row, list[Cell]]]:
        """Each row with every one of its cells (for tests and small reports)."""
        for row, special in zip(self.rows, self.cells(), strict=True):
            yield row, [special.get(i, cell) for i, cell in enumerate(self.defaults)]
