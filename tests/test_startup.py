"""Start-up: each entry imports only what it uses (checked on `sys.modules`, never timed).

`tailgen --version` must not import the CLI framework at all; registering the commands (what
`--help` needs) must not import the library behind them, nor its heavy dependencies.
"""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("pydantic", "yaml", "jinja2", "rich", "httpx", "deepdiff")
LIBRARY = ("compiler.evaluate", "compiler.site", "compiler.build", "compiler.emit")


def _modules_after(code: str) -> set[str]:
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
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


def test_version_line_is_the_clis() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "compiler", "--version"], capture_output=True, text=True, check=True
    )
    from typer.testing import CliRunner

    from compiler.cli import app

    assert CliRunner().invoke(app, ["--version"]).stdout == out.stdout
