"""CLI fuzz: random argv from the real commands and options never prints a traceback and
always exits inside the table for the commands that exist today (0, 1 or 2).

The commands and their options are read from the app (a command added later is fuzzed too).
Values are the odd ones a person or a script passes: empty, huge, unicode, a directory, a
missing file, an unwritable path, the real site file, an option name where a value belongs.
Runs in-process (typer's CliRunner) in a scratch directory holding a copy of the example site.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
import typer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from compiler.cli import app
from compiler.errors import ExitCode

REPO = Path(__file__).resolve().parents[1]
ROOT: Any = typer.main.get_command(app)
COMMANDS: dict[str, Any] = dict(sorted(ROOT.commands.items()))
SKIP_OPTIONS = {"--local"}  # reads this machine's listeners: real, but not the CLI under test
ODD = [
    "",
    " ",
    "x" * 5000,
    "ünï©ødé-🙂",
    "site.yaml",
    "out",
    "out/policy.hujson",
    ".",
    "/",
    "missing.yaml",
    "missing-dir/x.json",
    "/proc/nope/x",
    "-",
    "--",
    "--help",
    "0",
    "-1",
    "99999",
    "emory",
    "icon:11434",
    "[::1]:22",
    "json",
    "text",
    "\x00",
    "a\nb",
]
SCALE = float(os.environ.get("TAILGEN_FUZZ_SCALE", "1"))


def options(command: Any) -> list[tuple[str, bool]]:
    """(spelling, takes a value) for every option of `command`."""
    found = []
    for p in command.params:
        if p.param_type_name != "option":
            continue
        for spelling in [*p.opts, *p.secondary_opts]:
            if spelling not in SKIP_OPTIONS:
                found.append((spelling, not p.is_flag))
    return found


@st.composite
def argvs(draw: st.DrawFn) -> list[str]:
    name = draw(st.sampled_from(sorted(COMMANDS)))
    argv = [name]
    opts = options(COMMANDS[name])
    for _ in range(draw(st.integers(0, 5))):
        choice = draw(st.sampled_from(["positional", "option", "option", "junk"]))
        if choice == "option" and opts:
            spelling, takes_value = draw(st.sampled_from(opts))
            argv.append(spelling)
            if takes_value and draw(st.integers(0, 9)):
                argv.append(draw(st.sampled_from(ODD)))
        elif choice == "junk":
            argv.append(draw(st.sampled_from(["--no-such", "-z", "--format=xml", "-f", "--site="])))
        else:
            argv.append(draw(st.sampled_from(ODD)))
    return argv


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz-cli")


@settings(
    max_examples=max(1, int(60 * SCALE)),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(argv=argvs())
def test_random_argv(scratch: Path, argv: list[str]) -> None:
    here = os.getcwd()
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir()
    shutil.copy(REPO / "site.yaml", scratch / "site.yaml")
    os.chdir(scratch)
    try:
        result = CliRunner().invoke(app, argv)
    finally:
        os.chdir(here)
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{argv!r}: {result.exception!r}"
    )
    assert "Traceback" not in result.output, argv
    assert result.exit_code in (ExitCode.OK, ExitCode.ERROR, ExitCode.ATTENTION), (
        argv,
        result.output,
    )
    if result.exit_code == ExitCode.ERROR:
        assert result.stderr.strip(), f"{argv!r} failed without saying why"
