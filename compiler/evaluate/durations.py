"""Go `time.Duration` parsing and printing, because SSH `checkPeriod` errors quote Go's text.

`checkPeriod 168h0m1s is above the max (168h)` and `time: invalid duration "abc"` are
verbatim control-plane messages; producing them needs Go's grammar and Go's String().
"""

from __future__ import annotations

import re

_UNITS = {"ns": 1, "us": 1_000, "µs": 1_000, "μs": 1_000, "ms": 1_000_000, "s": 10**9}
_UNITS |= {"m": 60 * 10**9, "h": 3600 * 10**9}
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
SECOND = 10**9


class DurationError(ValueError):
    pass


def parse_duration(text: str) -> int:
    """Nanoseconds in a Go duration string (`90m`, `1h30m`, `-1m`)."""
    body = text
    sign = -1 if body.startswith("-") else 1
    body = body.lstrip("+-")
    if body == "0":
        return 0
    total, pos = 0.0, 0
    for m in _PART.finditer(body):
        if m.start() != pos:
            break
        total += float(m.group(1)) * _UNITS[m.group(2)]
        pos = m.end()
    if not body or pos != len(body):
        raise DurationError(f'time: invalid duration "{text}"')
    return sign * int(total)


def format_duration(ns: int) -> str:
    """Go's Duration.String() for whole seconds and above (what checkPeriod needs)."""
    if ns == 0:
        return "0s"
    sign = "-" if ns < 0 else ""
    secs, frac = divmod(abs(ns), SECOND)
    hours, rest = divmod(secs, 3600)
    minutes, seconds = divmod(rest, 60)
    sec_text = f"{seconds}" + (f".{frac:09d}".rstrip("0") if frac else "") + "s"
    if hours:
        return f"{sign}{hours}h{minutes}m{sec_text}"
    if minutes:
        return f"{sign}{minutes}m{sec_text}"
    return sign + sec_text
