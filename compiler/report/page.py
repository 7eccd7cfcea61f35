"""The report as one self-contained HTML page (pure, deterministic bytes).

No scripts, no fonts, no images, no links out: a Content-Security-Policy of `default-src
'none'` (styles inline only) makes the browser refuse any request the page might still try.
Marks carry the meaning, colour only repeats it: ✓ allowed, ✕ no access, + gained, − lost.
Each cell names the site.yaml line behind its verdict; the lines are quoted under the matrix.
Narrow windows scroll the matrix sideways with the principal column kept in view; print
drops the scrolling and keeps the colours.

`page_parts` yields the page in pieces, the matrix one row at a time (its cells made only
then), so the CLI writes a page of a billion bytes holding one row; `render` joins them.
"""

from __future__ import annotations

from collections.abc import Iterator
from html import escape

from compiler.report.model import (
    Cell,
    Change,
    Column,
    ColumnGroup,
    Report,
    Row,
    RowCells,
    SiteLine,
)
from compiler.report.style import CSS

CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
MARKS = {True: ("✓", "allowed"), False: ("✕", "no access")}
CHANGE_MARKS = {Change.GAINED: ("+", "gains access"), Change.LOST: ("−", "loses access")}


def render(report: Report) -> str:
    """The whole page as one string (small reports, `matrix --format html`)."""
    return "".join(page_parts(report))


def page_parts(report: Report) -> Iterator[str]:
    """The page in pieces, the matrix a row at a time as its cells are computed: a writer
    that writes each piece as it comes holds one row, not the page (tens of millions of
    cells at 10,000 devices). The bytes are `render`'s."""
    yield _head(report)
    yield _summary(report)
    yield _legend(report)
    cited = _Cited()
    yield from _matrix(report, cited)
    yield _site_lines(cited)
    yield _other_changes(report)
    yield _ssh(report)
    yield _dns(report)
    yield _exits(report)
    yield _listeners(report)
    yield _notes(report)
    yield "</main></body></html>\n"


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _head(report: Report) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(report.title)}</title>\n<style>{CSS}</style></head>\n"
        f"<body><main>\n<header><h1>{_e(report.title)}</h1>\n"
    )


def _summary(report: Report) -> str:
    counts = report.counts
    text = (
        f"{len(report.rows)} principals × {len(report.columns)} ports: "
        f"{counts.allowed} allowed, {counts.cells - counts.allowed} no access."
    )
    if report.against:
        text += (
            f" Against {report.against}: {counts.gained} gained, {counts.lost} lost in the matrix"
        )
        text += f", {len(report.other_changes)} other change(s)." if report.other_changes else "."
    return f'<p class="sub" id="summary">From {_e(report.source)}. {_e(text)}</p></header>\n'


def _legend(report: Report) -> str:
    items = [
        '<li><span class="mark y">✓</span> allowed</li>',
        '<li><span class="mark n">✕</span> no access</li>',
    ]
    if report.against:
        items += [
            '<li><span class="badge gained">+ gains</span> allowed after the change</li>',
            '<li><span class="badge lost">− loses</span> allowed before, not after</li>',
        ]
    return f'<ul class="legend" aria-label="legend">{"".join(items)}</ul>\n'


def _matrix(report: Report, cited: _Cited) -> Iterator[str]:
    columns, rows = report.columns, report.rows
    if not columns or not rows:
        missing = "service ports" if not columns else "users, groups or tags"
        yield (
            '<section id="access"><h2>Who can reach what</h2>'
            f"<p>No {missing} are declared yet: nothing to show.</p></section>\n"
        )
        return
    head = _matrix_head(report.column_groups)
    yield (
        '<section id="access"><h2>Who can reach what</h2>\n'
        '<div class="scroll"><table class="matrix">\n'
        f"<thead>{head}</thead>\n"
    )
    writer = _Rows(columns, report.defaults, cited)
    cells = report.cells()
    for group in report.row_groups:
        span = len(columns) + 1
        yield (
            f'<tbody class="rows" data-group="{_e(group.kind)}">\n'
            f'<tr class="group"><th colspan="{span}" scope="rowgroup">{_e(group.title)}</th></tr>\n'
        )
        for row in group.rows:
            yield writer.row(row, next(cells))
        yield "</tbody>\n"
    cited.defaults(writer)
    yield "</table></div></section>\n"


