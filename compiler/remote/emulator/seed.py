"""Devices (and users) for a fresh emulated tailnet, from a site file or a devices JSON file.

From a site: one device per site device, as it would look once joined: its pinned (or the
evaluator's stable synthetic) address, tags, advertised routes approved (the site's
autoApprovers would approve them). From JSON: `{"devices": [...], "users": [...]}` in the
API's own device shape (the output of `GET /tailnet/-/devices?fields=all` is accepted as is).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from compiler.errors import InputError
from compiler.remote.emulator.state import TailnetState
from compiler.site.inventory import device_addresses
from compiler.site.model import Site

EXIT_ROUTES = ["0.0.0.0/0", "::/0"]
TAILNET_DOMAIN = "tail0000.ts.net"


def users_from_site(site: Site) -> list[dict[str, Any]]:
    return [{"name": u.login, "login": u.login, "role": u.role.value} for u in site.users.values()]


def devices_from_site(site: Site) -> list[dict[str, Any]]:
    addresses = device_addresses(site)
    first_admin = next(iter(site.users.values()), None)
    devices = []
    for name, dev in site.devices.items():
        owner = site.users.get(dev.owner or "") or first_admin
        routes = [str(r) for r in dev.routes] + (EXIT_ROUTES if dev.exit_node else [])
        devices.append(
            api_device(
                name,
                addresses[name],
                user=owner.login if owner else "",
                tags=[f"tag:{t}" for t in dev.tags],
                os=dev.os.value,
                routes=routes,
            )
        )
    return devices


def api_device(
    hostname: str,
    ipv4: str,
    *,
    user: str = "",
    tags: list[str] | None = None,
    os: str = "linux",
    routes: list[str] | None = None,
) -> dict[str, Any]:
    """One device in the API's shape, with string ids derived from the hostname."""
    digest = hashlib.sha256(hostname.encode()).hexdigest()
    return {
        "addresses": [ipv4, _ipv6(ipv4)],
        "id": str(int(digest[:12], 16)),
        "nodeId": f"n{digest[:10]}CNTRL",
        "user": user,
        "name": f"{hostname.lower()}.{TAILNET_DOMAIN}",
        "hostname": hostname,
        "clientVersion": "1.90.0",
        "updateAvailable": False,
        "os": os,
        "created": "2026-01-01T00:00:00Z",
        "connectedToControl": True,
        "keyExpiryDisabled": bool(tags),
        "expires": "2026-07-01T00:00:00Z",
        "authorized": True,
        "isExternal": False,
        "machineKey": f"mkey:{digest[:64]}",
        "nodeKey": f"nodekey:{digest[::-1][:64]}",
        "blocksIncomingConnections": False,
        "tailnetLockKey": "",
        "tailnetLockError": "",
        "tags": list(tags or []),
        "isEphemeral": False,
        "advertisedRoutes": list(routes or []),
        "enabledRoutes": list(routes or []),
    }


def _ipv6(ipv4: str) -> str:
    a, b, c, d = (int(x) for x in ipv4.split("."))
    return f"fd7a:115c:a1e0::{a * 256 + b:x}:{c * 256 + d:x}"


def read_devices_json(path: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(devices, users) from a devices JSON file; users default to the devices' owners."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: cannot read devices JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("devices"), list):
        raise InputError(f'{path}: expected {{"devices": [...]}}')
    devices = [dict(d) for d in data["devices"] if isinstance(d, dict)]
    users = data.get("users") or [
        {"name": login, "login": login, "role": "member"}
        for login in sorted({str(d.get("user", "")) for d in devices} - {""})
    ]
    return devices, list(users)


def initial_state(state_file: Path | None, site: Site | None, devices: Path | None) -> TailnetState:
    """The tailnet to start with: the state file if it exists, else seeded from a devices
    file or a (compiled) site (a fresh default policy and DNS either way)."""
    if state_file is not None and state_file.is_file():
        try:
            return TailnetState.from_json(json.loads(state_file.read_text(encoding="utf-8")))
        except (OSError, ValueError) as exc:
            raise InputError(f"{state_file}: cannot read emulator state: {exc}") from None
    if devices is not None:
        found, users = read_devices_json(devices)
        return TailnetState(users=users, devices=found)
    if site is not None:
        return state_from_site(site)
    return TailnetState()


def state_from_site(site: Site) -> TailnetState:
    return TailnetState(users=users_from_site(site), devices=devices_from_site(site))
