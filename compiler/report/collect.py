"""Site + compiled policy (+ the review's access diff) → the report's data (pure).

Nothing here decides access. The questions come from where the review gets them — principals
from `review.evaluation.principals`, targets from `review.universe.site_targets` — and each
cell says what `evaluate.allowed` answers (found column by column, `compiler.report.verdicts`),
whose matches carry the `site.yaml:LINE` comment the compiler wrote above each rule. A denied
cell cites the declaration that would have to change (the service's `allow:` line), since no
rule decides a default deny. The cells are made a row at a time when the page asks for them:
the report never holds the matrix.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from functools import partial

from compiler import evaluate
from compiler.evaluate.decision import PROVENANCE
from compiler.evaluate.site_view import site_inventory
from compiler.report.changes import Marks, review_marks
from compiler.report.model import (
    Cell,
    Change,
    Column,
    ColumnGroup,
    Counts,
    Reason,
    Report,
    Row,
    RowCells,
    RowGroup,
    SiteLine,
)
from compiler.report.sections import dns_entries, exit_entries, listener_entries, ssh_entries
from compiler.report.verdicts import Question, Verdicts
from compiler.review.access import AccessDiff
from compiler.review.evaluation import principals, review_inventory
from compiler.review.universe import INTERNET, Target, site_targets
from compiler.site.model import Site

RESOLVERS = "DNS resolvers"
NO_DEVICE = "no device yet"
EXIT_NODES = "exit nodes"


class Lines:
    """site.yaml's text by line number, to quote the line a rule came from."""

    def __init__(self, site: Site, text: str) -> None:
        self.file = site.source_label
        self.site = site
        self.text = dict(enumerate(text.splitlines(), 1))

    def at(self, line: int) -> SiteLine | None:
        return SiteLine(self.file, line, self.block(line)) if line else None

    def block(self, line: int, most: int = 8) -> str:
        """The line, or for a mapping key that opens a block (`ollama-icon:`) the key and
        its indented lines as one flow mapping, so the quote says what was declared."""
        first = self.text.get(line, "")
        if not first.rstrip().endswith(":"):
            return first.strip()
        indent = len(first) - len(first.lstrip())
        body = []
        for n in range(line + 1, line + 1 + most):
            text = self.text.get(n, "")
            if not text.strip() or len(text) - len(text.lstrip()) <= indent:
                break
            body.append(text.split(" #", 1)[0].strip())
        if not body:
            return first.strip()
        if body[0].startswith(("{", "[")):  # a flow mapping written on the next lines
            return f"{first.strip()} {' '.join(body)}"
        return f"{first.strip()} {{{', '.join(body)}}}"

    def of(self, *path: str | int) -> SiteLine | None:
        return self.at(self.site.span(*path).line)

    def of_comment(self, comment: str) -> SiteLine | None:
        found = PROVENANCE.match(comment)
        return self.at(int(found["line"])) if found else None


def site_report(
    site: Site, site_text: str, policy_text: str, access: AccessDiff | None = None
) -> Report:
    """The report of a built site; with `access` (a review), gains and losses are marked.

    The matrix's verdicts are found column by column first (`Verdicts`); its cells are made
    row by row when the page asks for them (`report.cells()`), with the reasons only the
    cells some rule matches need."""
    policy = evaluate.parse_policy(policy_text)
    ev = evaluate.Evaluator(policy, review_inventory(policy, site_inventory(site)))
    lines = Lines(site, site_text)
    who = principals(site)
    groups = _row_groups(site, who)
    columns, targets = _columns(site, lines)
    report = Report(f"Access report: {site.source_label}", site.source_label, groups, columns)
    rows, cols = report.rows, report.columns
    questions = [Question(t.address, t.port, t.proto) for t in (targets[c.key] for c in cols)]
    verdicts = Verdicts(ev, [who.get(r.key, r.key) for r in rows], questions)
    marks = review_marks((r.key for r in rows), [c.key for c in cols], access) if access else None
    cells = _Cells(verdicts, cols, lines, marks)
    report.defaults, report.cells = cells.defaults, partial(cells.rows, rows)
    report.counts = cells.counts(rows, marks)
    report.ssh = ssh_entries(site, ev, lines)
    report.dns = dns_entries(site, lines)
    report.exits = exit_entries(site, lines)
    report.listeners = listener_entries(site)
    report.notes = _notes(site)
    if access is not None and marks is not None:
        report.other_changes = marks.other
        if access.note:
            report.notes.append(access.note)
    return report


