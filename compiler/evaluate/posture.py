"""Device posture conditions (`node:os == 'macos'`, `node:tsVersion >= '1.40'`, …).

A posture holds only if all its conditions hold, and an unset attribute fails every operator
except `NOT SET` (reference §4.6). The inventory carries each device's attributes; a device
without them satisfies no posture, which is the safe reading for an offline evaluator.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from compiler.evaluate.inventory import Device
from compiler.numerals import is_decimal

_COND = re.compile(
    r"^\s*(?P<attr>[\w:.-]+)\s*(?P<op>==|!=|<=|>=|<|>|NOT IN|IN|IS SET|NOT SET)?\s*(?P<value>.*?)\s*$",
    re.IGNORECASE,
)
_VERSIONED = {"node:osversion", "node:tsversion"}


def device_meets(device: Device, conditions: list[str]) -> bool:
    return attrs_meet(device.posture, conditions)


def attrs_meet(attrs: Mapping[str, Any], conditions: list[str]) -> bool:
    return bool(conditions) and all(_holds(attrs, c) for c in conditions)


def _holds(attrs: Mapping[str, Any], condition: str) -> bool:
    m = _COND.match(condition)
    if not m:
        return False
    attr, op = m["attr"], (m["op"] or "").upper()
    present = attr in attrs
    if op == "NOT SET":
        return not present
    if not present:
        return False
    actual = attrs[attr]
    if op in ("", "IS SET"):
        return op == "IS SET" or actual is True
    if op in ("IN", "NOT IN"):
        inside = _norm(actual) in {_norm(v) for v in _list(m["value"])}
        return inside == (op == "IN")
    return _compare(attr, actual, op, _literal(m["value"]))


def _compare(attr: str, actual: Any, op: str, wanted: Any) -> bool:
    if op in ("==", "!="):
        return (_norm(actual) == _norm(wanted)) == (op == "==")
    left, right = _ordered(attr, actual), _ordered(attr, wanted)
    if type(left) is not type(right):
        return False
    return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[op]


def _ordered(attr: str, value: Any) -> Any:
    if attr.lower() in _VERSIONED:
        return tuple(int(p) if is_decimal(p) else 0 for p in re.split(r"[.\-]", str(value)))
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)


def _norm(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _literal(text: str) -> Any:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    return text


def _list(text: str) -> list[Any]:
    inner = text.strip().removeprefix("[").removesuffix("]")
    return [_literal(part) for part in inner.split(",") if part.strip()]
