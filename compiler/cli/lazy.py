"""The root command with its subcommands built on first use: `tailgen validate` builds one
click command, `tailgen --help` none.

Why: typer turns a function into a click command by reading its signature and evaluating its
type hints, parameter by parameter. Done for all eighteen commands at every start, that was a
good part of `tailgen --help` and a fixed cost in front of every command. Here typer still
builds each command the way it always does (`typer.main.get_command_from_info`, the call its
own group building makes); only *when* changes. What the root's help lists of a command not
built yet (its help text, panel and whether it is hidden) is read from its registration with
the rule typer applies, and tests/test_startup.py checks that against the built commands.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Iterator, MutableMapping
from typing import Any, NamedTuple

import typer


class Outline(NamedTuple):
    """What a command list needs of a command: the attributes of the click command typer
    would build (`help`, `rich_help_panel`, `hidden`). A NamedTuple, not a dataclass: it is
    defined at every start, and a dataclass costs several times as much to define."""

    help: str | None
    rich_help_panel: str | None
    hidden: bool


def outline(info: Any) -> Outline:
    """A registered command's outline, as `typer.main.get_command_from_info` sets it: the
    `help=` given (dedented) or else the function's docstring."""
    text = inspect.cleandoc(info.help) if info.help is not None else inspect.getdoc(info.callback)
    return Outline(text, info.rich_help_panel, bool(info.hidden))


def command_name(info: Any) -> str:
    """The name typer gives a registered command."""
    return str(info.name or typer.main.get_command_name(info.callback.__name__))


class LazyCommands(MutableMapping[str, Any]):
    """A group's `commands`: every name is there from the start, in registration order; a
    command is built when it is first looked up and kept."""

    def __init__(self, app: typer.Typer) -> None:
        self._app = app
        self._infos: dict[str, Any] = {command_name(i): i for i in app.registered_commands}
        self._built: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        if name not in self._built:
            self._built[name] = typer.main.get_command_from_info(
                self._infos[name],  # KeyError for an unknown name, as a dict has
                pretty_exceptions_short=self._app.pretty_exceptions_short,
                rich_markup_mode=self._app.rich_markup_mode,
            )
        return self._built[name]

    def __setitem__(self, name: str, command: Any) -> None:
        self._built[name] = command
        self._infos.setdefault(name, None)

    def __delitem__(self, name: str) -> None:
        del self._infos[name]
        self._built.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        return iter(self._infos)

    def __len__(self) -> int:
        return len(self._infos)

    @property
    def built(self) -> list[str]:
        """The names of the commands built so far."""
        return list(self._built)

    def outline(self, name: str) -> Any:
        """The command itself once built, else its outline (nothing is built for a list)."""
        info = self._infos[name]
        return self._built[name] if name in self._built or info is None else outline(info)


def root_command(app: typer.Typer) -> Any:
    """The click group `app()` would run, with its subcommands in a `LazyCommands`: typer
    builds the group itself (callback, options, help) from a copy of `app` that has no
    commands registered, and the commands come from `app` on demand."""
    shell = copy.copy(app)
    shell.registered_commands = []
    group = typer.main.get_command(shell)
    commands = LazyCommands(app)
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        commands[name] = command  # sub-apps (`add_typer`), built by typer after the commands
    group.commands = commands  # type: ignore[attr-defined]
    return group
