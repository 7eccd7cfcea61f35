"""The typer application object; command modules register on it.

Each `commands_*.py` module owns a group of commands (so several people can work on the CLI at
once) and imports the library lazily inside each command, keeping `tailgen --version` fast.

Exit codes are decided in one place, `TailgenGroup.main`: every command of the app, whichever
module registers it, gets the same mapping (`compiler.errors.ExitCode`): a usage error is 1,
not click's 2; a `TailgenError` raised by a command exits with its class's `exit_code`; an
`OSError` the command did not handle is reported in one line and exits 1.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from enum import Enum
from pathlib import Path
from typing import Any, NoReturn

import typer

from compiler.cli.help import WorkflowGroup
from compiler.entry import version_line
from compiler.errors import ExitCode, Problem, TailgenError, exit_code_table


def _click_class(name: str) -> type[Exception]:
    """click's exception class `name`, found through typer (the house rule: no `import click`)."""
    return next(c for c in typer.BadParameter.__mro__ if c.__name__ == name)


_ClickException = _click_class("ClickException")
_ClickUsageError = _click_class("UsageError")


class TailgenGroup(WorkflowGroup):
    """The root command group: runs click without its own error handling and maps every
    outcome onto the one exit-code table (help: commands in workflow order, `WorkflowGroup`)."""

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **kw: Any,
    ) -> Any:
        kw.update(args=args, prog_name=prog_name, complete_var=complete_var)
        code = self._run(kw)
        if standalone_mode:
            sys.exit(code)
        return code

    def _run(self, kw: dict[str, Any]) -> int:
        try:
            result = super().main(standalone_mode=False, **kw)
        except TailgenError as exc:
            print_problems(exc.problems, problem_sources(exc.problems))
            return int(exc.exit_code)
        except _ClickUsageError as exc:
            return _usage_error(exc)
        except _ClickException as exc:
            typer.echo(f"error: {_message(exc)}", err=True)
            return int(ExitCode.ERROR)
        except OSError as exc:
            typer.echo(f"error: {os_error_text(exc)}", err=True)
            return int(ExitCode.ERROR)
        except typer.Abort:
            typer.echo("aborted", err=True)
            return int(ExitCode.ERROR)
        return _known_code(result)


def _message(exc: Exception) -> str:
    format_message = getattr(exc, "format_message", None)
    text = str(format_message()) if callable(format_message) else str(exc)
    return " ".join(text.replace("Value error, ", "").split())


def _usage_error(exc: Exception) -> int:
    """One line naming the problem and where help is; help itself when nothing was typed."""
    ctx = getattr(exc, "ctx", None)
    if type(exc).__name__ == "NoArgsIsHelpError" and ctx is not None:
        typer.echo(ctx.get_help())
        return int(ExitCode.OK)
    where = ctx.command_path if ctx is not None else "tailgen"
    typer.echo(f"{where}: {_message(exc)} (see `{where} --help`)", err=True)
    return int(ExitCode.ERROR)


def _known_code(result: object) -> int:
    """A command's exit code, kept inside the table (Ctrl-C's 130 and the like become 1)."""
    if result is None:
        return int(ExitCode.OK)
    code = result if isinstance(result, int) else 1
    return code if code in set(ExitCode) else int(ExitCode.ERROR)


def os_error_text(exc: OSError) -> str:
    """`path: reason` for an OSError, without Python's `[Errno N]` noise."""
    reason = exc.strerror or str(exc)
    return f"{exc.filename}: {reason}" if exc.filename else reason


app = typer.Typer(
    name="tailgen",
    cls=TailgenGroup,
    help=(
        "Compile site.yaml into a Tailscale policy, split DNS and tailnet-only launch configs.\n\n"
        "Examples:\n\n"
        "  tailgen build                 # site.yaml -> out/\n\n"
        "  tailgen check                 # is out/ exactly what site.yaml builds?\n\n"
        "  tailgen explain emory@github wintendo:11434\n\n"
        "  tailgen diff --format markdown"
    ),
    epilog="\b\nExit codes (every command):\n" + exit_code_table(),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def format_option(default: Enum) -> Any:
    """`--format/-f`, the same in every command: an Enum whose values are listed in the help and
    in the error for a bad value."""
    members = [str(m.value) for m in type(default)]
    example = members[-1]
    help_text = f"Output format: {', '.join(members)}, e.g. --format {example}."
    return typer.Option(default, "--format", "-f", help=help_text)


SITE_HELP = "The site file (default: site.yaml), e.g. --site sites/home.yaml."
DEFAULT_SITE = Path("site.yaml")


def site_option() -> Any:
    """`--site/-s FILE`, the same in every command that reads a site."""
    return typer.Option(None, "--site", "-s", help=SITE_HELP, show_default=False)


def _version(value: bool) -> None:
    if value:
        typer.echo(version_line())
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Compile site.yaml into a Tailscale policy, split DNS and launch configs."""


def pick_site(positional: Path | None, option: Path | None) -> Path:
    """The site file for commands that take it as `[SITE]` or as `--site/-s` (either form)."""
    if positional is not None and option is not None and positional != option:
        from compiler.errors import UsageError

        raise UsageError(f"two site files: {positional} and --site {option}; give one")
    return positional or option or DEFAULT_SITE


def io_failure(path: Path, exc: OSError, doing: str = "write") -> TailgenError:
    """An OSError as the user's one-line error: `path: cannot write: reason`."""
    from compiler.errors import IOFailure

    return IOFailure(f"{path}: cannot {doing}: {exc.strerror or exc}")


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


MAX_EXCERPT_SOURCE = 4 << 20


def problem_sources(problems: Iterable[Problem]) -> dict[str, str]:
    """The texts of the (small, readable) files the problems point into, for their excerpts."""
    paths = []
    for name in sorted({p.span.file for p in problems if p.span.file and p.span.line}):
        path = Path(name)
        try:
            if path.is_file() and path.stat().st_size <= MAX_EXCERPT_SOURCE:
                paths.append(path)
        except OSError:
            continue
    return site_sources(*paths)


def fail(
    error: TailgenError,
    sources: dict[str, str] | None = None,
    code: int | None = None,
    note: str = "",
) -> NoReturn:
    """Report a user-caused failure without a traceback; exit with the error's own code
    (`ExitCode` through its class) unless `code` says otherwise. `note` follows the problems
    (`out/ was left as it was`)."""
    print_problems(error.problems, sources, note)
    raise typer.Exit(int(error.exit_code if code is None else code))


def stdout_is_terminal() -> bool:
    return sys.stdout.isatty()
