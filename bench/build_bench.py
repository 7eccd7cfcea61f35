"""Build time and peak memory for synthetic sites of 100 to 10,000 devices, in three shapes.

Run: python bench/build_bench.py [--sizes 100,1000,5000,10000] [--shapes default,few,many]
     [--repeat N]

Each size is built in fresh child processes (so each peak RSS is its own), `--repeat` of them
(default: 3 up to 5,000 devices, 2 above, to keep a full run near a few minutes): load + check
+ compile + render, no disk writes, with and without the offline self-check. Printed per size:
the best (minimum) build seconds over the runs and the spread between best and worst, the
highest peak RSS over the runs, the growth factor from the previous size and the same
normalised to a doubling, and the ratio to a reference measured in the fastest run's child
(`yaml.load` of the site text with the C loader: the input's own parse, so the ratio reads
"the build costs N parses of its input" and machine load cancels out). Why the minimum: on
this shared machine (2 cores, +-30 %) noise only adds time; a single run made the 2k->5k
growth read 2.13x in one run and 2.65x in the next. Shapes:

- default: a location per 100 devices (the original generator);
- few: 3 locations, many devices each (a home lab grown large);
- many: a location per 10 devices (branch offices).

Targets, each printed as met / not met per shape: growth <= 2.3x per doubling, end to end
from the smallest size to the largest (one figure over the whole range, steadier than any
single step); 5,000 devices <= 2.5 s; 10,000 <= 5 s. `tailgen --version` start-up is in
bench/startup_bench.py.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.measure import (
    Run,
    best_of,
    child_runs,
    factor,
    growth,
    peak_rss_mb,
    per_doubling,
    verdict,
)

KINDS = ("ollama", "lmstudio", "llamacpp", "vllm", "open-webui", "generic")
SHAPES = ("default", "few", "many")
GROWTH_TARGET = 2.3  # per doubling of the device count; 2.0 is linear
TIME_TARGETS = {5000: 2.5, 10000: 5.0}  # devices -> best build seconds


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
    """One size, in this process, timed once: print the figures as JSON for the parent, which
    repeats the child and keeps the fastest (a fresh process per run, so every run starts
    alike and reports its own peak RSS)."""
    text = site_text(n, shape)
    # Warm up on a small site first, so that the timed build does not pay the first build's
    # imports and template compiles (~0.15 s): a fixed cost that would make small sizes read
    # slow and the growth from them read too low.
    time_build(site_text(100, shape), 1)
    figures = {
        "services": len(generate_site(n, shape=shape)["services"]),
        "kb": len(text) / 1000,
        "ref_s": reference_seconds(text, 1),
        **dict(zip(("build_s", "cpu_s"), timed_build(text, 1), strict=True)),
        "bare_s": time_build(text, 1, verify=False),
    }
    print(json.dumps(figures))


def default_repeat(n: int) -> int:
    """Runs per size when `--repeat` is not given: 3 where a run is short, 2 above 5,000
    devices, where a run (two builds plus the site's generation) takes ~12 s."""
    return 3 if n <= 5000 else 2


@dataclass(frozen=True)
class SizeResult:
    """One size's figures over its runs: the fastest run's, with the highest RSS of all."""

    n: int
    best: dict[str, Any]  # the figures of the run with the least build_s
    build_times: tuple[float, ...]  # every run's build_s, in run order
    rss_mb: float  # the highest peak RSS over the runs

    @property
    def build_s(self) -> float:
        """The best (minimum) build seconds over the runs."""
        return float(self.best["build_s"])

    @property
    def spread(self) -> float:
        """Worst over best build time, minus one: how noisy this size's runs were."""
        return max(self.build_times) / min(self.build_times) - 1


def summarise(n: int, runs: Sequence[tuple[Run, dict[str, Any]]]) -> SizeResult:
    """Fold the runs of one size (each child's measure and its printed figures) into the
    fastest run's figures and the highest peak RSS over them all."""
    if not runs:
        raise ValueError(f"no runs for {n} devices")
    _, best = best_of(runs, key=lambda run: float(run[1]["build_s"]))
    return SizeResult(
        n=n,
        best=best,
        build_times=tuple(float(f["build_s"]) for _, f in runs),
        rss_mb=peak_rss_mb([r for r, _ in runs]),
    )


def measure_size(n: int, shape: str, repeat: int) -> SizeResult | int:
    """Run the child for `n` devices `repeat` times; the summary, or the first failed run's
    exit status (a failed run has no figures to compare)."""
    cmd = [sys.executable, __file__, "--child", str(n), "--shape", shape]
    runs = child_runs(cmd, repeat, capture=True)
    failed = [r.status for r in runs if r.status]
    if failed:
        return failed[0]
    return summarise(n, [(r, json.loads(r.stdout.splitlines()[-1])) for r in runs])


def step_columns(result: SizeResult, previous: SizeResult | None) -> tuple[str, str]:
    """The growth from the previous size, raw and per doubling (blank for the first size)."""
    if previous is None:
        return "", ""
    step = per_doubling(result.build_s, previous.build_s, result.n, previous.n)
    return growth(result.build_s, previous.build_s), factor(step)


def acceptance(results: Sequence[SizeResult]) -> list[str]:
    """The acceptance lines: end-to-end growth per doubling and the time targets, each with
    its figure and met / not met, so a run's outcome needs no arithmetic by the reader."""
    lines = []
    if len(results) >= 2:
        first, last = results[0], results[-1]
        e2e = per_doubling(last.build_s, first.build_s, last.n, first.n)
        lines.append(
            f"growth {first.n:,} -> {last.n:,} devices: {factor(e2e)} per doubling"
            f" (target <= {GROWTH_TARGET}x): {verdict(e2e <= GROWTH_TARGET)}"
        )
    else:
        lines.append(f"growth (target <= {GROWTH_TARGET}x per doubling): needs two sizes")
    by_n = {r.n: r for r in results}
    for n, limit in TIME_TARGETS.items():
        if n in by_n:
            seconds = by_n[n].build_s
            lines.append(
                f"{n:,} devices: {seconds:.3f} s (target <= {limit} s): {verdict(seconds <= limit)}"
            )
        else:
            lines.append(f"{n:,} devices (target <= {limit} s): not measured")
    return lines


def run_shape(shape: str, sizes: list[int], repeat: int | None) -> None:
    """Measure and print one shape's table and its acceptance lines."""
    print(f"\nshape {shape}:")
    print(
        f"{'devices':>8} {'locs':>5} {'services':>8} {'site KB':>8} {'runs':>4} {'build s':>8}"
        f" {'spread':>6} {'RSS MB':>7} {'growth':>7} {'/2x':>6} {'x ref':>7}"
        f"  {'no self-check s':>15} {'CPU s':>6}"
    )
    results: list[SizeResult] = []
    for n in sizes:
        measured = measure_size(n, shape, repeat or default_repeat(n))
        if isinstance(measured, int):
            print(f"{n:>8}  failed (exit {measured})")
            continue
        f = measured.best
        raw, step = step_columns(measured, results[-1] if results else None)
        print(
            f"{n:>8} {location_count(n, shape):>5} {f['services']:>8} {f['kb']:>8.0f}"
            f" {len(measured.build_times):>4} {measured.build_s:>8.3f}"
            f" {measured.spread:>6.0%} {measured.rss_mb:>7.0f} {raw:>7} {step:>6}"
            f" {f['build_s'] / f['ref_s']:>6.0f}x  {f['bare_s']:>15.3f} {f['cpu_s']:>6.2f}"
        )
        results.append(measured)
    print(f"acceptance, shape {shape}:")
    for line in acceptance(results):
        print(f"  {line}")


def parse_sizes(text: str) -> list[int]:
    """`--sizes` as ascending distinct counts: the growth columns compare each size with the
    next smaller one, which needs them in order and never twice."""
    return sorted({int(s) for s in text.split(",")})


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,5000,10000")
    parser.add_argument("--shapes", default="default,few,many")
    parser.add_argument(
        "--repeat",
        type=int,
        help="fresh runs per size, fastest kept (default: 3 up to 5,000 devices, 2 above)",
    )
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--shape", default="default", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.shape)
        return
    if args.repeat is not None and args.repeat < 1:
        parser.error("--repeat must be at least 1")
    repeats = f"{args.repeat} runs" if args.repeat else "3 runs (2 above 5,000 devices)"
    print(
        f"python {sys.version.split()[0]}, load {os.getloadavg()[0]:.1f} (2 shared cores),"
        f" {repeats} per size, fastest kept"
    )
    for shape in args.shapes.split(","):
        run_shape(shape, parse_sizes(args.sizes), args.repeat)
    print(
        "\nbuild s = the fastest run's (minimum over the runs; the other columns but RSS are"
        " that run's too); spread = slowest / fastest - 1; RSS MB = the highest peak RSS over"
        " the runs; growth = build time / build time at the previous size; /2x = the same per"
        " doubling, (t2/t1) ** (1 / log2(n2/n1)) (2.0x is linear); x ref = build time / the site"
        " text's YAML parse; CPU s = the build's CPU time with its forked self-check's"
        " (compiler/parallel.py)"
    )


if __name__ == "__main__":
    main()
