"""The plan as a pull-request comment (GitHub-flavoured Markdown).

Layout: a heading with the summary line, a summary table, the safety reasons, who gains and
who loses access (one table row per target), then collapsible `<details>` sections for the
policy, DNS and launch changes and the full diff. GitHub refuses comments over 65,536
characters, so the comment is assembled against a budget: the head always fits, and what does
not fit is cut at an item boundary with a note saying how much was left out and how to see it
(`tailgen diff` locally). Every name is a code span, so `@`, `*`, `_` and `|` in selectors
never turn into mentions, emphasis or table cells.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from compiler.review.access import AccessChange
from compiler.review.diff import Plan
from compiler.review.planfmt.common import (
    MARK,
    by_target,
    counts,
    describe_target,
    dns_line,
    file_line,
    launch_line,
    policy_head,
    summary_line,
)
from compiler.review.policydiff import PolicyChange

GITHUB_LIMIT = 65_536
BUDGET = GITHUB_LIMIT - 1_536  # room for GitHub's own accounting and the truncation notes
MAX_ROWS = 200  # per access table: past this, a table stops helping a reviewer


def render(plan: Plan, *, limit: int = BUDGET) -> str:
    """The comment, at most `limit` characters."""
    head = _head(plan)
    if not plan.changed:
        return head
    writer = _Writer(limit - len(head))
    for title, items in _sections(plan):
        writer.section(title, items)
    writer.raw(f"\nChecksum of `{plan.desired}`: `{plan.checksum}`\n")
    return head + writer.text()


# ---------------------------------------------------------------------------------------------
# building blocks


def code(text: str) -> str:
    """`text` as an inline code span, with a fence longer than any backtick run inside."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def cell(text: str) -> str:
    """A table cell: pipes escaped (GitHub splits cells on them even inside code spans)."""
    return text.replace("|", "\\|")


def fenced(body: str, info: str = "") -> str:
    longest = max((len(m) for m in re.findall(r"`{3,}", body)), default=2)
    fence = "`" * (longest + 1)
    return f"{fence}{info}\n{body}{'' if body.endswith(chr(10)) else chr(10)}{fence}\n"


def _head(plan: Plan) -> str:
    title = f"### tailgen plan: {code(plan.desired)} against {code(plan.current)}\n\n"
    if not plan.changed:
        return title + f"{_escape(summary_line(plan))}\n"
    verdict = "**safe**" if plan.safe else "**unsafe**: applying it needs `--force`"
    rows = [("Access gained", "access_gained"), ("Access lost", "access_lost")]
    rows += [("Policy changes", "policy_changes"), ("DNS changes", "dns_changes")]
    rows += [("Launch-config changes", "launch_changes"), ("Files changed", "files_changed")]
    c = counts(plan)
    table = "| | |\n|---|---:|\n" + "".join(f"| {label} | {c[k]} |\n" for label, k in rows)
    return f"{title}{_escape(summary_line(plan))}\n\n{table}| Verdict | {verdict} |\n"


def _sections(plan: Plan) -> list[tuple[str, list[str]]]:
    """(title, items) in the order a reviewer reads; titles starting with '<' collapse."""
    sections = []
    if not plan.safe:
        reasons = [f"- **{r.code}**: {_inline(r.message)}\n" for r in plan.verdict.reasons]
        sections.append(("#### Why it is unsafe", reasons))
    if plan.access.note:
        sections.append(("", [f"\n_{_inline(plan.access.note)}_\n"]))
    for title, items in (("Access gained", plan.access.gained), ("Access lost", plan.access.lost)):
        if items:
            sections.append((f"#### {title}", _access_table(items)))
    sections.append(("<Policy changes", [_policy_item(c) for c in plan.policy]))
    sections.append(
        ("<DNS changes", [f"- {MARK[c.change]} {code(dns_line(c))}\n" for c in plan.dns])
    )
    sections.append(
        (
            "<Launch-config changes",
            [f"- {MARK[c.change]} {code(launch_line(c))}\n" for c in plan.launch],
        )
    )
    files = [f"- {MARK[f.change]} {code(file_line(f))}\n" for f in plan.files]
    sections.append(("<Full diff", files + [fenced(f.diff, "diff") for f in plan.files]))
    return [(t, items) for t, items in sections if items]


def _inline(text: str) -> str:
    """Prose with the odd code span (`*`) kept, and everything else escaped."""
    parts = re.split(r"(`[^`]*`)", text)
    return "".join(p if p.startswith("`") else _escape(p) for p in parts)


def _escape(text: str) -> str:
    return re.sub(r"([\\`*_{}\[\]<>()#+!|~@])", r"\\\1", text)


def _access_table(changes: Iterable[AccessChange]) -> list[str]:
    rows = ["\n| Target | Declared by | Who |\n|---|---|---|\n"]
    for group in by_target(changes):
        who = ", ".join(
            code(c.principal) + (" (wildcard)" if c.wildcard else "") for c in group.changes
        )
        target = code(describe_target(group.target))
        rows.append(f"| {cell(target)} | {cell(_escape(group.declared_by))} | {cell(who)} |\n")
    if len(rows) > MAX_ROWS + 1:
        left = len(rows) - MAX_ROWS - 1
        rows = [
            *rows[: MAX_ROWS + 1],
            f"\n_… and {left} more targets: run `tailgen diff` locally._\n",
        ]
    return rows


def _policy_item(change: PolicyChange) -> str:
    head = f"- {MARK[change.change]} {code(policy_head(change))}\n"
    return head + "".join(f"  - {code(d)}\n" for d in change.details)


# ---------------------------------------------------------------------------------------------
# assembling under the budget


class _Writer:
    """Appends sections while they fit; cuts the first one that does not at an item boundary."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.parts: list[str] = []
        self.full = False

    def text(self) -> str:
        return "".join(self.parts)

    def raw(self, text: str) -> None:
        self.parts.append(text)

    def section(self, title: str, items: list[str]) -> None:
        collapsible = title.startswith("<")
        open_, close = (
            (f"\n<details><summary>{title[1:]} ({len(items)})</summary>\n\n", "\n</details>\n")
            if collapsible
            else (f"\n{title}\n" if title else "", "")
        )
        if self.full:
            self.parts.append(f"{open_}_Left out: over GitHub's comment size limit._\n{close}")
            return
        room = self.budget - len(self.text()) - len(open_) - len(close) - 200
        kept = _fit(items, room)
        note = _cut_note(len(items) - len(kept)) if len(kept) < len(items) else ""
        self.full = bool(note)
        self.parts.append(open_ + "".join(kept) + note + close)


def _fit(items: list[str], room: int) -> list[str]:
    kept, used = [], 0
    for item in items:
        if used + len(item) > room:
            break
        kept.append(item)
        used += len(item)
    return kept


def _cut_note(left: int) -> str:
    return (
        f"\n_… {left} more not shown: the comment would exceed GitHub's "
        f"{GITHUB_LIMIT:,}-character limit. Run `tailgen diff` locally for the rest._\n"
    )
