"""Shared measuring helpers for the benchmarks: a child process's wall time, CPU time and peak
RSS (from `os.wait4`, so each child is measured alone), tracemalloc peaks in-process, and the
growth/ratio columns every benchmark prints.

Why the fastest of several runs, not their median: on a shared machine noise only ever adds
time (a neighbour's burst, a page fault storm), so the least disturbed run is the closest to
tailgen's own cost, and the minimum is steadier than the median when only 2 or 3 runs fit.

Why CPU time beside wall time: the benchmark machine is shared (8 engineers on 2 cores), and
wall time then measures the neighbours as much as tailgen; CPU time and peak RSS do not.
"""

from __future__ import annotations

import math
import os
import subprocess
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Run:
    """One child process: seconds of wall and CPU time, peak RSS in MB, exit status, stdout."""

    wall: float
    cpu: float
    rss_mb: float
    status: int
    stdout: str = ""


def run_child(
    cmd: Sequence[str],
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    capture: bool = False,
) -> Run:
    """Run `cmd` (stdout kept if `capture`, else discarded; stderr discarded) and measure it
    alone: its own rusage via `os.wait4`, not that of every child so far."""
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        proc = subprocess.Popen(
            cmd,
            cwd=cwd,
            env=env,
            stdout=out if capture else subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode()
    cpu = usage.ru_utime + usage.ru_stime
    return Run(wall, cpu, usage.ru_maxrss / 1024, proc.returncode, text)


def child_runs(
    cmd: Sequence[str],
    repeat: int,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    capture: bool = False,
) -> list[Run]:
    """`repeat` fresh runs of `cmd`, each measured alone: a fresh process per run, so no run
    inherits the previous one's caches or heap, and each peak RSS is its own."""
    if repeat < 1:
        raise ValueError(f"repeat must be at least 1, not {repeat}")
    return [run_child(cmd, cwd, env, capture) for _ in range(repeat)]


def best_of(items: Sequence[T], key: Callable[[T], float]) -> T:
    """The item with the least `key` (the fastest run: see the module docstring for why the
    minimum). The first of equals, so the choice is reproducible."""
    if not items:
        raise ValueError("best_of needs at least one item")
    return min(items, key=key)


def best_child(
    cmd: Sequence[str], repeat: int, cwd: Path | None = None, env: dict[str, str] | None = None
) -> Run:
    """The fastest of `repeat` runs by wall time (the least disturbed one), its CPU and RSS."""
    return best_of(child_runs(cmd, repeat, cwd, env), key=lambda r: r.wall)


def peak_rss_mb(runs: Sequence[Run]) -> float:
    """The highest peak RSS of `runs`: memory is not disturbed by neighbours the way time is,
    so the max (the worst case a user can hit) is the figure to hold against a budget."""
    if not runs:
        raise ValueError("peak_rss_mb needs at least one run")
    return max(r.rss_mb for r in runs)


def traced(func: Callable[[], T]) -> tuple[T, float, float]:
    """`func()`, its seconds and its tracemalloc peak in MB (Python allocations only)."""
    tracemalloc.start()
    start = time.perf_counter()
    try:
        result = func()
        seconds = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, seconds, peak / 1e6


def growth(value: float, previous: float | None) -> str:
    """`value / previous` as `2.1x`, or blank for the first size."""
    return f"{value / previous:.2f}x" if previous else ""


def per_doubling(value: float, previous: float, n: int, n_previous: int) -> float:
    """The growth from `previous` (at size `n_previous`) to `value` (at `n`) as a factor per
    doubling of the size, `(value / previous) ** (1 / log2(n / n_previous))`: steps of uneven
    size (1k->2k, 2k->5k) then read on one scale, where linear is 2.0 and quadratic 4.0."""
    if n <= 0 or n_previous <= 0 or n == n_previous:
        raise ValueError(f"sizes must be positive and differ, not {n_previous} and {n}")
    if value <= 0 or previous <= 0:
        raise ValueError(f"values must be positive, not {previous} and {value}")
    return float((value / previous) ** (1 / math.log2(n / n_previous)))


def factor(value: float) -> str:
    """A factor as the columns print it: `2.13x`."""
    return f"{value:.2f}x"


def verdict(met: bool) -> str:
    """An acceptance target's outcome, spelled out beside its figure."""
    return "met" if met else "not met"
