"""`tailgen validate` against the real `headscale policy check`, on the same policies.

Run: python bench/peer_bench.py [--sizes 100,1000,5000] [--repeat 3] [--peer-limit 60]

For the example site and synthetic sites (`bench.build_bench.generate_site`), each compiled once
with `target: headscale`, with the policy's tests and without them (`tests` and `sshTests`
removed from both files): the median wall seconds and the CPU seconds (user + system of the
child process, which the neighbours on a loaded machine do not inflate) of

- `tailgen validate POLICY --inventory inventory.json`: our offline check (policy rules, then
  the tests) against the site's users and devices (`inventory_from_site`), run where no
  site.yaml is, so it checks the policy only, as headscale does (with `--site` it would compile
  the site first, self-check and its tests included, whatever the policy);
- `headscale policy check -f headscale/policy.hujson` offline
  (`--bypass-grpc-and-access-database-directly`, a database holding the site's users and
  nodes, so headscale runs the tests too).

Both are whole processes, as a user or CI runs them. The ratio is headscale / tailgen.

headscale's check grows steeply with tests (it re-parses every rule's sources for each test
assertion: 962 s at 1,000 devices when issue 20 measured it), so each headscale run is cut at
`--peer-limit` seconds: the row then says `>N` and the ratio is a lower bound (`>R`); a case
whose smaller size already hit the limit is not run at all (`not run`), since it could only
take longer. A run (either side) slower than `--slow` seconds is not repeated. headscale comes from
the peer cache (scripts/build-peers.sh); when it is not built, the peer column is skipped with
a message. The default run takes a few minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from bench.build_bench import site_text  # noqa: E402
from compiler import hujson  # noqa: E402
from compiler.build import BuildResult, compile_text, write  # noqa: E402

TEST_SECTIONS = ("tests", "sshTests")
# `python -m compiler` from another directory must still import this checkout.
CHILD_ENV = {
    **os.environ,
    "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
}


@dataclass(frozen=True)
class Timing:
    wall: float  # median seconds; inf when a run hit the limit
    cpu: float  # median user+system seconds of the child; for a cut run, what it used until cut

    @property
    def cut(self) -> bool:
        return self.wall == float("inf")


def run_once(
    cmd: Sequence[str], limit: float | None, cwd: Path | None = None
) -> tuple[float, float, bool]:
    """(wall, cpu, finished) of one child process; killed at `limit` seconds."""
    before = os.times()
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=cwd, env=CHILD_ENV
    )
    try:
        out, err = proc.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        return time.perf_counter() - start, _child_cpu(before), False
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{cmd[0]} failed ({proc.returncode}): {err or out}")
    return wall, _child_cpu(before), True


def _child_cpu(before: os.times_result) -> float:
    after = os.times()
    return (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )


def timed(
    cmd: Sequence[str],
    repeat: int,
    limit: float | None = None,
    slow: float = 1e9,
    cwd: Path | None = None,
) -> Timing:
    """Medians over `repeat` runs; stops repeating after a run slower than `slow` seconds, and
    reports `inf` wall time when a run hit `limit`."""
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu, finished = run_once(cmd, limit, cwd)
        if not finished:
            return Timing(float("inf"), cpu)
        walls.append(wall)
        cpus.append(cpu)
        if wall > slow:
            break
    return Timing(statistics.median(walls), statistics.median(cpus))


def prepare(text: str, where: Path) -> BuildResult:
    """The site built into WHERE/out, and its inventory as WHERE/inventory.json."""
    from compiler.evaluate.site_view import inventory_from_site

    (where / "cwd").mkdir(parents=True)
    result = compile_text(text, "site.yaml")
    write(result, where / "out")
    (where / "inventory.json").write_text(json.dumps(inventory_from_site(result.site)))
    return result


def without_tests(policy: Path) -> Path:
    """A copy of `policy` without its tests, beside it."""
    doc = hujson.loads(policy.read_text())
    for section in TEST_SECTIONS:
        doc.pop(section, None)
    copy = policy.with_name(policy.stem + ".notests.hujson")
    copy.write_text(json.dumps(doc, indent=1))
    return copy


def ours(where: Path, policy: Path, repeat: int, slow: float) -> Timing:
    """`tailgen validate` from a directory holding no site.yaml: the policy only."""
    cmd = [sys.executable, "-m", "compiler", "validate", str(policy)]
    return timed(
        [*cmd, "--inventory", str(where / "inventory.json")], repeat, slow=slow, cwd=where / "cwd"
    )


class Peer:
    """headscale's offline policy check on one prepared site (None: headscale not built)."""

    def __init__(self, result: BuildResult, where: Path) -> None:
        from peers import OfflineHeadscale, binaries, site_nodes, site_users

        bins = binaries(build=False)
        self.command: list[str] | None = None
        if bins is None:
            return
        hs = OfflineHeadscale(bins, where / "headscale-db")
        hs.seed(site_users(result.site), site_nodes(result.site))
        self.command = [str(bins.headscale), "-c", str(hs.config), "policy", "check"]

    def check(self, policy: Path, repeat: int, limit: float, slow: float) -> Timing | None:
        if self.command is None:
            return None
        bypass = ["--bypass-grpc-and-access-database-directly", "--force"]
        return timed([*self.command, "-f", str(policy), *bypass], repeat, limit, slow)


