"""The terminal plan: summary line first, then safety, access, policy, DNS, launch, files.

Rendered with rich into a string (no I/O here): styled when the caller says the output is a
terminal, plain otherwise, so a piped plan is clean text a script or a log can hold.
"""

from __future__ import annotations

import io
from collections.abc import Iterable

from rich.console import Console
from rich.text import Text

from compiler.review.diff import Plan
from compiler.review.planfmt.common import (
    MARK,
    TargetGroup,
    by_target,
    describe_target,
    dns_line,
    file_line,
    launch_line,
    plural,
    policy_head,
    summary_line,
)

STYLE = {"added": "green", "removed": "red", "changed": "yellow", "reordered": "yellow"}
INDENT = "  "


def render(
    plan: Plan, *, color: bool = False, width: int = 100, files: bool = True, diffs: bool = True
) -> str:
    """The plan as text. `files=False` leaves out the file list and diffs, `diffs=False` the
    diffs only (`tailgen build` lists its files itself; `git diff out/` shows the bytes).
    Plain text is the lines exactly (tabs kept); only a terminal gets rich's styling."""
    body = lines(plan, files, diffs)
    if not color:
        return "".join(line.plain + "\n" for line in body)
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        force_terminal=True,
        color_system="standard",
        width=width,
        highlight=False,
        emoji=False,
        markup=False,
        soft_wrap=True,
    )
    for line in body:
        console.print(line)
    return buffer.getvalue()


def lines(plan: Plan, files: bool = True, diffs: bool = True) -> list[Text]:
    out = [Text(summary_line(plan), style="bold" if plan.safe else "bold red")]
    if not plan.changed:
        return out
    out += _safety(plan) + _access(plan) + _policy(plan) + _dns(plan) + _launch(plan)
    out += _files(plan, diffs) if files else []
    out += [Text(""), Text(f"checksum of {plan.desired}: {plan.checksum}", style="dim")]
    return out


def _heading(title: str) -> list[Text]:
    return [Text(""), Text(title, style="bold")]


def _mark(change: str, text: str, depth: int = 1) -> Text:
    return Text(f"{INDENT * depth}{MARK[change]} {text}", style=STYLE[change])


def _safety(plan: Plan) -> list[Text]:
    if plan.safe:
        return []
    out = _heading("Unsafe: `tailgen push` refuses this plan without --force")
    for reason in plan.verdict.reasons:
        out.append(Text(f"{INDENT}! {reason.code}: {reason.message}", style="bold red"))
    return out


def _access(plan: Plan) -> list[Text]:
    access = plan.access
    out: list[Text] = []
    if access.note:
        out += [Text(""), Text(access.note, style="dim")]
    for title, change, via, items in (
        ("Access gained", "added", "by", access.gained),
        ("Access lost", "removed", "was allowed by", access.lost),
    ):
        if items:
            out += _heading(f"{title} ({plural(len(items), 'pair')})")
            out += [line for group in by_target(items) for line in _group(group, change, via)]
    return out


def _group(group: TargetGroup, change: str, via: str) -> list[Text]:
    head = Text(f"{INDENT}{describe_target(group.target)}  [{group.declared_by}]")
    out = [head, _mark(change, group.who, 2)]
    if group.rules:
        star = " (a `*` rule)" if group.all_wildcard else ""
        out.append(Text(f"{INDENT * 3}{via} {group.rules}{star}", style="dim"))
    return out


def _policy(plan: Plan) -> list[Text]:
    if not plan.policy:
        return []
    out = _heading(f"Policy ({plural(len(plan.policy), 'change')})")
    for change in plan.policy:
        out.append(_mark(change.change, policy_head(change)))
        out += [Text(f"{INDENT * 3}{detail}", style="dim") for detail in change.details]
    return out


def _dns(plan: Plan) -> list[Text]:
    if not plan.dns:
        return []
    out = _heading(f"DNS ({plural(len(plan.dns), 'change')})")
    return out + [_mark(c.change, dns_line(c)) for c in plan.dns]


def _launch(plan: Plan) -> list[Text]:
    if not plan.launch:
        return []
    out = _heading(f"Launch configs ({plural(len(plan.launch), 'change')})")
    return out + [_mark(c.change, launch_line(c)) for c in plan.launch]


def _files(plan: Plan, diffs: bool) -> list[Text]:
    if not plan.files:
        return []
    out = _heading(f"Files ({plural(len(plan.files), 'file')})")
    out += [_mark(f.change, file_line(f)) for f in plan.files]
    if diffs:
        for f in plan.files:
            out += [Text(""), *list(_diff_lines(f.diff.splitlines()))]
    return out


def _diff_lines(lines: Iterable[str]) -> Iterable[Text]:
    for line in lines:
        if line.startswith(("+++", "---")):
            yield Text(line, style="bold")
        elif line.startswith("@@"):
            yield Text(line, style="cyan")
        elif line.startswith("+"):
            yield Text(line, style="green")
        elif line.startswith("-"):
            yield Text(line, style="red")
        else:
            yield Text(line)
