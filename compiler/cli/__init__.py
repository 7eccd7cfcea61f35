"""The `tailgen` command: a thin layer over the library (copier style).

Commands parse arguments, call `compiler.*`, choose the output format and the exit code.
Each module below registers its commands on `app` when imported; a new command module is one
more import here (tests enumerate the registered commands, so they pick it up).
"""

from __future__ import annotations

from compiler.cli import (  # noqa: F401  (imported for their registrations)
    commands_adopt,
    commands_build,
    commands_diff,
    commands_dns,
    commands_evaluate,
    commands_launch,
    commands_live,
    commands_report,
)
from compiler.cli.app import app
from compiler.cli.lazy import root_command


def main() -> None:
    """Run the command line; each subcommand is built only when it is the one run."""
    root_command(app)()


__all__ = ["app", "main"]
