"""Apply a reviewed plan (or a backup) to the live tailnet, guarded at every step.

The order is what makes it safe:

1. the live policy's ETag and DNS digest must still be what the plan recorded (else exit 4,
   nothing written);
2. the live state is backed up (policy verbatim + ETag, DNS, routes) before any write;
3. the policy is POSTed with `If-Match` the plan's ETag (`ts-default` on first adoption); a
   412 stops everything (exit 4). headscale has no ETag: its provider re-reads the policy just
   before the write and refuses the same way (weaker: `Provider.guard_note` says why). A write whose outcome is unknown (connection dropped, 5xx)
   is never repeated blindly: the policy is read back and the stored text decides;
4. DNS (no ETags) is read again and compared with the plan right before it is written;
5. if anything fails after the policy was written, the policy is restored from the backup
   (with `If-Match` the ETag just written), so the tailnet is left old or new, never a mix;
   if even that fails, the error says exactly what is live and which backup to roll back to;
6. everything is read back and compared with what was meant to be live.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from compiler.errors import LiveChangedError, Problem, RemoteError, TailgenError, UnsafePlanError
from compiler.remote import backup as backups
from compiler.remote import dnsconfig
from compiler.remote.client import TS_DEFAULT
from compiler.remote.errors import OutcomeUnknown, PreconditionFailed
from compiler.remote.live import LiveState, fetch
from compiler.remote.liveplan import LivePlan
from compiler.remote.provider import Provider, control_plane, recorded_plane
from compiler.review.snapshot import POLICY, Snapshot, checksum


@dataclass
class Step:
    name: str
    status: str  # running | ok | skipped | failed
    detail: str = ""


@dataclass
class Outcome:
    steps: list[Step] = field(default_factory=list)
    backup: str = ""
    policy_written: bool = False
    dns_written: bool = False
    routes_written: int = 0
    restored: bool = False
    etag_before: str = ""
    etag_after: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


Progress = Callable[[Step], None]


@dataclass(frozen=True)
class Target:
    """What to make live (None: leave it) and what the live state must still be."""

    policy: str | None
    dns: dict[str, Any] | None
    expect_etag: str
    expect_dns: str
    if_match: str
    routes: dict[str, list[str]] | None = None
    applied: tuple[str, str] | None = None  # (ETag, DNS digest) once this target is live


def check_plan(plan: LivePlan, desired: Snapshot, provider: Provider, force: bool) -> None:
    """Refuse a plan that is not the one to apply: another tailnet, a changed site, a
    policy the control plane rejected, or an unsafe plan without --force."""
    if recorded_plane(plan.target, plan.api, plan.tailnet) != control_plane(provider):
        raise TailgenError(
            f"the plan was made for {plan.target} {plan.api} tailnet {plan.tailnet!r}, not "
            f"{provider.target} {provider.base_url} tailnet {provider.tailnet!r}"
        )
    if checksum(desired.files) != plan.checksum:
        raise TailgenError(
            f"{desired.label} no longer builds what the plan was reviewed with "
            "(checksum differs): run `tailgen plan` again and review it"
        )
    if plan.validation.get("message"):
        raise RemoteError(
            f"the control plane rejected this policy when the plan was made: "
            f"{plan.validation['message']}"
        )
    if not plan.safe and not force:
        problems = [Problem("unsafe", r["message"]) for r in plan.reasons]
        hint = "review the plan; push with --force to apply it anyway"
        raise UnsafePlanError([*problems, Problem("unsafe", "the plan is unsafe", hint=hint)])


def plan_target(plan: LivePlan, desired: Snapshot, replace: bool = False) -> Target:
    """The writes a plan makes. On first adoption the policy is POSTed with If-Match
    `ts-default` (only over the untouched default) unless `replace` says to replace a
    hand-written policy (then If-Match the plan's ETag, like every later push)."""
    return Target(
        policy=desired.text(POLICY) if plan.policy_changed else None,
        dns=desired.dns if plan.dns_changed else None,
        expect_etag=plan.live_etag,
        expect_dns=plan.live_dns,
        if_match=TS_DEFAULT if plan.adopt and not replace else plan.live_etag,
        applied=(plan.desired_etag, plan.desired_dns or plan.live_dns),
    )


def push(
    provider: Provider,
    plan: LivePlan,
    desired: Snapshot,
    backup_dir: Path,
    *,
    force: bool = False,
    replace: bool = False,
    progress: Progress | None = None,
) -> Outcome:
    check_plan(plan, desired, provider, force)
    if not plan.changed:
        return Outcome([Step("plan", "skipped", "nothing to do")], etag_before=plan.live_etag)
    return apply(provider, plan_target(plan, desired, replace), backup_dir, progress)


def rollback(
    provider: Provider, saved: backups.Backup, backup_dir: Path, progress: Progress | None = None
) -> Outcome:
    """Make the live tailnet what `saved` holds, guarded by the state read just now."""
    backups.check_belongs(saved, provider)
    live = fetch(provider)
    old = saved.live
    routes = {
        str(d["id"]): list(d.get("enabledRoutes") or [])
        for d in old.devices
        if "id" in d and _enabled(live, str(d["id"])) not in (None, d.get("enabledRoutes") or [])
    }
    target = Target(
        policy=old.policy.text if old.policy.text != live.policy.text else None,
        dns=old.dns
        if old.dns is not None and dnsconfig.digest(old.dns) != live.dns_digest
        else None,
        expect_etag=live.policy.etag,
        expect_dns=live.dns_digest,
        if_match=live.policy.etag,
        routes=routes or None,
    )
    return apply(provider, target, backup_dir, progress, live)


def _enabled(live: LiveState, device_id: str) -> list[str] | None:
    for d in live.devices:
        if str(d.get("id")) == device_id:
            return list(d.get("enabledRoutes") or [])
    return None


class _Run:
    """One guarded apply: the steps, in order, recording what was written."""

    def __init__(self, provider: Provider, target: Target, progress: Progress | None) -> None:
        self.provider = provider
        self.target = target
        self.progress = progress
        self.out = Outcome()

    def step(self, name: str, status: str, detail: str = "") -> None:
        step = Step(name, status, detail)
        if status != "running":
            self.out.steps.append(step)
        if self.progress:
            self.progress(step)

    def guard(self, live: LiveState) -> None:
        t = self.target
        self.out.etag_before = live.policy.etag
        if live.policy.etag != t.expect_etag:
            raise LiveChangedError(
                [
                    Problem(
                        "live-changed",
                        f"the live policy changed since the plan (ETag {live.policy.etag}, "
                        f"plan {t.expect_etag}); nothing was written",
                        hint="run `tailgen plan` again and review what changed",
                    )
                ]
            )
        if t.dns is not None and live.dns_digest != t.expect_dns:
            raise _dns_changed("nothing was written")

    def write_policy(self, live: LiveState, text: str) -> None:
        self.step("policy", "running")
        try:
            stored = self.provider.set_policy(text, self.target.if_match)
            self.out.etag_after = stored.etag
        except PreconditionFailed as exc:
            extra = [Problem("nothing-written", "nothing was written")]
            if self.target.if_match == TS_DEFAULT:
                extra.append(_adoption_problem())
            raise amend(exc, *extra) from None
        except OutcomeUnknown as exc:
            self._resolve_unknown(live, text, exc)
        self.out.policy_written = True
        guard = f"{self.provider.guard} {self.target.if_match} → {self.out.etag_after}"
        self.step("policy", "ok", guard)

    def _resolve_unknown(self, live: LiveState, text: str, exc: OutcomeUnknown) -> None:
        """The POST's answer was lost: read the policy back; the stored text decides."""
        now = self.provider.get_policy()
        if now.text == self.provider.stored(text):
            self.out.etag_after = now.etag
            return
        if now.etag == live.policy.etag:
            raise amend(exc, Problem("nothing-written", "read back: nothing was written")) from None
        raise LiveChangedError("the live policy changed while it was being written; check it")

    def write_dns(self, dns: dict[str, Any]) -> None:
        self.step("dns", "running")
        current = self.provider.get_dns()
        if current is None or dnsconfig.digest(current) != self.target.expect_dns:
            raise _dns_changed("DNS was not written")
        self.provider.set_dns(dns)
        self.out.dns_written = True
        self.step("dns", "ok", "configuration replaced")

    def write_routes(self, routes: dict[str, list[str]]) -> None:
        for device_id, enabled in sorted(routes.items()):
            self.provider.set_routes(device_id, enabled)
            self.out.routes_written += 1
        self.step("routes", "ok", f"{len(routes)} device(s)")

    def undo_policy(self, live: LiveState, error: TailgenError) -> TailgenError:
        """Put the backed-up policy back after a later step failed; the error, amended to
        say exactly what is live now."""
        try:
            self.provider.set_policy(live.policy.text, self.out.etag_after)
        except TailgenError as undo:
            failed = undo.problems[0].message if undo.problems else str(undo)
            return RemoteError(
                [
                    *error.problems,
                    Problem(
                        "partly-written",
                        "the policy WAS written and DNS was not; restoring the old policy "
                        f"failed: {failed}",
                        hint=f"run `tailgen rollback {self.out.backup}`",
                    ),
                ]
            )
        self.out.restored = True
        self.out.policy_written = False
        self.step("undo", "ok", "old policy restored from the backup")
        return amend(
            error, Problem("restored", "the policy write was undone: the tailnet is as it was")
        )

    def verify(self) -> None:
        t = self.target
        if t.policy is not None and self.provider.get_policy().text != self.provider.stored(
            t.policy
        ):
            raise RemoteError("verify: the live policy is not what was written")
        if t.dns is not None:
            now = self.provider.get_dns()
            if now is None or dnsconfig.digest(now) != dnsconfig.digest(t.dns):
                raise RemoteError("verify: the live DNS settings are not what was written")
        self.step("verify", "ok", "live state equals the plan")


def apply(
    provider: Provider,
    target: Target,
    backup_dir: Path,
    progress: Progress | None = None,
    live: LiveState | None = None,
) -> Outcome:
    run = _Run(provider, target, progress)
    run.step("read", "running")
    live = live or fetch(provider)
    run.step("read", "ok", f"ETag {live.policy.etag}")
    if target.applied and (live.policy.etag, live.dns_digest) == target.applied:
        run.step("plan", "skipped", "already applied: the live tailnet is what the plan makes it")
        run.out.etag_before = run.out.etag_after = live.policy.etag
        return run.out
    run.guard(live)
    run.out.backup = str(backups.write(live, backup_dir, provider))
    run.step("backup", "ok", run.out.backup)
    if target.policy is not None:
        run.write_policy(live, target.policy)
    try:
        if target.dns is not None:
            run.write_dns(target.dns)
        if target.routes:
            run.write_routes(target.routes)
    except TailgenError as exc:
        if run.out.policy_written:
            raise run.undo_policy(live, exc) from None
        raise
    run.verify()
    return run.out


def amend(error: TailgenError, *extra: Problem) -> TailgenError:
    """The same kind of error (same exit code), saying more."""
    kind: type[TailgenError] = TailgenError
    for cls in (LiveChangedError, RemoteError):
        if isinstance(error, cls):
            kind = cls
            break
    return kind([*error.problems, *extra])


def _dns_changed(what: str) -> LiveChangedError:
    return LiveChangedError(
        [
            Problem(
                "dns-changed",
                f"the live DNS settings changed since the plan; {what}",
                hint="run `tailgen plan` again and review what changed",
            )
        ]
    )


def _adoption_problem() -> Problem:
    return Problem(
        "adoption",
        "first adoption: the live policy is not the untouched default (someone wrote it)",
        hint="review it with `tailgen diff --against live`; `push --replace` replaces it "
        "(If-Match the plan's ETag instead of ts-default)",
    )
