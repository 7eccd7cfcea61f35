"""Evaluator speed and memory on synthetic sites: index, full matrix, 10,000 random `allowed()`,
and the `tailgen matrix --format json` command's own peak RSS.

Run: python bench/evaluate_bench.py [--sizes 100,1000,5000] [--shape default] [--queries 10000]

Sites come from `bench.build_bench.generate_site`, compiled with the real pipeline. Each size
runs in a fresh child process (phases in seconds, its peak RSS); then `tailgen matrix --format
json` runs as a command on that site's files, so its peak RSS is measured alone (target at
5,000 devices: <= 250 MB). Printed with the growth factor between sizes and the ratio of the
matrix time to a reference measured in the same child (the site text's YAML parse), which
cancels machine load out.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.build_bench import reference_seconds, site_text
from bench.measure import growth, run_child


def child(n: int, shape: str, queries: int, workdir: Path) -> None:
    """One size: write site.yaml and out/ to `workdir`, time the phases, print JSON."""
    from compiler.build import compile_text
    from compiler.evaluate import Evaluator, allowed, matrix, parse_policy
    from compiler.evaluate.inventory import inventory_from_dict
    from compiler.evaluate.site_view import inventory_from_site, site_principals, site_services

    text = site_text(n, shape)
    result = compile_text(text)
    (workdir / "site.yaml").write_text(text, encoding="utf-8")
    policy = result.files["policy.hujson"]
    (workdir / "policy.hujson").write_bytes(policy)
    inventory = inventory_from_dict(inventory_from_site(result.site))
    start = time.perf_counter()
    ev = Evaluator(parse_policy(policy.decode()), inventory)
    index_s = time.perf_counter() - start
    principals, services = site_principals(result.site), site_services(result.site)
    start = time.perf_counter()
    table = matrix(ev, principals=principals, services=services)
    matrix_s = time.perf_counter() - start
    rng = random.Random(n)
    devices = list(inventory.devices)
    flows = [
        (rng.choice(devices).name, rng.choice(devices).addresses[0], rng.choice(services).port)
        for _ in range(queries)
    ]
    start = time.perf_counter()
    granted = sum(allowed(ev, None, src, dst, port, "tcp").allowed for src, dst, port in flows)
    query_s = time.perf_counter() - start
    figures = {
        "atoms": len(ev.atoms),
        "cells": len(table.cells),
        "index_s": index_s,
        "matrix_s": matrix_s,
        "query_s": query_s,
        "granted": granted,
        "ref_s": reference_seconds(text, 1),
    }
    print(json.dumps(figures))


def matrix_command(workdir: Path) -> tuple[float, float, int]:
    """`tailgen matrix --format json` on the child's files: seconds, peak RSS MB, exit code."""
    cmd = [sys.executable, "-m", "compiler", "matrix", "--format", "json"]
    cmd += ["--site", "site.yaml", "--policy", "policy.hujson"]
    run = run_child(cmd, cwd=workdir)
    return run.wall, run.rss_mb, run.status


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,5000")
    parser.add_argument("--shape", default="default")
    parser.add_argument("--queries", type=int, default=10_000)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.shape, args.queries, args.workdir)
        return
    print(f"python {sys.version.split()[0]}, load {os.getloadavg()[0]:.1f}, shape {args.shape}")
    print(
        f"{'devices':>8} {'atoms':>6} {'cells':>9} {'index s':>8} {'matrix s':>9} {'growth':>7}"
        f" {'x ref':>6} {'queries s':>10} {'q/s':>7} {'RSS MB':>7}  {'json cmd s':>10} {'RSS MB':>7}"
    )
    previous: dict[str, float] | None = None
    for n in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory(prefix="tailgen-eval-") as tmp:
            cmd = [sys.executable, __file__, "--child", str(n), "--shape", args.shape]
            cmd += ["--queries", str(args.queries), "--workdir", tmp]
            run = run_child(cmd, capture=True)
            if run.status:
                print(f"{n:>8}  failed (exit {run.status})")
                continue
            m = json.loads(run.stdout.splitlines()[-1])
            json_s, json_mb, status = matrix_command(Path(tmp))
        mg = growth(m["matrix_s"], previous["matrix_s"] if previous else None)
        print(
            f"{n:>8} {m['atoms']:>6} {m['cells']:>9} {m['index_s']:>8.3f} {m['matrix_s']:>9.3f}"
            f" {mg:>7} {m['matrix_s'] / m['ref_s']:>5.1f}x {m['query_s']:>10.3f}"
            f" {args.queries / m['query_s']:>7.0f} {run.rss_mb:>7.0f}  {json_s:>10.2f}"
            f" {json_mb:>7.0f}{'' if not status else f' (exit {status})'}"
        )
        previous = m
    print(
        "growth = matrix time / at the previous size (cells grow with devices x services);"
        " RSS = peak of the child (build + evaluator + matrix held whole), then of the streaming"
        " `matrix --format json` command"
    )


if __name__ == "__main__":
    main()
