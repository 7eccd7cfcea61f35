"""200 consecutive plan/push cycles against the API emulator with random fault injection.

Run: python bench/live_faults.py [--cycles 200] [--seed 16] [--max-seconds 300]

Loopback only (the emulator binds 127.0.0.1 on an ephemeral port), bounded by the cycle
count and by --max-seconds. Each cycle plans the site variant the emulated tailnet does not
have, injects one random fault (429 with Retry-After, 500s within and beyond the retry
budget, dropped connections before and after a write, slow answers, console edits of the
policy or DNS between plan and push or during the push), pushes, and checks the emulator's
own state: old or new, never a mix, and a backup for every write. The test suite runs the
same driver for 30 cycles (tests/test_live_load.py). Prints the figures; exits 1 if a
property failed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from live_load import run_cycles


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=200)
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--max-seconds", type=float, default=300, help="stop early after this")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tailgen-live-bench-") as tmp:
        figures = run_cycles(args.cycles, args.seed, Path(tmp) / "backups", args.max_seconds)
    print(figures.summary())
    if figures.mixes or figures.missing_backups:
        print(
            f"FAILED: mixed states {figures.mixes}, writes without a backup {figures.missing_backups}"
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
