"""Evaluator speed on synthetic sites: index build, full matrix, 10,000 random `allowed()`.

Run: python bench/evaluate_bench.py [--sizes 100,1000,5000] [--queries 10000]

Sites come from `bench.build_bench.generate_site` (the build benchmark's generator), compiled
to a policy with the real pipeline; the inventory comes from `compiler.site.inventory`. Prints
seconds per phase, queries per second and growth between sizes. Target: the 1,000-device
matrix under 2 s, which needs rules indexed by destination rather than scanned per query.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.build_bench import site_text
from compiler.build import compile_text
from compiler.evaluate import Evaluator, allowed, matrix, parse_policy
from compiler.evaluate.inventory import inventory_from_dict
from compiler.evaluate.site_view import (
    inventory_from_site,
    site_principals,
    site_services,
)


def measure(n: int, queries: int) -> dict[str, float]:
    result = compile_text(site_text(n))
    text = result.files["policy.hujson"].decode()
    inventory = inventory_from_dict(inventory_from_site(result.site))
    start = time.perf_counter()
    ev = Evaluator(parse_policy(text), inventory)
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
    return {
        "devices": n,
        "rules": len(ev.atoms),
        "cells": len(table.cells),
        "index_s": index_s,
        "matrix_s": matrix_s,
        "query_s": query_s,
        "qps": queries / query_s,
        "granted": granted,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,5000")
    parser.add_argument("--queries", type=int, default=10_000)
    args = parser.parse_args()
    print(
        f"{'devices':>8} {'atoms':>6} {'cells':>9} {'index s':>8} {'matrix s':>9} "
        f"{'growth':>7} {'queries s':>10} {'q/s':>8} {'growth':>7}"
    )
    previous: dict[str, float] | None = None
    for n in (int(s) for s in args.sizes.split(",")):
        m = measure(n, args.queries)
        mg = f"{m['matrix_s'] / previous['matrix_s']:6.1f}x" if previous else f"{'':>7}"
        qg = f"{m['query_s'] / previous['query_s']:6.1f}x" if previous else f"{'':>7}"
        print(
            f"{n:>8} {m['rules']:>6} {m['cells']:>9} {m['index_s']:>8.3f} {m['matrix_s']:>9.3f} "
            f"{mg} {m['query_s']:>10.3f} {m['qps']:>8.0f} {qg}"
        )
        previous = m
    print("growth = time / time at the previous size (size ratio 10x, then 5x)")


if __name__ == "__main__":
    main()
