"""Snapshots from disk: the only part of the review that reads files.

A path names one side of a review:

- a site file (`*.yaml`, `*.yml`): compiled in memory, so the side knows its tailnet
  (users, devices, services, break-glass paths), as the desired side usually is;
- a directory: every file in it, as `tailgen build` wrote it (`out/`);
- any other file: one artifact, named by what it is (`dns.json`, `<zone>.zone`, else a policy
  file), and a partial snapshot: the other artifacts are not compared.
"""

from __future__ import annotations

from pathlib import Path

from compiler.build import build
from compiler.errors import TailgenError
from compiler.output import read_tree
from compiler.review.snapshot import DNS_SETTINGS, POLICY, Snapshot, snapshot
from compiler.site.loader import display_name

SITE_SUFFIXES = (".yaml", ".yml")


def read_snapshot(path: str | Path) -> Snapshot:
    """The snapshot `path` names (see the module docstring); TailgenError if unreadable."""
    path = Path(path)
    label = display_name(path)
    if path.is_dir():
        return snapshot(read_tree(path), label.rstrip("/") + "/")
    if not path.is_file():
        raise TailgenError(f"{label}: no such file or directory")
    if path.suffix.lower() in SITE_SUFFIXES:
        result, _ = build(path)
        return snapshot(result.files, label, result.site, policy=result.policy_document)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TailgenError(f"{label}: cannot read: {exc.strerror or exc}") from None
    return snapshot({artifact_name(path): data}, label, partial=True)


def artifact_name(path: Path) -> str:
    """Where a lone file sits in out/: what it is decides, not where it was found."""
    if path.name == DNS_SETTINGS:
        return DNS_SETTINGS
    if path.suffix == ".zone":
        return f"dns/{path.name}"
    return POLICY
