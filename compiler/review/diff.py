"""`diff(desired, current) -> Plan`: what applying `desired` over `current` changes (pure).

A plan leads with meaning and ends with bytes: access gained and lost (by the evaluator),
policy changes by section, DNS and launch-config changes, then the unified diff of each file,
a safety verdict and a checksum of the desired artifacts that pins what was reviewed. It is a
value: `compiler.review.planfmt` renders it, the CLI picks the exit code, `push` (later)
refuses a plan whose checksum no longer matches.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from compiler.collector import paused_gc
from compiler.review import access as access_mod
from compiler.review.access import AccessDiff
from compiler.review.canonical import Keys
from compiler.review.dnsdiff import DnsChange, dns_changes
from compiler.review.launchdiff import LaunchChange, launch_changes
from compiler.review.policydiff import PolicyChange, policy_changes
from compiler.review.safety import Verdict, new_wildcard_rules, verdict
from compiler.review.snapshot import (
    DNS_SETTINGS,
    POLICY,
    Snapshot,
    checksum,
    compared_paths,
    parse_policy_text,
)
from compiler.review.textdiff import FileDiff, file_diffs
from compiler.review.universe import FactsOf

DnsSides = tuple[Mapping[str, Any] | None, Mapping[str, Any] | None]


@dataclass(frozen=True)
class Plan:
    desired: str  # label of the desired side ("site.yaml")
    current: str  # label of the current side ("out/")
    access: AccessDiff
    policy: tuple[PolicyChange, ...]
    dns: tuple[DnsChange, ...]
    launch: tuple[LaunchChange, ...]
    files: tuple[FileDiff, ...]
    verdict: Verdict
    checksum: str  # of the desired artifacts: pins what was reviewed

    @property
    def changed(self) -> bool:
        """Anything to apply: an access change, or any artifact whose bytes differ."""
        return bool(self.access or self.policy or self.dns or self.launch or self.files)

    @property
    def safe(self) -> bool:
        return self.verdict.safe


@paused_gc()
def diff(desired: Snapshot, current: Snapshot) -> Plan:
    """The plan for replacing `current` with `desired` (see the module docstring). The cyclic
    collector is paused meanwhile (as for a build, `compiler.collector`): the evaluators,
    atoms and positions it makes are long-lived and acyclic, and re-traversing them next to
    two compiled sites was a fifth of a diff."""
    paths = compared_paths(desired, current)
    new = {p: t for p in paths if (t := desired.text(p)) is not None}
    old = {p: t for p in paths if (t := current.text(p)) is not None}
    docs = _policies(desired, current, paths)
    facts, keys = FactsOf(), Keys()  # what both the access review and the policy diff ask
    access = access_mod.review(desired, current, docs, facts, keys)
    wildcards = new_wildcard_rules(*docs) if docs else []
    sites = [site for site in (desired.site, current.site) if site is not None]
    paths_kept = set().union(*(facts(site).break_glass for site in sites))
    policy = tuple(policy_changes(*docs, keys) if docs else ())
    settings = _dns_settings(desired, current, paths)
    dns, launch, files = _text_changes(new, old, paths, settings)
    return Plan(
        desired=desired.label,
        current=current.label,
        access=access,
        policy=policy,
        dns=dns,
        launch=launch,
        files=files,
        verdict=verdict(access, wildcards, paths_kept),
        checksum=checksum(desired.files),
    )


def _dns_settings(desired: Snapshot, current: Snapshot, paths: list[str]) -> DnsSides:
    """Both sides' DNS settings as each snapshot parsed them, or none when `dns.json` is not
    compared (a partial side without it)."""
    if DNS_SETTINGS not in paths:
        return None, None
    return desired.dns, current.dns


def _text_changes(
    new: dict[str, str], old: dict[str, str], paths: list[str], settings: DnsSides
) -> tuple[tuple[DnsChange, ...], tuple[LaunchChange, ...], tuple[FileDiff, ...]]:
    """What the artifacts say changed: DNS settings, launch files, every file's lines."""
    return (
        tuple(dns_changes(new, old, *settings)),
        tuple(launch_changes(new, old)),
        tuple(file_diffs(new, old, paths)),
    )


def _policies(
    desired: Snapshot, current: Snapshot, paths: list[str]
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """Both policies parsed (a side without one has an empty policy), or None if neither
    side's policy is compared."""
    if POLICY not in paths:
        return None
    return parse_policy(desired), parse_policy(current)


def parse_policy(snapshot: Snapshot) -> dict[str, Any]:
    """The side's policy document: the one the snapshot holds, else parsed from its file
    (a Snapshot built directly, without `snapshot()`), else empty."""
    if snapshot.policy is not None:
        return dict(snapshot.policy)
    text = snapshot.text(POLICY)
    return {} if text is None else parse_policy_text(text, snapshot.label)