def _matrix_head(groups: list[ColumnGroup]) -> str:
    top = "".join(
        f'<th scope="colgroup" colspan="{len(g.columns)}" class="device">{_e(g.device)}'
        f'<span class="note">{_e(g.note)}</span></th>'
        for g in groups
    )
    cols = "".join(_column_head(c) for g in groups for c in g.columns)
    return (
        f'<tr><th rowspan="2" class="corner">principal \\ device</th>{top}</tr>\n<tr>{cols}</tr>\n'
    )


def _column_head(column: Column) -> str:
    port = f"{column.port}/{column.proto}" if column.port else column.proto
    title = f' title="{_e(column.reach)}"' if column.reach else ""
    return (
        f'<th scope="col" class="svc" data-column="{_e(column.key)}"{title}>'
        f'{_e(column.service)}<span class="note">{_e(port)}</span></th>'
    )


class _Rows:
    """Rows of the matrix as HTML. A row's cells are mostly its columns' default cells,
    whose markup differs only in the principal: each default cell is kept as the markup
    before and after the principal, and the runs of defaults between a row's other cells
    are joined by the principal in one `str.join` (not built cell by cell)."""

    def __init__(self, columns: list[Column], defaults: list[Cell], cited: _Cited) -> None:
        self.columns, self.defaults, self.cited = columns, defaults, cited
        parts = [_cell_parts(c, cell) for c, cell in zip(columns, defaults, strict=True)]
        self.heads = [h for h, _ in parts]
        self.tails = [t for _, t in parts]
        # each default's end joined to the next default's start: a run is key.join(seams)
        self.seams = [t + h for t, h in zip(self.tails, self.heads[1:], strict=False)]
        self.special = [0] * len(columns)  # rows whose cell in a column is not the default
        self.count = 0

    def row(self, row: Row, cells: RowCells) -> str:
        self.count += 1
        note = f'<span class="note">{_e(row.note)}</span>' if row.note else ""
        title = f' title="{_e(row.key)}"' if row.key != row.label else ""
        return (
            f'<tr><th scope="row"{title}>{_e(row.label)}{note}</th>{self.cells(row, cells)}</tr>\n'
        )

    def cells(self, row: Row, cells: RowCells) -> str:
        key, out, start = _e(row.key), [], 0
        for col in sorted(cells):
            out.append(self._run(key, start, col))
            cell = cells[col]
            self.special[col] += 1
            self.cited.add(cell)
            head, tail = _cell_parts(self.columns[col], cell)
            out.append(head + key + tail)
            start = col + 1
        out.append(self._run(key, start, len(self.columns)))
        return "".join(out)

    def _run(self, key: str, start: int, end: int) -> str:
        """The default cells of columns start..end-1 (none when end <= start)."""
        if end <= start:
            return ""
        return (
            self.heads[start] + key + key.join([*self.seams[start : end - 1], self.tails[end - 1]])
        )


def _cell_parts(column: Column, cell: Cell) -> tuple[str, str]:
    """A cell's markup before and after its principal's key."""
    mark, word = MARKS[cell.allowed]
    where = next((r.site for r in cell.reasons if r.site), None)
    why = "; ".join(r.summary for r in cell.reasons)
    change = ""
    if cell.change is not Change.NONE:
        sign, text = CHANGE_MARKS[cell.change]
        change = f'<span class="badge {cell.change.value}">{sign} {text}</span>'
    ref = f'<span class="ref">{_e(where)}</span>' if where else ""
    classes = " ".join(x for x in ("y" if cell.allowed else "n", cell.change.value) if x)
    head = f'<td class="{classes}" data-principal="'
    tail = (
        f'" data-column="{_e(column.key)}" '
        f'data-verdict="{"allowed" if cell.allowed else "denied"}" '
        f'data-site-line="{where.line if where else ""}" data-change="{cell.change.value}" '
        f'title="{_e(why)}"><span class="mark">{mark}</span><span class="word">{word}</span>'
        f"{change}{ref}</td>"
    )
    return head, tail


class _Cited:
    """The site.yaml lines the matrix's cells cite and the rules behind each, gathered as
    the rows are written (the list under the matrix quotes them)."""

    def __init__(self) -> None:
        self.lines: dict[int, SiteLine] = {}
        self.rules: dict[int, dict[str, None]] = {}

    def add(self, cell: Cell) -> None:
        for reason in cell.reasons:
            if reason.site is not None and reason.site.line:
                self.lines.setdefault(reason.site.line, reason.site)
                self.rules.setdefault(reason.site.line, {})[reason.rule] = None

    def defaults(self, rows: _Rows) -> None:
        """The default cells of the columns some row kept its default in."""
        for col, cell in enumerate(rows.defaults):
            if rows.special[col] < rows.count:
                self.add(cell)


