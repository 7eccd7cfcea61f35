"""`tailgen plan`: the live state against what the site builds, as a saved, versioned plan.

The plan pins what was reviewed: the live policy's ETag and a digest of the live DNS (the
tailnet at review time), and the checksum of the desired artifacts (what will be applied).
`push` applies a plan only while all three still hold. The plan also names the control plane
(`target`) and how its writes are guarded (`guard`: If-Match, or headscale's weaker
re-read-and-compare, `compiler.remote.headscale`). The file's schema is documented in
docs/plan-schema.md ("The live plan file"); it holds no secrets (no credentials, no headers).
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from compiler import jsontext
from compiler.errors import InputError, IOFailure
from compiler.remote import dnsconfig
from compiler.remote.client import Validation
from compiler.remote.live import Drift, LiveState, drift, snapshot
from compiler.remote.provider import Provider, live_label
from compiler.review import Plan, Snapshot, diff
from compiler.review.snapshot import DNS_SETTINGS, POLICY

FORMAT = "tailgen-live-plan"
VERSION = 1


@dataclass(frozen=True)
class LivePlan:
    site: str
    api: str
    tailnet: str
    checksum: str  # of the desired artifacts (compiler.review.snapshot.checksum)
    live_etag: str
    live_dns: str  # dnsconfig.digest of the live DNS at review time ("" without a DNS API)
    adopt: bool  # the live policy is not tailgen's: first adoption (If-Match "ts-default")
    policy_changed: bool
    dns_changed: bool
    desired_etag: str  # the ETag the desired policy will have once stored
    desired_dns: str
    safe: bool
    reasons: list[dict[str, str]] = field(default_factory=list)
    validation: dict[str, Any] = field(default_factory=dict)
    drift: list[dict[str, str]] = field(default_factory=list)
    review: dict[str, Any] = field(default_factory=dict)
    target: str = "tailscale"  # the control plane: tailscale | headscale
    guard: str = "If-Match"  # how push refuses a stale write (headscale: re-read-and-compare)

    @property
    def changed(self) -> bool:
        return self.policy_changed or self.dns_changed

    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT, "version": VERSION, **asdict(self)}


@dataclass(frozen=True)
class Planned:
    """A plan and what it was made from (the review plan, the live state, the drift)."""

    plan: LivePlan
    review: Plan
    live: LiveState
    drift: list[Drift]
    validation: Validation


def make_plan(provider: Provider, desired: Snapshot, validate: bool = True) -> Planned:
    """Fetch live state, diff it against `desired`, validate remotely, and pin it all."""
    from compiler.remote.live import fetch
    from compiler.review.planfmt import jsonfmt

    live = fetch(provider)
    review = diff(desired, snapshot(live, live_label(provider)))
    policy_text = desired.text(POLICY) or ""
    desired_dns = _dns_digest(desired) if live.dns is not None else ""
    policy_changed = provider.stored(policy_text) != live.policy.text
    verdict = Validation()
    if validate and policy_changed:
        verdict = provider.validate_policy(policy_text)
    drifted = drift(desired.site, live.devices) if desired.site else []
    plan = LivePlan(
        site=desired.label,
        api=provider.base_url,
        tailnet=provider.tailnet,
        checksum=review.checksum,
        live_etag=live.policy.etag,
        live_dns=live.dns_digest,
        adopt=not live.written_by_tailgen,
        policy_changed=policy_changed,
        dns_changed=bool(desired_dns) and desired_dns != live.dns_digest,
        desired_etag=provider.etag_for(policy_text),
        desired_dns=desired_dns,
        safe=review.safe,
        reasons=[{"code": r.code, "message": r.message} for r in review.verdict.reasons],
        validation={"message": verdict.message, "data": verdict.data},
        drift=[d.to_dict() for d in drifted],
        review=jsonfmt.to_dict(review),
        target=provider.target,
        guard=provider.guard,
    )
    return Planned(plan, review, live, drifted, verdict)


def _dns_digest(desired: Snapshot) -> str:
    """The digest of the DNS settings `desired` holds ("" when it holds none)."""
    settings = desired.dns
    if settings is None:
        return ""
    try:
        return dnsconfig.digest(settings)
    except ValueError as exc:
        raise InputError(
            f"{desired.label}: {DNS_SETTINGS}: not a DNS configuration: {exc}"
        ) from None


def save(plan: LivePlan, path: Path) -> None:
    """Write the plan atomically (a failed write leaves no half-written plan)."""
    data = (json.dumps(plan.to_json(), indent=2) + "\n").encode()
    write_atomic(path, data)


def write_atomic(path: Path, data: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except (OSError, ValueError) as exc:
        raise IOFailure(f"{path}: cannot write: {getattr(exc, 'strerror', None) or exc}") from None


def load(path: Path) -> LivePlan:
    try:
        text = path.read_bytes().decode("utf-8")
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the name, or not UTF-8
        raise IOFailure(f"{path}: cannot read: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        data = jsontext.loads(text)
    except ValueError as exc:
        raise InputError(f"{path}: not a plan file: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise InputError(f"{path}: not a tailgen plan file (made by `tailgen plan -o FILE`)")
    if data.get("version") != VERSION:
        raise InputError(
            f"{path}: plan version {data.get('version')!r}; this tailgen reads version {VERSION}"
        )
    fields = {k: v for k, v in data.items() if k in LivePlan.__dataclass_fields__}
    for name, value in fields.items():
        kind = _KINDS[str(LivePlan.__dataclass_fields__[name].type).split("[")[0]]
        if not isinstance(value, kind):
            raise InputError(f"{path}: {name}: expected {kind.__name__}, not {value!r:.40}")
    try:
        return LivePlan(**fields)
    except TypeError as exc:
        raise InputError(f"{path}: incomplete plan file: {exc}") from None


_KINDS: dict[str, type] = {"str": str, "bool": bool, "list": list, "dict": dict}
