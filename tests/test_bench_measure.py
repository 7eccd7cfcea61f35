"""The benchmarks' arithmetic on fixed numbers: growth per doubling, best-of-N selection, peak RSS
over runs and the acceptance lines. Nothing here times anything or asserts a speed: the figures
are made up, so the tests are as steady as the arithmetic they check.

The expected values are written out independently of the code under test: exact cases where
the answer is known by hand (linear growth is 2.0x per doubling whatever the step; t ~ n**2 is
4.0x), and for uneven steps figures computed with `bc -l` (`e(l(ratio)*l(2)/l(nratio))`).
"""

from __future__ import annotations

import sys
from typing import Any

import pytest

from datafiles import REPO

if str(REPO) not in sys.path:  # `pytest` alone puts only tests/ on the path; bench/ sits beside
    sys.path.insert(0, str(REPO))

from bench.build_bench import acceptance, parse_sizes, summarise
from bench.measure import Run, best_of, peak_rss_mb, per_doubling, verdict


@pytest.mark.parametrize(
    ("t1", "t2", "n1", "n2", "expected"),
    [
        (1.0, 2.0, 1000, 2000, 2.0),  # one doubling: the raw factor itself
        (1.0, 5.0, 1000, 5000, 2.0),  # linear over an uneven step is still 2.0
        (0.4, 4.0, 1000, 10000, 2.0),  # linear, 1k -> 10k
        (1.0, 16.0, 1000, 4000, 4.0),  # quadratic: 16x over two doublings
        (2.0, 54.0, 1000, 8000, 3.0),  # 27x over three doublings
        (3.0, 3.0, 1000, 5000, 1.0),  # flat
        (4.0, 2.0, 1000, 2000, 0.5),  # got faster
    ],
)
def test_per_doubling_exact(t1: float, t2: float, n1: int, n2: int, expected: float) -> None:
    assert per_doubling(t2, t1, n2, n1) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    ("ratio", "expected"),
    [
        (2.65, 2.0901292534),  # the 2k -> 5k step the brief saw read 2.65x
        (2.13, 1.7717791244),  # ... and 2.13x in another run
    ],
)
def test_per_doubling_uneven_step(ratio: float, expected: float) -> None:
    """2,000 -> 5,000 devices is log2(2.5) = 1.32 doublings, so a raw factor reads lower."""
    assert per_doubling(ratio, 1.0, 5000, 2000) == pytest.approx(expected, rel=1e-9)
    # scale-free: the same ratio at ten times the times gives the same figure
    assert per_doubling(10 * ratio, 10.0, 5000, 2000) == pytest.approx(expected, rel=1e-9)


def test_per_doubling_inverts() -> None:
    """Compounding the figure over the step's doublings (2.5x = 1.3219... of them, by bc:
    l(2.5)/l(2)) gives back the raw ratio."""
    doublings = 1.3219280949
    assert per_doubling(2.65, 1.0, 5000, 2000) ** doublings == pytest.approx(2.65, rel=1e-9)


@pytest.mark.parametrize(
    ("t1", "t2", "n1", "n2"),
    [(1.0, 2.0, 1000, 1000), (1.0, 2.0, 0, 1000), (0.0, 2.0, 1000, 2000), (1.0, -1.0, 1, 2)],
)
def test_per_doubling_rejects(t1: float, t2: float, n1: int, n2: int) -> None:
    with pytest.raises(ValueError):
        per_doubling(t2, t1, n2, n1)


def test_best_of_takes_the_minimum_and_the_first_of_equals() -> None:
    items = [("a", 3.0), ("b", 1.5), ("c", 2.0), ("d", 1.5)]
    assert best_of(items, key=lambda item: item[1]) == ("b", 1.5)
    with pytest.raises(ValueError):
        best_of([], key=float)


def test_peak_rss_is_the_max_over_runs() -> None:
    runs = [_run(wall=1.0, rss=80.0), _run(wall=0.5, rss=95.0), _run(wall=2.0, rss=70.0)]
    assert peak_rss_mb(runs) == 95.0
    with pytest.raises(ValueError):
        peak_rss_mb([])


def test_summarise_keeps_the_fastest_run_and_the_highest_rss() -> None:
    """The fastest build's own figures (not the fastest child overall: the child's wall time
    also counts the site's generation) and the highest RSS, which here is another run's."""
    runs = [
        (_run(wall=9.0, rss=300.0), _figures(build_s=2.9, ref_s=0.30)),
        (_run(wall=9.5, rss=310.0), _figures(build_s=2.4, ref_s=0.25)),
        (_run(wall=8.0, rss=305.0), _figures(build_s=2.6, ref_s=0.20)),
    ]
    result = summarise(5000, runs)
    assert result.build_s == 2.4
    assert result.best["ref_s"] == 0.25  # the fastest build's run, with its own reference
    assert result.rss_mb == 310.0
    assert result.build_times == (2.9, 2.4, 2.6)
    assert result.spread == pytest.approx(2.9 / 2.4 - 1)


def test_acceptance_lines() -> None:
    """1k at 0.5 s to 10k at 4.8 s is 9.6x over log2(10) = 3.32 doublings: by bc,
    e(l(9.6)*l(2)/l(10)) = 1.9755..., met; 5k at 2.6 s misses its 2.5 s."""
    results = [
        summarise(1000, [(_run(), _figures(build_s=0.5))]),
        summarise(5000, [(_run(), _figures(build_s=2.6)), (_run(), _figures(build_s=2.7))]),
        summarise(10000, [(_run(), _figures(build_s=4.8))]),
    ]
    assert acceptance(results) == [
        "growth 1,000 -> 10,000 devices: 1.98x per doubling (target <= 2.3x): met",
        "5,000 devices: 2.600 s (target <= 2.5 s): not met",
        "10,000 devices: 4.800 s (target <= 5.0 s): met",
    ]


def test_acceptance_growth_over_target_and_missing_sizes() -> None:
    """1k at 0.1 s to 2k at 0.25 s is one doubling at 2.5x: over 2.3x."""
    results = [
        summarise(1000, [(_run(), _figures(build_s=0.1))]),
        summarise(2000, [(_run(), _figures(build_s=0.25))]),
    ]
    assert acceptance(results) == [
        "growth 1,000 -> 2,000 devices: 2.50x per doubling (target <= 2.3x): not met",
        "5,000 devices (target <= 2.5 s): not measured",
        "10,000 devices (target <= 5.0 s): not measured",
    ]
    assert acceptance(results[:1])[0] == "growth (target <= 2.3x per doubling): needs two sizes"


def test_verdict_and_sizes() -> None:
    assert (verdict(True), verdict(False)) == ("met", "not met")
    assert parse_sizes("5000,1000,2000,1000") == [1000, 2000, 5000]


def _run(wall: float = 1.0, rss: float = 50.0) -> Run:
    return Run(wall=wall, cpu=wall, rss_mb=rss, status=0)


def _figures(build_s: float, ref_s: float = 0.1) -> dict[str, Any]:
    return {"build_s": build_s, "ref_s": ref_s, "cpu_s": build_s, "bare_s": build_s}
