"""What emitters hand back: rendered files with their problems, and policy entries that one
emitter contributes to another's artifact (DNS adds port-53 grants to the policy)."""

from __future__ import annotations

from dataclasses import dataclass, field

from compiler.errors import Problem


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
    """One artifact kind rendered: files (paths relative to out/), problems, summary lines."""

    files: dict[str, bytes] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)
