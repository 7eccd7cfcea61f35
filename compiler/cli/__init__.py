"""The `tailgen` command: a thin layer over the library (copier style).

Commands parse arguments, call `compiler.*`, choose the output format and the exit code.
"""

from __future__ import annotations

import importlib

from compiler.cli.app import app

# Each module registers its commands on `app` when imported.
_COMMAND_MODULES = (
    "compiler.cli.commands_build",
    "compiler.cli.commands_dns",
    "compiler.cli.commands_launch",
    "compiler.cli.commands_diff",
    "compiler.cli.commands_evaluate",
    "compiler.cli.commands_report",
)


def _register() -> None:
    for name in _COMMAND_MODULES:
        importlib.import_module(name)


def main() -> None:
    _register()
    app()


_register()

__all__ = ["app", "main"]
