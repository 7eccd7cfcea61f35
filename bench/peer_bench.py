"""`tailgen validate` against the real `headscale policy check`, on the same policies.

Run: python bench/peer_bench.py [--sizes 1000] [--repeat 5]

For the example site and synthetic sites (`bench.build_bench.generate_site`), both compiled with
`target: headscale`: median wall seconds (headscale's runs are cut at --peer-limit seconds) of `tailgen validate out/policy.hujson --site …` (our
offline check: policy rules, then the generated tests) and of `headscale policy check -f
out/headscale/policy.hujson` offline (`--bypass-grpc-and-access-database-directly`, a database
holding the site's users, so headscale runs the tests too). Both are whole processes, as a user
or CI runs them. Prints the ratio headscale / tailgen. headscale comes from the peer cache
(scripts/build-peers.sh); when it is not built, the peer column is skipped with a message.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from bench.build_bench import site_text  # noqa: E402
from compiler.build import BuildResult, compile_text, write  # noqa: E402


def timed(cmd: Sequence[str], repeat: int, limit: float | None = None) -> float:
    """Median wall seconds; `inf` when one run exceeds `limit` (then it is not repeated)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=limit)
        except subprocess.TimeoutExpired:
            return float("inf")
        times.append(time.perf_counter() - start)
        if proc.returncode != 0:
            raise SystemExit(f"{cmd[0]} failed: {proc.stderr or proc.stdout}")
    return statistics.median(times)


def prepare(text: str, where: Path) -> BuildResult:
    where.mkdir(parents=True)
    (where / "site.yaml").write_text(text)
    result = compile_text(text, "site.yaml")
    write(result, where / "out")
    return result


def ours(where: Path, repeat: int) -> float:
    cmd = [sys.executable, "-m", "compiler", "validate", str(where / "out/policy.hujson")]
    return timed([*cmd, "--site", str(where / "site.yaml")], repeat)


def theirs(result: BuildResult, where: Path, repeat: int, limit: float) -> float | None:
    from peers import OfflineHeadscale, binaries, site_nodes, site_users

    bins = binaries(build=False)
    if bins is None:
        return None
    hs = OfflineHeadscale(bins, where)
    hs.seed(site_users(result.site), site_nodes(result.site))
    bypass = "--bypass-grpc-and-access-database-directly"
    policy = str(where / "out/headscale/policy.hujson")
    cmd = [str(bins.headscale), "-c", str(hs.config), "policy", "check", "-f", policy, bypass]
    return timed([*cmd, "--force"], repeat, limit)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--peer-limit", type=float, default=300, help="seconds per headscale run")
    args = parser.parse_args()
    cases = [("example", (ROOT / "site.yaml").read_text())]
    cases += [(f"{n} devices", site_text(int(n))) for n in args.sizes.split(",")]
    print(f"{'site':>14} {'grants':>7} {'tailgen s':>10} {'headscale s':>12} {'ratio':>7}")
    skipped = False
    with tempfile.TemporaryDirectory() as tmp:
        for i, (label, text) in enumerate(cases):
            where = Path(tmp) / str(i)
            result = prepare("target: headscale\n" + text, where)
            grants = result.files["policy.hujson"].count(b'"src"')
            mine = ours(where, args.repeat)
            peer = theirs(result, where, args.repeat, args.peer_limit)
            skipped = skipped or peer is None
            peer_text = f"{peer:>12.3f}" if peer is not None else f"{'-':>12}"
            if peer == float("inf"):
                peer_text = f"{'>' + str(int(args.peer_limit)):>12}"
            ratio = f"{peer / mine:>6.2f}x" if peer is not None else f"{'-':>7}"
            print(f"{label:>14} {grants:>7} {mine:>10.3f} {peer_text} {ratio}")
    if skipped:
        print("headscale is not built: run scripts/build-peers.sh for the peer column")


if __name__ == "__main__":
    main()
