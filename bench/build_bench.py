"""Build time for synthetic sites of 10 to 5,000 devices, and `tailgen --version` start-up.

Run: python bench/build_bench.py [--sizes 10,100,1000,5000]

Prints the build time per size (load + check + compile + render, no disk writes) and the growth
factor between sizes (roughly the size ratio means linear growth). Targets: 1,000 devices in
under 1 s; start-up under 150 ms.
"""

from __future__ import annotations

import argparse
import ipaddress
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

KINDS = ("ollama", "lmstudio", "llamacpp", "vllm", "open-webui", "generic")


def generate_site(n_devices: int, seed: int = 1) -> dict[str, Any]:
    """A valid site with `n_devices` devices; users, groups, locations and services scale with it."""
    rng = random.Random(seed)
    n_users = max(2, n_devices // 10)
    n_locations = max(1, n_devices // 100)
    users = {
        f"u{i}": {"login": f"u{i}@example.com", **({"role": "admin"} if i == 0 else {})}
        for i in range(n_users)
    }
    groups = {
        f"g{i}": sorted(rng.sample(sorted(users), k=min(len(users), 5)))
        for i in range(max(1, n_users // 10))
    }
    locations = {
        f"l{i}": {
            "subnets": f"10.{i // 256}.{i % 256}.0/24",
            "router": f"r{i}",
            "zone": f"l{i}.example.net",
            "resolver": f"10.{i // 256}.{i % 256}.1",
        }
        for i in range(n_locations)
    }
    devices: dict[str, Any] = {}
    for i in range(n_locations):
        devices[f"r{i}"] = {
            "os": "linux",
            "location": f"l{i}",
            "tags": ["router"],
            "routes": [locations[f"l{i}"]["subnets"]],
            "tailscale_ip": _ip(i),
            "exit_node": i == 0,
        }
    for i in range(n_locations, n_devices):
        owner = f"u{i % n_users}"
        tagged = i % 3 == 0
        dev: dict[str, Any] = {
            "os": rng.choice(["linux", "macos", "windows"]),
            "location": f"l{i % n_locations}",
            "tailscale_ip": _ip(i),
        }
        dev.update({"tags": ["ai"]} if tagged else {"owner": owner})
        devices[f"d{i}"] = dev
    services: dict[str, Any] = {}
    principals = [*users, *(f"group:{g}" for g in groups)]
    for i, name in enumerate(d for d in devices if d.startswith("d")):
        if i % 2 == 0:
            allow = sorted(set(rng.sample(principals, k=min(3, len(principals)))))
            services[f"s{i}"] = {
                "device": name,
                "kind": rng.choice(KINDS),
                "port": 8000 + i % 1000,
                "allow": allow,
            }
            if services[f"s{i}"]["kind"] == "generic":
                services[f"s{i}"]["command"] = "serve --host {host} --port {port}"
    return {
        "users": users,
        "groups": groups,
        "tags": {"router": {"owners": ["u0"]}, "ai": {"owners": ["u0"]}},
        "locations": locations,
        "devices": devices,
        "services": services,
        "exit_nodes": {"allow": ["u0"]},
    }


def _ip(i: int) -> str:
    return str(ipaddress.IPv4Address("100.64.0.0") + i + 1)


def site_text(n_devices: int) -> str:
    return yaml.safe_dump(generate_site(n_devices), sort_keys=False)


def time_build(text: str, repeat: int, verify: bool = True) -> float:
    """Median seconds for compile_text; verify=False skips the offline self-check (evaluator)."""
    from compiler import build

    original = build.self_check
    if not verify:
        build.self_check = lambda site, files: []  # type: ignore[assignment]
    try:
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            build.compile_text(text)
            times.append(time.perf_counter() - start)
    finally:
        build.self_check = original  # type: ignore[assignment]
    return statistics.median(times)


def startup_ms(repeat: int = 7) -> float:
    cmd = [sys.executable, "-m", "compiler", "--version"]
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    bare = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True, capture_output=True)
        bare.append(time.perf_counter() - start)
    return 1000 * statistics.median(times), 1000 * statistics.median(bare)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,100,1000,5000")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    previous: tuple[int, float] | None = None
    print(f"{'devices':>8} {'services':>9} {'build s':>9} {'growth':>9}  {'no self-check s':>16}")
    for n in sizes:
        text = site_text(n)
        n_services = len(generate_site(n)["services"])
        repeat = 3 if n <= 1000 else 1
        seconds = time_build(text, repeat)
        bare = time_build(text, repeat, verify=False)
        growth = f"{seconds / previous[1]:8.1f}x" if previous else ""
        print(f"{n:>8} {n_services:>9} {seconds:>9.3f} {growth:>9}  {bare:>16.3f}")
        previous = (n, seconds)
    print("growth = build time / build time at the previous size (sizes grow 10x, then 5x)")
    tailgen, python = startup_ms()
    print(f"tailgen --version: {tailgen:.0f} ms (bare python start-up: {python:.0f} ms)")


if __name__ == "__main__":
    main()
