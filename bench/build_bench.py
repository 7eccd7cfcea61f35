"""Build time and peak memory for synthetic sites of 100 to 10,000 devices, in three shapes.

Run: python bench/build_bench.py [--sizes 100,1000,5000,10000] [--shapes default,few,many]

Each size is built in a fresh child process (so its peak RSS is its own): load + check +
compile + render, no disk writes, with and without the offline self-check. Printed per size:
seconds, peak RSS, the growth factor from the previous size and the same normalised to a
doubling (target <= 2.3x per doubling), and the ratio to a reference measured in the same
child (`yaml.load` of the site text with the C loader: the input's own parse, so the ratio
reads "the build costs N parses of its input" and machine load cancels out). Shapes:

- default: a location per 100 devices (the original generator);
- few: 3 locations, many devices each (a home lab grown large);
- many: a location per 10 devices (branch offices).

Targets: 5,000 devices <= 2.5 s, 10,000 <= 5 s. `tailgen --version` start-up is in
bench/startup_bench.py.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import math
import os
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.measure import growth, run_child

KINDS = ("ollama", "lmstudio", "llamacpp", "vllm", "open-webui", "generic")
SHAPES = ("default", "few", "many")


def location_count(n_devices: int, shape: str = "default") -> int:
    """How many locations (each with a subnet router) a site of `n_devices` has."""
    if shape == "few":
        return min(3, max(1, n_devices // 10))
    if shape == "many":
        return max(1, n_devices // 10)
    return max(1, n_devices // 100)


def generate_site(n_devices: int, seed: int = 1, shape: str = "default") -> dict[str, Any]:
    """A valid site with `n_devices` devices; users, groups, locations and services scale with it."""
    rng = random.Random(seed)
    n_users = max(2, n_devices // 10)
    n_locations = location_count(n_devices, shape)
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


def site_text(n_devices: int, shape: str = "default") -> str:
    return yaml.safe_dump(generate_site(n_devices, shape=shape), sort_keys=False)


def time_build(text: str, repeat: int, verify: bool = True) -> float:
    """Median seconds for compile_text; verify=False skips the offline self-check (evaluator)."""
    return timed_build(text, repeat, verify)[0]


def cpu_seconds() -> float:
    """CPU time of this process and of its reaped children (the forked self-check)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def timed_build(text: str, repeat: int, verify: bool = True) -> tuple[float, float]:
    """Median wall seconds and median CPU seconds (children included) for compile_text."""
    from compiler import build

    original = getattr(build, "self_check", None)
    if not verify and original is not None:
        build.self_check = lambda *_: []  # type: ignore[assignment]
    try:
        times, cpus = [], []
        for _ in range(repeat):
            start, cpu = time.perf_counter(), cpu_seconds()
            build.compile_text(text)
            times.append(time.perf_counter() - start)
            cpus.append(cpu_seconds() - cpu)
    finally:
        if original is not None:
            build.self_check = original  # type: ignore[assignment]
    return statistics.median(times), statistics.median(cpus)


def reference_seconds(text: str, repeat: int) -> float:
    """The reference: the site text's own YAML parse (C loader when PyYAML has it)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        yaml.load(text, Loader=loader)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def child(n: int, shape: str) -> None:
    """One size, in this process: print the figures as JSON for the parent."""
    text = site_text(n, shape)
    # Warm up on a small site first, so that every size is timed alike: otherwise the sizes
    # timed once pay the first build's imports and template compiles (~0.15 s) and the
    # sizes timed three times (median) do not, and the growth between them reads too high.
    time_build(site_text(100, shape), 1)
    repeat = 3 if n <= 1000 else 1
    figures = {
        "services": len(generate_site(n, shape=shape)["services"]),
        "kb": len(text) / 1000,
        "ref_s": reference_seconds(text, repeat),
        **dict(zip(("build_s", "cpu_s"), timed_build(text, repeat), strict=True)),
        "bare_s": time_build(text, repeat, verify=False),
    }
    print(json.dumps(figures))


def per_doubling(t: float, t_prev: float, n: int, n_prev: int) -> str:
    """The growth factor as if the size had doubled (linear = 2.0x)."""
    return f"{(t / t_prev) ** (math.log(2) / math.log(n / n_prev)):.2f}x"


def run_shape(shape: str, sizes: list[int]) -> None:
    print(f"\nshape {shape}:")
    print(
        f"{'devices':>8} {'locs':>5} {'services':>8} {'site KB':>8} {'build s':>8} {'RSS MB':>7}"
        f" {'growth':>7} {'/2x':>6} {'x ref':>7}  {'no self-check s':>15} {'CPU s':>6}"
    )
    previous: tuple[int, float] | None = None
    for n in sizes:
        cmd = [sys.executable, __file__, "--child", str(n), "--shape", shape]
        run = run_child(cmd, capture=True)
        if run.status:
            print(f"{n:>8}  failed (exit {run.status})")
            continue
        f = json.loads(run.stdout.splitlines()[-1])
        step = per_doubling(f["build_s"], previous[1], n, previous[0]) if previous else ""
        print(
            f"{n:>8} {location_count(n, shape):>5} {f['services']:>8} {f['kb']:>8.0f}"
            f" {f['build_s']:>8.3f} {run.rss_mb:>7.0f}"
            f" {growth(f['build_s'], previous[1] if previous else None):>7} {step:>6}"
            f" {f['build_s'] / f['ref_s']:>6.0f}x  {f['bare_s']:>15.3f} {f['cpu_s']:>6.2f}"
        )
        previous = (n, f["build_s"])


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,5000,10000")
    parser.add_argument("--shapes", default="default,few,many")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--shape", default="default", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.shape)
        return
    print(f"python {sys.version.split()[0]}, load {os.getloadavg()[0]:.1f} (2 shared cores)")
    for shape in args.shapes.split(","):
        run_shape(shape, [int(s) for s in args.sizes.split(",")])
    print(
        "\ngrowth = build time / build time at the previous size; /2x = the same per doubling"
        " (2.0x is linear); x ref = build time / the site text's YAML parse; CPU s = the"
        " build's CPU time with its forked self-check's (compiler/parallel.py)"
    )


if __name__ == "__main__":
    main()
