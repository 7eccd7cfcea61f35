"""Problems as data first, text second (sqlglot style).

Every stage (loader, checks, compiler, evaluator, audit) reports what is wrong as a list of
`Problem` values. The CLI formats them; tests assert on their fields. A `Problem` carries a
`Span` (file, line, column) so a person can jump to the place, and an optional hint such as
"did you mean …?".
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class Span:
    """A place in a source file; line and column are 1-based (0 = unknown)."""

    file: str = ""
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if not self.line:
            return self.file
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or worth a warning), with where it is and how to fix it."""

    code: str
    message: str
    span: Span = field(default_factory=Span)
    severity: Severity = Severity.ERROR
    hint: str = ""
    path: tuple[str | int, ...] = ()

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.span.file, self.span.line, self.span.column, self.message)

    def __str__(self) -> str:
        where = str(self.span)
        prefix = f"{where}: " if where else ""
        kind = "" if self.is_error else "warning: "
        text = f"{prefix}{kind}{self.message}"
        return f"{text} ({self.hint})" if self.hint else text

    def to_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            "file": self.span.file,
            "line": self.span.line,
            "column": self.span.column,
            "hint": self.hint,
            "path": list(self.path),
        }


class ExitCode(IntEnum):
    """The one exit-code table, for every command (design.md "Exit codes").

    An error never shares a code with a result: anything that went wrong is 1, usage errors
    included (click's default of 2 is overridden); 2 means the command worked and found
    something that needs attention.
    """

    OK = 0
    """Success; nothing to report (no changes, clean, allowed, up to date)."""
    ERROR = 1
    """An error of any kind: usage, input, site, policy, I/O, remote."""
    ATTENTION = 2
    """The command worked and found something: changes, stale out/, findings, warnings, denied."""
    UNSAFE = 3
    """A plan that is unsafe (needs --force)."""
    CONFLICT = 4
    """The live tailnet changed since the plan was made (nothing was written)."""

    @property
    def meaning(self) -> str:
        """What the code means, as `tailgen --help` and the README print it."""
        return _MEANINGS[self]


_MEANINGS = {
    ExitCode.OK: "success; nothing to report (no changes, clean, allowed, up to date)",
    ExitCode.ERROR: "an error of any kind: usage, input, site, policy, I/O, remote",
    ExitCode.ATTENTION: "the command worked and found something that needs attention: "
    "changes, stale out/, findings, warnings, denied",
    ExitCode.UNSAFE: "a plan that is unsafe (needs --force)",
    ExitCode.CONFLICT: "the live tailnet changed since the plan was made (nothing was written)",
}


def exit_code_table() -> str:
    """The exit-code table as text lines (`  0  meaning`): printed by `--help`, in the README."""
    return "\n".join(f"  {code.value}  {code.meaning}" for code in ExitCode)


class TailgenError(Exception):
    """A failure a user caused and can fix; the CLI prints it without a traceback.

    Subclasses name the kind of failure; every kind maps to `exit_code` here, in one place.
    """

    exit_code: ExitCode = ExitCode.ERROR

    def __init__(self, problems: Sequence[Problem] | str) -> None:
        if isinstance(problems, str):
            problems = [Problem("error", problems)]
        self.problems: list[Problem] = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class UsageError(TailgenError):
    """The command line itself is wrong: unknown option, missing or malformed argument."""


class InputError(TailgenError):
    """An input file is unreadable or malformed (not a site problem: bytes, encoding, size)."""


class SiteError(TailgenError):
    """site.yaml is readable but wrong: schema or cross-reference problems."""


class PolicyError(TailgenError):
    """A policy file is invalid the way the control plane would reject it."""


class IOFailure(TailgenError):
    """Reading or writing a local file or directory failed."""


class RemoteError(TailgenError):
    """The Tailscale API or a headscale server refused or failed a request."""


class LiveChangedError(RemoteError):
    """The live tailnet changed since the plan was made; nothing was written."""

    exit_code = ExitCode.CONFLICT


class UnsafePlanError(TailgenError):
    """The plan is unsafe and --force was not given; nothing was written."""

    exit_code = ExitCode.UNSAFE


def errors_only(problems: Iterable[Problem]) -> list[Problem]:
    return [p for p in problems if p.is_error]


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """A 'did you mean X?' hint for a misspelled name, or '' when nothing is close."""
    close = difflib.get_close_matches(name, sorted(set(candidates)), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else ""


class SourceText:
    """A file's text with its lines split once, so each excerpt is one lookup.

    Why: a 5,000-device site can carry thousands of warnings, and splitting the whole file
    again for each one made printing them quadratic. The CLI makes one per file it prints
    problems for; lines are split lazily, on the first excerpt.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self._lines: list[str] | None = None

    def line(self, number: int) -> str | None:
        """Line `number` (1-based, `str.splitlines` breaks), or None when there is none."""
        if self._lines is None:
            self._lines = self.text.splitlines()
        return self._lines[number - 1] if 1 <= number <= len(self._lines) else None


def excerpt(source: str | SourceText, line: int, column: int) -> str:
    """The offending source line with a caret under the column, for terminal output.

    Pass a `SourceText` when excerpting the same file more than once.
    """
    found = (source if isinstance(source, SourceText) else SourceText(source)).line(line)
    if found is None:
        return ""
    text = "".join(c if c.isprintable() else " " for c in found)
    offset = max(column - 1, 0)
    start = max(0, offset - EXCERPT_WIDTH // 2) if len(text) > EXCERPT_WIDTH else 0
    shown = text[start : start + EXCERPT_WIDTH]
    caret = " " * (offset - start) + "^"
    return f"    {shown}\n    {caret}"


EXCERPT_WIDTH = 100
"""Excerpts show at most this many characters of a line, around the column (a multi-megabyte
line is shown as a window, not printed whole)."""
