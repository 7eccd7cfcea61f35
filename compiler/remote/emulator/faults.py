"""Fault injection: a queue of one-shot faults, each for the next request(s) it matches.

Kinds: `429` (with `Retry-After`), `500`, `slow` (answer after a delay), `drop` (close the
connection before answering), `drop-after` (do the work, then close without answering: the
client cannot know whether a write landed), and `edit` (someone edits the policy in the admin
console just before this request is handled). Counts of injected faults are kept for reports.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass

KINDS = ("429", "500", "slow", "drop", "drop-after", "edit", "edit-dns")


@dataclass
class Fault:
    kind: str
    op: str = "*"  # an operation id (`setPolicyFile`) or `*` for any request
    count: int = 1
    retry_after: int = 1
    delay: float = 0.2
    after: int = 0  # let this many matching requests through first

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault {self.kind!r}: one of {', '.join(KINDS)}")

    @classmethod
    def parse(cls, spec: str) -> Fault:
        """`KIND[:OP[:COUNT]]`, as `serve-emulator --fault 429:setPolicyFile:2` takes it."""
        kind, _, rest = spec.partition(":")
        op, _, count = rest.partition(":")
        return cls(kind, op or "*", int(count or 1))


class Faults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: list[Fault] = []
        self.injected: Counter[str] = Counter()

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._queue.append(fault)

    def clear(self) -> None:
        with self._lock:
            self._queue.clear()

    def pending(self) -> int:
        with self._lock:
            return sum(f.count for f in self._queue)

    def take(self, op: str) -> Fault | None:
        """The first queued fault for `op`, consumed once."""
        with self._lock:
            for fault in self._queue:
                if fault.op in ("*", op):
                    if fault.after > 0:
                        fault.after -= 1
                        return None
                    fault.count -= 1
                    if fault.count <= 0:
                        self._queue.remove(fault)
                    self.injected[fault.kind] += 1
                    return fault
        return None