def _site_lines(cited: _Cited) -> str:
    """Every site.yaml line a cell cites, quoted once, in file order."""
    if not cited.lines:
        return ""
    items = "".join(
        f'<li id="line-{n}"><span class="ref">{_e(s)}</span> <code>{_e(s.text)}</code>'
        f'<span class="rules">{_e(_cited_for(cited.rules[n]))}</span></li>'
        for n, s in sorted(cited.lines.items())
    )
    return (
        '<section id="lines"><h3>The site.yaml lines behind the verdicts</h3>'
        f'<ul class="lines">{items}</ul></section>\n'
    )


def _cited_for(rules: dict[str, None]) -> str:
    """`grants[3] · cited by ✕ cells`: the rules a line became, and whether denials cite it."""
    names = sorted(r for r in rules if r)
    return " · ".join([*names, *(["cited by ✕ cells"] if "" in rules else [])])


def _table(section: str, title: str, heads: list[str], rows: list[list[str]]) -> str:
    """A plain section table; cells are already-escaped HTML."""
    if not rows:
        return ""
    head = "".join(f'<th scope="col">{h}</th>' for h in heads)
    body = "".join(
        "<tr>"
        + "".join(f'<td data-label="{h}">{c}</td>' for h, c in zip(heads, row, strict=True))
        + "</tr>\n"
        for row in rows
    )
    return (
        f'<section id="{section}"><h2>{title}</h2>\n<div class="scroll"><table class="plain">'
        f"<thead><tr>{head}</tr></thead>\n<tbody>\n{body}</tbody></table></div></section>\n"
    )


def _where(site: SiteLine | None) -> str:
    if site is None:
        return ""
    return f'<span class="ref">{_e(site)}</span> <code>{_e(site.text)}</code>'


def _other_changes(report: Report) -> str:
    rows = [
        [_badge(c.change), _e(c.principal), _e(c.target), _e(c.why)] for c in report.other_changes
    ]
    return _table("changes", "Other access changes", ["change", "who", "what", "why"], rows)


def _badge(change: Change) -> str:
    sign, text = CHANGE_MARKS[change]
    return f'<span class="badge {change.value}">{sign} {text}</span>'


def _action(action: str) -> str:
    mark = "✕" if action == "deny" else "✓"
    cls = "n" if action == "deny" else "y"
    label = {"check": "check (re-authenticate)", "deny": "no"}.get(action, action)
    return f'<span class="mark {cls}">{mark}</span> {_e(label)}'


def _ssh(report: Report) -> str:
    rows = [
        [_e(s.who), _e(s.device), _action(s.root), _action(s.other), _e(s.rule), _where(s.site)]
        for s in report.ssh
    ]
    heads = ["who", "device", "as root", "as other users", "rule", "site.yaml"]
    return _table("ssh", "SSH (Tailscale SSH)", heads, rows)


def _dns(report: Report) -> str:
    rows = [
        [_e(d.name), _e(d.answer), _e(d.answered_by), _e(d.via), _where(d.site)] for d in report.dns
    ]
    heads = ["name", "resolves to", "answered by", "resolver and router", "site.yaml"]
    return _table("dns", "DNS names", heads, rows)


def _exits(report: Report) -> str:
    rows = [[_e(x.device), _e(x.kind), _e(x.who), _where(x.site)] for x in report.exits]
    return _table("exits", "Exit nodes and Mullvad", ["device", "what", "who", "site.yaml"], rows)


def _listeners(report: Report) -> str:
    rows = [[_e(x.device), "<br>".join(_e(e) for e in x.expected)] for x in report.listeners]
    heads = ["device", "expected besides its services: shown by the audit, not findings"]
    return _table("listeners", "Expected listeners (tailgen audit)", heads, rows)


def _notes(report: Report) -> str:
    if not report.notes:
        return ""
    items = "".join(f"<li>{_e(n)}</li>" for n in report.notes)
    return f'<section id="notes"><h2>Notes</h2><ul>{items}</ul></section>\n'
