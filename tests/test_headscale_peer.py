"""headscale itself judges our output (issue 18, layers 1 and 2).

Layer 1: every generated headscale policy (the example site's and every golden build site's)
passes the real `headscale policy check` — offline, against a database holding the site's
users, so the policy's `tests` run too — and a broken one fails with headscale's message, which
tailgen shows through the provider.

Layer 2: against a real `headscale serve` (in a namespace the test creates), `tailgen plan`,
`push --yes` and `rollback --yes` — the CLI, run as a process inside that namespace with
HEADSCALE_URL and HEADSCALE_API_KEY — work end to end through headscale's REST API, on the same
plan/push/rollback path as Tailscale; a policy changed behind tailgen's back between plan and
push is refused (exit 4, nothing written).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from compiler import build, hujson
from compiler.errors import ExitCode
from compiler.remote.credentials import Credentials
from compiler.remote.headscale import GUARD, WEAKER_THAN_IF_MATCH, HeadscaleProvider
from compiler.site.model import Site
from peers import (
    REPO,
    SERVER,
    Binaries,
    Headscale,
    Netns,
    OfflineHeadscale,
    require_binaries,
    site_nodes,
    site_users,
)

pytestmark = pytest.mark.peers

GOLDEN = Path(__file__).parent / "golden" / "build"
CASES = sorted(p.name for p in GOLDEN.iterdir() if (p / "site.yaml").is_file())
# headscale's messages for the mistake below (hscontrol/policy/v2/types.go).
BROKEN = '{"grants": [{"src": ["nobody"], "dst": ["*"], "ip": ["*"]}]}\n'
BROKEN_MESSAGE = 'host not defined in policy: "nobody"'
VALID = "Policy is valid"


@pytest.fixture(scope="session")
def bins() -> Binaries:
    return require_binaries()


def compiled(site_text: str) -> tuple[Site, str]:
    result = build.compile_text("target: headscale\n" + site_text, "site.yaml")
    return result.site, result.files["headscale/policy.hujson"].decode()


def offline_check(bins: Binaries, tmp: Path, site_text: str) -> tuple[int, str]:
    """headscale's exit code and its answer (stdout; stderr carries its log lines)."""
    site, text = compiled(site_text)
    hs = OfflineHeadscale(bins, tmp)
    hs.seed(site_users(site), site_nodes(site))
    policy = tmp / "policy.hujson"
    policy.write_text(text)
    proc = hs.check(policy)
    return proc.returncode, proc.stdout.strip() or proc.stderr.strip()


def test_example_policy_passes_headscale(bins: Binaries, repo: Path, tmp_path: Path) -> None:
    assert offline_check(bins, tmp_path, (repo / "site.yaml").read_text()) == (0, VALID)


@pytest.mark.parametrize("case", CASES)
def test_golden_policy_passes_headscale(bins: Binaries, case: str, tmp_path: Path) -> None:
    assert offline_check(bins, tmp_path, (GOLDEN / case / "site.yaml").read_text()) == (0, VALID)


def test_failing_test_is_refused_by_headscale(bins: Binaries, repo: Path, tmp_path: Path) -> None:
    """headscale runs our generated tests: break one and it says which, as SaaS would."""
    site, text = compiled((repo / "site.yaml").read_text())
    doc = hujson.loads(text)
    (partner,) = [
        t
        for t in doc["tests"]
        if "icon:11434" in t.get("accept", []) and t["src"] == "partner@example.com"
    ]
    partner["accept"].append("lmStudio:11337")  # partner may not use LM Studio
    hs = OfflineHeadscale(bins, tmp_path)
    hs.seed(site_users(site), site_nodes(site))
    policy = tmp_path / "broken.hujson"
    policy.write_text(hujson.dumps(doc))
    proc = hs.check(policy)
    assert proc.returncode != 0
    assert "test(s) failed" in proc.stderr
    assert "lmStudio:11337" in proc.stderr


def test_broken_policy_fails_offline(bins: Binaries, tmp_path: Path) -> None:
    policy = tmp_path / "broken.hujson"
    policy.write_text(BROKEN)
    proc = OfflineHeadscale(bins, tmp_path).check(policy)
    assert proc.returncode != 0
    assert BROKEN_MESSAGE in proc.stderr + proc.stdout


# ---------------------------------------------------------------------------------------------
# layer 2: a live headscale, driven through the tailgen CLI


@dataclass
class Live:
    """A running headscale with the example site's users and nodes, its API key, a bootstrap
    policy (tag owners only) and a provider the test reads the server through."""

    server: Headscale
    key: str
    provider: HeadscaleProvider
    bootstrap: str


