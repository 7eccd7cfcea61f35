"""The plan as JSON for CI and for `push`: a stable schema with a `version` field.

The schema is documented in docs/plan-schema.md. Compatible additions (a new key) keep
`version`; a renamed or removed key, or a changed meaning, bumps it. Output is deterministic:
keys in a fixed order, lists in the plan's order, two-space indent, one trailing newline.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from compiler.review.access import AccessChange
from compiler.review.diff import Plan
from compiler.review.planfmt.common import counts, summary_line
from compiler.review.policydiff import PolicyChange
from compiler.review.textdiff import FileDiff
from compiler.review.universe import Target

VERSION = 1


def render(plan: Plan) -> str:
    return json.dumps(to_dict(plan), indent=2, ensure_ascii=False) + "\n"


def to_dict(plan: Plan) -> dict[str, Any]:
    return {
        "version": VERSION,
        "desired": plan.desired,
        "current": plan.current,
        "changed": plan.changed,
        "summary": summary_line(plan),
        "counts": counts(plan),
        "safety": {
            "safe": plan.safe,
            "reasons": [{"code": r.code, "message": r.message} for r in plan.verdict.reasons],
        },
        "access": _access(plan),
        "policy": [_policy(c) for c in plan.policy],
        "dns": [asdict(c) for c in plan.dns],
        "launch": [asdict(c) for c in plan.launch],
        "files": [_file(f) for f in plan.files],
        "checksum": plan.checksum,
    }


def _access(plan: Plan) -> dict[str, Any]:
    a = plan.access
    return {
        "evaluated": a.evaluated,
        "note": a.note,
        "existing": a.existing,
        "allowed": a.allowed,
        "gained": [_change(c) for c in a.gained],
        "lost": [_change(c) for c in a.lost],
    }


def target(t: Target) -> dict[str, Any]:
    return {"host": t.host, "address": t.address, "proto": t.proto, "port": t.port, "name": str(t)}


def _change(c: AccessChange) -> dict[str, Any]:
    return {
        "principal": c.principal,
        "target": target(c.target),
        "declared_by": list(c.labels),
        "rules": list(c.rules),
        "wildcard": c.wildcard,
    }


def _policy(c: PolicyChange) -> dict[str, Any]:
    return {
        "section": c.section,
        "change": c.change,
        "key": c.key,
        "old": c.old,
        "new": c.new,
        "details": list(c.details),
    }


def _file(f: FileDiff) -> dict[str, Any]:
    added, removed = f.counts
    return {"path": f.path, "change": f.change, "added": added, "removed": removed, "diff": f.diff}
