"""Canonical forms of JSON values, so that order and repetition that mean nothing compare equal.

In a Tailscale policy almost every list is a set: the members of a group, a rule's `src`,
`dst`, `ip` and `users`, the rules of `grants` and `acls` (a union: every rule that matches
allows). The one exception tailgen knows of is the order of `ssh` rules (the first match
decides between `accept` and `check`), which callers handle by comparing sequences of the
canonical rules.
"""

from __future__ import annotations

import json
from typing import Any


def canonical(value: Any) -> Any:
    """`value` with object keys sorted and every list turned into a sorted list of distinct
    canonical items (sorted by their JSON text, so mixed types sort deterministically)."""
    if isinstance(value, dict):
        return {str(k): canonical(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, list | tuple):
        items = {_dump(c): c for c in map(canonical, value)}
        return [items[k] for k in sorted(items)]
    return value


def _dump(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def key(value: Any) -> str:
    """A string equal for two values exactly when their canonical forms are equal."""
    return _dump(canonical(value))


def show(value: Any) -> str:
    """Compact, readable JSON for plans (one line, spaces after separators)."""
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
