"""Time and peak memory of `diff` between two sites that differ in 1 % of their services.

Run: python bench/diff_bench.py [--sizes 1000,5000] [--shape default] [--percent 1] [--repeat 3]

The sites come from the build benchmark (`generate_site`); the second one changes every
hundredth service (one more principal allowed, and its port moved by one). Each size runs in
a fresh child process (its peak RSS is its own). Both sites are compiled first (not timed:
that is the build benchmark's job), then the diff is timed: both policies evaluated over every
principal and target, policy/DNS/launch changes, the text diff, safety and checksum. Rendering
the three formats is timed separately. Printed with the diff's CPU time, the growth factor
between sizes and the ratio to a reference measured in the same child (the site text's YAML
parse).
Targets: 1,000 devices <= 0.5 s; 5,000 <= 3 s.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.build_bench import generate_site, reference_seconds
from bench.measure import growth, run_child


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


def child(n: int, shape: str, percent: float, repeat: int) -> None:
    """One size, in this process: print the figures as JSON for the parent."""
    from compiler.build import compile_text
    from compiler.review import Snapshot, diff
    from compiler.review.planfmt import jsonfmt, markdown, text

    before = generate_site(n, shape=shape)
    after, changed = changed_site(before, percent)
    before_text = yaml.safe_dump(before, sort_keys=False)
    start = time.perf_counter()
    old = compile_text(before_text)
    new = compile_text(yaml.safe_dump(after, sort_keys=False))
    compile_s = time.perf_counter() - start
    desired = Snapshot(new.files, "after.yaml", site=new.site)
    current = Snapshot(old.files, "before.yaml", site=old.site)
    times, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        plan = diff(desired, current)
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    start = time.perf_counter()
    sizes = [len(text.render(plan)), len(markdown.render(plan)), len(jsonfmt.render(plan))]
    render_s = time.perf_counter() - start
    figures = {
        "services": len(before["services"]),
        "changed": changed,
        "compile_s": compile_s,
        "diff_s": statistics.median(times),
        "diff_cpu_s": statistics.median(cpu),
        "render_s": render_s,
        "chars": sizes,
        "ref_s": reference_seconds(before_text, 1),
        "plan": (
            f"{len(plan.access.gained)} pairs gained, {len(plan.access.lost)} lost of "
            f"{plan.access.existing}; {len(plan.policy)} policy, {len(plan.dns)} DNS changes; "
            f"{len(plan.files)} files; {'safe' if plan.safe else 'UNSAFE'}"
        ),
    }
    print(json.dumps(figures))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", default="1000,5000")
    parser.add_argument("--shape", default="default")
    parser.add_argument("--percent", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.shape, args.percent, args.repeat)
        return
    print(
        f"python {sys.version.split()[0]}, load {os.getloadavg()[0]:.1f}, shape {args.shape},"
        f" {args.percent:g} % of services changed, diff = median of {args.repeat}"
    )
    print(
        f"{'devices':>8} {'services':>8} {'changed':>7} {'compile s':>9} {'diff s':>7} {'cpu s':>6}"
        f" {'growth':>7} {'x ref':>6} {'render s':>8} {'RSS MB':>7}  plan"
    )
    previous: float | None = None
    for n in (int(s) for s in args.sizes.split(",")):
        cmd = [sys.executable, __file__, "--child", str(n), "--shape", args.shape]
        cmd += ["--percent", str(args.percent), "--repeat", str(args.repeat)]
        run = run_child(cmd, capture=True)
        if run.status:
            print(f"{n:>8}  failed (exit {run.status})")
            continue
        f = json.loads(run.stdout.splitlines()[-1])
        print(
            f"{n:>8} {f['services']:>8} {f['changed']:>7} {f['compile_s']:>9.2f}"
            f" {f['diff_s']:>7.3f} {f['diff_cpu_s']:>6.3f} {growth(f['diff_s'], previous):>7}"
            f" {f['diff_s'] / f['ref_s']:>5.1f}x {f['render_s']:>8.3f} {run.rss_mb:>7.0f}  {f['plan']}"
        )
        previous = f["diff_s"]
    print(
        "compile = both sites, not part of the diff; cpu = the diff's CPU time (the figure to"
        " read on a busy machine); RSS = the child's peak (both sites held)"
    )


if __name__ == "__main__":
    main()
