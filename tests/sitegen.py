"""Hypothesis strategies for random valid sites (shared by property tests)."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

OSES = ["linux", "macos", "windows"]
KINDS = ["ollama", "lmstudio", "llamacpp", "vllm", "open-webui", "generic"]


@st.composite
def sites(draw: st.DrawFn, max_devices: int = 6) -> dict[str, Any]:
    """A random site that passes every check; every device has a pinned address so grants
    can be exact (an unpinned device is a warned degradation, tested separately)."""
    n_users = draw(st.integers(1, 5))
    users = {f"u{i}": {"login": f"u{i}@example.com"} for i in range(n_users)}
    users["u0"]["role"] = "admin"
    names = sorted(users)
    groups = {
        f"g{i}": draw(st.lists(st.sampled_from(names), min_size=1, max_size=n_users, unique=True))
        for i in range(draw(st.integers(0, 3)))
    }
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
    if draw(st.booleans()):
        site["break_glass"] = [
            {
                "who": [draw(st.sampled_from(names))],
                "devices": draw(st.lists(st.sampled_from(hosts), min_size=1, unique=True)),
            }
        ]
    return site
