"""Time `diff` between two 1,000-device sites that differ in 1 % of their services.

Run: python bench/diff_bench.py [--devices 1000] [--percent 1] [--repeat 3]

The sites come from the build benchmark (`generate_site`); the second one changes every
hundredth service (one more principal allowed, and its port moved by one). Both are compiled
first (not timed: that is the build benchmark's job), then the diff is timed: both policies
evaluated over every principal and target, policy/DNS/launch changes, the text diff, safety and
checksum. Rendering the three formats is timed separately. Target: the diff under 2 s.
"""

from __future__ import annotations

import argparse
import copy
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.build_bench import generate_site


def changed_site(site: dict[str, Any], percent: float) -> tuple[dict[str, Any], int]:
    """A copy of `site` with `percent` % of its services changed; returns it and the count."""
    other = copy.deepcopy(site)
    names = sorted(other["services"])
    step = max(1, round(100 / percent))
    principals = sorted(other["users"])
    changed = 0
    for i, name in enumerate(names[::step]):
        svc = other["services"][name]
        extra = principals[(i * 7) % len(principals)]
        svc["allow"] = sorted(set(svc["allow"]) | {extra})
        svc["port"] = svc["port"] + 1 if isinstance(svc["port"], int) else svc["port"]
        changed += 1
    return other, changed


def main() -> None:
    from compiler.build import compile_text
    from compiler.review import Snapshot, diff
    from compiler.review.planfmt import jsonfmt, markdown, text

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--percent", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    before = generate_site(args.devices)
    after, changed = changed_site(before, args.percent)
    start = time.perf_counter()
    old = compile_text(yaml.safe_dump(before, sort_keys=False))
    new = compile_text(yaml.safe_dump(after, sort_keys=False))
    compile_s = time.perf_counter() - start
    desired = Snapshot(new.files, "after.yaml", site=new.site)
    current = Snapshot(old.files, "before.yaml", site=old.site)

    times = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        plan = diff(desired, current)
        times.append(time.perf_counter() - start)
    start = time.perf_counter()
    sizes = [len(text.render(plan)), len(markdown.render(plan)), len(jsonfmt.render(plan))]
    render_s = time.perf_counter() - start

    n_services = len(before["services"])
    print(
        f"sites: {args.devices} devices, {n_services} services, {changed} changed ({args.percent:g} %)"
    )
    print(f"compile both sites: {compile_s:.3f} s (not part of the diff)")
    print(f"diff: {statistics.median(times):.3f} s median of {args.repeat} (target < 2 s)")
    print(
        f"render text/markdown/json: {render_s:.3f} s ({sizes[0]:,} / {sizes[1]:,} / {sizes[2]:,} chars)"
    )
    print(
        f"plan: {len(plan.access.gained)} pairs gained, {len(plan.access.lost)} lost of "
        f"{plan.access.existing}; {len(plan.policy)} policy, {len(plan.dns)} DNS changes; "
        f"{len(plan.files)} files; {'safe' if plan.safe else 'UNSAFE'}"
    )


if __name__ == "__main__":
    main()
