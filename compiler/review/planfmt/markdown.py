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
from dataclasses import dataclass

from compiler.review.access import AccessChange
from compiler.review.diff import Plan
from compiler.review.planfmt.common import (
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
RESERVE = 1_000  # kept free for the notes and titles of sections that come after a cut


def render(plan: Plan, *, limit: int = BUDGET) -> str:
    """The comment, at most `limit` characters."""
    head = _head(plan)
    if not plan.changed:
        return head
    writer = _Writer(limit - len(head))
    for section in _sections(plan):
        writer.section(section)
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
    verdict = "**safe**" if plan.safe else "**unsafe**: `tailgen push` refuses it without `--force`"
    rows = [("Access gained", "access_gained"), ("Access lost", "access_lost")]
    rows += [("Policy changes", "policy_changes"), ("DNS changes", "dns_changes")]
    rows += [("Launch-config changes", "launch_changes"), ("Files changed", "files_changed")]
    c = counts(plan)
    table = "| | |\n|---|---:|\n" + "".join(f"| {label} | {c[k]} |\n" for label, k in rows)
    return f"{title}{_escape(summary_line(plan))}\n\n{table}| Verdict | {verdict} |\n"


@dataclass(frozen=True)
class Section:
    """A titled run of Markdown items; `count` is what the title reports (files, changes)."""

    title: str
    items: list[str]
    count: int = 0
    collapsed: bool = False

    def frame(self) -> tuple[str, str]:
        if self.collapsed:
            summary = f"{self.title} ({self.count})"
            return f"\n<details><summary>{summary}</summary>\n\n", "\n</details>\n"
        return (f"\n{self.title}\n" if self.title else ""), ""


def _sections(plan: Plan) -> list[Section]:
    """The body in the order a reviewer reads it: why unsafe, access, then the details."""
    sections = []
    if not plan.safe:
        reasons = [f"- **{r.code}**: {_inline(r.message)}\n" for r in plan.verdict.reasons]
        sections.append(Section("#### Why it is unsafe", reasons))
    if plan.access.note:
        sections.append(Section("", [f"\n_{_inline(plan.access.note)}_\n"]))
    for title, changes in (
        ("Access gained", plan.access.gained),
        ("Access lost", plan.access.lost),
    ):
        if changes:
            sections.append(Section(f"#### {title}", _access_table(changes)))
    details = [
        ("Policy changes", [_policy_item(c) for c in plan.policy]),
        ("DNS changes", [_item(c.change, dns_line(c)) for c in plan.dns]),
        ("Launch-config changes", [_item(c.change, launch_line(c)) for c in plan.launch]),
    ]
    sections += [Section(t, items, len(items), True) for t, items in details if items]
    if plan.files:
        files = [_item(f.change, file_line(f)) for f in plan.files]
        diffs = [fenced(f.diff, "diff") for f in plan.files]
        sections.append(Section("Full diff: files", files + diffs, len(plan.files), True))
    return sections


def _item(change: str, text: str) -> str:
    """A list item led by the kind of change in bold (a bare `-` or `+` would nest a list)."""
    return f"- **{change}** {code(text)}\n"


def _policy_item(change: PolicyChange) -> str:
    return _item(change.change, policy_head(change)) + "".join(
        f"  - {code(d)}\n" for d in change.details
    )


def _inline(text: str) -> str:
    """Prose with its code spans (`*`) kept and everything else escaped."""
    parts = re.split(r"(`[^`]*`)", text)
    return "".join(p if p.startswith("`") else _escape(p) for p in parts)


def _escape(text: str) -> str:
    """Backslash-escape what GitHub would read as markup, links, mentions or cells."""
    return re.sub(r"([\\`*_\[\]<>|~@])", r"\\\1", text)


def _access_table(changes: Iterable[AccessChange]) -> list[str]:
    rows = ["\n| Target | Declared by | Who | Rules |\n|---|---|---|---|\n"]
    for group in by_target(changes):
        who = ", ".join(
            code(c.principal) + (" (wildcard)" if c.wildcard and not group.all_wildcard else "")
            for c in group.changes
        )
        target = code(describe_target(group.target))
        rules = code(group.rules) if group.rules else ""
        rules += " (a `*` rule)" if rules and group.all_wildcard else ""
        rows.append(
            f"| {cell(target)} | {cell(_escape(group.declared_by))} | {cell(who)} | {cell(rules)} |\n"
        )
    if len(rows) > MAX_ROWS + 1:
        note = f"\n_… and {len(rows) - MAX_ROWS - 1} more targets: run `tailgen diff` locally._\n"
        rows = [*rows[: MAX_ROWS + 1], note]
    return rows


# ---------------------------------------------------------------------------------------------
# assembling under the budget


class _Writer:
    """Appends sections while they fit; cuts the first one that does not at an item boundary
    and, after that, keeps only the titles of the rest (so the reader knows they exist)."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.parts: list[str] = []
        self.used = 0
        self.full = False

    def text(self) -> str:
        return "".join(self.parts)

    def raw(self, text: str) -> None:
        self._add(text)

    def section(self, section: Section) -> None:
        open_, close = section.frame()
        if self.full:
            self._add(f"{open_}_Left out: over GitHub's comment size limit._\n{close}")
            return
        room = self.budget - self.used - len(open_) - len(close) - RESERVE
        kept = _fit(section.items, room)
        cut = len(section.items) - len(kept)
        self.full = cut > 0
        self._add(open_ + "".join(kept) + (_cut_note(cut) if cut else "") + close)

    def _add(self, text: str) -> None:
        self.parts.append(text)
        self.used += len(text)


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
