"""The load/fault test, short form: 30 plan/push cycles with random faults (bench/ runs 200).

Figures are printed (`pytest -s`); the assertions are the safety properties: never a mixed
state, a backup for every write, and every kind of outcome actually exercised.
"""

from __future__ import annotations

from pathlib import Path

from live_load import run_cycles


def test_30_cycles_with_random_faults_never_leave_a_mix(tmp_path: Path) -> None:
    figures = run_cycles(30, seed=16, backup_dir=tmp_path / "backups")
    print("\n" + figures.summary())
    assert figures.cycles == figures.pushes == 30
    assert figures.mixes == [] and figures.missing_backups == []
    assert figures.applied and figures.refused and figures.failed
    assert figures.retries > 0 and sum(figures.faults.values()) > 0
    assert figures.backups >= figures.writes
