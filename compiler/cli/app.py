"""The typer application object; command modules register on it.

Each `commands_*.py` module owns a group of commands (so several people can work on the CLI at
once) and imports the library lazily inside each command, keeping `tailgen --version` fast.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path
from typing import NoReturn

import typer

from compiler import __version__
from compiler.cli.help import WorkflowGroup
from compiler.errors import Problem, TailgenError

app = typer.Typer(
    name="tailgen",
    cls=WorkflowGroup,  # commands grouped in workflow order, descriptions not cut
    help=(
        "Compile site.yaml into a Tailscale policy, split DNS and tailnet-only launch configs.\n\n"
        "Examples:\n\n"
        "  tailgen build                 # site.yaml -> out/\n\n"
        "  tailgen check                 # is out/ exactly what site.yaml builds?\n\n"
        "  tailgen explain emory@github wintendo:11434\n\n"
        "  tailgen diff --format markdown"
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"tailgen {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Compile site.yaml into a Tailscale policy, split DNS and launch configs."""


def print_problems(
    problems: Iterable[Problem], sources: dict[str, str] | None = None, note: str = ""
) -> None:
    """Problems to stderr, laid out by `compiler.cli.diagnostics` (labels, counts, colour)."""
    from compiler.cli import diagnostics

    diagnostics.print_problems(problems, sources, note)


def site_sources(*paths: Path) -> dict[str, str]:
    """Site texts under the names problems use, so they print with the offending line."""
    from compiler.site.loader import display_name

    found = {}
    for path in paths:
        try:
            found[display_name(path)] = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
    return found


def fail(
    error: TailgenError, sources: dict[str, str] | None = None, code: int = 1, note: str = ""
) -> NoReturn:
    """Report a user-caused failure without a traceback and exit with `code`."""
    print_problems(error.problems, sources, note)
    raise typer.Exit(code)


def stdout_is_terminal() -> bool:
    return sys.stdout.isatty()
