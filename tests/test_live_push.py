"""End to end over real loopback HTTP: plan, push and rollback against the emulator.

Each test starts its own emulator (port 0) seeded from the example site and drives the library
the CLI calls; the checks read the emulator's stored state directly, not through the client
under test.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pytest
from live_harness import SITE, Recorder, Sleeps, client, desired, emulator

from compiler import hujson
from compiler.build import compile_text
from compiler.errors import ExitCode, LiveChangedError, RemoteError, TailgenError, UnsafePlanError
from compiler.remote import backup, liveplan, push
from compiler.remote.emulator import Emulator
from compiler.remote.emulator.state import DEFAULT_POLICY
from compiler.review import Snapshot
from compiler.review.snapshot import DNS_SETTINGS, POLICY

SHARE_LMSTUDIO = ("allow: [emory]\n", "allow: [emory, partner]\n")
MAGIC_OFF = ("magic_dns: true", "magic_dns: false")


@functools.cache
def variant(*edits: tuple[str, str]) -> Snapshot:
    """The example site with some edits, compiled (once per session: compiling is slow)."""
    text = SITE.read_text(encoding="utf-8")
    for old, new in edits:
        assert old in text
        text = text.replace(old, new, 1)
    result = compile_text(text, "site.yaml")
    return Snapshot(result.files, "site.yaml", site=result.site)


def state(emu: Emulator) -> tuple[bytes, str]:
    with emu.state.lock:
        return emu.state.policy, json.dumps(emu.state.dns, sort_keys=True)


def adopt(emu: Emulator, tmp_path: Path) -> push.Outcome:
    with client(emu) as c:
        planned = liveplan.make_plan(c, desired())
        return push.push(c, planned.plan, desired(), tmp_path / "backups", force=True)


def canonical(snapshot: Snapshot) -> bytes:
    return hujson.format(snapshot.text(POLICY) or "").encode()


def test_first_adoption_sends_ts_default_and_applies(tmp_path: Path) -> None:
    recorder = Recorder()
    with emulator() as emu, client(emu, transport=recorder) as c:
        planned = liveplan.make_plan(c, desired())
        assert planned.plan.adopt and planned.plan.changed
        assert not planned.plan.safe  # the default allows everything: adopting loses access
        with pytest.raises(UnsafePlanError) as refused:
            push.push(c, planned.plan, desired(), tmp_path / "b")
        assert refused.value.exit_code == ExitCode.UNSAFE
        outcome = push.push(c, planned.plan, desired(), tmp_path / "b", force=True)
        assert outcome.policy_written and outcome.dns_written
        assert state(emu)[0] == canonical(desired())
        assert json.loads(emu.state.dns and json.dumps(emu.state.dns)) == json.loads(
            desired().text(DNS_SETTINGS) or ""
        )
    posts = [x for x in recorder.exchanges if x.method == "POST" and x.url.endswith("/acl")]
    assert [p.headers["if-match"] for p in posts] == ['"ts-default"']
    saved = backup.read(Path(outcome.backup))
    assert saved.live.policy.text == hujson.format(DEFAULT_POLICY)


def test_adoption_over_a_hand_written_policy_stops_unless_replace(tmp_path: Path) -> None:
    with emulator() as emu, client(emu) as c:
        emu.edit_policy_out_of_band()  # someone wrote the policy in the console
        planned = liveplan.make_plan(c, desired())
        before = state(emu)
        with pytest.raises(LiveChangedError) as stopped:
            push.push(c, planned.plan, desired(), tmp_path / "b", force=True)
        assert stopped.value.exit_code == ExitCode.CONFLICT
        assert "--replace" in str(stopped.value) and "nothing was written" in str(stopped.value)
        assert state(emu) == before
        push.push(c, planned.plan, desired(), tmp_path / "b", force=True, replace=True)
        assert state(emu)[0] == canonical(desired())


def test_normal_push_uses_the_plans_etag_and_backs_up_first(tmp_path: Path) -> None:
    new = variant(SHARE_LMSTUDIO)
    with emulator() as emu:
        adopt(emu, tmp_path)
        old_policy = state(emu)[0]
        recorder = Recorder()
        with client(emu, transport=recorder) as c:
            planned = liveplan.make_plan(c, new)
            assert planned.plan.safe and planned.plan.policy_changed and not planned.plan.adopt
            assert not planned.plan.dns_changed
            outcome = push.push(c, planned.plan, new, tmp_path / "backups")
        assert state(emu)[0] == canonical(new)
        assert f'"{emu.state.etag.strip(chr(34))}"' == planned.plan.desired_etag
        post = next(x for x in recorder.exchanges if x.method == "POST" and x.url.endswith("/acl"))
        assert post.headers["if-match"] == planned.plan.live_etag
        assert Path(outcome.backup, "policy.hujson").read_bytes() == old_policy
        assert not any(
            x.url.endswith("/dns/configuration") and x.method == "POST" for x in recorder.exchanges
        )


def test_concurrent_edit_after_plan_exits_4_and_writes_nothing(tmp_path: Path) -> None:
    new = variant(SHARE_LMSTUDIO)
    with emulator() as emu, client(emu) as c:
        adopt(emu, tmp_path)
        planned = liveplan.make_plan(c, new)
        emu.edit_policy_out_of_band()
        before, writes = state(emu), emu.state.writes
        with pytest.raises(LiveChangedError) as stopped:
            push.push(c, planned.plan, new, tmp_path / "b2")
        assert stopped.value.exit_code == ExitCode.CONFLICT
        assert state(emu) == before and emu.state.writes == writes
        assert not (tmp_path / "b2").exists()  # nothing was about to be written


def test_edit_between_read_and_write_is_a_412_and_nothing_else_is_written(tmp_path: Path) -> None:
    new = variant(SHARE_LMSTUDIO, MAGIC_OFF)
    with emulator() as emu, client(emu) as c:
        adopt(emu, tmp_path)
        planned = liveplan.make_plan(c, new)
        assert planned.plan.policy_changed and planned.plan.dns_changed
        emu.inject("edit", "setPolicyFile")  # the console edit lands just before our POST
        with pytest.raises(LiveChangedError) as stopped:
            push.push(c, planned.plan, new, tmp_path / "b")
        assert "precondition failed, invalid old hash" in str(stopped.value)
        assert emu.state.dns["preferences"]["magicDNS"] is True  # DNS not written
        assert b"edited in the admin console" in state(emu)[0]


def test_failing_tests_are_refused_and_nothing_is_written(tmp_path: Path) -> None:
    base = desired()
    text = (base.text(POLICY) or "").replace(
        '\t"tests": [',
        '\t"tests": [\n\t\t{"src": "guest@example.com", "accept": ["wintendo:11434"]},',
        1,
    )
    assert text != base.text(POLICY)
    files = {**base.files, POLICY: text.encode()}
    bad = Snapshot(files, "site.yaml", site=base.site)
    with emulator() as emu, client(emu) as c:
        planned = liveplan.make_plan(c, bad)
        assert planned.validation.message == "test(s) failed"
        assert any(d.get("user") == "guest@example.com" for d in planned.validation.data)
        with pytest.raises(RemoteError, match="rejected this policy"):
            push.push(c, planned.plan, bad, tmp_path / "b", force=True)
        unvalidated = liveplan.make_plan(c, bad, validate=False)
        before = state(emu)
        with pytest.raises(RemoteError, match=r"HTTP 400: test\(s\) failed"):
            push.push(c, unvalidated.plan, bad, tmp_path / "b", force=True)
        assert state(emu) == before


def test_dns_changed_since_the_plan_stops_before_the_dns_write(tmp_path: Path) -> None:
    new = variant(SHARE_LMSTUDIO, MAGIC_OFF)
    with emulator() as emu, client(emu) as c:
        adopt(emu, tmp_path)
        old_policy = state(emu)[0]
        planned = liveplan.make_plan(c, new)
        emu.edit_dns_out_of_band()
        with pytest.raises(LiveChangedError, match="DNS settings changed"):
            push.push(c, planned.plan, new, tmp_path / "b")
        assert state(emu)[0] == old_policy
        # DNS edited while the policy is being written: the second read catches it, the
        # policy write is undone, and the DNS write never happens.
        planned = liveplan.make_plan(c, new)
        emu.inject("edit-dns", "getDnsConfiguration", after=1)
        with pytest.raises(LiveChangedError, match="DNS was not written") as stopped:
            push.push(c, planned.plan, new, tmp_path / "b")
        assert "undone" in str(stopped.value)
        assert state(emu)[0] == old_policy
        assert emu.state.dns["preferences"]["magicDNS"] is True


def test_429_is_waited_out_for_retry_after_then_succeeds(tmp_path: Path) -> None:
    sleeps = Sleeps()
    with emulator() as emu, client(emu, sleeps=sleeps) as c:
        planned = liveplan.make_plan(c, desired())
        emu.inject("429", "setPolicyFile", count=2, retry_after=7)
        outcome = push.push(c, planned.plan, desired(), tmp_path / "b", force=True)
        assert outcome.policy_written
        assert sleeps.waits.count(7.0) == 2 and c.stats.retries == 2
        assert emu.faults.injected["429"] == 2


def test_500s_until_the_retry_budget_is_spent(tmp_path: Path) -> None:
    sleeps = Sleeps()
    with emulator() as emu, client(emu, sleeps=sleeps) as c:
        adopt(emu, tmp_path)
        new = variant(SHARE_LMSTUDIO, MAGIC_OFF)
        planned = liveplan.make_plan(c, new)
        before = state(emu)
        emu.inject("500", "getDnsConfiguration", count=10)
        with pytest.raises(RemoteError) as failed:
            push.push(c, planned.plan, new, tmp_path / "b")
        assert "HTTP 500" in str(failed.value) and "gave up after 3 tries" in str(failed.value)
        assert state(emu) == before and len(sleeps.waits) == 2
        emu.faults.clear()
        # the DNS write fails after the policy was written: the policy is restored
        emu.inject("500", "setDnsConfiguration", count=10)
        with pytest.raises(RemoteError) as failed:
            push.push(c, planned.plan, new, tmp_path / "b")
        assert "the policy write was undone" in str(failed.value)
        assert state(emu) == before
        emu.faults.clear()
        # a 500 on the (non-idempotent) policy POST is not retried; the read-back decides
        emu.inject("500", "setPolicyFile")
        with pytest.raises(RemoteError, match="read back: nothing was written"):
            push.push(c, planned.plan, new, tmp_path / "b")
        assert state(emu) == before


def test_dropped_answer_to_a_policy_write_is_resolved_by_reading_back(tmp_path: Path) -> None:
    with emulator() as emu, client(emu) as c:
        planned = liveplan.make_plan(c, desired())
        emu.inject("drop-after", "setPolicyFile")
        emu.inject("drop", "getDnsConfiguration")
        outcome = push.push(c, planned.plan, desired(), tmp_path / "b", force=True)
        assert outcome.policy_written and outcome.dns_written
        assert state(emu)[0] == canonical(desired())
        assert emu.faults.injected["drop-after"] == 1 and emu.faults.injected["drop"] == 1


def test_rollback_restores_the_policy_byte_for_byte(tmp_path: Path) -> None:
    new = variant(SHARE_LMSTUDIO)
    with emulator() as emu, client(emu) as c:
        adopt(emu, tmp_path)
        before, etag = state(emu), emu.state.etag
        planned = liveplan.make_plan(c, new)
        push.push(c, planned.plan, new, tmp_path / "backups")
        assert state(emu) != before
        saved = backup.read(backup.latest(tmp_path / "backups"))
        outcome = push.rollback(c, saved, tmp_path / "backups")
        assert outcome.policy_written
        assert state(emu) == before and emu.state.etag == etag
        # rolling all the way back to the default, DNS and routes included
        router = next(d for d in emu.state.devices if d["hostname"] == "appletv-phl")
        approved = list(router["enabledRoutes"])
        c.set_routes(router["id"], [])
        first = sorted(p for p in (tmp_path / "backups").iterdir())[0]
        outcome = push.rollback(c, backup.read(first), tmp_path / "backups")
        assert emu.state.policy == hujson.format(DEFAULT_POLICY).encode()
        assert emu.state.dns["nameservers"] == []
        assert router["enabledRoutes"] == approved and outcome.routes_written == 1


def test_a_backup_is_restored_only_where_it_was_taken(tmp_path: Path) -> None:
    """A backup of one control plane, rolled back through a client of another, writes
    nothing there: the backup's recorded API is not the client's."""
    with emulator() as first:
        adopt(first, tmp_path)
        saved = backup.read(backup.latest(tmp_path / "backups"))
        assert saved.meta["api"] == first.url
    with emulator() as other, client(other) as c:
        before, etag = state(other), other.state.etag
        with pytest.raises(TailgenError, match="is a backup of tailscale") as refused:
            push.rollback(c, saved, tmp_path / "backups")
        assert f"not tailscale {other.url} tailnet '-'" in str(refused.value)
        assert refused.value.exit_code == ExitCode.ERROR
        assert state(other) == before and other.state.etag == etag


def test_a_backup_recorded_before_targets_were_is_tailscales(tmp_path: Path) -> None:
    """backup.json without `target` (written before it was recorded) belongs to Tailscale."""
    with emulator() as emu, client(emu) as c:
        adopt(emu, tmp_path)
        path = backup.latest(tmp_path / "backups")
        meta = json.loads((path / "backup.json").read_text())
        del meta["target"]
        (path / "backup.json").write_text(json.dumps(meta))
        backup.check_belongs(backup.read(path), c)  # no refusal


def test_a_plan_for_another_site_build_is_refused(tmp_path: Path) -> None:
    new = variant(SHARE_LMSTUDIO)
    with emulator() as emu, client(emu) as c:
        planned = liveplan.make_plan(c, desired())
        with pytest.raises(TailgenError, match="no longer builds"):
            push.push(c, planned.plan, new, tmp_path / "b", force=True)
        liveplan.save(planned.plan, tmp_path / "plan.json")
        assert liveplan.load(tmp_path / "plan.json") == planned.plan


def test_a_control_plane_without_a_dns_api_gets_only_the_policy(tmp_path: Path) -> None:
    """The provider interface as headscale would implement it: `get_dns` answers None."""
    from compiler.remote.client import TailscaleClient

    class NoDns(TailscaleClient):
        def get_dns(self) -> None:  # type: ignore[override]
            return None

    with emulator() as emu:
        c = client(emu)
        provider = NoDns(c.credentials, emu.url, "-", retry=c.retry, sleep=Sleeps())
        with provider:
            planned = liveplan.make_plan(provider, desired())
            assert planned.plan.live_dns == "" and not planned.plan.dns_changed
            outcome = push.push(provider, planned.plan, desired(), tmp_path / "b", force=True)
        assert outcome.policy_written and not outcome.dns_written
        assert state(emu)[0] == canonical(desired()) and emu.state.dns["nameservers"] == []
        assert not (Path(outcome.backup) / "dns.json").exists()
        c.close()
