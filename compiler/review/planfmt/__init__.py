"""Plan renderers: `text` (terminal), `markdown` (pull-request comment), `json` (CI, push).

Each is a pure function Plan → str; the CLI decides where the string goes and whether the
terminal gets colour. `render(plan, fmt)` picks one by name.
"""

from __future__ import annotations

from enum import StrEnum

from compiler.review.diff import Plan
from compiler.review.planfmt import jsonfmt, markdown, text


class Format(StrEnum):
    TEXT = "text"
    MARKDOWN = "markdown"
    JSON = "json"


def render(plan: Plan, fmt: Format | str = Format.TEXT, *, color: bool = False) -> str:
    kind = Format(fmt)
    if kind is Format.MARKDOWN:
        return markdown.render(plan)
    if kind is Format.JSON:
        return jsonfmt.render(plan)
    return text.render(plan, color=color)


__all__ = ["Format", "jsonfmt", "markdown", "render", "text"]