@pytest.fixture(scope="module")
def live(bins: Binaries, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    ns = Netns()
    try:
        server = Headscale(bins, ns, tmp_path_factory.mktemp("headscale"))
        yield registered(server, tmp_path_factory.mktemp("bootstrap"))
    finally:
        ns.close()


def registered(server: Headscale, where: Path) -> Live:
    site, text = compiled((REPO / "site.yaml").read_text())
    for name, email in site_users(site):
        server.create_user(name, email)
    users = [name for name, _ in site_users(site)]
    # headscale tags a node only with tags the stored policy owns: store just the tag owners
    # (and the groups they name) first; the tests below replace this bootstrap policy.
    owners = {k: v for k, v in hujson.loads(text).items() if k in ("groups", "tagOwners")}
    bootstrap = where / "policy.hujson"
    bootstrap.write_text(json.dumps(owners))
    stored = server.set_policy(bootstrap)
    assert stored.returncode == 0, stored.stderr
    for node in site_nodes(site):  # the policy's tests need their sources and targets as nodes
        made = server.create_node(node.user or users[0], node.name)
        if node.tags:  # a tagged device: registered by a user, then tagged by the admin CLI
            tagged = server.run("nodes", "tag", "-i", str(made["id"]), "-t", ",".join(node.tags))
            assert tagged.returncode == 0, (made, tagged.stdout, tagged.stderr)
    key = server.api_key()
    provider = HeadscaleProvider(SERVER, Credentials(api_key=key), transport=server.api_transport())
    return Live(server, key, provider, bootstrap.read_text())


def tailgen(live: Live, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`tailgen ARGS` as a process inside headscale's namespace, credentials in its env."""
    env = {
        **os.environ,
        "HEADSCALE_URL": SERVER,
        "HEADSCALE_API_KEY": live.key,
        "NO_COLOR": "1",
        "COLUMNS": "200",
    }
    proc = live.server.netns.run(
        [sys.executable, "-m", "compiler", *args], timeout=300, env=env, cwd=cwd
    )
    assert live.key not in proc.stdout + proc.stderr, "the API key was printed"
    return proc


def site_dir(tmp_path: Path) -> Path:
    """The example site targeting headscale, built by `tailgen build` into out/."""
    (tmp_path / "site.yaml").write_text("target: headscale\n" + (REPO / "site.yaml").read_text())
    return tmp_path


def backups(where: Path) -> list[Path]:
    return sorted(p for p in where.glob("*") if (p / "backup.json").is_file())


def test_broken_policy_shows_headscales_message(live: Live) -> None:
    verdict = live.provider.validate_policy(BROKEN)
    assert BROKEN_MESSAGE in verdict.message


def test_plan_push_rollback_through_the_cli(live: Live, tmp_path: Path) -> None:
    work = site_dir(tmp_path)
    built = tailgen(live, work, "build", "site.yaml")
    assert built.returncode == 0, built.stderr
    desired = (work / "out/headscale/policy.hujson").read_text()
    before = live.provider.get_policy().text

    planned = tailgen(live, work, "plan", "site.yaml", "-o", "plan.json")
    assert planned.returncode == ExitCode.UNSAFE, planned.stdout + planned.stderr
    assert f"live headscale at {SERVER}" in planned.stdout
    assert "guard: re-read-and-compare" in planned.stdout
    assert WEAKER_THAN_IF_MATCH in planned.stdout
    assert "DNS is not managed here" in planned.stdout
    plan = json.loads((work / "plan.json").read_text())
    assert (plan["target"], plan["guard"], plan["adopt"]) == (
        "headscale",
        "re-read-and-compare",
        True,
    )

    # first adoption over a policy someone wrote: refused unless --replace (as on Tailscale,
    # the refusal comes from the guarded write, after the backup; nothing is written)
    adopt = tailgen(live, work, "push", "plan.json", "--yes", "--force", "--backup-dir", "b0")
    assert adopt.returncode == ExitCode.CONFLICT, adopt.stdout + adopt.stderr
    assert "first adoption" in adopt.stderr and "nothing was written" in adopt.stderr
    assert live.provider.get_policy().text == before

    pushed = tailgen(live, work, "push", "plan.json", "--yes", "--force", "--replace")
    assert pushed.returncode == 0, pushed.stdout + pushed.stderr
    print(planned.stdout.split("\n\n")[0], pushed.stderr, pushed.stdout, sep="\n")  # pytest -s
    assert live.provider.get_policy().text == desired
    (first,) = backups(work / "backups")
    assert (first / "policy.hujson").read_text() == before
    meta = json.loads((first / "backup.json").read_text())
    assert (meta["target"], meta["guard"], meta["api"]) == ("headscale", GUARD, SERVER)
    assert f"note: {WEAKER_THAN_IF_MATCH}" in pushed.stdout
    assert "re-read-and-compare" in pushed.stderr  # the policy step says how it was guarded

    again = tailgen(live, work, "plan", "site.yaml")
    assert again.returncode == 0, again.stdout + again.stderr  # nothing to do
    review = tailgen(live, work, "diff", "site.yaml", "--against", "live")
    assert "No changes: site.yaml and live" in review.stdout, review.stdout
    # headscale's nodes are the live devices: it gave them its own addresses
    assert "address: icon: site pins 100.101.7.22, live has 100.64." in review.stdout
    assert review.returncode == ExitCode.ATTENTION, review.stderr  # 2: the device drift

    rolled = tailgen(live, work, "rollback", "--yes", "--backup-dir", "backups", str(first))
    assert rolled.returncode == 0, rolled.stdout + rolled.stderr
    assert live.provider.get_policy().text == before
    replaced = [b for b in backups(work / "backups") if b != first]
    assert [(b / "policy.hujson").read_text() for b in replaced] == [desired]


def test_change_behind_our_back_is_refused(live: Live, tmp_path: Path) -> None:
    work = site_dir(tmp_path)
    planned = tailgen(live, work, "plan", "site.yaml", "-o", "plan.json")
    assert planned.returncode in (ExitCode.ATTENTION, ExitCode.UNSAFE), planned.stderr
    sneaky = tmp_path / "sneaky.hujson"
    sneaky.write_text(live.provider.get_policy().text + "\n// edited by hand\n")
    assert live.server.set_policy(sneaky).returncode == 0, "headscale policy set failed"

    pushed = tailgen(live, work, "push", "plan.json", "--yes", "--force", "--replace")
    assert pushed.returncode == ExitCode.CONFLICT, pushed.stdout + pushed.stderr
    assert "changed since the plan" in pushed.stderr and "nothing was written" in pushed.stderr
    assert live.provider.get_policy().text == sneaky.read_text()
    assert not backups(work / "backups")