class _Cells:
    """The matrix's cells: a denied default per column, and per row the cells that differ
    from it (a rule matched, or a review changed it), made when the row is asked for."""

    def __init__(
        self, verdicts: Verdicts, columns: list[Column], lines: Lines, marks: Marks | None
    ) -> None:
        self.verdicts, self.columns, self.lines, self.marks = verdicts, columns, lines, marks
        self.defaults = [
            Cell(False, (Reason("no rule allows it", "", _denial_line(c, lines)),)) for c in columns
        ]
        self._reasons: dict[evaluate.Match, Reason] = {}

    def counts(self, rows: list[Row], marks: Marks | None) -> Counts:
        """Cells and allowed cells of distinct principals (a cell is one principal × port)."""
        distinct = {r.key: i for i, r in reversed(list(enumerate(rows)))}
        allowed = sum(self.verdicts.allowed_count(i) for i in distinct.values())
        gained = marks.count(Change.GAINED) if marks else 0
        lost = marks.count(Change.LOST) if marks else 0
        return Counts(len(distinct) * len(self.columns), allowed, gained, lost)

    def rows(self, rows: list[Row]) -> Iterator[RowCells]:
        for i, row in enumerate(rows):
            yield self.row(i, row)

    def row(self, index: int, row: Row) -> RowCells:
        found = {col: self._cell(index, col) for col in self.verdicts.matched_columns(index)}
        changed = self.marks.by_row.get(row.key, {}) if self.marks else {}
        for col, kind in changed.items():
            found[col] = replace(found.get(col, self.defaults[col]), change=kind)
        return found

    def _cell(self, row: int, col: int) -> Cell:
        """What `evaluate.allowed` says of a cell some rule matches, with its reasons."""
        detail = self.verdicts.detail(row, col)
        if detail.allowed:
            return Cell(True, tuple(self._reason(m) for m in detail.matches))
        summary = f"no rule matched for {', '.join(detail.denied)}"
        return Cell(False, (Reason(summary, "", self.defaults[col].reasons[0].site),))

    def _reason(self, match: evaluate.Match) -> Reason:
        found = self._reasons.get(match)
        if found is None:
            where = self.lines.of_comment(match.provenance)
            found = self._reasons[match] = Reason(f"allowed by {match.rule}", match.rule, where)
        return found


def _notes(site: Site) -> list[str]:
    owned = _owned(site)
    waiting = [key for key in site.users if key not in owned]
    if not waiting:
        return []
    return [
        f"{', '.join(waiting)}: no device yet, so their rows say what their identity may "
        "reach once a device joins (evaluated from a stand-in device, as `tailgen diff` does)."
    ]


def _row_groups(site: Site, who: dict[str, str]) -> list[RowGroup]:
    owned, tagged = _owned(site), _tagged(site)
    users = [
        Row(u.login, key, f"{u.login} · {', '.join(owned.get(key, ())) or NO_DEVICE}")
        for key, u in site.users.items()
    ]
    groups = [Row(f"group:{g}", g, ", ".join(m)) for g, m in site.groups.items()]
    tags = [
        Row(k, k.removeprefix("tag:"), ", ".join(tagged.get(k.removeprefix("tag:"), ())))
        for k in who
        if k.startswith("tag:")
    ]
    locations = [
        Row(
            k,
            site.locations[k.removeprefix("location:")].name or k.removeprefix("location:"),
            f"LAN client {src}",
        )
        for k, src in who.items()
        if k.startswith("location:")
    ]
    found = (
        RowGroup("users", "Users", tuple(users)),
        RowGroup("groups", "Groups", tuple(groups)),
        RowGroup("tags", "Tagged devices", tuple(tags)),
        RowGroup("locations", "Locations (LAN clients through the router)", tuple(locations)),
    )
    return [g for g in found if g.rows]


