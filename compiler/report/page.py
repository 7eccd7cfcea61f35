"""The report as one self-contained HTML page (pure, deterministic bytes).

No scripts, no fonts, no images, no links out: a Content-Security-Policy of `default-src
'none'` (styles inline only) makes the browser refuse any request the page might still try.
Marks carry the meaning, colour only repeats it: ✓ allowed, ✕ no access, + gained, − lost.
Each cell names the site.yaml line behind its verdict; the lines are quoted under the matrix.
Narrow windows scroll the matrix sideways with the principal column kept in view; print
drops the scrolling and keeps the colours.
"""

from __future__ import annotations

from html import escape

from compiler.report.model import Cell, Change, Column, ColumnGroup, Report, Row, SiteLine
from compiler.report.style import CSS

CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
MARKS = {True: ("✓", "allowed"), False: ("✕", "no access")}
CHANGE_MARKS = {Change.GAINED: ("+", "gains access"), Change.LOST: ("−", "loses access")}


def render(report: Report) -> str:
    """The whole page."""
    parts = [
        _head(report),
        _summary(report),
        _legend(report),
        _matrix(report),
        _site_lines(report),
        _other_changes(report),
        _ssh(report),
        _dns(report),
        _exits(report),
        _listeners(report),
        _notes(report),
    ]
    return "".join(parts) + "</main></body></html>\n"


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
    cells = report.cells.values()
    allowed = sum(c.allowed for c in cells)
    text = (
        f"{len(report.rows)} principals × {len(report.columns)} ports: "
        f"{allowed} allowed, {len(report.cells) - allowed} no access."
    )
    if report.against:
        gained = sum(c.change is Change.GAINED for c in cells)
        lost = sum(c.change is Change.LOST for c in cells)
        text += f" Against {report.against}: {gained} gained, {lost} lost in the matrix"
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


def _matrix(report: Report) -> str:
    if not report.columns or not report.rows:
        missing = "service ports" if not report.columns else "users, groups or tags"
        return (
            '<section id="access"><h2>Who can reach what</h2>'
            f"<p>No {missing} are declared yet: nothing to show.</p></section>\n"
        )
    head = _matrix_head(report.column_groups)
    body = "".join(_row_group(report, g.kind, g.title, g.rows) for g in report.row_groups)
    return (
        '<section id="access"><h2>Who can reach what</h2>\n'
        '<div class="scroll"><table class="matrix">\n'
        f"<thead>{head}</thead>\n{body}</table></div></section>\n"
    )


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


def _row_group(report: Report, kind: str, title: str, rows: tuple[Row, ...]) -> str:
    span = len(report.columns) + 1
    label = f'<tr class="group"><th colspan="{span}" scope="rowgroup">{_e(title)}</th></tr>\n'
    body = "".join(_row(report, row) for row in rows)
    return f'<tbody class="rows" data-group="{_e(kind)}">\n{label}{body}</tbody>\n'


def _row(report: Report, row: Row) -> str:
    cells = "".join(_cell(row, c, report.cell(row, c)) for c in report.columns)
    note = f'<span class="note">{_e(row.note)}</span>' if row.note else ""
    title = f' title="{_e(row.key)}"' if row.key != row.label else ""
    return f'<tr><th scope="row"{title}>{_e(row.label)}{note}</th>{cells}</tr>\n'


def _cell(row: Row, column: Column, cell: Cell) -> str:
    mark, word = MARKS[cell.allowed]
    where = next((r.site for r in cell.reasons if r.site), None)
    why = "; ".join(r.summary for r in cell.reasons)
    change = ""
    if cell.change is not Change.NONE:
        sign, text = CHANGE_MARKS[cell.change]
        change = f'<span class="badge {cell.change.value}">{sign} {text}</span>'
    ref = f'<span class="ref">{_e(where)}</span>' if where else ""
    classes = " ".join(x for x in ("y" if cell.allowed else "n", cell.change.value) if x)
    return (
        f'<td class="{classes}" data-principal="{_e(row.key)}" data-column="{_e(column.key)}" '
        f'data-verdict="{"allowed" if cell.allowed else "denied"}" '
        f'data-site-line="{where.line if where else ""}" data-change="{cell.change.value}" '
        f'title="{_e(why)}"><span class="mark">{mark}</span><span class="word">{word}</span>'
        f"{change}{ref}</td>"
    )


def _site_lines(report: Report) -> str:
    """Every site.yaml line a cell cites, quoted once, in file order."""
    cited: dict[int, SiteLine] = {}
    rules: dict[int, dict[str, None]] = {}
    for cell in report.cells.values():
        for reason in cell.reasons:
            if reason.site is not None and reason.site.line:
                cited.setdefault(reason.site.line, reason.site)
                rules.setdefault(reason.site.line, {})[reason.rule] = None
    if not cited:
        return ""
    items = "".join(
        f'<li id="line-{n}"><span class="ref">{_e(s)}</span> <code>{_e(s.text)}</code>'
        f'<span class="rules">{_e(_cited_for(rules[n]))}</span></li>'
        for n, s in sorted(cited.items())
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
