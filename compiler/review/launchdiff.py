"""Launch-config changes per device (pure).

Launch files are laid out as `launch/<device>/<service>/…` (plus a README per device). A
reviewer wants to know which machines need attention: which services' files appear, disappear
or change, and whether a change is only in comments (the `site.yaml:41` line references move
whenever the site file is edited above them), in which case nothing needs reinstalling.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

LAUNCH_DIR = "launch/"
# Line comments in the formats launch targets write: systemd/env/shell/PowerShell/YAML use `#`
# (systemd also `;`), JSON-with-comments `//`, plists and XML `<!-- … -->` on one line.
_COMMENT_PREFIXES = ("#", ";", "//", "REM ", "rem ", "::")


@dataclass(frozen=True)
class LaunchChange:
    device: str
    path: str  # relative to launch/<device>/
    change: str  # removed | added | changed
    comments_only: bool = False


def launch_changes(desired: Mapping[str, str], current: Mapping[str, str]) -> list[LaunchChange]:
    """Each launch file that differs, grouped by device (sorted by device, then path)."""
    changes = []
    for path in sorted(p for p in desired.keys() | current.keys() if p.startswith(LAUNCH_DIR)):
        new, old = desired.get(path), current.get(path)
        if new == old:
            continue
        device, _, rest = path.removeprefix(LAUNCH_DIR).partition("/")
        if old is None:
            changes.append(LaunchChange(device, rest, "added"))
        elif new is None:
            changes.append(LaunchChange(device, rest, "removed"))
        else:
            changes.append(LaunchChange(device, rest, "changed", _same_code(new, old)))
    return changes


def _same_code(new: str, old: str) -> bool:
    """Whether both texts hold the same code lines (`_code`). A launch file that changed
    only in a comment at the same place (its wording, not its code): when every
    line that differs is a comment or blank on both sides, the code lines are the ones at
    the same places, so they are equal without filtering either text."""
    a, b = new.splitlines(), old.splitlines()
    if len(a) == len(b) and not any(
        _is_code(x.strip()) or _is_code(y.strip()) for x, y in zip(a, b, strict=True) if x != y
    ):
        return True
    return _code(a) == _code(b)


def _code(lines: list[str]) -> list[str]:
    """The lines that are not comments or blank, stripped: what a launcher acts on."""
    return [line for line in map(str.strip, lines) if _is_code(line)]


def _is_code(line: str) -> bool:
    """A stripped line a launcher acts on: not blank, not a comment."""
    return bool(
        line
        and not line.startswith(_COMMENT_PREFIXES)
        and not (line.startswith("<!--") and line.endswith("-->"))
    )
