"""What `tailgen import` reads: a policy text, and optionally a device list and DNS settings.

Pure: text and data in, values out (the CLI reads the files). A device list may be the
recorded cases' `topology` shape, the REST API's `GET /tailnet/-/devices` answer, or a bare
list of its device objects; all become the evaluator's topology shape.
"""

from __future__ import annotations

import ipaddress
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
    except hujson.HujsonError as err:
        span = Span(file, err.line, err.column)
        raise InputError([Problem(what, f"invalid JSON: {err}", span)]) from None
    except (ValueError, RecursionError) as err:
        raise InputError([Problem(what, f"invalid JSON: {err}", Span(file))]) from None


def topology(devices: Any, file: str = "devices.json") -> dict[str, Any]:
    """A device list in any accepted shape → the evaluator's topology (users and nodes)."""
    if isinstance(devices, Mapping) and "nodes" in devices:
        users, nodes = devices.get("users") or [], devices["nodes"]
        listed = list(nodes.values()) if isinstance(nodes, Mapping) else nodes
        if not isinstance(users, list) or not isinstance(listed, list):
            raise _shape_error(file)
        if not all(
            isinstance(u, Mapping) and _strings_at(u, "name", "email", "login", "role")
            for u in users
        ):
            raise _shape_error(file)
        for node in listed:
            _check_node(node, file)
        return {"users": list(users), "nodes": nodes}
    items = devices.get("devices") if isinstance(devices, Mapping) else devices
    if not isinstance(items, list) or not all(isinstance(d, Mapping) for d in items):
        raise _shape_error(file)
    listed_nodes: dict[str, dict[str, Any]] = {}
    for device in items:
        name = str(device.get("hostname") or device.get("name") or "").split(".")[0]
        key = name or f"device-{len(listed_nodes) + 1}"
        listed_nodes[key] = _check_node(_api_node(device, file), file)
    logins = sorted({n["user"] for n in listed_nodes.values() if n.get("user")})
    return {"users": [{"name": u, "email": u} for u in logins], "nodes": listed_nodes}


def _strings_at(item: Mapping[str, Any], *keys: str) -> bool:
    return all(isinstance(item.get(k, ""), str) for k in keys)


def _shape_error(file: str) -> InputError:
    message = (
        "expected a topology ({users: [...], nodes: {NAME: {ipv4, ipv6, tags, user}}}), "
        "the API's {devices: [...]}, or a list of devices"
    )
    return InputError([Problem("devices", message, Span(file, 1, 1))])


def _check_node(node: Any, file: str) -> dict[str, Any]:
    """A node whose addresses, routes, tags and owner the evaluator can use, or an error."""
    if not isinstance(node, Mapping):
        raise _shape_error(file)
    name = node.get("hostname") or node.get("name") or "a device"
    addresses = [node.get("ipv4"), node.get("ipv6"), *(node.get("addresses") or [])]
    routes = [*(node.get("approved_routes") or []), *(node.get("routable_ips") or [])]
    try:
        for address in filter(None, addresses):
            ipaddress.ip_address(str(address))
        for route in routes:
            ipaddress.ip_network(str(route), strict=False)
    except ValueError as err:
        raise InputError([Problem("devices", f"{name}: {err}", Span(file, 1, 1))]) from None
    tags, user = node.get("tags") or [], node.get("user") or ""
    if (
        not isinstance(tags, list)
        or not all(isinstance(t, str) for t in tags)
        or not isinstance(user, str)
    ):
        raise InputError(
            [Problem("devices", f"{name}: tags are strings, user a login", Span(file, 1, 1))]
        )
    return dict(node)


def _api_node(device: Mapping[str, Any], file: str) -> dict[str, Any]:
    def listed(*keys: str) -> list[str]:
        value: Any = next((device[k] for k in keys if device.get(k)), [])
        if not isinstance(value, list):
            raise _shape_error(file)
        return [str(v) for v in value]

    addresses = listed("addresses")
    node: dict[str, Any] = {
        "hostname": str(device.get("hostname") or device.get("name") or ""),
        "tags": listed("tags"),
        "ipv4": next((a for a in addresses if ":" not in a), ""),
        "ipv6": next((a for a in addresses if ":" in a), ""),
        "routable_ips": listed("advertisedRoutes", "routable_ips"),
        "approved_routes": listed("enabledRoutes", "approved_routes"),
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
        raise _dns_error(file, "DNS settings must be a JSON object")

    def get(*names: str) -> Any:
        return next((data[n] for n in names if n in data), None)

    prefs = get("preferences")
    magic = prefs.get("magicDNS") if isinstance(prefs, Mapping) else get("magicDNS", "magic_dns")
    split = get("splitDNS", "splitDns", "split_dns") or {}
    if not isinstance(split, Mapping):
        raise _dns_error(file, "splitDNS maps each domain to its resolvers")
    return DnsSettings(
        magic_dns=bool(magic) if magic is not None else None,
        nameservers=_addresses(get("nameservers", "dns"), file),
        search_paths=tuple(_addresses(get("searchPaths", "search_paths", "domains"), file)),
        split_dns={str(k): list(_addresses(v, file)) for k, v in split.items()},
    )


def _addresses(value: Any, file: str) -> tuple[str, ...]:
    """A list of strings or `{address: …}` objects (absent: empty)."""
    if value is None:
        return ()
    items = value if isinstance(value, list) else None
    out = [v.get("address") if isinstance(v, Mapping) else v for v in items or []]
    if items is None or not all(isinstance(v, str) for v in out):
        raise _dns_error(file, f"expected a list of names or addresses, not {value!r:.60}")
    return tuple(str(v) for v in out)


def _dns_error(file: str, message: str) -> InputError:
    return InputError([Problem("dns", message, Span(file, 1, 1))])
