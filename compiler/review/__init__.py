"""Review a change before it is applied: `diff(desired, current) -> Plan`, and its formats.

- `snapshot`: one side of a review (artifacts with the policy parsed once, and the site when
  known); build one with `snapshot(files, label, site, partial, policy)`;
- `diff`: the Plan (access by the evaluator, policy by section, DNS, launch, text, safety);
- `planfmt`: text, markdown and json renderings;
- `read`: snapshots from disk (a site file, an out/ directory, a single artifact file).
"""

from __future__ import annotations

from compiler.review.diff import Plan, diff
from compiler.review.snapshot import Snapshot, snapshot

__all__ = ["Plan", "Snapshot", "diff", "snapshot"]
