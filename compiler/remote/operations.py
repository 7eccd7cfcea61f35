"""The API operations tailgen uses: method, path, OAuth scope and whether a retry is safe.

One table, read by the client (to build requests, name the endpoint in errors and say which
scope a 403 needs) and by the emulator (to route requests and enforce scopes), so the two can
never disagree about a path. The conformance test checks every row against Tailscale's
published OpenAPI definition (paths, methods, and the `OAuth Scope:` line of each operation).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

API_PREFIX = "/api/v2"


@dataclass(frozen=True)
class Operation:
    """One API operation. `path` is relative to /api/v2 with `{tailnet}`/`{deviceId}` holes.

    `idempotent` says a repeated request has the effect of one, so connection errors and 5xx
    may be retried: every GET, and the writes that replace a whole value. `POST /acl` is not
    retried on an unknown outcome: the caller re-reads the policy and decides by its ETag.
    """

    id: str
    method: str
    path: str
    scope: str
    idempotent: bool = True

    def url_path(self, **holes: str) -> str:
        path = self.path
        for name, value in holes.items():
            path = path.replace("{" + name + "}", _escape(value))
        return API_PREFIX + path

    def pattern(self) -> re.Pattern[str]:
        """A regex matching this operation's request paths (holes are one path segment)."""
        body = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(API_PREFIX + self.path))
        return re.compile(f"^{body}$")


def _escape(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="-_.~@:")


GET_POLICY = Operation("getPolicyFile", "GET", "/tailnet/{tailnet}/acl", "policy_file:read")
SET_POLICY = Operation(
    "setPolicyFile", "POST", "/tailnet/{tailnet}/acl", "policy_file", idempotent=False
)
VALIDATE_POLICY = Operation(
    "validateAndTestPolicyFile", "POST", "/tailnet/{tailnet}/acl/validate", "policy_file:read"
)
GET_DNS_CONFIG = Operation(
    "getDnsConfiguration", "GET", "/tailnet/{tailnet}/dns/configuration", "dns:read"
)
SET_DNS_CONFIG = Operation(
    "setDnsConfiguration", "POST", "/tailnet/{tailnet}/dns/configuration", "dns"
)
GET_NAMESERVERS = Operation(
    "listDnsNameservers", "GET", "/tailnet/{tailnet}/dns/nameservers", "dns:read"
)
SET_NAMESERVERS = Operation(
    "setDnsNameservers", "POST", "/tailnet/{tailnet}/dns/nameservers", "dns"
)
GET_PREFERENCES = Operation(
    "getDnsPreferences", "GET", "/tailnet/{tailnet}/dns/preferences", "dns:read"
)
SET_PREFERENCES = Operation(
    "setDnsPreferences", "POST", "/tailnet/{tailnet}/dns/preferences", "dns"
)
GET_SEARCH_PATHS = Operation(
    "listDnsSearchPaths", "GET", "/tailnet/{tailnet}/dns/searchpaths", "dns:read"
)
SET_SEARCH_PATHS = Operation(
    "setDnsSearchPaths", "POST", "/tailnet/{tailnet}/dns/searchpaths", "dns"
)
GET_SPLIT_DNS = Operation("getSplitDns", "GET", "/tailnet/{tailnet}/dns/split-dns", "dns:read")
PATCH_SPLIT_DNS = Operation("updateSplitDns", "PATCH", "/tailnet/{tailnet}/dns/split-dns", "dns")
SET_SPLIT_DNS = Operation("setSplitDns", "PUT", "/tailnet/{tailnet}/dns/split-dns", "dns")
LIST_DEVICES = Operation(
    "listTailnetDevices", "GET", "/tailnet/{tailnet}/devices", "devices:core:read"
)
GET_DEVICE = Operation("getDevice", "GET", "/device/{deviceId}", "devices:core:read")
GET_ROUTES = Operation(
    "listDeviceRoutes", "GET", "/device/{deviceId}/routes", "devices:routes:read"
)
SET_ROUTES = Operation("setDeviceRoutes", "POST", "/device/{deviceId}/routes", "devices:routes")
SET_TAGS = Operation("setDeviceTags", "POST", "/device/{deviceId}/tags", "devices:core")

OPERATIONS: tuple[Operation, ...] = (
    GET_POLICY,
    SET_POLICY,
    VALIDATE_POLICY,
    GET_DNS_CONFIG,
    SET_DNS_CONFIG,
    GET_NAMESERVERS,
    SET_NAMESERVERS,
    GET_PREFERENCES,
    SET_PREFERENCES,
    GET_SEARCH_PATHS,
    SET_SEARCH_PATHS,
    GET_SPLIT_DNS,
    PATCH_SPLIT_DNS,
    SET_SPLIT_DNS,
    LIST_DEVICES,
    GET_DEVICE,
    GET_ROUTES,
    SET_ROUTES,
    SET_TAGS,
)

OAUTH_TOKEN_PATH = API_PREFIX + "/oauth/token"
"""Not in the OpenAPI file: the OAuth 2 client-credentials token endpoint (reference §7.1)."""


def covers(granted: frozenset[str] | set[str], needed: str) -> bool:
    """Whether a token's scopes allow an operation: `X` implies `X:read`; `all` covers
    everything and `all:read` every read scope."""
    read_of = needed.removesuffix(":read")
    return bool(
        needed in granted
        or read_of in granted
        or "all" in granted
        or (needed.endswith(":read") and "all:read" in granted)
    )
