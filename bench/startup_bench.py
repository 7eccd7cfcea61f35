"""Start-up table: `tailgen --version`, `--help`, `validate` and `explain` on the example site,
and `validate FILE` on a policy alone (no site.yaml in the directory), beside bare
`python -c pass` and the floors under them, measured in the same run.

Run: python bench/startup_bench.py [--repeat 7] [--no-importtime] [--repo DIR] [--instructions]

Each command runs `--repeat` times in the repository (site.yaml and out/ are the example;
`--repo` measures another checkout, e.g. main, with the same Python: `-m compiler` imports
the package from the working directory); the policy-alone row runs in a scratch directory
holding the example's compiled policy and its inventory (so the policy is valid).
The table shows the best wall time, its CPU time and peak RSS, and the ratio to bare Python.
Two columns of conditions:

- cached: bytecode written once to a temporary PYTHONPYCACHEPREFIX and reused, as for an
  installed tool (pip compiles .pyc files);
- no .pyc: as this environment is set up when PYTHONDONTWRITEBYTECODE=1 (every module
  compiled from source at every start).

The floor rows are what no tailgen command can go below, whatever tailgen does: `import typer`
(the CLI framework, under `--help`); typer with the pydantic it uses to convert the arguments
of any command it runs (under `validate FILE`); `from pydantic import BaseModel` and our site
model's classes built on it (`import compiler.site.model`); loading the example site (those,
PyYAML, validating the file), alone and with typer beside it (under `validate` and `explain`,
which must load and validate the site). Their gap to the tailgen rows is tailgen's own cost.

Run it with the project's venv (`.venv/bin/python bench/startup_bench.py`): every child is
`sys.executable`, and an interpreter with other `.pth` files in its site-packages pays for
them at every start, bare `python -c pass` included.

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
LOAD_SITE = "from compiler.site.loader import load; load('site.yaml')"
# typer (0.29) converts every parameter of the command it runs through a pydantic TypeAdapter
# (its `_adapters` module), built even for a value left at its default: the root's own `--help`
# flag (default None) builds one, so whatever the subcommand, running one imports pydantic.
TYPER_RUN = "import typer, typer._adapters"
PYDANTIC = "from pydantic import BaseModel"  # what any pydantic model needs imported
SITE_MODEL = "import compiler.site.model"  # pydantic, plus our site model's classes built
POLICY_ALONE = "tailgen validate FILE"  # runs in the scratch directory (`policy_alone_dir`)
COMMANDS: dict[str, list[str]] = {
    "python -c pass": ["-c", "pass"],
    "floor: import typer": ["-c", "import typer"],
    "floor: typer+pydantic": ["-c", TYPER_RUN],
    "floor: pydantic": ["-c", PYDANTIC],
    "floor: site model": ["-c", SITE_MODEL],
    "floor: load site": ["-c", LOAD_SITE],
    "floor: typer+site": ["-c", f"{TYPER_RUN}; {LOAD_SITE}"],
    "tailgen --version": ["-m", "compiler", "--version"],
    "tailgen --help": ["-m", "compiler", "--help"],
    "tailgen validate": ["-m", "compiler", "validate"],
    "tailgen explain": ["-m", "compiler", "explain", "emory@github", "wintendo:11434"],
    POLICY_ALONE: ["-m", "compiler", "validate", "policy.hujson", "-i", "inventory.json"],
}
TARGETS = {"tailgen --version": "<= 2x bare", "python -c pass": ""}
FLOORS = [name for name in COMMANDS if name.startswith("floor:")]
_IMPORT_LINE = re.compile(r"import time:\s+(\d+) \|\s+\d+ \|\s*(\S+)")


def environments(cache_dir: str) -> dict[str, dict[str, str]]:
    base = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE",)}
    cached = {**base, "PYTHONPYCACHEPREFIX": cache_dir}
    return {"cached": cached, "no .pyc": {**base, "PYTHONDONTWRITEBYTECODE": "1"}}


POLICY_ALONE_SETUP = """
import json, sys
from pathlib import Path
from compiler.build import build
from compiler.evaluate.site_view import inventory_from_site
result, _ = build("site.yaml")
scratch = Path(sys.argv[1])
(scratch / "policy.hujson").write_bytes(result.files["policy.hujson"])
(scratch / "inventory.json").write_text(json.dumps(inventory_from_site(result.site)))
"""


def policy_alone_dir(repo: Path, scratch: Path) -> Path:
    """A directory with no site.yaml: the example's compiled policy and the inventory the site
    describes (what `tailgen validate` would evaluate it against). Written by a child process:
    this one stays small, since each measured child starts as a fork of it (peak RSS)."""
    scratch.mkdir(exist_ok=True)
    setup = [sys.executable, "-c", POLICY_ALONE_SETUP, str(scratch)]
    subprocess.run(setup, cwd=repo, check=True)
    return scratch


def where(name: str, repo: Path, alone: Path) -> Path:
    return alone if name == POLICY_ALONE else repo


def child_env(env: dict[str, str], cwd: Path, repo: Path) -> dict[str, str]:
    """`env`, with `repo` on the path when running outside it (`-m compiler` imports from the
    working directory otherwise)."""
    return env if cwd == repo else {**env, "PYTHONPATH": str(repo)}


def measure(repeat: int, cache_dir: str, repo: Path, alone: Path) -> dict[str, dict[str, Run]]:
    envs = environments(cache_dir)
    for name, args in COMMANDS.items():  # warm-up: write the bytecode cache once
        cwd = where(name, repo, alone)
        env = child_env(envs["cached"], cwd, repo)
        subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True)
    return {
        name: {
            label: best_child(
                [sys.executable, *args],
                repeat,
                where(name, repo, alone),
                child_env(env, where(name, repo, alone), repo),
            )
            for label, env in envs.items()
        }
        for name, args in COMMANDS.items()
    }


def print_table(results: dict[str, dict[str, Run]]) -> None:
    bare = results["python -c pass"]
    print(f"{'command':<22}" + "".join(f"{label:>34}" for label in bare) + "   target")
    print(f"{'':<22}" + f"{'wall ms  cpu ms  RSS MB  x bare':>34}" * len(bare))
    for name, runs in results.items():
        cols = "".join(
            f"{r.wall * 1e3:>12.0f}{r.cpu * 1e3:>8.0f}{r.rss_mb:>8.0f}"
            f"{r.wall / bare[label].wall:>6.1f}x"
            for label, r in runs.items()
        )
        bad = [r.status for r in runs.values() if r.status]
        status = f"   (exit {bad[0]})" if bad else ""
        target = "" if name in FLOORS else TARGETS.get(name, "< 150 ms")
        print(f"{name:<22}{cols}   {target}{status}")


def import_breakdown(cache_dir: str, repo: Path, alone: Path, top: int = 5) -> None:
    cached = environments(cache_dir)["cached"]
    print("\nimport self time per top-level package (python -X importtime, cached bytecode):")
    for name, args in COMMANDS.items():
        if name == "python -c pass" or name in FLOORS:
            continue
        cwd = where(name, repo, alone)
        proc = subprocess.run(
            [sys.executable, "-X", "importtime", *args],
            cwd=cwd,
            env=child_env(cached, cwd, repo),
            capture_output=True,
            text=True,
        )
        per_package: Counter[str] = Counter()
        for found in _IMPORT_LINE.finditer(proc.stderr):
            per_package[found.group(2).split(".")[0]] += int(found.group(1))
        total = sum(per_package.values())
        parts = ", ".join(f"{pkg} {us / 1e3:.0f}" for pkg, us in per_package.most_common(top))
        print(f"  {name:<18} {total / 1e3:6.0f} ms: {parts}")


_COLLECTED = re.compile(r"Collected : (\d+)")


def instructions(cache_dir: str, repo: Path, alone: Path) -> None:
    """Instructions each command executes (valgrind's callgrind, cached bytecode, run once
    after the timed runs wrote the cache): unlike time, a count the neighbours on a shared
    machine cannot inflate, so two checkouts compare exactly (about 50x slower to run)."""
    cached = environments(cache_dir)["cached"]
    print("\ninstructions executed (valgrind --tool=callgrind), millions, and x bare:")
    counts: dict[str, float] = {}
    for name, args in COMMANDS.items():
        cwd = where(name, repo, alone)
        grind = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"]
        proc = subprocess.run(
            [*grind, sys.executable, *args],
            cwd=cwd,
            env=child_env(cached, cwd, repo),
            capture_output=True,
            text=True,
        )
        found = _COLLECTED.search(proc.stderr)
        if found is None:
            print(f"  {name:<22} (no count: {proc.stderr.strip().splitlines()[-1:]})")
            continue
        counts[name] = int(found.group(1)) / 1e6
        bare = counts.get("python -c pass", counts[name])
        print(f"  {name:<22} {counts[name]:8.1f} M {counts[name] / bare:6.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--no-importtime", action="store_true")
    parser.add_argument("--repo", type=Path, default=REPO, help="checkout to measure")
    parser.add_argument(
        "--instructions", action="store_true", help="also count instructions (needs valgrind)"
    )
    args = parser.parse_args()
    print(
        f"python {sys.version.split()[0]}, best of {args.repeat}, load"
        f" {os.getloadavg()[0]:.1f}, {args.repo}"
    )
    repo = args.repo.resolve()
    with tempfile.TemporaryDirectory(prefix="tailgen-pyc-") as cache_dir:
        alone = policy_alone_dir(repo, Path(cache_dir) / "policy-alone")
        print_table(measure(args.repeat, cache_dir, repo, alone))
        if not args.no_importtime:
            import_breakdown(cache_dir, repo, alone)
        if args.instructions:
            instructions(cache_dir, repo, alone)


if __name__ == "__main__":
    main()
