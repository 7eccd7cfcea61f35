"""DNS settings as one canonical value: the full DNS configuration object (`dns.json`).

The site builds `dns.json` in the shape of `POST /dns/configuration`; the live tailnet answers
`GET /dns/configuration` in the same shape, but with parts possibly absent or resolvers as
bare strings. `normalize` gives both one form (every part present, resolvers as objects,
split DNS sorted by domain, empty domains dropped) so they compare, hash and render equal.
DNS has no ETag: `digest` is what a plan records and a push compares right before writing.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any


def normalize(config: Any) -> dict[str, Any]:
    """The canonical form; ValueError when the value is not a DNS configuration."""
    if not isinstance(config, dict):
        raise ValueError("a DNS configuration is a JSON object")
    prefs = config.get("preferences") or {}
    split = config.get("splitDNS") or {}
    if not isinstance(prefs, dict) or not isinstance(split, dict):
        raise ValueError("preferences and splitDNS are JSON objects")
    return {
        "nameservers": [_resolver(r) for r in _list(config.get("nameservers"), "nameservers")],
        "splitDNS": {
            str(d): [_resolver(r) for r in _list(rs, f"splitDNS[{d!r}]")]
            for d, rs in sorted(split.items())
            if rs
        },
        "searchPaths": [
            _string(p, "searchPaths") for p in _list(config.get("searchPaths"), "searchPaths")
        ],
        "preferences": {
            "overrideLocalDNS": _flag(prefs.get("overrideLocalDNS"), "overrideLocalDNS"),
            "magicDNS": _flag(prefs.get("magicDNS"), "magicDNS"),
        },
    }


def _list(value: Any, what: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError(f"{what} must be a list")
    return value


def _string(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{what} must hold strings")
    return value


def _flag(value: Any, what: str) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        raise ValueError(f"{what} must be true or false")
    return value


def _resolver(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        return {"address": value, "useWithExitNode": False}
    if not isinstance(value, dict) or not isinstance(value.get("address"), str):
        raise ValueError("a resolver is an address or an object with an address")
    return {
        "address": value["address"],
        "useWithExitNode": _flag(value.get("useWithExitNode"), "useWithExitNode"),
    }


def render(config: Any) -> bytes:
    """Canonical bytes, laid out as `tailgen build` writes `dns.json`."""
    return (json.dumps(normalize(config), indent=2) + "\n").encode()


def digest(config: Any) -> str:
    return "sha256:" + hashlib.sha256(render(config)).hexdigest()