def _owned(site: Site) -> dict[str, list[str]]:
    """Each owner's devices in site order, listed once: asked per user, a scan of every
    device for every user grew with users × devices."""
    found: dict[str, list[str]] = {}
    for name, dev in site.devices.items():
        if dev.owner:
            found.setdefault(dev.owner, []).append(name)
    return found


def _tagged(site: Site) -> dict[str, list[str]]:
    """Each tag's devices in site order (a device listed once per tag, as it declares it)."""
    found: dict[str, list[str]] = {}
    for name, dev in site.devices.items():
        for tag in dict.fromkeys(dev.tags):
            found.setdefault(tag, []).append(name)
    return found


def _columns(site: Site, lines: Lines) -> tuple[list[ColumnGroup], dict[str, Target]]:
    """Columns grouped by device, then DNS resolvers, then the internet via exit nodes."""
    by_group: dict[str, list[Column]] = {}
    targets: dict[str, Target] = {}
    for target, labels in site_targets(site).items():
        if target.host != INTERNET and target.proto == "tcp" and target.port == 53:
            continue  # a resolver's TCP twin: the UDP column stands for both
        column = _column(site, target, sorted(labels), lines)
        by_group.setdefault(_group_of(site, target), []).append(column)
        targets[column.key] = target
    order = [d for d in site.devices if d in by_group] + [RESOLVERS, EXIT_NODES]
    groups = [
        ColumnGroup(name, _group_note(site, name), tuple(sorted(by_group[name], key=_col_order)))
        for name in order
        if name in by_group
    ]
    return groups, targets


def _group_of(site: Site, target: Target) -> str:
    if target.host == INTERNET:
        return EXIT_NODES
    return target.host if target.host in site.devices else RESOLVERS


def _group_note(site: Site, name: str) -> str:
    dev = site.devices.get(name)
    if dev is None:
        return "port 53: split DNS, through each location's router" if name == RESOLVERS else ""
    where = site.locations[dev.location].name if dev.location in site.locations else ""
    return " · ".join(x for x in (str(dev.os), where or dev.location or "") if x)


def _col_order(column: Column) -> tuple[int, str]:
    return (column.port, column.service)


def _column(site: Site, target: Target, labels: list[str], lines: Lines) -> Column:
    label = labels[0]
    name = label.removeprefix("service ")
    if label.startswith("service "):
        svc = site.services[name]
        reach = f"LAN {target.address}" if svc.reach.value == "subnet" else target.address
        return Column(
            str(target), name, target.port, target.proto, lines.of("services", name), reach
        )
    if target.host == INTERNET:
        return Column(str(target), "internet", 0, "any", lines.of("exit_nodes"), "exit node")
    if label == "break-glass":
        return Column(
            str(target),
            "ssh",
            target.port,
            target.proto,
            _bg_line(site, target, lines),
            target.address,
        )
    zones = [x.removeprefix("resolver for ") for x in labels]
    where = _zone_line(site, zones[-1], lines)
    return Column(str(target), target.address, 53, "udp+tcp", where, ", ".join(zones))


def _bg_line(site: Site, target: Target, lines: Lines) -> SiteLine | None:
    for i, bg in enumerate(site.break_glass):
        if target.host in bg.devices:
            return lines.of("break_glass", i)
    return None


def _zone_line(site: Site, zone: str, lines: Lines) -> SiteLine | None:
    from compiler.site.dns import zones

    found = zones(site).get(zone)
    return lines.of(*found.path) if found else None


def _denial_line(column: Column, lines: Lines) -> SiteLine | None:
    """The declaration a person would edit to allow it: the service's `allow:` list."""
    if column.service in lines.site.services:
        return lines.of("services", column.service, "allow")
    if column.service == "internet":
        return lines.of("exit_nodes", "allow")
    return column.site
