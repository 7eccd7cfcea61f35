"""`tailgen --help` and each command's help: workflow groups, whole descriptions, examples.

These walk every registered command, so a command added later without a panel, a summary
that does not fit its line, or an option without an example fails here at merge time.
"""

from __future__ import annotations

from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from compiler.cli import app
from compiler.cli.help import PANELS, summary

ROOT = typer.main.get_command(app)
NAMES = list(ROOT.commands)  # type: ignore[attr-defined]


def _command(name: str) -> Any:
    return ROOT.commands[name]  # type: ignore[attr-defined]


def _help(*args: str) -> str:
    result = CliRunner().invoke(app, [*args, "--help"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize("name", NAMES)
def test_every_command_has_a_workflow_panel(name: str) -> None:
    panel = getattr(_command(name), "rich_help_panel", None)
    assert panel in PANELS, f"{name}: give it rich_help_panel= one of compiler.cli.help.PANELS"


def test_panels_are_listed_in_workflow_order() -> None:
    text = _help()
    found = [p for p in PANELS if f"\n{p}:\n" in text]
    assert found == sorted(found, key=lambda p: text.index(f"\n{p}:\n"))
    assert found[:3] == ["Build", "Review", "Evaluate offline"] and "Audit hosts" in found
    assert "\nCommands:\n" not in text and "Other commands" not in text


@pytest.mark.parametrize("name", NAMES)
def test_every_summary_is_whole_on_one_line(name: str) -> None:
    line = summary(_command(name))
    assert line and not line.endswith("..."), name
    rows = [x for x in _help().splitlines() if x.strip().startswith(f"{name} ")]
    assert len(rows) == 1 and rows[0].rstrip().endswith(line), (rows, line)


@pytest.mark.parametrize("name", NAMES)
def test_every_command_shows_an_example(name: str) -> None:
    text = _help(name)
    assert "Example" in text and f"tailgen {name}" in text, name


@pytest.mark.parametrize("name", NAMES)
def test_every_option_has_help_with_an_example(name: str) -> None:
    for param in _command(name).params:
        help_text = getattr(param, "help", "") or ""
        assert "e.g." in help_text, f"{name} {param.name}: help needs an example (e.g. …)"
