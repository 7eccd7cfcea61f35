"""The `tailgen` entry point: `--version` answers before the CLI (typer, click) is imported.

Why: importing typer costs many times Python's own start-up, and `tailgen --version` is what
scripts and package managers run to probe the tool. Everything else goes to `compiler.cli`.
"""

from __future__ import annotations

import sys

from compiler import __version__


def version_line() -> str:
    """What `tailgen --version` prints (the CLI's eager option prints the same)."""
    return f"tailgen {__version__}"


def main() -> None:
    if sys.argv[1:] == ["--version"]:
        sys.stdout.write(version_line() + "\n")
        return
    from compiler.cli import main as cli_main

    cli_main()
