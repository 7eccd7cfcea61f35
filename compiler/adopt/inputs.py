"""What `tailgen import` reads: a policy text, and optionally a device list and DNS settings.

Pure: text and data in, values out (the CLI reads the files). A device list may be the
recorded cases' `topology` shape, the REST API's `GET /tailnet/-/devices` answer, or a bare
list of its device objects; all become the evaluator's topology shape.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from compiler.errors import InputError, Problem, Span


@dataclass(frozen=True)
class PolicySource:
    """A policy as read: its data, its text (for comments and places) and its file name."""

    data: dict[str, Any]
    text: str
    file: str


def read_policy(text: str, file: str = "policy.hujson") -> PolicySource:
    """Parse policy HuJSON; a malformed file is the user's error with file:line:col."""
    from compiler import hujson

    try:
        data = hujson.loads(text)
    except hujson.HujsonError as err:
        span = Span(file, int(err.line or 0), int(err.column or 0))
        raise InputError([Problem("hujson", f"invalid HuJSON: {err}", span)]) from None
    except (ValueError, RecursionError) as err:
        raise InputError([Problem("hujson", f"invalid HuJSON: {err}", Span(file))]) from None
    if not isinstance(data, dict):
        raise InputError([Problem("policy", "a policy file is one JSON object", Span(file, 1, 1))])
    return PolicySource(data, text, file)


def read_json(text: str, file: str, what: str) -> Any:
    """A JSON (or HuJSON) document for `--devices`/`--dns`, with a clear error otherwise."""
    from compiler import hujson

    try:
        return hujson.loads(text)
    except (ValueError, RecursionError) as err:
        line, column = int(getattr(err, "line", 0) or 0), int(getattr(err, "column", 0) or 0)
        raise InputError(
            [Problem(what, f"invalid JSON: {err}", Span(file, line, column))]
        ) from None


def topology(devices: Any, file: str = "devices.json") -> dict[str, Any]:
    """A device list in any accepted shape → the evaluator's topology (users and nodes)."""
    if isinstance(devices, Mapping) and "nodes" in devices:
        return {"users": list(devices.get("users") or []), "nodes": devices["nodes"]}
    items = devices.get("devices") if isinstance(devices, Mapping) else devices
    if not isinstance(items, list) or not all(isinstance(d, Mapping) for d in items):
        message = "expected a topology ({users, nodes}), the API's {devices: [...]}, or a list"
        raise InputError([Problem("devices", message, Span(file, 1, 1))])
    nodes: dict[str, dict[str, Any]] = {}
    for device in items:
        name = str(device.get("hostname") or device.get("name") or "").split(".")[0]
        nodes[name or f"device-{len(nodes) + 1}"] = _api_node(device)
    logins = sorted({n["user"] for n in nodes.values() if n.get("user")})
    return {"users": [{"name": u, "email": u} for u in logins], "nodes": nodes}


def _api_node(device: Mapping[str, Any]) -> dict[str, Any]:
    addresses = [str(a) for a in device.get("addresses") or []]
    node: dict[str, Any] = {
        "hostname": str(device.get("hostname") or device.get("name") or ""),
        "tags": [str(t) for t in device.get("tags") or []],
        "ipv4": next((a for a in addresses if ":" not in a), ""),
        "ipv6": next((a for a in addresses if ":" in a), ""),
        "routable_ips": list(device.get("advertisedRoutes") or device.get("routable_ips") or []),
        "approved_routes": list(device.get("enabledRoutes") or device.get("approved_routes") or []),
    }
    if device.get("user") and not node["tags"]:
        node["user"] = str(device["user"])
    return node


@dataclass(frozen=True)
class DnsSettings:
    """The tailnet's DNS as the API reports it (the parts the site model can hold)."""

    magic_dns: bool | None
    nameservers: tuple[str, ...]
    search_paths: tuple[str, ...]
    split_dns: dict[str, list[str]]


def dns_settings(data: Any, file: str = "dns.json") -> DnsSettings:
    """The API's DNS configuration (`{nameservers, splitDNS, searchPaths, preferences}`, what
    `GET /dns/configuration` answers and `tailgen build` writes as dns.json), or the older
    flat `{magicDNS, nameservers, searchPaths, splitDns}`. Resolvers: strings or `{address}`."""
    if not isinstance(data, Mapping):
        raise InputError([Problem("dns", "DNS settings must be a JSON object", Span(file, 1, 1))])

    def get(*names: str) -> Any:
        return next((data[n] for n in names if n in data), None)

    prefs = get("preferences")
    magic = prefs.get("magicDNS") if isinstance(prefs, Mapping) else get("magicDNS", "magic_dns")
    split = get("splitDNS", "splitDns", "split_dns")
    return DnsSettings(
        magic_dns=bool(magic) if magic is not None else None,
        nameservers=tuple(_address(n) for n in get("nameservers", "dns") or []),
        search_paths=tuple(str(s) for s in get("searchPaths", "search_paths", "domains") or []),
        split_dns={
            str(k): [_address(v) for v in vs or []]
            for k, vs in (split.items() if isinstance(split, Mapping) else ())
        },
    )


def _address(resolver: Any) -> str:
    return str(resolver.get("address", "")) if isinstance(resolver, Mapping) else str(resolver)
