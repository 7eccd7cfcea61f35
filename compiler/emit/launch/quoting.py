"""Quoting for each target's syntax, used as jinja filters.

Every word a template writes goes through one of these, so a space, quote, `%` or `$` in a
path or argument cannot change the meaning of a unit, script or compose file. Each also turns
the runtime-address placeholder into the target's variable (or refuses it where none exists).
"""

from __future__ import annotations

import html
import json
import re
import shlex

from compiler.emit.services.base import RUNTIME_IP

_SH_SAFE = re.compile(r"[A-Za-z0-9_@%+=:,./-]+")
_UNIT_SPECIAL = re.compile(r"[\s\"'\\;]")
SH_ADDR = "${addr}"  # the shell variable the generated scripts put the looked-up address in
UNIT_ADDR = "${TS_IP}"  # the variable systemd reads from the runtime environment file
COMPOSE_ADDR = "${TS_IP:?set TS_IP to this node's Tailscale address}"


def _sh_piece(text: str) -> str:
    if text.startswith("$HOME/"):  # per-user install paths on macOS: expanded at run time
        return '"$HOME"' + _sh_piece(text[5:])
    return text if _SH_SAFE.fullmatch(text) else shlex.quote(text)


def sh(word: str) -> str:
    """One POSIX shell word."""
    pieces = word.split(RUNTIME_IP)
    if len(pieces) == 1:
        return _sh_piece(word)
    if all(not p or _SH_SAFE.fullmatch(p) for p in pieces):
        return '"' + SH_ADDR.join(pieces) + '"'
    return f'"{SH_ADDR}"'.join(_sh_piece(p) if p else "" for p in pieces)


def sh_argv(argv: tuple[str, ...] | list[str]) -> str:
    return " ".join(sh(w) for w in argv)


def unit_word(word: str) -> str:
    """One word of a systemd command line: specifiers and `$` escaped, quoted when needed."""
    text = word.replace("%", "%%").replace("$", "$$").replace(RUNTIME_IP, UNIT_ADDR)
    if text and not _UNIT_SPECIAL.search(text):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def unit_argv(argv: tuple[str, ...] | list[str]) -> str:
    return " ".join(unit_word(w) for w in argv)


def unit_env(item: tuple[str, str]) -> str:
    """A quoted `Environment=` assignment (systemd does not expand `$` there, only `%`)."""
    key, value = item
    if RUNTIME_IP in value:
        raise ValueError(f"{key}: a runtime address belongs in the environment file")
    text = f"{key}={value}".replace("%", "%%").replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


def _ps_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ps_pieces(text: str) -> list[str]:
    if text.startswith("$env:USERPROFILE"):  # per-user install paths: expanded at run time
        rest = text[len("$env:USERPROFILE") :]
        return ["$env:USERPROFILE", *([_ps_literal(rest)] if rest else [])]
    return [_ps_literal(text)] if text else []


def ps(word: str) -> str:
    """One PowerShell argument or expression; the looked-up address is `$addr`."""
    parts: list[str] = []
    for i, piece in enumerate(word.split(RUNTIME_IP)):
        if i:
            parts.append("$addr")
        parts.extend(_ps_pieces(piece))
    if len(parts) == 1:
        return parts[0]
    return "(" + " + ".join(parts or ["''"]) + ")"


def ps_argv(argv: tuple[str, ...] | list[str]) -> str:
    return " ".join(ps(w) for w in argv)


def xml(text: str) -> str:
    """Text inside a plist <string> element."""
    if RUNTIME_IP in text:
        raise ValueError("a runtime address cannot be written into a plist value")
    # &, <, > only, exactly as xml.sax.saxutils.escape, without the urllib/http/ssl it imports
    return html.escape(text, quote=False)


def compose(word: str) -> str:
    """A double-quoted compose scalar; `$` escaped, the runtime address read from TS_IP."""
    return json.dumps(word.replace("$", "$$").replace(RUNTIME_IP, COMPOSE_ADDR), ensure_ascii=False)


FILTERS = {
    "sh": sh,
    "sh_argv": sh_argv,
    "unit_word": unit_word,
    "unit_argv": unit_argv,
    "unit_env": unit_env,
    "ps": ps,
    "ps_argv": ps_argv,
    "xml": xml,
    "compose": compose,
}
