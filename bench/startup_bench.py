"""Start-up table: `tailgen --version`, `--help`, `validate` and `explain` on the example site,
beside bare `python -c pass`, measured in the same run.

Run: python bench/startup_bench.py [--repeat 7] [--no-importtime] [--repo DIR]

Each command runs `--repeat` times in the repository (site.yaml and out/ are the example;
`--repo` measures another checkout, e.g. main, with the same Python: `-m compiler` imports
the package from the working directory);
the table shows the best wall time, its CPU time and peak RSS, and the ratio to bare Python.
Two columns of conditions:

- cached: bytecode written once to a temporary PYTHONPYCACHEPREFIX and reused, as for an
  installed tool (pip compiles .pyc files);
- no .pyc: as this environment is set up when PYTHONDONTWRITEBYTECODE=1 (every module
  compiled from source at every start).

Targets: `--version` <= 2x bare Python; the rest well under 150 ms. Then, per command, where
the import time goes (`python -X importtime` self time summed per top-level package).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.measure import Run, best_child

REPO = Path(__file__).resolve().parents[1]
COMMANDS: dict[str, list[str]] = {
    "python -c pass": ["-c", "pass"],
    "tailgen --version": ["-m", "compiler", "--version"],
    "tailgen --help": ["-m", "compiler", "--help"],
    "tailgen validate": ["-m", "compiler", "validate"],
    "tailgen explain": ["-m", "compiler", "explain", "emory@github", "wintendo:11434"],
}
TARGETS = {"tailgen --version": "<= 2x bare", "python -c pass": ""}
_IMPORT_LINE = re.compile(r"import time:\s+(\d+) \|\s+\d+ \|\s*(\S+)")


def environments(cache_dir: str) -> dict[str, dict[str, str]]:
    base = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE",)}
    cached = {**base, "PYTHONPYCACHEPREFIX": cache_dir}
    return {"cached": cached, "no .pyc": {**base, "PYTHONDONTWRITEBYTECODE": "1"}}


def measure(repeat: int, cache_dir: str, repo: Path) -> dict[str, dict[str, Run]]:
    envs = environments(cache_dir)
    for args in COMMANDS.values():  # warm-up: write the bytecode cache once
        subprocess.run([sys.executable, *args], cwd=repo, env=envs["cached"], capture_output=True)
    return {
        name: {
            label: best_child([sys.executable, *args], repeat, repo, env)
            for label, env in envs.items()
        }
        for name, args in COMMANDS.items()
    }


def print_table(results: dict[str, dict[str, Run]]) -> None:
    bare = results["python -c pass"]
    print(f"{'command':<20}" + "".join(f"{label:>34}" for label in bare) + "   target")
    print(f"{'':<20}" + f"{'wall ms  cpu ms  RSS MB  x bare':>34}" * len(bare))
    for name, runs in results.items():
        cols = "".join(
            f"{r.wall * 1e3:>12.0f}{r.cpu * 1e3:>8.0f}{r.rss_mb:>8.0f}"
            f"{r.wall / bare[label].wall:>6.1f}x"
            for label, r in runs.items()
        )
        bad = [r.status for r in runs.values() if r.status]
        status = f"   (exit {bad[0]})" if bad else ""
        print(f"{name:<20}{cols}   {TARGETS.get(name, '< 150 ms')}{status}")


def import_breakdown(cache_dir: str, repo: Path, top: int = 5) -> None:
    env = environments(cache_dir)["cached"]
    print("\nimport self time per top-level package (python -X importtime, cached bytecode):")
    for name, args in COMMANDS.items():
        if name == "python -c pass":
            continue
        proc = subprocess.run(
            [sys.executable, "-X", "importtime", *args],
            cwd=repo,
            env=env,
            capture_output=True,
            text=True,
        )
        per_package: Counter[str] = Counter()
        for found in _IMPORT_LINE.finditer(proc.stderr):
            per_package[found.group(2).split(".")[0]] += int(found.group(1))
        total = sum(per_package.values())
        parts = ", ".join(f"{pkg} {us / 1e3:.0f}" for pkg, us in per_package.most_common(top))
        print(f"  {name:<18} {total / 1e3:6.0f} ms: {parts}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--no-importtime", action="store_true")
    parser.add_argument("--repo", type=Path, default=REPO, help="checkout to measure")
    args = parser.parse_args()
    print(
        f"python {sys.version.split()[0]}, best of {args.repeat}, load"
        f" {os.getloadavg()[0]:.1f}, {args.repo}"
    )
    with tempfile.TemporaryDirectory(prefix="tailgen-pyc-") as cache_dir:
        print_table(measure(args.repeat, cache_dir, args.repo))
        if not args.no_importtime:
            import_breakdown(cache_dir, args.repo)


if __name__ == "__main__":
    main()
