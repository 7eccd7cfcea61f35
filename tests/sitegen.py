"""Hypothesis strategies for random valid sites (shared by property tests)."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

OSES = ["linux", "macos", "windows"]
KINDS = ["ollama", "lmstudio", "llamacpp", "vllm", "open-webui", "generic"]


def _people(
    draw: st.DrawFn, max_users: int, max_groups: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Users u0… (u0 the admin) and groups g0… of them."""
    n_users = draw(st.integers(1, max_users))
    users: dict[str, Any] = {f"u{i}": {"login": f"u{i}@example.com"} for i in range(n_users)}
    users["u0"]["role"] = "admin"
    names = sorted(users)
    groups = {
        f"g{i}": draw(st.lists(st.sampled_from(names), min_size=1, max_size=n_users, unique=True))
        for i in range(draw(st.integers(0, max_groups)))
    }
    return users, groups


def _maybe_break_glass(
    draw: st.DrawFn, site: dict[str, Any], names: list[str], hosts: list[str]
) -> None:
    if draw(st.booleans()):
        site["break_glass"] = [
            {
                "who": [draw(st.sampled_from(names))],
                "devices": draw(st.lists(st.sampled_from(hosts), min_size=1, unique=True)),
            }
        ]


@st.composite
def sites(draw: st.DrawFn, max_devices: int = 6) -> dict[str, Any]:
    """A random site that passes every check; every device has a pinned address so grants
    can be exact (an unpinned device is a warned degradation, tested separately)."""
    users, groups = _people(draw, 5, 3)
    names = sorted(users)
    n_locations = draw(st.integers(0, 2))
    locations = {
        f"l{i}": {"subnets": f"10.{i}.0.0/24", "router": f"r{i}"} for i in range(n_locations)
    }
    devices: dict[str, Any] = {
        f"r{i}": {
            "os": "linux",
            "location": f"l{i}",
            "tags": ["router"],
            "routes": [f"10.{i}.0.0/24"],
            "tailscale_ip": f"100.64.9.{i + 1}",
        }
        for i in range(n_locations)
    }
    for i in range(draw(st.integers(1, max_devices))):
        dev: dict[str, Any] = {
            "os": draw(st.sampled_from(OSES)),
            "tailscale_ip": f"100.64.0.{i + 1}",
        }
        if draw(st.booleans()):
            dev["tags"] = ["ai"]
        else:
            dev["owner"] = draw(st.sampled_from(names))
        devices[f"d{i}"] = dev
    principals = (
        names
        + [f"group:{g}" for g in groups]
        + ["autogroup:member"]
        + [f"location:{loc}" for loc in locations]
    )
    services: dict[str, Any] = {}
    hosts = [d for d in devices if d.startswith("d")]
    for i in range(draw(st.integers(0, 6))):
        offsets = draw(st.lists(st.integers(0, 9), min_size=1, max_size=3, unique=True))
        ports = [1000 + 10 * i + o for o in offsets]  # never shared between services
        services[f"s{i}"] = {
            "device": draw(st.sampled_from(hosts)),
            "kind": draw(st.sampled_from(KINDS)),
            "port": ports,
            "protocol": draw(st.sampled_from(["tcp", "udp"])),
            "allow": draw(st.lists(st.sampled_from(principals), max_size=3, unique=True)),
        }
        if services[f"s{i}"]["kind"] == "generic":
            services[f"s{i}"]["command"] = "serve --host {host} --port {port}"
    site: dict[str, Any] = {
        "users": users,
        "groups": groups,
        "tags": {"router": {"owners": ["u0"]}, "ai": {"owners": ["u0"]}},
        "locations": locations,
        "devices": devices,
        "services": services,
    }
    _maybe_break_glass(draw, site, names, hosts)
    return site


