"""`tailgen report` on generated sites: seconds, peak RSS, page size and growth per doubling.

Run: python bench/report_bench.py [--sizes 500,1000,2000,5000] [--shape default] [--repeat 2]

Each size's site (`bench.build_bench.site_text`) is written to a fresh directory and the real
command runs there as a child process (`python -m compiler report site.yaml -o report.html`),
`--repeat` times: the fastest run's wall and CPU time, the highest peak RSS (see
`bench.measure`). The page is principals × service ports, so its bytes grow about 4x per
doubling of devices whatever the implementation; what must not is the cost per cell (the
`µs/cell` column stays flat when time grows with the page) and memory, which grows with
rows, columns and allowed cells, never with the page (the page is written row by row).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.build_bench import parse_sizes, site_text
from bench.measure import best_of, child_runs, factor, peak_rss_mb, per_doubling

SUMMARY = re.compile(r"(\d+) principals × (\d+) ports: (\d+) allowed")


@dataclass(frozen=True)
class Figures:
    """One size: the fastest run's seconds, the peak RSS of all runs, the page and its cells."""

    devices: int
    wall: float
    cpu: float
    rss_mb: float
    html_mb: float
    cells: int
    allowed: int


def measure(n: int, shape: str, repeat: int) -> Figures | str:
    """Run the command `repeat` times on a fresh site of `n` devices (or why it failed)."""
    with tempfile.TemporaryDirectory(prefix="tailgen-report-") as tmp:
        work = Path(tmp)
        (work / "site.yaml").write_text(site_text(n, shape), encoding="utf-8")
        cmd = [sys.executable, "-m", "compiler", "report", "site.yaml", "-o", "report.html"]
        runs = child_runs(cmd, repeat, cwd=work)
        if any(r.status for r in runs):
            return f"exit {next(r.status for r in runs if r.status)}"
        page = work / "report.html"
        cells, allowed = _counts(page)
        best = best_of(runs, key=lambda r: r.wall)
        size = page.stat().st_size / 1e6
        return Figures(n, best.wall, best.cpu, peak_rss_mb(runs), size, cells, allowed)


def _counts(page: Path) -> tuple[int, int]:
    """Cells and allowed cells, from the page's summary line (near its start)."""
    with page.open(encoding="utf-8") as handle:
        found = SUMMARY.search(handle.read(1 << 16))
    if found is None:
        return 0, 0
    rows, columns, allowed = (int(x) for x in found.groups())
    return rows * columns, allowed


def _step(f: Figures, previous: Figures | None) -> str:
    """Growth per doubling of devices from the previous size: time, RSS, page bytes."""
    if previous is None:
        return f"{'':>8} {'':>8} {'':>8}"
    grow = [
        per_doubling(now, before, f.devices, previous.devices)
        for now, before in (
            (f.wall, previous.wall),
            (f.rss_mb, previous.rss_mb),
            (f.html_mb, previous.html_mb),
        )
    ]
    return " ".join(f"{factor(g):>8}" for g in grow)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", default="500,1000,2000,5000")
    parser.add_argument("--shape", default="default")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, load {os.getloadavg()[0]:.1f}, shape {args.shape}")
    print(
        f"{'devices':>8} {'cells':>10} {'allowed':>8} {'wall s':>7} {'cpu s':>7} {'RSS MB':>7}"
        f" {'HTML MB':>8} {'µs/cell':>8} {'time/2x':>8} {'RSS/2x':>8} {'HTML/2x':>8}"
    )
    previous: Figures | None = None
    for n in parse_sizes(args.sizes):
        f = measure(n, args.shape, args.repeat)
        if isinstance(f, str):
            print(f"{n:>8}  failed ({f})")
            continue
        per_cell = f.cpu / f.cells * 1e6 if f.cells else 0.0
        print(
            f"{n:>8} {f.cells:>10} {f.allowed:>8} {f.wall:>7.2f} {f.cpu:>7.2f} {f.rss_mb:>7.0f}"
            f" {f.html_mb:>8.1f} {per_cell:>8.2f} {_step(f, previous)}"
        )
        previous = f
    print(
        "x/2x = growth per doubling of devices (linear 2.00x, quadratic 4.00x); the page is"
        " principals x ports, so HTML (and with it time) grows ~4x, while µs/cell stays flat"
        " and RSS grows with rows + columns + allowed cells"
    )


if __name__ == "__main__":
    main()
