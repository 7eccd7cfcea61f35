"""Launch configs per service and target (stub: filled in by the launch work)."""

from __future__ import annotations

from compiler.emit import Emitted
from compiler.site.model import Site


def emit(site: Site) -> Emitted:
    return Emitted()
