"""Plan/push cycles against the emulator with random fault injection (the load/fault test).

Each cycle plans the site variant the tailnet does not have, queues one random fault (or an
out-of-band edit between plan and push), pushes, and then checks the emulator's own state:
it must equal either what it was just before the push or exactly the new policy and DNS, never
a mix; and every cycle in which anything was written must have left exactly one new backup,
holding the state from before the write. Loopback only, bounded in cycles; retries wait no
real time (the client's sleep is a recorder).
"""

from __future__ import annotations

import functools
import json
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from live_harness import SITE, Sleeps, client, desired, emulator

from compiler import hujson
from compiler.build import compile_text
from compiler.errors import LiveChangedError, TailgenError
from compiler.remote import dnsconfig, liveplan, push
from compiler.remote.emulator import Emulator
from compiler.review import Snapshot
from compiler.review.snapshot import DNS_SETTINGS, POLICY

# (kind, operation, count, extra): what can go wrong in one cycle.
FAULTS: tuple[tuple[str, str, int, dict[str, Any]], ...] = (
    ("none", "", 0, {}),
    ("429", "*", 2, {"retry_after": 3}),
    ("500", "getPolicyFile", 2, {}),
    ("500", "getDnsConfiguration", 2, {}),
    ("500", "listTailnetDevices", 1, {}),
    ("500", "setDnsConfiguration", 2, {}),
    ("500", "setDnsConfiguration", 3, {}),  # retry budget spent after the policy write
    ("500", "setPolicyFile", 1, {}),  # never retried: the read-back decides
    ("drop", "getDnsConfiguration", 1, {}),
    ("drop-after", "setPolicyFile", 1, {}),  # written, answer lost
    ("slow", "*", 1, {"delay": 0.01}),
    ("edit", "between", 0, {}),  # console edit between plan and push
    ("edit", "setPolicyFile", 1, {}),  # console edit just before our POST
    ("edit-dns", "between", 0, {}),
    ("edit-dns", "getDnsConfiguration", 1, {"after": 1}),  # DNS edited mid-push
)


@dataclass
class Figures:
    cycles: int = 0
    pushes: int = 0
    applied: int = 0
    refused: int = 0  # exit 4: the live tailnet changed
    failed: int = 0  # exit 1: retry budget spent, outcome resolved, nothing left half-done
    writes: int = 0  # cycles in which anything was written (incl. undone writes)
    backups: int = 0
    retries: int = 0
    requests: int = 0
    faults: Counter[str] = field(default_factory=Counter)
    mixes: list[str] = field(default_factory=list)
    missing_backups: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        faults = ", ".join(f"{k} {v}" for k, v in sorted(self.faults.items()))
        return (
            f"{self.cycles} cycles in {self.seconds:.1f} s: {self.pushes} pushes, "
            f"{self.applied} applied, {self.refused} refused (exit 4), {self.failed} failed "
            f"(exit 1); faults injected: {faults}; {self.retries} retries over "
            f"{self.requests} requests; {self.writes} cycles wrote, {self.backups} backups; "
            f"mixed states: {len(self.mixes)}, writes without a backup: {len(self.missing_backups)}"
        )


@functools.cache
def sides() -> tuple[Snapshot, Snapshot]:
    """Two builds that differ in both policy and DNS."""
    text = SITE.read_text(encoding="utf-8")
    text = text.replace("allow: [emory]\n", "allow: [emory, partner]\n", 1)
    text = text.replace("magic_dns: true", "magic_dns: false", 1)
    other = compile_text(text, "site.yaml")
    return desired(), Snapshot(other.files, "site.yaml", site=other.site)


def state(emu: Emulator) -> tuple[bytes, bytes]:
    with emu.state.lock:
        return emu.state.policy, dnsconfig.render(emu.state.dns)


def wanted(side: Snapshot) -> tuple[bytes, bytes]:
    policy = hujson.format(side.text(POLICY) or "").encode()
    return policy, dnsconfig.render(json.loads(side.text(DNS_SETTINGS) or "{}"))


def run_cycles(cycles: int, seed: int, backup_dir: Path, max_seconds: float = 300) -> Figures:
    """Up to `cycles` cycles, stopping early once `max_seconds` have passed."""
    figures = Figures()
    rng = random.Random(seed)
    started = time.perf_counter()
    with emulator() as emu, client(emu, sleeps=Sleeps()) as c:
        for number in range(cycles):
            if time.perf_counter() - started > max_seconds:
                break
            one_cycle(emu, c, rng, backup_dir, figures, number)
        figures.retries, figures.requests = c.stats.retries, c.stats.requests
        figures.faults.update(emu.faults.injected)
    figures.seconds = time.perf_counter() - started
    return figures


def one_cycle(
    emu: Emulator, c: Any, rng: random.Random, backup_dir: Path, figures: Figures, number: int
) -> None:
    a, b = sides()
    target = b if state(emu)[0] == wanted(a)[0] else a
    planned = liveplan.make_plan(c, target)
    kind, op, count, extra = rng.choice(FAULTS)
    if op == "between":
        (emu.edit_policy_out_of_band if kind == "edit" else emu.edit_dns_out_of_band)()
        figures.faults[f"{kind}-between"] += 1
    elif kind != "none":
        emu.inject(kind, op, count, **extra)
    before, writes, edits = state(emu), emu.state.writes, emu.edits
    known = set(backup_dir.iterdir()) if backup_dir.is_dir() else set()
    figures.pushes += 1
    try:
        push.push(c, planned.plan, target, backup_dir, force=True)
        figures.applied += 1
    except LiveChangedError:
        figures.refused += 1
    except TailgenError:
        figures.failed += 1
    finally:
        emu.faults.clear()
    figures.cycles += 1
    edited = emu.edits > edits  # someone else wrote during the push: that is "old" too
    check(
        emu,
        f"{number} {kind}:{op}",
        before,
        wanted(target),
        writes,
        known,
        backup_dir,
        figures,
        edited,
    )


def check(
    emu: Emulator,
    number: str,
    before: tuple[bytes, bytes],
    new: tuple[bytes, bytes],
    writes: int,
    known: set[Path],
    backup_dir: Path,
    figures: Figures,
    edited: bool,
) -> None:
    """Old or new, never a mix: the policy is new exactly when DNS is, and a state that is
    not the new one is the one from before the push (or from the console edit made during
    it); every cycle that wrote left one new backup of the state it replaced."""
    after = state(emu)
    is_new = [mine == theirs for mine, theirs in zip(after, new, strict=True)]
    if is_new[0] != is_new[1] or not (all(is_new) or after == before or edited):
        figures.mixes.append(number)
    fresh = (set(backup_dir.iterdir()) if backup_dir.is_dir() else set()) - known
    figures.backups += len(fresh)
    if emu.state.writes == writes:
        return
    figures.writes += 1
    saved = [
        p
        for p in fresh
        if ((p / "policy.hujson").read_bytes(), (p / "dns.json").read_bytes()) == before
    ]
    if len(fresh) != 1 or not saved:
        figures.missing_backups.append(number)
