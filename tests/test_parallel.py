"""A step run beside the rest of a command (`compiler.parallel`), and the build that uses it.

Forking changes how fast a build is, never what it gives: these tests run the same build in
one process and with its self-check in a forked child and compare everything it returns or
raises; and they check the fallbacks (no fork where it is unsafe, the parent running the step
itself when a child fails) and that a child left behind is stopped.
"""

from __future__ import annotations

import gc
import os
import threading
import time
from pathlib import Path

import pytest

from compiler import build, parallel
from compiler.collector import paused_gc
from compiler.errors import Problem, Span, TailgenError

SITE = Path(__file__).resolve().parents[1] / "site.yaml"

linux_only = pytest.mark.skipif(
    os.uname().sysname != "Linux", reason="steps are forked on Linux only"
)


@pytest.fixture(autouse=True)
def _jobs_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(parallel.JOBS_VARIABLE, raising=False)


@linux_only
def test_a_step_worth_forking_runs_in_a_child() -> None:
    assert parallel.can_fork()
    with parallel.beside(os.getpid, worth_forking=True) as result:
        assert result() != os.getpid()


@pytest.mark.parametrize("why", ["small input", "TAILGEN_JOBS=1", "another thread"])
def test_a_step_runs_in_process_where_a_fork_is_not_wanted(
    why: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    stop = threading.Event()
    worker = threading.Thread(target=stop.wait)
    if why == "TAILGEN_JOBS=1":
        monkeypatch.setenv(parallel.JOBS_VARIABLE, "1")
    if why == "another thread":
        worker.start()
    try:
        with parallel.beside(os.getpid, worth_forking=why != "small input") as result:
            assert result() == os.getpid()
    finally:
        stop.set()
        if worker.is_alive():
            worker.join()


@linux_only
@pytest.mark.parametrize("failure", ["raises", "unpicklable", "exits"])
def test_the_parent_runs_the_step_itself_when_the_child_sends_nothing(failure: str) -> None:
    parent = os.getpid()

    def step() -> object:
        if os.getpid() == parent:
            return "from the parent"
        if failure == "raises":
            raise RuntimeError("a bug in the child")
        if failure == "exits":
            os._exit(0)
        return lambda: None  # pickle refuses a lambda

    with parallel.beside(step, worth_forking=True) as result:
        assert result() == "from the parent"


@linux_only
def test_an_error_of_the_step_is_raised_in_the_parent() -> None:
    def step() -> None:
        raise TailgenError("the step's own error")

    with parallel.beside(step, worth_forking=True) as result, pytest.raises(TailgenError) as err:
        result()
    assert [p.message for p in err.value.problems] == ["the step's own error"]


@linux_only
def test_a_child_whose_result_is_never_asked_for_is_stopped() -> None:
    started = time.monotonic()
    with (
        pytest.raises(KeyError),
        parallel.beside(lambda: time.sleep(60), worth_forking=True) as result,
    ):
        pid = result.__self__.pid  # type: ignore[attr-defined]
        raise KeyError("the parent's own work failed")
    assert time.monotonic() - started < 30
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # already reaped: no zombie left


def _built(monkeypatch: pytest.MonkeyPatch, forked: bool) -> build.BuildResult:
    monkeypatch.setattr(build, "FORK_FROM_DEVICES", 0 if forked else 10**9)
    return build.compile_text(SITE.read_text(), "site.yaml")


@linux_only
def test_a_build_with_its_self_check_forked_gives_the_same_result(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pids: list[int] = []
    original = build.self_check

    def recorded(*args: object) -> list[Problem]:
        pids.append(os.getpid())
        return original(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(build, "self_check", recorded)
    serial = _built(monkeypatch, forked=False)
    forked = _built(monkeypatch, forked=True)
    assert pids == [os.getpid()]  # the forked run's self-check ran elsewhere
    assert forked.files == serial.files
    assert forked.problems == serial.problems
    assert forked.summary == serial.summary


@linux_only
@pytest.mark.parametrize("forked", [False, True])
def test_a_failing_self_check_fails_a_forked_build_alike(
    forked: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    import compiler.evaluate

    broken = Problem("test-failed", "a generated test fails", Span("out/policy.hujson", 1, 1))
    monkeypatch.setattr(compiler.evaluate, "validate", lambda *_a, **_k: [broken])
    with pytest.raises(TailgenError) as err:
        _built(monkeypatch, forked)
    assert err.value.problems == [broken]


def test_what_survives_a_pause_of_the_collector_is_frozen_and_it_resumes() -> None:
    gc.unfreeze()
    try:
        with paused_gc():
            with paused_gc():
                kept = [[] for _ in range(1000)]
            assert not gc.isenabled()  # the inner pause does not resume it
            assert gc.get_freeze_count() == 0
        assert gc.isenabled()
        assert gc.get_freeze_count() >= len(kept)
    finally:
        gc.unfreeze()