@st.composite
def access_sites(draw: st.DrawFn, max_devices: int = 5) -> dict[str, Any]:
    """A random valid site exercising every way a service is reached: tailnet binds, serve
    (raw TCP, HTTPS, OpenClaw's own serve mode), LAN exposure and subnet reach through a
    router, IPv4 or IPv6 locations with split-DNS zones and service names, SSH rules and
    break-glass paths. Every device is pinned and every service is launched."""
    users, groups = _people(draw, 4, 2)
    names = sorted(users)
    v6 = [draw(st.booleans()) for _ in range(draw(st.integers(1, 2)))]
    locations = {f"l{i}": _location(i, six) for i, six in enumerate(v6)}
    devices: dict[str, Any] = {
        f"r{i}": {
            "os": "linux",
            "location": f"l{i}",
            "tags": ["router"],
            "routes": [locations[f"l{i}"]["subnets"]],
            "tailscale_ip": f"100.64.9.{i + 1}",
        }
        for i in range(len(v6))
    }
    for i in range(draw(st.integers(1, max_devices))):
        loc = draw(st.integers(0, len(v6) - 1))
        dev: dict[str, Any] = {
            "os": draw(st.sampled_from(OSES)),
            "location": f"l{loc}",
            "tailscale_ip": f"100.64.0.{i + 1}",
            "lan_ip": _lan(loc, v6[loc], 10 + i),
        }
        if draw(st.booleans()):
            dev["tags"] = ["ai"]
        else:
            dev["owner"] = draw(st.sampled_from(names))
        devices[f"d{i}"] = dev
    principals = names + [f"group:{g}" for g in groups] + ["autogroup:member"]
    hosts = [d for d in devices if d.startswith("d")]
    services: dict[str, Any] = {}
    https_taken: set[str] = set()
    for i in range(draw(st.integers(0, 6))):
        device = draw(st.sampled_from(hosts))
        svc = _access_service(draw, i, device, https_taken, principals)
        svc["name"] = f"s{i}.{devices[device]['location']}.example"
        services[f"s{i}"] = svc
    site: dict[str, Any] = {
        "users": users,
        "groups": groups,
        "tags": {"router": {"owners": ["u0"]}, "ai": {"owners": ["u0"]}},
        "locations": locations,
        "devices": devices,
        "services": services,
    }
    if draw(st.booleans()):
        site["ssh"] = [
            {
                "from": draw(
                    st.lists(st.sampled_from(principals), min_size=1, max_size=2, unique=True)
                ),
                "to": ["tag:ai"],
                "as": [draw(st.sampled_from(["autogroup:nonroot", "root", "admin"]))],
                "mode": draw(st.sampled_from(["accept", "check"])),
            }
        ]
    _maybe_break_glass(draw, site, names, hosts)
    return site


def _location(i: int, v6: bool) -> dict[str, Any]:
    return {
        "subnets": f"fd00:{i + 1}::/64" if v6 else f"10.{i}.0.0/24",
        "router": f"r{i}",
        "zone": f"l{i}.example",
        "resolver": _lan(i, v6, 1),
    }


def _lan(location: int, v6: bool, host: int) -> str:
    return f"fd00:{location + 1}::{host:x}" if v6 else f"10.{location}.0.{host}"


def _access_service(
    draw: st.DrawFn, i: int, device: str, https_taken: set[str], principals: list[str]
) -> dict[str, Any]:
    """One service reached one of the ways; at most one HTTPS (443) publisher per device."""
    how = draw(
        st.sampled_from(["tailnet", "serve-tcp", "serve-https", "openclaw", "lan", "subnet"])
    )
    if how in ("serve-https", "openclaw") and device in https_taken:
        how = "serve-tcp"
    offsets = draw(st.lists(st.integers(0, 9), min_size=1, max_size=2, unique=True))
    kind = "openclaw" if how == "openclaw" else draw(st.sampled_from(KINDS))
    svc: dict[str, Any] = {
        "device": device,
        "kind": kind,
        "port": [1000 + 10 * i + o for o in offsets],
        "allow": draw(st.lists(st.sampled_from(principals), max_size=3, unique=True)),
    }
    if kind == "generic":
        svc["command"] = "serve --host {host} --port {port}"
    if how.startswith("serve") or how == "openclaw":
        svc["bind"] = "loopback+serve"
        https_taken.update([device] if how != "serve-tcp" else [])
        if how == "serve-https":
            svc["serve"] = "https"
    elif how in ("lan", "subnet"):
        svc["expose"] = "lan"
        if how == "subnet":
            svc["reach"] = "subnet"
    else:
        svc["protocol"] = draw(st.sampled_from(["tcp", "udp"]))
    return svc
