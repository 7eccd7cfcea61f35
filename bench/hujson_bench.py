"""HuJSON speed and memory against the C `json` module, on generated Tailscale policies.

Run: python bench/hujson_bench.py [--size-kb 1000] [--repeat 9] [--no-json5]

Policies are generated (about 10 KB and about `--size-kb` KB) in Tailscale's layout, with a
`//` comment before every rule, a block comment and trailing commas everywhere; the large one
once more in the hard shape: a `/* */` comment before every rule (some spanning lines, some
holding a URL) and URLs, `//` and `/*` inside strings. Printed, per input, as ratios measured
in the same run (best of `--repeat`, the runs interleaved so that machine noise hits both
sides alike):

- loads:  `hujson.loads(text)` / `json.loads(standardized text)`        target <= 2.5x
- format: `hujson.format(text)` / `json.dumps(data, indent="\\t")`      target <= 5x
- dumps:  `hujson.dumps(data, comments)` / `json.dumps(data, indent="\\t")`
- memory: tracemalloc peak of `loads` beyond the objects it returns, as a multiple of the
  input size                                                           target <= ~4x
- json5:  `json5.loads(text)` / `json.loads(standardized)`, if json5 is installed (a single
  run on the large input: it is thousands of times slower).
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import re
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from compiler import hujson

PORTS = ("tcp:22", "tcp:80", "tcp:443", "tcp:11434", "udp:53", "tcp:8080", "*")
BYTES_PER_RULE = 353  # of generated policy, measured


def _grant(rng: random.Random, i: int, n_groups: int, n_tags: int) -> dict[str, Any]:
    grant: dict[str, Any] = {
        "src": [f"group:g{rng.randrange(n_groups)}", f"user{i}@example.com"],
        "dst": [f"tag:svc-{rng.randrange(n_tags)}", f"host-{i}"],
        "ip": rng.sample(PORTS, k=rng.randint(1, 3)),
    }
    if i % 5 == 0:
        grant["srcPosture"] = ["posture:latestMac"]
    if i % 7 == 0:
        grant["app"] = {"tailscale.com/cap/webui": [{"path": "/admin/*", "mode": "rw"}]}
    return grant


def generate(n_rules: int, seed: int = 7) -> tuple[dict[str, Any], dict[str, str]]:
    """A policy with `n_rules` grants (plus hosts, ssh, tests) and a comment on every rule."""
    rng = random.Random(seed)
    n_groups, n_tags = max(3, n_rules // 50), max(5, n_rules // 13)
    ssh = {"action": "check", "dst": ["tag:svc-1"], "users": ["autogroup:nonroot"]}
    doc: dict[str, Any] = {
        "groups": {
            f"group:g{g}": [f"u{g * 3 + k}@example.com" for k in range(3)] for g in range(n_groups)
        },
        "tagOwners": {f"tag:svc-{t}": ["autogroup:admin"] for t in range(n_tags)},
        "hosts": {
            f"host-{i}": f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}/32"
            for i in range(n_rules)
        },
        "grants": [_grant(rng, i, n_groups, n_tags) for i in range(n_rules)],
        "ssh": [{**ssh, "src": [f"group:g{i % n_groups}"]} for i in range(n_rules // 4)],
        "tests": [
            {"src": f"user{i}@example.com", "accept": [f"host-{i}:443"], "deny": [f"host-{i}:22"]}
            for i in range(n_rules // 2)
        ],
    }
    comments = {f"/{section}": f"section {section}\nsee site.yaml" for section in doc}
    for section in ("grants", "ssh", "tests"):
        for i in range(len(doc[section])):
            comments[f"/{section}/{i}"] = f"site.yaml:{i + 10} {section} rule {i} (host-{i})"
    return doc, comments


def render(n_rules: int) -> tuple[str, dict[str, Any], dict[str, str]]:
    """The policy text (comments, trailing commas, a block comment), its data and comments."""
    doc, comments = generate(n_rules)
    text = hujson.dumps(doc, comments=comments)
    text = text.replace('\t"hosts": {', '\t/* hosts are\n\tgenerated */\n\t"hosts": {', 1)
    return text, doc, comments


_RULE_COMMENT = re.compile(r"^(\t+)// (site\.yaml:\d+ .*)$", re.MULTILINE)


def render_blocks(n_rules: int) -> tuple[str, dict[str, Any], dict[str, str]]:
    """The hard shape: a `/* */` block comment before every rule (one in three spanning two
    lines, one in five with a `//` URL inside) and strings full of `//` and `/*` (URLs, path
    globs), so that every comment start and every look-alike must be decided."""
    doc, comments = generate(n_rules)
    for i, grant in enumerate(doc["grants"]):
        grant["app"] = {
            "tailscale.com/cap/webui": [
                {"url": f"https://host-{i}.example.com/api/*", "path": "/v1/*", "mode": "rw"}
            ]
        }
    text = hujson.dumps(doc, comments=comments)
    return _RULE_COMMENT.sub(_block_comment, text), doc, comments


def _block_comment(match: re.Match[str]) -> str:
    indent, words = match.group(1), match.group(2)
    number = int(words.split()[0].split(":")[1])
    if number % 3 == 0:
        return f"{indent}/* {words}\n{indent}   owner: see the site */"
    if number % 5 == 0:
        return f"{indent}/* {words}, docs: https://tailscale.com/kb/1337 */"
    return f"{indent}/* {words} */"


def best_of(repeat: int, **funcs: Callable[[], object]) -> dict[str, float]:
    """Best time of each function over `repeat` interleaved rounds."""
    times: dict[str, list[float]] = {name: [] for name in funcs}
    for _ in range(repeat):
        for name, func in funcs.items():
            gc.collect()
            start = time.perf_counter()
            func()
            times[name].append(time.perf_counter() - start)
    return {name: min(values) for name, values in times.items()}


def loads_memory(text: str) -> float:
    """Peak bytes `loads` allocates beyond the objects it returns, per input byte."""
    gc.collect()
    tracemalloc.start()
    result = hujson.loads(text)
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del result
    return max(0, peak - current) / len(text.encode())


def measure(
    label: str, n_rules: int, repeat: int, with_json5: bool, blocks: bool
) -> dict[str, float]:
    text, doc, comments = render_blocks(n_rules) if blocks else render(n_rules)
    standard = hujson.standardize(text)
    assert hujson.loads(text) == json.loads(standard) == doc
    if not blocks:
        assert hujson.format(text) == text
    t = best_of(
        repeat,
        json_loads=lambda: json.loads(standard),
        loads=lambda: hujson.loads(text),
        json_dumps=lambda: json.dumps(doc, indent="\t"),
        format=lambda: hujson.format(text),
        dumps=lambda: hujson.dumps(doc, comments=comments),
    )
    kb = len(text.encode()) / 1000
    print(
        f"{label}: {kb:,.1f} KB, {n_rules} rules, {text.count('//')} `//`, "
        f"{text.count('/*')} `/*`, best of {repeat}"
    )
    _row("loads", t["loads"], "json.loads(standardized)", t["json_loads"], "<= 2.5x")
    _row("format", t["format"], 'json.dumps(indent="\\t")', t["json_dumps"], "<= 5x")
    _row("dumps", t["dumps"], 'json.dumps(indent="\\t")', t["json_dumps"], "")
    print(
        f"  memory  loads peak beyond its result: {loads_memory(text):.2f}x input  (target <= ~4x)"
    )
    if with_json5:
        _json5(text, t["json_loads"], repeat if kb < 100 else 1)
    return {**t, "kb": kb}


def _growth(small: dict[str, float], large: dict[str, float]) -> None:
    size = large["kb"] / small["kb"]
    parts = ", ".join(
        f"{name} {large[name] / small[name]:.0f}x" for name in ("loads", "json_loads", "format")
    )
    print(f"growth small -> large ({size:.0f}x the bytes): {parts}")


def _row(name: str, ours: float, base_name: str, base: float, target: str) -> None:
    goal = f"  (target {target})" if target else ""
    print(
        f"  {name:<7}{ours * 1e3:9.2f} ms  vs {base_name:<25}{base * 1e3:8.2f} ms"
        f"  ratio {ours / base:5.2f}x{goal}"
    )


def _json5(text: str, t_json: float, repeat: int) -> None:
    try:
        import json5  # type: ignore[import-untyped]
    except ImportError:
        print("  json5   not installed")
        return
    t = best_of(repeat, json5=lambda: json5.loads(text))["json5"]
    print(f"  json5  {t * 1e3:9.2f} ms  ratio {t / t_json:,.0f}x json.loads  (runs: {repeat})")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--size-kb", type=int, default=1000, help="size of the large policy")
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--no-json5", action="store_true", help="skip the json5 comparison")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}")
    small = measure("small", 27, args.repeat * 5, not args.no_json5, blocks=False)  # ~10 KB
    n_rules = max(27, round(args.size_kb * 1000 / BYTES_PER_RULE))
    large = measure("large", n_rules, args.repeat, not args.no_json5, blocks=False)
    measure("large, block comments", n_rules, args.repeat, False, blocks=True)
    _growth(small, large)


if __name__ == "__main__":
    main()
