"""Site → artifacts. One module per artifact kind, registered in one table (sqlglot style).

Each emitter is a pure function `emit(site) -> Emitted`: the files it renders (paths relative
to out/, deterministic bytes) and the problems it found (e.g. the bind guard's refusals).
Adding an artifact kind is one new module plus one line in `EMITTERS`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field

from compiler.errors import Problem
from compiler.site.model import Site


@dataclass(frozen=True)
class Rule:
    """One policy entry another emitter contributes (e.g. DNS: port 53 to each resolver).

    `section` is the policy key ("grants", "tests", "hosts", …); `body` the JSON value of the
    entry (for object sections like "hosts", a one-key dict); `origin` the comment written
    above it, e.g. "site.yaml:31 location phl resolver".
    """

    section: str
    body: dict[str, object]
    origin: str


@dataclass
class Emitted:
    files: dict[str, bytes] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)


# name → "module:function"; imported lazily so `tailgen --version` stays fast.
EMITTERS: dict[str, str] = {
    "policy": "compiler.emit.policy:emit",
    "dns": "compiler.emit.dns:emit",
    "launch": "compiler.emit.launch:emit",
    "headscale": "compiler.emit.headscale:emit",
}


# Other emitters that add rules to the policy ("module:function", each `(site) -> list[Rule]`).
POLICY_CONTRIBUTORS: tuple[str, ...] = ("compiler.emit.dns:policy_rules",)


def emitter(name: str) -> Callable[[Site], Emitted]:
    module_name, _, func = EMITTERS[name].partition(":")
    function: Callable[[Site], Emitted] = getattr(importlib.import_module(module_name), func)
    return function


def contributed_rules(site: Site) -> list[Rule]:
    rules: list[Rule] = []
    for ref in POLICY_CONTRIBUTORS:
        module_name, _, func = ref.partition(":")
        rules.extend(getattr(importlib.import_module(module_name), func)(site))
    return rules


def emit_all(site: Site) -> Emitted:
    """Run every registered emitter; paths must not collide."""
    total = Emitted()
    for name in EMITTERS:
        part = emitter(name)(site)
        clash = total.files.keys() & part.files.keys()
        if clash:  # a programming error, not a user one
            raise RuntimeError(f"emitter {name!r} rewrites {sorted(clash)}")
        total.files.update(part.files)
        total.problems.extend(part.problems)
        total.summary.extend(part.summary)
    return total
