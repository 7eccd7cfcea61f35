"""Usage errors of every command exit 1 (never click's 2) with one line naming the problem.

The commands are read from the app itself, so a command module added later is covered without
touching this file. Exit 2 means "the command worked and found something"; an error must never
share it (the shipped GitHub workflow reads 2 as "there are changes").
"""

from __future__ import annotations

from enum import Enum
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from compiler.cli import app
from compiler.errors import ExitCode, exit_code_table

ROOT: Any = typer.main.get_command(app)
COMMANDS: dict[str, Any] = dict(sorted(ROOT.commands.items()))


def invoke(*args: str) -> Any:
    return CliRunner().invoke(app, list(args))


def assert_one_line_error(result: Any, needle: str) -> None:
    """Exit 1, no traceback, and exactly one line on stderr that names the problem."""
    assert result.exit_code == ExitCode.ERROR, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert needle in lines[0]
    assert "Traceback" not in result.output


def required_arguments(command: Any) -> list[str]:
    """Placeholder values for a command's required positional arguments."""
    return ["x" for p in command.params if p.param_type_name == "argument" and p.required]


def value_option(command: Any) -> str:
    """An option of the command that takes a value (its first spelling)."""
    return next(
        p.opts[0]
        for p in command.params
        if p.param_type_name == "option" and not p.is_flag and p.opts[0] != "--help"
    )


def format_choices(command: Any) -> list[str] | None:
    for p in command.params:
        if "--format" in getattr(p, "opts", ()):
            assert isinstance(p.default, Enum), (
                f"{command.name}: --format must be an Enum (compiler.cli.app.format_option)"
            )
            return [str(member.value) for member in type(p.default)]
    return None


@pytest.mark.parametrize("name", COMMANDS)
def test_unknown_option(name: str) -> None:
    result = invoke(name, *required_arguments(COMMANDS[name]), "--no-such-option")
    assert_one_line_error(result, "No such option: --no-such-option")
    assert f"tailgen {name} --help" in result.stderr


@pytest.mark.parametrize("name", COMMANDS)
def test_missing_argument(name: str) -> None:
    command = COMMANDS[name]
    required = [p for p in command.params if p.param_type_name == "argument" and p.required]
    if required:
        result = invoke(name)
        assert_one_line_error(result, "Missing argument")
        assert required[0].name.lower() in result.stderr.lower()
    else:  # no positional is required: an option given without its value
        option = value_option(command)
        result = invoke(name, option)
        assert_one_line_error(result, f"Option '{option}' requires an argument")


@pytest.mark.parametrize("name", COMMANDS)
def test_bad_format(name: str) -> None:
    choices = format_choices(COMMANDS[name])
    result = invoke(name, "--format", "no-such-format", *required_arguments(COMMANDS[name]))
    if choices is None:
        assert_one_line_error(result, "No such option: --format")
        return
    assert_one_line_error(result, "'no-such-format' is not one of")
    for choice in choices:
        assert repr(choice) in result.stderr


@pytest.mark.parametrize("name", COMMANDS)
def test_format_is_spelled_alike(name: str) -> None:
    """`--format` always has `-f`; `--site` always has `-s`."""
    for p in COMMANDS[name].params:
        opts = set(getattr(p, "opts", ())) | set(getattr(p, "secondary_opts", ()))
        if "--format" in opts:
            assert "-f" in opts, name
        if "--site" in opts:
            assert "-s" in opts, name


def test_unknown_command_exits_1() -> None:
    assert_one_line_error(invoke("no-such-command"), "No such command 'no-such-command'")


def test_no_arguments_prints_help() -> None:
    result = invoke()
    assert result.exit_code == 0 and "Usage:" in result.stdout


def test_help_prints_the_one_exit_code_table() -> None:
    result = invoke("--help")
    assert result.exit_code == 0
    flat = " ".join(result.stdout.split())
    for line in exit_code_table().splitlines():
        assert " ".join(line.split()) in flat


def test_readme_prints_the_same_table(repo: Any) -> None:
    readme = (repo / "README.md").read_text(encoding="utf-8")
    for code in ExitCode:
        assert f"| {code.value} | {code.meaning} |" in readme
