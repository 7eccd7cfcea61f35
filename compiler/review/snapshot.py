"""A Snapshot: one side of a review, as artifacts plus whatever is known about its site.

Both sides of a diff are the same kind of value so that "desired" and "current" can each come
from a site file (compiled), an `out/` directory, a single hand-edited file, or later the live
tailnet. The diff compares artifacts, never site text: a site is only carried along because it
is what tells the evaluator which users, devices and services exist, and which break-glass paths
must survive. A snapshot read from `out/` has no site, so the review borrows the other side's.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from compiler import hujson, jsontext
from compiler.errors import InputError, Problem, Span, TailgenError
from compiler.output import MANIFEST, sha256
from compiler.site.model import Site

POLICY = "policy.hujson"
DNS_SETTINGS = "dns.json"


@dataclass(frozen=True)
class Snapshot:
    """Artifacts keyed by their path relative to out/ (`policy.hujson`, `dns/phl.kvet.ch.zone`).

    `partial` marks a snapshot that speaks only for the files it holds (a single policy file,
    or the live tailnet, which has no launch configs): artifacts it does not hold are not
    compared, rather than reported as added.
    """

    files: Mapping[str, bytes] = field(default_factory=dict)
    label: str = ""
    site: Site | None = None
    partial: bool = False
    policy: Mapping[str, Any] | None = None  # the policy document, parsed (None: no policy)

    def text(self, path: str) -> str | None:
        data = self.files.get(path)
        return None if data is None else data.decode("utf-8", "replace")

    def file_name(self, path: str) -> str:
        """The name a problem in artifact `path` is reported under: the file itself for a
        directory (`out/dns.json`) or a lone file (its label), else the label and the path."""
        if self.label.endswith("/"):
            return self.label + path
        if self.label == path or self.label.endswith(f"/{path}"):
            return self.label
        return f"{self.label}: {path}"

    @cached_property
    def dns(self) -> dict[str, Any] | None:
        """The DNS settings (None: no `dns.json`), parsed once here for every reader: the
        DNS diff, the live plan's digest and push all read this value, not the text.
        InputError, at file:line:col, when the file is not a JSON object."""
        text = self.text(DNS_SETTINGS)
        return None if text is None else read_dns_settings(text, self.file_name(DNS_SETTINGS))


def snapshot(
    files: Mapping[str, bytes],
    label: str,
    site: Site | None = None,
    partial: bool = False,
    policy: Mapping[str, Any] | None = None,
) -> Snapshot:
    """A snapshot holding its parsed artifacts: `policy` as compiled data when the caller has
    it (a site build), else parsed once here from the files (out/, a file, the live tailnet).
    TailgenError when the policy file is not a HuJSON object, or `dns.json` not a JSON one:
    a broken file is reported when the side is read, before any comparison."""
    if policy is None and POLICY in files:
        policy = parse_policy_text(files[POLICY].decode("utf-8", "replace"), label)
    side = Snapshot(files, label, site, partial, policy)
    _ = side.dns  # parsed now, so a broken dns.json is an error before any comparison
    return side


def parse_policy_text(text: str, label: str) -> dict[str, Any]:
    try:
        doc = hujson.loads(text)
    except hujson.HujsonError as exc:
        raise TailgenError(f"{label}: {POLICY}: {exc}") from None
    if not isinstance(doc, dict):
        raise TailgenError(f"{label}: {POLICY}: a policy is a JSON object")
    return doc


def read_dns_settings(text: str, file: str) -> dict[str, Any]:
    """The settings a `dns.json` holds. A hand-edited or truncated file is an InputError at
    the file:line:col where the decoder stopped, not a traceback; a value other than an
    object is one too (the DNS diff and push read the settings as an object)."""
    try:
        doc = jsontext.loads(text)
    except ValueError as exc:
        raise InputError([jsontext.problem(exc, file, "dns-json")]) from None
    if not isinstance(doc, dict):
        span = Span(file, 1, 1)
        raise InputError([Problem("dns-json", "DNS settings are a JSON object", span)])
    return doc


def artifact_paths(snapshot: Snapshot) -> set[str]:
    """The paths a snapshot speaks for; the manifest is bookkeeping, not an artifact."""
    return {p for p in snapshot.files if p != MANIFEST}


def compared_paths(desired: Snapshot, current: Snapshot) -> list[str]:
    """Paths to compare: everything either side holds, narrowed to what a partial side holds."""
    paths = artifact_paths(desired) | artifact_paths(current)
    for side in (desired, current):
        if side.partial:
            paths &= artifact_paths(side)
    return sorted(paths)


def checksum(files: Mapping[str, bytes]) -> str:
    """A digest of the artifacts (not the manifest), so a reviewed plan can be pinned.

    It hashes each path with the sha256 of its bytes, in path order: the same value the
    manifest's `files` table would give, and independent of the site file's comments.
    """
    lines = "".join(
        f"{path}\0{sha256(files[path])}\n" for path in sorted(files) if path != MANIFEST
    )
    return "sha256:" + hashlib.sha256(lines.encode()).hexdigest()
