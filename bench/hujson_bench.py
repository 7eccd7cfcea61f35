"""HuJSON speed and memory against the C `json` module, on generated Tailscale policies.

Run: python bench/hujson_bench.py [--size-kb 1000] [--repeat 7]

Two policies are generated (about 10 KB and about `--size-kb` KB) in Tailscale's layout, with a
`//` comment before every rule, a block comment per section and trailing commas everywhere.
Printed, per size, as ratios measured in the same run (best of `--repeat`):

- loads:  `hujson.loads(text)` / `json.loads(standardized text)`          target <= 3x (1 MB)
- format: `hujson.format(text)` / `json.dumps(data, indent="\\t")`        target <= 5x
- dumps:  `hujson.dumps(data, comments)` / `json.dumps(data, indent="\\t")`
- memory: tracemalloc peak of `loads` beyond the objects it returns, as a multiple of the
  input size                                                             target <= ~4x
- json5:  `json5.loads(text)` / `json.loads(standardized)`, if json5 is installed (one run on
  the large input: it is thousands of times slower).
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from compiler import hujson  # noqa: E402

PORTS = ("tcp:22", "tcp:80", "tcp:443", "tcp:11434", "udp:53", "tcp:8080", "*")


def _grant(rng: random.Random, i: int) -> dict[str, Any]:
    grant: dict[str, Any] = {
        "src": [f"group:g{rng.randrange(50)}", f"user{i}@example.com"],
        "dst": [f"tag:svc-{rng.randrange(200)}", f"host-{i}"],
        "ip": rng.sample(PORTS, k=rng.randint(1, 3)),
    }
    if i % 5 == 0:
        grant["srcPosture"] = ["posture:latestMac"]
    if i % 7 == 0:
        grant["app"] = {"tailscale.com/cap/webui": [{"path": "/admin/*", "mode": "rw"}]}
    return grant


def generate(n_rules: int, seed: int = 7) -> tuple[dict[str, Any], dict[str, str]]:
    """A policy with `n_rules` grants (plus hosts, tests, ssh) and a comment on every rule."""
    rng = random.Random(seed)
    hosts = {f"host-{i}": f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}/32" for i in range(n_rules)}
    doc: dict[str, Any] = {
        "groups": {f"group:g{g}": [f"u{g * 3 + k}@example.com" for k in range(3)] for g in range(50)},
        "tagOwners": {f"tag:svc-{t}": ["autogroup:admin"] for t in range(200)},
        "hosts": hosts,
        "grants": [_grant(rng, i) for i in range(n_rules)],
        "ssh": [
            {"action": "check", "src": [f"group:g{i % 50}"], "dst": ["tag:svc-1"], "users": ["autogroup:nonroot"]}
            for i in range(n_rules // 4)
        ],
        "tests": [
            {"src": f"user{i}@example.com", "accept": [f"host-{i}:443"], "deny": [f"host-{i}:22"]}
            for i in range(n_rules // 2)
        ],
    }
    comments = {f"/{section}": f"section {section}\nsee site.yaml" for section in doc}
    for section in ("grants", "ssh", "tests"):
        for i in range(len(doc[section])):
            comments[f"/{section}/{i}"] = f"site.yaml:{i + 10} {section} rule {i} (service on host-{i})"
    return doc, comments


def render(n_rules: int) -> tuple[str, Any]:
    """The policy text (comments, trailing commas, a block comment) and its data."""
    doc, comments = generate(n_rules)
    text = hujson.dumps(doc, comments=comments)
    text = text.replace('\t"hosts": {', '\t/* hosts are\n\tgenerated */\n\t"hosts": {', 1)
    return text, doc


def best(func: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def loads_memory(text: str) -> float:
    """Peak bytes `loads` allocates beyond the objects it returns, per input byte."""
    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    base, _ = tracemalloc.get_traced_memory()
    result = hujson.loads(text)
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del result
    return (peak - current) / len(text.encode()) if peak > current else 0.0


def measure(label: str, n_rules: int, repeat: int, with_json5: bool) -> None:
    text, doc = render(n_rules)
    comments = generate(n_rules)[1]
    standard = hujson.standardize(text)
    assert hujson.loads(text) == json.loads(standard) == doc
    assert hujson.format(text) == text
    t_json = best(lambda: json.loads(standard), repeat)
    t_loads = best(lambda: hujson.loads(text), repeat)
    t_indent = best(lambda: json.dumps(doc, indent="\t"), repeat)
    t_format = best(lambda: hujson.format(text), max(1, repeat // 2))
    t_dumps = best(lambda: hujson.dumps(doc, comments=comments), repeat)
    size = len(text.encode())
    print(f"{label}: {size / 1000:,.0f} KB, {n_rules} rules, {text.count('//')} comments")
    print(f"  loads  {t_loads * 1e3:8.2f} ms  json.loads {t_json * 1e3:7.2f} ms  ratio {t_loads / t_json:5.2f}x")
    print(f"  format {t_format * 1e3:8.2f} ms  json.dumps(indent) {t_indent * 1e3:7.2f} ms  ratio {t_format / t_indent:5.2f}x")
    print(f"  dumps  {t_dumps * 1e3:8.2f} ms  json.dumps(indent) {t_indent * 1e3:7.2f} ms  ratio {t_dumps / t_indent:5.2f}x")
    print(f"  memory loads peak beyond result: {loads_memory(text):.2f}x input")
    if with_json5:
        _json5(text, t_json, repeat if size < 100_000 else 1)


def _json5(text: str, t_json: float, repeat: int) -> None:
    try:
        import json5  # type: ignore[import-untyped]
    except ImportError:
        print("  json5  not installed")
        return
    t = best(lambda: json5.loads(text), repeat)
    print(f"  json5  {t * 1e3:8.2f} ms  ratio {t / t_json:7.0f}x  (runs: {repeat})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-kb", type=int, default=1000, help="size of the large policy")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--no-json5", action="store_true", help="skip the json5 comparison")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}")
    measure("small", 20, args.repeat * 5, not args.no_json5)
    n_rules = max(20, round(args.size_kb * 1000 / 470))
    measure("large", n_rules, args.repeat, not args.no_json5)


if __name__ == "__main__":
    main()
