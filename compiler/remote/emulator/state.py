"""The emulated tailnet and the API's rules on it (reference §7, the OpenAPI file).

Every method takes and returns plain data and raises `Reject(status, body)` for an API error,
so the HTTP layer only moves bytes. The policy is stored as Tailscale stores it: the posted
text in canonical layout (`compiler.hujson.format`), its ETag the quoted hex SHA-256 of those
bytes, and a flag for the untouched default that `If-Match: "ts-default"` checks. A POST is
checked the way the control plane checks it (`compiler.evaluate`: first error wins, then the
policy's tests) and changes nothing when rejected.
"""

from __future__ import annotations

import copy
import hashlib
import json
import threading
from dataclasses import dataclass, field
from typing import Any

from compiler import hujson
from compiler.evaluate.checks import policy_problems
from compiler.evaluate.inventory import inventory_from_dict
from compiler.evaluate.model import policy_from_data
from compiler.evaluate.policytests import run_tests
from compiler.remote import dnsconfig

DEFAULT_POLICY = """// Example/default ACLs for unrestricted connections.
{
\t// Declare static groups of users beyond those in the identity service.
\t"groups": {
\t\t"group:example": ["user1@example.com", "user2@example.com"],
\t},

\t// Access control lists.
\t"acls": [
\t\t// Match absolutely everything.
\t\t{"action": "accept", "src": ["*"], "dst": ["*:*"]},
\t],
}
"""
DEFAULT_DNS: dict[str, Any] = {
    "nameservers": [],
    "splitDNS": {},
    "searchPaths": [],
    "preferences": {"overrideLocalDNS": False, "magicDNS": True},
}
TESTS_FAILED = "test(s) failed"
ROUTE_FIELDS = ("advertisedRoutes", "enabledRoutes", "clientConnectivity")


class Reject(Exception):
    """An API error answer: status and its JSON body (always with `message`)."""

    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.body = {"message": message, **extra}


def etag_of(data: bytes) -> str:
    return '"' + hashlib.sha256(data).hexdigest() + '"'


