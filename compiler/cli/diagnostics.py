"""How problems look in a terminal: labelled, errors first, counted (when there are several),
coloured only on a tty.

    site.yaml:70:14: error: 'emry' is not a user, group, tag, location (did you mean 'emory'?)
        allow: [emry]
                ^
    site.yaml:17:3: warning: group family is not used by any rule
    1 error, 1 warning
    out/ was left as it was

Errors come first so four warnings cannot bury the one error; the order within each kind is
the caller's (sorted by line). Colour follows the convention of https://no-color.org:
`NO_COLOR` (any non-empty value) turns it off; `TAILGEN_COLOR=always` forces it (tests, CI
logs that render ANSI), `TAILGEN_COLOR=never` turns it off; otherwise only a terminal gets it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TextIO

from compiler.errors import Problem, SourceText, Span, excerpt

COLOR_ENV = "TAILGEN_COLOR"
RESET = "\x1b[0m"
STYLES = {
    "error": "\x1b[1;31m",  # bold red
    "warning": "\x1b[1;33m",  # bold yellow
    "where": "\x1b[1m",  # bold
    "hint": "\x1b[36m",  # cyan
    "caret": "\x1b[1;32m",  # bold green
    "note": "\x1b[2m",  # dim
}


def use_color(stream: TextIO) -> bool:
    """Whether to colour what goes to `stream` (see the module docstring)."""
    if os.environ.get("NO_COLOR"):
        return False
    forced = os.environ.get(COLOR_ENV, "").lower()
    if forced in ("always", "never"):
        return forced == "always"
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def layout(
    problems: Iterable[Problem],
    sources: Mapping[str, str] | None = None,
    color: bool = False,
    note: str = "",
) -> str:
    """Every problem (errors first), the counts when there are several, then `note`."""
    ordered = sorted(problems, key=lambda p: not p.is_error)  # stable: file order kept
    paint = Paint(color)
    texts = {name: SourceText(text) for name, text in (sources or {}).items() if text}
    lines = [line for p in ordered for line in _block(p, texts, paint)]
    if len(ordered) > 1:  # one problem needs no count
        lines.append(counts(ordered))
    if note:
        lines.append(paint("note", note))
    return "".join(f"{line}\n" for line in lines)


def counts(problems: list[Problem]) -> str:
    errors = sum(p.is_error for p in problems)
    warnings = len(problems) - errors
    parts = [_plural(errors, "error")] if errors else []
    parts += [_plural(warnings, "warning")] if warnings else []
    return ", ".join(parts)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


@dataclass(frozen=True)
class Paint:
    """ANSI styles when `on`, plain text otherwise."""

    on: bool

    def __call__(self, style: str, text: str) -> str:
        return f"{STYLES[style]}{text}{RESET}" if self.on and text else text


def _block(problem: Problem, sources: Mapping[str, SourceText], paint: Paint) -> list[str]:
    """One problem: `where: kind: message (hint)`, then the source line and its caret."""
    kind = problem.severity.value
    where = str(problem.span)
    head = f"{paint('where', where + ':')} " if where else ""
    hint = f" ({paint('hint', problem.hint)})" if problem.hint else ""
    lines = [f"{head}{paint(kind, kind + ':')} {problem.message}{hint}"]
    text = _source(problem.span.file, sources)
    snippet = excerpt(text, problem.span.line, _column(text, problem.span)) if text else ""
    if snippet:
        source, caret = snippet.split("\n")
        lines += [source, paint("caret", caret)]
    return lines


def _column(text: SourceText, span: Span) -> int:
    """The caret's column: a whole-line place (column 1, as a rule's site line is given)
    points at the line's first character, not at its indentation."""
    if span.column > 1:
        return span.column
    line = text.line(span.line) or ""
    return len(line) - len(line.lstrip()) + 1


def _source(file: str, sources: Mapping[str, SourceText]) -> SourceText | None:
    """The text of `file`; a site cited by its base name (as policy comments cite it) is
    found under the path the user typed."""
    if file in sources:
        return sources[file]
    same = [t for name, t in sources.items() if name.replace("\\", "/").rsplit("/", 1)[-1] == file]
    return same[0] if len(same) == 1 else None


def print_problems(
    problems: Iterable[Problem], sources: Mapping[str, str] | None = None, note: str = ""
) -> None:
    """Problems to stderr, laid out as above (colour decided for stderr)."""
    text = layout(problems, sources, use_color(sys.stderr), note)
    if text:
        sys.stderr.write(text)
        sys.stderr.flush()
