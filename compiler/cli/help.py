"""`tailgen --help`: commands grouped in the order of the workflow, each with its whole
one-line description.

Each command names its group with typer's `rich_help_panel=` (one of `PANELS`); the plain
help (the app keeps rich markup off, so output does not depend on the terminal) lists the
groups in workflow order — build, review, evaluate, audit, live — and each command's first
docstring paragraph in full instead of click's cut-off summary. A command without a known
panel is listed last under "Other commands", and tests/test_help.py fails on it.
"""

from __future__ import annotations

from typing import Any

from typer.core import TyperGroup

from compiler.cli.lazy import LazyCommands

BUILD = "Build"
REVIEW = "Review"
EVALUATE = "Evaluate offline"
AUDIT = "Audit hosts"
LIVE = "Live tailnet"
PANELS = (BUILD, REVIEW, EVALUATE, AUDIT, LIVE)
OTHER = "Other commands"


def panel_of(command: Any) -> str:
    panel = getattr(command, "rich_help_panel", None)
    return panel if panel in PANELS else OTHER


def summary(command: Any) -> str:
    """The first paragraph of a command's help, as one line (never cut)."""
    text = (getattr(command, "help", None) or "").strip()
    first = text.split("\n\n", 1)[0]
    return " ".join(first.split())


class WorkflowGroup(TyperGroup):
    """The root command: lists subcommands by workflow panel, in registration order within.

    Listing reads each command's outline (`compiler.cli.lazy`), so it builds none of them."""

    def list_commands(self, ctx: Any) -> list[str]:
        order = {p: i for i, p in enumerate((*PANELS, OTHER))}
        return sorted(self.commands, key=lambda n: order[panel_of(self._outline(n))])

    def _outline(self, name: str) -> Any:
        commands = self.commands
        return commands.outline(name) if isinstance(commands, LazyCommands) else commands[name]

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        by_panel: dict[str, list[tuple[str, str]]] = {}
        for name in self.list_commands(ctx):
            command = self._outline(name)
            if command.hidden:
                continue
            by_panel.setdefault(panel_of(command), []).append((name, summary(command)))
        for panel, rows in by_panel.items():
            with formatter.section(panel):
                formatter.write_dl(rows)
