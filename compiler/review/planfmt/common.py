"""What every plan format says the same way: the summary line, counts, and access grouped by
target (a reviewer asks "who can now reach the Ollama on icon?", so rows are targets)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from compiler.review.access import AccessChange
from compiler.review.canonical import show
from compiler.review.diff import Plan
from compiler.review.dnsdiff import DnsChange
from compiler.review.launchdiff import LaunchChange
from compiler.review.policydiff import PolicyChange
from compiler.review.textdiff import FileDiff
from compiler.review.universe import Target


def plural(n: int, word: str, many: str = "") -> str:
    return f"{n} {word if n == 1 else many or word + 's'}"


def counts(plan: Plan) -> dict[str, int]:
    return {
        "access_gained": len(plan.access.gained),
        "access_lost": len(plan.access.lost),
        "policy_changes": len(plan.policy),
        "dns_changes": len(plan.dns),
        "launch_changes": len(plan.launch),
        "files_changed": len(plan.files),
    }


def summary_line(plan: Plan) -> str:
    """One line that says everything at a glance; it leads every format."""
    if not plan.changed:
        return f"No changes: {plan.desired} and {plan.current} agree."
    c = counts(plan)
    access = (
        f"access: {c['access_gained']} gained, {c['access_lost']} lost"
        if plan.access.evaluated
        else "access: not evaluated"
    )
    changes = (
        f"{plural(c['policy_changes'], 'policy change')}, {plural(c['dns_changes'], 'DNS change')}, "
        f"{plural(c['launch_changes'], 'launch change')}"
    )
    files = (
        f"{plural(c['files_changed'], 'file')} differ"
        if c["files_changed"] != 1
        else "1 file differs"
    )
    return (
        f"{plan.desired} vs {plan.current}: {access} · {changes} · {files} · {verdict_word(plan)}"
    )


def verdict_word(plan: Plan) -> str:
    if plan.safe:
        return "safe"
    codes = ", ".join(dict.fromkeys(r.code for r in plan.verdict.reasons))
    return f"UNSAFE ({codes})"


@dataclass(frozen=True)
class TargetGroup:
    """The access changes to one target: who gains or loses it, and what declares it."""

    target: Target
    labels: tuple[str, ...]
    changes: tuple[AccessChange, ...]

    @property
    def declared_by(self) -> str:
        return ", ".join(self.labels) or "not declared"

    @property
    def rules(self) -> str:
        """The rules behind these changes, each once, in the order first met."""
        return "; ".join(dict.fromkeys(r for c in self.changes for r in c.rules))

    @property
    def all_wildcard(self) -> bool:
        return all(c.wildcard for c in self.changes)

    @property
    def who(self) -> str:
        """The principals; each marked `(wildcard)` when only some come through a `*` rule."""
        if self.all_wildcard:
            return ", ".join(c.principal for c in self.changes)
        return ", ".join(principal_note(c) for c in self.changes)


def by_target(changes: Iterable[AccessChange]) -> list[TargetGroup]:
    groups: dict[Target, list[AccessChange]] = {}
    for change in changes:
        groups.setdefault(change.target, []).append(change)
    return [
        TargetGroup(target, items[0].labels, tuple(sorted(items, key=lambda c: c.principal)))
        for target, items in sorted(groups.items())
    ]


def principal_note(change: AccessChange) -> str:
    """`guest@example.com`, marked when only a wildcard rule allows it."""
    return f"{change.principal} (wildcard)" if change.wildcard else change.principal


def describe_target(target: Target) -> str:
    """`icon:11434/tcp`, with the address when it is not the host's own name."""
    if target.host in (target.address, "internet"):
        return str(target)
    return f"{target} ({target.address})"


MARK = {"added": "+", "removed": "-", "changed": "~", "reordered": "↕"}


def policy_head(change: PolicyChange) -> str:
    """`groups group:family`, or the whole rule for a rule in a list section."""
    if change.change == "reordered":
        return f"{change.section}: rules reordered (the first match wins)"
    if change.key:
        value = change.new if change.change == "added" else change.old
        shown = "" if change.change == "changed" else f" = {show(value)}"
        return f"{change.section} {change.key}{shown}"
    rule = change.new if change.change == "added" else change.old
    return f"{change.section} {show(rule)}"


def dns_line(change: DnsChange) -> str:
    """`split-dns phl.kvet.ch: 192.168.240.1 → 192.168.240.2`, `nameserver 9.9.9.9`."""
    where = f"{change.kind} {change.key}"
    if change.change == "reordered":
        return f"{change.kind} order: {change.old} → {change.new}"
    if change.change == "changed":
        return f"{where}: {change.old} → {change.new}"
    value = change.new or change.old
    return where if value == change.key else f"{where}: {value}"


def launch_line(change: LaunchChange) -> str:
    note = " (comments only)" if change.comments_only else ""
    return f"{change.device}: {change.path}{note}"


def file_line(diff: FileDiff) -> str:
    added, removed = diff.counts
    return f"{diff.path} (+{added} -{removed})"
