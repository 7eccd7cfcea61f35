"""`tailgen plan/push/rollback/diff --against live/serve-emulator` through the CLI, with exit
codes; device drift; and no secret in anything those runs produce."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from live_harness import (
    API_KEY,
    NARROW_ID,
    NARROW_SECRET,
    OAUTH_ID,
    OAUTH_SECRET,
    SECRETS,
    SITE,
    desired,
    make_auth,
)
from typer.testing import CliRunner, Result

from compiler.cli import app
from compiler.remote.emulator import Emulator
from compiler.remote.emulator.seed import api_device, state_from_site

runner = CliRunner()


@pytest.fixture
def live(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Emulator, list[str]]]:
    """An emulator with a state file, the site in the working directory, a log kept."""
    shutil.copy(SITE, tmp_path / "site.yaml")
    monkeypatch.chdir(tmp_path)
    log: list[str] = []
    emu = Emulator(
        state_from_site(desired().site),
        make_auth(),
        state_file=tmp_path / "emulator.json",
        log=log.append,
    )
    with emu:
        yield emu, log


def env(emu: Emulator, **extra: str) -> dict[str, str | None]:
    base: dict[str, str | None] = {
        "TAILSCALE_BASE_URL": emu.url,
        "TAILSCALE_API_KEY": API_KEY,
        "TAILSCALE_OAUTH_CLIENT_ID": None,
        "TAILSCALE_OAUTH_CLIENT_SECRET": None,
        "TAILGEN_HTTP_BACKOFF": "0.001",
        "TAILGEN_HTTP_MAX_RETRY_AFTER": "0.01",
        "NO_COLOR": "1",
    }
    base.update(extra)
    return base


def run(emu: Emulator, *args: str, outputs: list[str] | None = None, **extra: str) -> Result:
    result = runner.invoke(app, list(args), env=env(emu, **extra))
    if outputs is not None:
        outputs += [result.stdout, result.stderr]
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def test_plan_push_rollback_exit_codes(live: tuple[Emulator, list[str]]) -> None:
    emu, _ = live
    planned = run(emu, "plan", "-o", "plan.json")
    assert planned.exit_code == 3, planned.output  # adopting over allow-all loses access
    assert "first adoption" in planned.stdout and Path("plan.json").is_file()
    saved = json.loads(Path("plan.json").read_text())
    assert saved["format"] == "tailgen-live-plan" and saved["version"] == 1
    assert saved["live_etag"] == emu.state.etag
    dry = run(emu, "push", "plan.json", "--force")
    assert dry.exit_code == 0 and "dry run" in dry.stdout and "ts-default" in dry.stdout
    assert not Path("backups").exists()
    assert run(emu, "push", "plan.json", "--yes").exit_code == 3
    pushed = run(emu, "push", "plan.json", "--yes", "--force", "--format", "json")
    assert pushed.exit_code == 0, pushed.output
    result = json.loads(pushed.stdout)
    assert result["policy_written"] and result["dns_written"] and Path(result["backup"]).is_dir()
    assert run(emu, "plan").exit_code == 0
    again = run(emu, "push", "plan.json", "--yes", "--force")  # a retried CI job
    assert again.exit_code == 0 and "already applied" in again.stdout
    emu.edit_policy_out_of_band()
    stale = run(emu, "push", "plan.json", "--yes", "--force")
    assert stale.exit_code == 4 and "nothing was written" in stale.stderr
    preview = run(emu, "rollback")
    assert preview.exit_code == 0 and "dry run: would restore backups/" in preview.stdout
    assert "policy" in preview.stdout and emu.state.is_default is False
    back = run(emu, "rollback", "--yes")
    assert back.exit_code == 0, back.output
    assert run(emu, "plan").exit_code == 3  # the default policy is back


def test_the_live_side_is_named_not_dashed(live: tuple[Emulator, list[str]]) -> None:
    """Tailscale's `-` (the key's own tailnet) is said in words; a named tailnet by name."""
    emu, _ = live
    for extra, label in (
        ({}, "live (the API key's tailnet)"),
        ({"TAILSCALE_TAILNET": "example.com"}, "live (example.com)"),
    ):
        for args in (("plan",), ("diff", "--against", "live")):
            out = run(emu, *args, **extra).stdout
            assert label in out and "live (-)" not in out, (args, out)


def test_rollback_refuses_a_backup_of_another_tailnet(live: tuple[Emulator, list[str]]) -> None:
    """The backup records tailnet "-"; TAILSCALE_TAILNET names another: neither the dry run
    nor --yes goes ahead, and the live policy stays as it is."""
    emu, _ = live
    assert run(emu, "plan", "-o", "plan.json").exit_code == 3
    assert run(emu, "push", "plan.json", "--yes", "--force").exit_code == 0
    policy = emu.state.policy
    for extra in ([], ["--yes"]):
        refused = run(emu, "rollback", *extra, TAILSCALE_TAILNET="example.org")
        assert refused.exit_code == 1, refused.output
        assert "is a backup of tailscale" in refused.stderr
        assert "tailnet 'example.org'" in refused.stderr and "Traceback" not in refused.output
        assert emu.state.policy == policy
    assert run(emu, "rollback", "--yes").exit_code == 0  # where it was taken: restored
    assert emu.state.policy != policy


def test_diff_against_live_reports_device_drift(live: tuple[Emulator, list[str]]) -> None:
    emu, _ = live
    with emu.state.lock:
        devices = {d["hostname"]: d for d in emu.state.devices}
        emu.state.devices.remove(devices["lmStudio"])
        emu.state.devices.append(api_device("stranger", "100.99.0.9", user="guest@example.com"))
        devices["appletv-iow"]["enabledRoutes"] = ["10.9.0.0/16"]
        devices["wintendo"]["tags"] = ["tag:router"]
        devices["icon"]["addresses"] = ["100.99.0.22"]
    result = run(emu, "diff", "--against", "live")
    assert result.exit_code == 2
    for expected in (
        "missing-device: lmStudio",
        "unknown-device: stranger",
        "unapproved-route: appletv-iow: 192.168.153.0/24 advertised but not approved",
        "undeclared-route: appletv-iow: 10.9.0.0/16 approved but not declared",
        "tags: wintendo",
        "address: icon: site pins 100.101.7.22",
    ):
        assert expected in result.stdout, result.stdout
    markdown = run(emu, "diff", "--against", "live", "--format", "markdown").stdout
    assert "### Device drift" in markdown and "- `stranger` **unknown-device**" in markdown
    as_json = json.loads(run(emu, "diff", "--against", "live", "--format", "json").stdout)
    assert {d["kind"] for d in as_json["drift"]} == {
        "missing-device",
        "unknown-device",
        "unapproved-route",
        "undeclared-route",
        "tags",
        "address",
    }


def test_no_secret_in_any_file_log_or_output(
    live: tuple[Emulator, list[str]], tmp_path: Path
) -> None:
    emu, log = live
    out: list[str] = []
    oauth = {
        "TAILSCALE_API_KEY": "",
        "TAILSCALE_OAUTH_CLIENT_ID": OAUTH_ID,
        "TAILSCALE_OAUTH_CLIENT_SECRET": OAUTH_SECRET,
    }
    run(emu, "plan", "-o", "plan.json", outputs=out)
    run(emu, "push", "plan.json", "--yes", "--force", outputs=out, **oauth)
    emu.edit_policy_out_of_band()
    run(emu, "plan", "-o", "plan2.json", "--format", "json", outputs=out, **oauth)
    emu.inject("500", "getDnsConfiguration", count=9)
    assert run(emu, "push", "plan2.json", "--yes", "--force", outputs=out).exit_code == 1
    emu.faults.clear()
    emu.inject("429", "*", count=1)
    run(emu, "diff", "--against", "live", "--format", "markdown", outputs=out, **oauth)
    narrow = {
        **oauth,
        "TAILSCALE_OAUTH_CLIENT_ID": NARROW_ID,
        "TAILSCALE_OAUTH_CLIENT_SECRET": NARROW_SECRET,
    }
    assert run(emu, "plan", outputs=out, **narrow).exit_code == 1
    assert run(emu, "plan", outputs=out, TAILSCALE_API_KEY=API_KEY + "x").exit_code == 1
    bad_secret = {**oauth, "TAILSCALE_OAUTH_CLIENT_SECRET": OAUTH_SECRET + "x"}
    assert run(emu, "plan", outputs=out, **bad_secret).exit_code == 1
    assert run(emu, "rollback", "--yes", "--format", "json", outputs=out).exit_code == 0
    produced = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert (
        any(p.name == "policy.hujson" for p in produced) and (tmp_path / "emulator.json").is_file()
    )
    assert any("403" in o for o in out) and any("401" in o for o in out) and log
    texts = [p.read_bytes().decode("utf-8", "replace") for p in produced] + out + log
    for secret in (*SECRETS, API_KEY + "x", OAUTH_SECRET + "x"):
        for part in (secret, secret[10:30]):
            assert not [t for t in texts if part in t], f"a secret leaked ({len(produced)} files)"


def test_serve_emulator_rejects_an_unknown_fault() -> None:
    result = runner.invoke(app, ["serve-emulator", "--port", "0", "--fault", "nonsense"])
    assert result.exit_code == 1 and "unknown fault" in result.stderr


def test_emulator_seeds_from_a_devices_file_and_keeps_its_state(tmp_path: Path) -> None:
    from compiler.remote.emulator.seed import initial_state

    devices = [api_device("box", "100.70.0.1", user="a@example.com", routes=["10.1.0.0/24"])]
    (tmp_path / "devices.json").write_text(json.dumps({"devices": devices}))
    state = initial_state(None, None, tmp_path / "devices.json")
    assert state.users == [{"name": "a@example.com", "login": "a@example.com", "role": "member"}]
    emu = Emulator(state, make_auth(), state_file=tmp_path / "state.json")
    with emu:
        emu.edit_dns_out_of_band()
    reloaded = initial_state(tmp_path / "state.json", None, None)
    assert reloaded.devices == devices and reloaded.dns == emu.state.dns
    assert API_KEY not in (tmp_path / "state.json").read_text()
