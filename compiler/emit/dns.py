"""DNS settings and zone records (stub: filled in by the DNS work)."""

from __future__ import annotations

from compiler.emit import Emitted, Rule
from compiler.site.model import Site


def emit(site: Site) -> Emitted:
    return Emitted()


def policy_rules(site: Site) -> list[Rule]:
    """Grants and tests that keep each split-DNS resolver reachable (port 53, udp and tcp)."""
    return []
