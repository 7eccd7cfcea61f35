"""Site data → site.yaml text, with comments above the entries they belong to.

A small writer rather than PyYAML's dumper, because the file is for people: sections in the
order the README uses, one line per entry in flow style, and the original policy's comments
kept above the entries they were written above. Strings that plain YAML could misread
(`yes`, `1.5`, `tag:x`, anything with `: ` or `#`) are written as JSON strings, which YAML
reads back unchanged; `policy:` entries are JSON flow values for the same reason.
"""

from __future__ import annotations

import json
import re
from typing import Any

from compiler.evaluate.positions import Path

ORDER = (
    "tailnet",
    "users",
    "groups",
    "tags",
    "locations",
    "dns",
    "devices",
    "services",
    "exit_nodes",
    "ssh",
    "policy",
)
_PLAIN = re.compile(r"^[A-Za-z][A-Za-z0-9_.@/-]*$")
_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null"}
HEADER = (
    "# yaml-language-server: $schema=site.schema.json\n"
    "# Imported by `tailgen import`; `tailgen build` compiles it, `tailgen diff` shows changes.\n"
)


_UNPRINTABLE = re.compile("[\x7f-\x84\x86-\x9f\u2028\u2029\ufeff\ufffe\uffff\ud800-\udfff]")


def json_text(value: Any) -> str:
    """JSON that YAML reads back as the same value (escapes what YAML reads as a line break
    or refuses as unprintable)."""
    text = json.dumps(value, ensure_ascii=False)
    return _UNPRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    text = str(value)
    if _PLAIN.match(text) and text.lower() not in _WORDS:
        return text
    return json_text(text)


def flow(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{scalar(k)}: {flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(flow(v) for v in value) + "]"
    return scalar(value)


def _comment(lines: list[str], indent: int) -> list[str]:
    out = []
    for block in lines:
        for line in block.splitlines() or [""]:
            text = line.strip().lstrip("*").strip()
            out.append(" " * indent + ("# " + text if text else "#"))
    return out


def render(data: dict[str, Any], comments: dict[Path, list[str]]) -> str:
    """The site file text (deterministic: same data and comments, same bytes)."""
    out = [HEADER.rstrip("\n")]
    out += _comment(comments.get((), []), 0)
    for key in [k for k in ORDER if k in data] + [k for k in data if k not in ORDER]:
        out.append("")
        out += _comment(comments.get((key,), []), 0)
        out += _section(key, data[key], comments)
    return "\n".join(out) + "\n"


def _section(key: str, value: Any, comments: dict[Path, list[str]]) -> list[str]:
    if not isinstance(value, dict | list) or not value:
        return [f"{scalar(key)}: {flow(value)}"]
    out = [f"{scalar(key)}:"]
    if isinstance(value, list):
        for i, item in enumerate(value):
            out += _comment(comments.get((key, i), []), 2)
            out.append(f"  - {flow(item)}")
        return out
    for name, item in value.items():
        out += _comment(comments.get((key, name), []), 2)
        if key == "policy" and isinstance(item, dict | list) and item:
            out.append(f"  {scalar(name)}:")
            out += _policy_entries(name, item, comments)
        else:
            out.append(f"  {scalar(name)}: {flow(item)}")
    return out


def _policy_entries(section: str, value: Any, comments: dict[Path, list[str]]) -> list[str]:
    out = []
    items = enumerate(value) if isinstance(value, list) else value.items()
    for k, item in items:
        out += _comment(comments.get(("policy", section, k), []), 4)
        text = json_text(item)
        out.append(f"    - {text}" if isinstance(value, list) else f"    {scalar(k)}: {text}")
    return out
