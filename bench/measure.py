"""Shared measuring helpers for the benchmarks: a child process's wall time, CPU time and peak
RSS (from `os.wait4`, so each child is measured alone), tracemalloc peaks in-process, and the
growth/ratio columns every benchmark prints.

Why CPU time beside wall time: the benchmark machine is shared (8 engineers on 2 cores), and
wall time then measures the neighbours as much as tailgen; CPU time and peak RSS do not.
"""

from __future__ import annotations

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


def best_child(
    cmd: Sequence[str], repeat: int, cwd: Path | None = None, env: dict[str, str] | None = None
) -> Run:
    """The fastest of `repeat` runs by wall time (the least disturbed one), its CPU and RSS."""
    runs = [run_child(cmd, cwd, env) for _ in range(repeat)]
    return min(runs, key=lambda r: r.wall)


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
