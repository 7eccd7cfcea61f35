"""Running one independent step of a command in a forked child while the parent goes on.

Why: a build's self-check (the compiled policy evaluated with its tests, then linted) needs
only the site and the policy, and compiling and rendering the launch and DNS files needs
neither its result nor its time; on a machine with two cores both can run at once. Threads
cannot (one interpreter lock), and a process pool would pickle the whole site to its worker;
a fork shares the parent's memory as it stands, so only the step's result crosses, pickled,
through a pipe.

It changes how fast, never what: the step runs in-process instead where a fork is unsafe or
unavailable (anything but Linux: Windows has no fork and macOS's system libraries are not
fork-safe; or other threads are alive, whose locks a child would inherit held), where the
caller says the input is too small to repay a fork, and when `TAILGEN_JOBS=1` (to profile or
debug one process). A child that fails in any way sends nothing and the parent runs the step
itself, so a bug shows its own traceback, raised in the parent.
"""

from __future__ import annotations

import os
import pickle
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

JOBS_VARIABLE = "TAILGEN_JOBS"
"""Set to 1 to run every step in one process."""


def can_fork() -> bool:
    """Whether a step may run in a forked child here and now (see the module docstring)."""
    return (
        sys.platform.startswith("linux")
        and os.environ.get(JOBS_VARIABLE, "").strip() != "1"
        and threading.active_count() == 1
    )


@contextmanager
def beside(step: Callable[[], T], worth_forking: bool) -> Iterator[Callable[[], T]]:
    """Start `step` and give a function that waits for its result; the block runs meanwhile.

    Forked only when `worth_forking` (the caller's judgement of the input's size) and
    `can_fork()`; otherwise the step runs in-process when its result is asked for. Leaving
    the block without asking (an error in the parent's own work) stops the child."""
    if not (worth_forking and can_fork()):
        yield step
        return
    child = _Child.start(step)
    try:
        yield child.result
    finally:
        child.stop()


@dataclass
class _Child(Generic[T]):
    """A forked child running `step`, and the read end of the pipe its result comes by."""

    step: Callable[[], T]
    pid: int
    reader: int
    reaped: bool = False

    @classmethod
    def start(cls, step: Callable[[], T]) -> _Child[T]:
        reader, writer = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child's lines are measured in the child
            os.close(reader)
            _run_in_child(step, writer)
        os.close(writer)
        return cls(step, pid, reader)

    def result(self) -> T:
        """The child's result, or the step run here if the child sent none."""
        reader, self.reader = self.reader, -1
        with os.fdopen(reader, "rb") as pipe:
            data = pipe.read()
        _, status = os.waitpid(self.pid, 0)
        self.reaped = True
        if os.waitstatus_to_exitcode(status) == 0 and data:
            value: T = pickle.loads(data)
            return value
        return self.step()

    def stop(self) -> None:
        """Kill and reap a child whose result was never asked for."""
        if self.reaped:
            return
        if self.reader >= 0:
            os.close(self.reader)
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        self.reaped = True


def _run_in_child(step: Callable[[], T], writer: int) -> None:  # pragma: no cover
    """Run the step, send its pickled result, and leave without running the parent's exit
    handlers or flushing its copied output buffers (which would print the parent's text twice)."""
    status = 1
    try:
        data = pickle.dumps(step(), pickle.HIGHEST_PROTOCOL)
        with os.fdopen(writer, "wb") as pipe:
            pipe.write(data)
        status = 0
    except BaseException:  # any failure: the parent runs the step itself
        status = 1
    finally:
        os._exit(status)
