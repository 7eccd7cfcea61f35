"""Canonical forms of JSON values, so that order and repetition that mean nothing compare equal.

In a Tailscale policy almost every list is a set: the members of a group, a rule's `src`,
`dst`, `ip` and `users`, the rules of `grants` and `acls` (a union: every rule that matches
allows). The one exception tailgen knows of is the order of `ssh` rules (the first match
decides between `accept` and `check`), which callers handle by comparing sequences of the
canonical rules.
"""

from __future__ import annotations

import json
import marshal
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")


def canonical(value: Any) -> Any:
    """`value` with object keys sorted and every list turned into a sorted list of distinct
    canonical items (sorted by their JSON text, so mixed types sort deterministically)."""
    if isinstance(value, dict):
        return {str(k): canonical(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, list | tuple):
        items = {_dump(c): c for c in map(canonical, value)}
        return [items[k] for k in sorted(items)]
    return value


def _bytes(value: Any) -> bytes | None:
    try:
        return marshal.dumps(value)
    except ValueError:  # a type marshal does not know: no shortcut
        return None


def _dump(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def key(value: Any) -> str:
    """A string equal for two values exactly when their canonical forms are equal."""
    return _dump(canonical(value))


def show(value: Any) -> str:
    """Compact, readable JSON for plans (one line, spaces after separators)."""
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


class Keys:
    """`key` of many values, each value's computed once: a policy diff asks for the key of a
    whole section, then of each of its rules, then of each rule's fields, and comparing
    rules pairwise asks again. Held for one comparison (values by identity, kept alive
    here so an identity is never reused while it is held).

    A key is built from its children's keys, which is what `key` amounts to: a list's
    canonical items are its distinct children sorted by their JSON text, and an object's
    members are sorted by name."""

    def __init__(self) -> None:
        self._memo: dict[int, tuple[Any, str]] = {}
        self._strings: dict[str, str] = {}
        self._by_bytes: dict[bytes, str] = {}
        self._once: dict[Hashable, Any] = {}
        self._scalar = json.JSONEncoder(
            ensure_ascii=False, sort_keys=True, separators=(",", ":")
        ).encode

    def __call__(self, value: Any) -> str:
        if isinstance(value, str):  # most values: names, selectors, ports
            found = self._strings.get(value)
            if found is None:
                found = self._strings[value] = self._scalar(value)
            return found
        if not isinstance(value, dict | list | tuple):
            return self._scalar(value)
        held = self._memo.get(id(value))
        if held is not None and held[0] is value:
            return held[1]
        found = self._object(value) if isinstance(value, dict) else self._compound(value)
        self._memo[id(value)] = (value, found)
        return found

    def _object(self, value: dict[Any, Any]) -> str:
        """An object's key, kept by its marshalled bytes too: the two policies of a diff
        hold mostly the same rules as distinct objects, and marshalling one is done in C,
        where building its key is not. The same bytes are the same value (marshal keeps
        every type apart: `True` is not `1`), so the same key."""
        data = _bytes(value)
        if data is None:
            return self._compound(value)
        found = self._by_bytes.get(data)
        if found is None:
            found = self._by_bytes[data] = self._compound(value)
        return found

    def identical(self, a: Any, b: Any) -> bool:
        """`a` and `b` are the same value, types and order included (so their keys are
        equal), found in C; False may also mean "not known"."""
        data = _bytes(a)
        return data is not None and data == _bytes(b)

    def once(self, key: Hashable, compute: Callable[[], T]) -> T:
        """`compute()`, kept under `key` for this comparison: for a fact that depends only
        on the keys `key` is made of (each caller its own kind of `key`)."""
        if key not in self._once:
            self._once[key] = compute()
        return self._once[key]

    def items(self, values: list[Any] | tuple[Any, ...]) -> str:
        """The key of a list holding `values` (without holding that list)."""
        return "[" + ",".join(sorted({self(v) for v in values})) + "]"

    def _compound(self, value: dict[Any, Any] | list[Any] | tuple[Any, ...]) -> str:
        if isinstance(value, list | tuple):
            return self.items(value)
        if not all(isinstance(k, str) for k in value):
            return key(value)  # names that only compare equal as text: the slow, sure way
        members = sorted(value.items())
        return "{" + ",".join(f"{self(k)}:{self(v)}" for k, v in members) + "}"