def cell(t: Timing | None, limit: float, cpu: bool = False) -> str:
    if t is None:
        return "-"
    if t.cut:
        return f">{limit:.0f}" if not cpu else f"{t.cpu:.2f}+"
    return f"{t.cpu if cpu else t.wall:.3f}"


def ratio(peer: Timing | None, mine: Timing, limit: float, cpu: bool = False) -> str:
    if peer is None:
        return "-"
    mine_s = mine.cpu if cpu else mine.wall
    if peer.cut:
        bound = (peer.cpu if cpu else limit) / max(mine_s, 1e-9)
        return f">{bound:.0f}x"
    value = (peer.cpu if cpu else peer.wall) / max(mine_s, 1e-9)
    return f"{value:.2f}x" if value < 10 else f"{value:.0f}x"


HEADER = (
    f"{'site':>13} {'tests':>5} {'grants':>6} {'asserts':>7} "
    f"{'tailgen s':>9} {'cpu s':>7} {'headscale s':>11} {'cpu s':>8} {'ratio':>7} {'cpu ratio':>9}"
)


def row(
    label: str,
    tests: bool,
    counts: tuple[int, int],
    mine: Timing,
    peer: str,
    limit: float,
    theirs: Timing | None,
) -> str:
    grants, asserts = counts
    return (
        f"{label:>13} {'yes' if tests else 'no':>5} {grants:>6} {asserts if tests else 0:>7} "
        f"{mine.wall:>9.3f} {mine.cpu:>7.3f} {peer:>11} {cell(theirs, limit, cpu=True):>8} "
        f"{ratio(theirs, mine, limit):>7} {ratio(theirs, mine, limit, cpu=True):>9}"
    )


def counts(result: BuildResult) -> tuple[int, int]:
    doc = result.policy_document or {}
    asserts = sum(len(t.get("accept", [])) + len(t.get("deny", [])) for t in doc.get("tests", []))
    return len(doc.get("grants", [])), asserts


@dataclass
class Run:
    """One bench run's settings, and which test modes already hit the peer limit."""

    repeat: int
    limit: float
    slow: float
    cut_at: set[bool]


def measure(label: str, text: str, where: Path, run: Run) -> bool:
    """Print the case's two rows (with and without tests); False when headscale is not built."""
    result = prepare("target: headscale\n" + text, where)
    peer = Peer(result, where)
    for tests in (True, False):
        policy, theirs_file = where / "out/policy.hujson", where / "out/headscale/policy.hujson"
        if not tests:
            policy, theirs_file = without_tests(policy), without_tests(theirs_file)
        mine = ours(where, policy, run.repeat, run.slow)
        theirs: Timing | None = None
        if tests in run.cut_at:
            peer_text = "not run"
        else:
            theirs = peer.check(theirs_file, run.repeat, run.limit, run.slow)
            peer_text = cell(theirs, run.limit)
            if theirs is not None and theirs.cut:
                run.cut_at.add(tests)
        print(row(label, tests, counts(result), mine, peer_text, run.limit, theirs), flush=True)
    return peer.command is not None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,5000", help="device counts, e.g. 100,1000")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement")
    parser.add_argument(
        "--peer-limit", type=float, default=60, help="seconds per headscale run before it is cut"
    )
    parser.add_argument(
        "--slow", type=float, default=5, help="a run slower than this (seconds) is not repeated"
    )
    args = parser.parse_args()
    cases = [("example", (ROOT / "site.yaml").read_text())]
    cases += [(f"{int(n):,} devices", site_text(int(n))) for n in args.sizes.split(",")]
    run = Run(args.repeat, args.peer_limit, args.slow, set())
    print(HEADER)
    started, built = time.perf_counter(), True
    with tempfile.TemporaryDirectory() as tmp:
        for i, (label, text) in enumerate(cases):
            built = measure(label, text, Path(tmp) / str(i), run) and built
    print(f"total {time.perf_counter() - started:.0f} s wall")
    if run.cut_at:
        print(
            f">N: headscale's run was cut at --peer-limit {run.limit:.0f} s, so the ratio is a "
            "lower bound (its cpu column: what it used until cut); `not run`: a smaller size "
            "already hit the limit, and a larger one only takes longer"
        )
    if not built:
        print("headscale is not built: run scripts/build-peers.sh for the peer column")


if __name__ == "__main__":
    main()
