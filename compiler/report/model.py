"""The access report as data: what the page shows, before any HTML is written.

A report is built once (`compiler.report.collect`) from a site, its compiled policy and, for a
review, the access diff; the page (`compiler.report.page`) only lays it out. Keeping the two
apart lets tests assert on verdicts and site lines without parsing HTML, and lets
`matrix --format html` show a policy without a site through the same page.
"""

from __future__ import annotations

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


@dataclass
class Report:
    title: str
    source: str  # "site.yaml", or the policy file for a report without a site
    row_groups: list[RowGroup]
    column_groups: list[ColumnGroup]
    cells: dict[tuple[str, str], Cell] = field(default_factory=dict)
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

    def cell(self, row: Row, column: Column) -> Cell:
        return self.cells[(row.key, column.key)]