@dataclass
class TailnetState:
    """One tailnet. Guarded by `lock`: the server is threaded."""

    users: list[dict[str, Any]] = field(default_factory=list)
    devices: list[dict[str, Any]] = field(default_factory=list)
    policy: bytes = b""
    is_default: bool = True
    dns: dict[str, Any] = field(default_factory=lambda: copy.deepcopy(DEFAULT_DNS))
    writes: int = 0
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    def __post_init__(self) -> None:
        if not self.policy:
            self.policy = hujson.format(DEFAULT_POLICY).encode()

    @property
    def etag(self) -> str:
        return etag_of(self.policy)

    # -- policy ------------------------------------------------------------------------------

    def check_if_match(self, if_match: str | None) -> None:
        if if_match is None:
            return
        wanted = if_match.strip().strip('"')
        ok = wanted == "*" or (
            self.is_default if wanted == "ts-default" else wanted == self.etag.strip('"')
        )
        if not ok:
            raise Reject(412, "precondition failed, invalid old hash")

    def set_policy(self, body: bytes, if_match: str | None) -> None:
        with self.lock:
            self.check_if_match(if_match)
            if not body.strip():
                self.policy, self.is_default = hujson.format(DEFAULT_POLICY).encode(), True
            else:
                text = _text(body)
                self.check_policy(_parse(text), text)
                self.policy, self.is_default = hujson.format(text).encode(), False
            self.writes += 1

    def policy_json(self) -> Any:
        return hujson.loads(self.policy.decode())

    def check_policy(self, data: Any, text: str = "") -> None:
        """Reject as the control plane does: the first validation error, then failing tests."""
        if not isinstance(data, dict):
            raise Reject(400, "policy must be a JSON object")
        policy = policy_from_data(data, text)
        inventory = inventory_from_dict(self.inventory())
        problems = [p for p in policy_problems(policy, inventory, "policy") if p.is_error]
        if problems:
            raise Reject(400, problems[0].message)
        failures = run_tests(policy, inventory)
        if failures:
            raise Reject(400, TESTS_FAILED, data=[f.to_dict() for f in failures])

    def validate(self, body: bytes) -> dict[str, Any]:
        """`/acl/validate`: an array runs those tests against the current policy, an object
        is a candidate policy; 200 either way, failures in the body."""
        text = _text(body)
        value = _parse(text)
        with self.lock:
            if isinstance(value, list):
                current = self.policy_json()
                value, text = {**current, "tests": value}, ""
            try:
                self.check_policy(value, text)
            except Reject as exc:
                return exc.body
        return {}

    def inventory(self) -> dict[str, Any]:
        """The devices and users in the evaluator's shape (for checks and tests)."""
        nodes = {
            d["hostname"]: {
                "addresses": d.get("addresses", []),
                "user": "" if d.get("tags") else d.get("user", ""),
                "tags": d.get("tags", []),
                "routable_ips": d.get("advertisedRoutes", []),
                "approved_routes": d.get("enabledRoutes", []),
            }
            for d in self.devices
        }
        return {"users": self.users, "nodes": nodes}

    # -- DNS -----------------------------------------------------------------------------------

    def set_dns(self, config: Any) -> dict[str, Any]:
        if not isinstance(config, dict):
            raise Reject(400, "invalid DNS configuration")
        with self.lock:
            self.dns = normalize_dns(config)
            self.writes += 1
            return copy.deepcopy(self.dns)

    def nameservers(self) -> list[str]:
        return [ns["address"] for ns in self.dns["nameservers"]]

    def set_nameservers(self, body: Any) -> dict[str, Any]:
        servers = _strings(body, "dns")
        with self.lock:
            old = {ns["address"]: ns for ns in self.dns["nameservers"]}
            self.dns["nameservers"] = [
                old.get(a, {"address": a, "useWithExitNode": False}) for a in servers
            ]
            if not servers:
                self.dns["preferences"]["magicDNS"] = False
            self.writes += 1
            return {"dns": servers, "magicDNS": self.dns["preferences"]["magicDNS"]}

    def set_preferences(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict) or not isinstance(body.get("magicDNS"), bool):
            raise Reject(400, "magicDNS must be a boolean")
        with self.lock:
            if body["magicDNS"] and not self.dns["nameservers"]:
                raise Reject(400, "need at least one nameserver to enable MagicDNS")
            self.dns["preferences"]["magicDNS"] = body["magicDNS"]
            self.writes += 1
            return {"magicDNS": body["magicDNS"]}

    def set_search_paths(self, body: Any) -> dict[str, Any]:
        paths = _strings(body, "searchPaths")
        with self.lock:
            self.dns["searchPaths"] = paths
            self.writes += 1
            return {"searchPaths": paths}

    def split_dns(self) -> dict[str, list[str]]:
        return {d: [r["address"] for r in rs] for d, rs in self.dns["splitDNS"].items()}

    def update_split_dns(self, body: Any, replace: bool) -> dict[str, list[str]]:
        """PATCH (`replace=False`): listed domains only, `null` deletes; PUT: the whole map."""
        if not isinstance(body, dict) or not all(
            v is None or (isinstance(v, list) and all(isinstance(a, str) for a in v))
            for v in body.values()
        ):
            raise Reject(400, "split DNS is a map of domain to a list of nameservers or null")
        with self.lock:
            split = {} if replace else dict(self.dns["splitDNS"])
            for domain, servers in body.items():
                if servers:
                    split[domain] = [{"address": a, "useWithExitNode": False} for a in servers]
                else:
                    split.pop(domain, None)
            self.dns["splitDNS"] = dict(sorted(split.items()))
            self.writes += 1
            return self.split_dns()

    # -- devices -------------------------------------------------------------------------------

    def device(self, device_id: str) -> dict[str, Any]:
        for d in self.devices:
            if device_id in (d.get("id"), d.get("nodeId")):
                return d
        raise Reject(404, "device not found")

    def set_routes(self, device_id: str, body: Any) -> dict[str, list[str]]:
        routes = _strings(body, "routes")
        with self.lock:
            device = self.device(device_id)
            device["enabledRoutes"] = routes
            self.writes += 1
            return routes_of(device)

    def set_tags(self, device_id: str, body: Any) -> None:
        tags = _strings(body, "tags")
        with self.lock:
            device = self.device(device_id)
            owners = self.policy_json().get("tagOwners") or {}
            bad = [t for t in tags if t not in owners]
            if bad:
                raise Reject(400, f"requested tags [{' '.join(bad)}] are invalid or not permitted")
            device["tags"] = tags
            self.writes += 1

    # -- persistence -----------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        with self.lock:
            return {
                "policy": self.policy.decode(),
                "is_default": self.is_default,
                "dns": self.dns,
                "users": self.users,
                "devices": self.devices,
            }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TailnetState:
        return cls(
            users=list(data.get("users") or []),
            devices=list(data.get("devices") or []),
            policy=str(data.get("policy") or "").encode(),
            is_default=bool(data.get("is_default", True)),
            dns=normalize_dns(data.get("dns") or DEFAULT_DNS),
        )


def routes_of(device: dict[str, Any]) -> dict[str, list[str]]:
    return {
        "advertisedRoutes": list(device.get("advertisedRoutes", [])),
        "enabledRoutes": list(device.get("enabledRoutes", [])),
    }


def device_view(device: dict[str, Any], fields: str) -> dict[str, Any]:
    """A device as the API shows it: `fields=all` adds the routes and connectivity."""
    if fields == "all":
        return copy.deepcopy(device)
    return {k: copy.deepcopy(v) for k, v in device.items() if k not in ROUTE_FIELDS}


def normalize_dns(config: Any) -> dict[str, Any]:
    try:
        return dnsconfig.normalize(config)
    except ValueError as exc:
        raise Reject(400, str(exc)) from None


def _text(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise Reject(400, "body is not UTF-8") from None


def _parse(text: str) -> Any:
    try:
        return hujson.loads(text)
    except hujson.HujsonError as exc:
        raise Reject(400, f"parsing policy: {exc}") from None


def _strings(body: Any, key: str) -> list[str]:
    value = body.get(key) if isinstance(body, dict) else None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise Reject(400, f"{key} must be a list of strings")
    return list(value)


def dumps(value: Any) -> bytes:
    return json.dumps(value).encode()
