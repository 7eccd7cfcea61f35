"""Start-up: each entry imports only what it uses (checked on `sys.modules`, never timed).

`tailgen --version` must not import the CLI framework at all; registering the commands (what
`--help` needs) must not import the library behind them, nor its heavy dependencies.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer

from compiler.cli import app
from compiler.cli.help import WorkflowGroup
from compiler.cli.lazy import Outline, command_name, outline, root_command

HEAVY = ("pydantic", "yaml", "jinja2", "rich", "httpx", "deepdiff")
LIBRARY = ("compiler.evaluate", "compiler.site", "compiler.build", "compiler.emit")
REPO = Path(__file__).resolve().parents[1]


def _modules_after(code: str) -> set[str]:
    probe = (
        f"{code}\nimport sys\nloaded = sorted(sys.modules)\nimport json\nprint(json.dumps(loaded))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    return set(json.loads(out.splitlines()[-1]))


def _loaded(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in names or m.startswith(names))


def test_version_imports_no_cli_framework() -> None:
    code = (
        "import sys\nsys.argv = ['tailgen', '--version']\nfrom compiler.entry import main\nmain()"
    )
    modules = _modules_after(code)
    assert _loaded(modules, ("typer", "click", *HEAVY)) == []
    assert sorted(m for m in modules if m.startswith("compiler")) == ["compiler", "compiler.entry"]


def test_registering_commands_imports_no_library() -> None:
    modules = _modules_after("import compiler.cli")
    assert _loaded(modules, HEAVY) == []
    assert _loaded(modules, LIBRARY) == []
    assert "json" not in modules, "the command modules import json where they print it"


def test_version_line_is_the_clis() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "compiler", "--version"], capture_output=True, text=True, check=True
    )
    from typer.testing import CliRunner

    assert CliRunner().invoke(app, ["--version"]).stdout == out.stdout


def _run_modules(args: list[str], cwd: Path) -> set[str]:
    """The modules loaded by a whole `tailgen ARGS` run in `cwd` (its output is discarded)."""
    code = (
        "import contextlib, io, sys\n"
        f"sys.argv = ['tailgen', *{args!r}]\n"
        "from compiler.entry import main\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):\n"
        "    try:\n        main()\n    except SystemExit:\n        pass"
    )
    probe = f"{code}\nimport json\nprint(json.dumps(sorted(sys.modules)))"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=cwd, env=env
    ).stdout
    return set(json.loads(out.splitlines()[-1]))


def test_evaluating_the_site_renders_no_launch_templates(site_dir: Path) -> None:
    """explain/validate compile the site in memory but render only the policy they read."""
    for args in (["explain", "emory@github", "wintendo:11434"], ["validate"]):
        modules = _run_modules(args, site_dir)
        assert "compiler.site.model" in modules, "the site was not loaded: the probe is broken"
        assert _loaded(modules, ("jinja2", "rich", "httpx", "deepdiff")) == [], args


def test_a_policy_on_its_own_loads_no_site_code(tmp_path: Path) -> None:
    (tmp_path / "policy.hujson").write_text('{"grants": []}\n')
    modules = _run_modules(["validate", "policy.hujson"], tmp_path)
    assert "compiler.evaluate" in modules, "nothing was evaluated: the probe is broken"
    assert _loaded(modules, ("yaml", "jinja2", "compiler.site", "compiler.emit")) == []
    assert "compiler.build" not in modules


def _main(command: Any, args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[Any, ...]:
    code = command.main(args, prog_name="tailgen", standalone_mode=False)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_the_lazy_root_answers_as_typers_own_group(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`tailgen` (root_command) and typer's eager group print the same help and errors."""
    monkeypatch.setenv("COLUMNS", "80")
    names = [command_name(info) for info in app.registered_commands]
    cases = [[], ["--help"], ["valdate"], ["nosuch"], *([n, "--help"] for n in names)]
    for args in cases:
        lazy = _main(root_command(app), args, capsys)
        assert lazy == _main(typer.main.get_command(app), args, capsys), args


def test_listing_the_commands_builds_none(capsys: pytest.CaptureFixture[str]) -> None:
    root = root_command(app)
    _main(root, ["--help"], capsys)
    assert root.commands.built == []
    _main(root, ["explain", "--help"], capsys)
    assert root.commands.built == ["explain"]


@pytest.mark.parametrize("info", app.registered_commands, ids=command_name)
def test_an_outline_is_what_typer_builds(info: Any) -> None:
    built = typer.main.get_command(app).commands[command_name(info)]  # type: ignore[attr-defined]
    assert outline(info) == Outline(built.help, built.rich_help_panel, built.hidden)


def test_a_sub_app_keeps_its_place_after_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    """Commands registered with `add_typer` are built by typer with the root, after the
    commands, as its own group lists them."""
    small = typer.Typer(cls=WorkflowGroup, add_completion=False)
    sub = typer.Typer(help="A group of commands.")

    @small.command(rich_help_panel="Build")
    def first() -> None:
        """The first command."""
        typer.echo("first ran")

    @sub.command("inner")
    def inner() -> None:
        typer.echo("inner ran")

    small.add_typer(sub, name="group", rich_help_panel="Review")
    for args in (["--help"], ["group", "inner"], ["first"]):
        lazy = _main(root_command(small), args, capsys)
        assert lazy == _main(typer.main.get_command(small), args, capsys), args
