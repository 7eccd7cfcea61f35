"""headscale itself judges our output (issue 18, layers 1 and 2).

Layer 1: every generated headscale policy (the example site's and every golden build site's)
passes the real `headscale policy check` — offline, against a database holding the site's
users, so the policy's `tests` run too — and a broken one fails with headscale's message, which
tailgen shows through the provider.

Layer 2: against a real `headscale serve` (in a namespace the test creates), plan, push and
rollback work end to end through headscale's REST API, and a policy changed behind tailgen's
back between plan and push is refused (exit 4, nothing written).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from compiler import build, hujson
from compiler.emit.headscale import headscale_text
from compiler.errors import ExitCode, LiveChangedError, PolicyError
from compiler.remote.headscale import (
    WEAKER_THAN_IF_MATCH,
    HeadscaleProvider,
    plan,
    push,
    rollback,
)
from compiler.site.model import Site
from peers import (
    REPO,
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
# layer 2: a live headscale


@pytest.fixture(scope="module")
def server(bins: Binaries, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Headscale]:
    ns = Netns()
    try:
        yield Headscale(bins, ns, tmp_path_factory.mktemp("headscale"))
    finally:
        ns.close()


@pytest.fixture(scope="module")
def provider(server: Headscale, tmp_path_factory: pytest.TempPathFactory) -> HeadscaleProvider:
    site, text = compiled((REPO / "site.yaml").read_text())
    for name, email in site_users(site):
        server.create_user(name, email)
    users = [name for name, _ in site_users(site)]
    # headscale tags a node only with tags the stored policy owns: store just the tag owners
    # (and the groups they name) first; the tests below replace this bootstrap policy.
    owners = {k: v for k, v in hujson.loads(text).items() if k in ("groups", "tagOwners")}
    bootstrap = tmp_path_factory.mktemp("bootstrap") / "policy.hujson"
    bootstrap.write_text(json.dumps(owners))
    stored = server.set_policy(bootstrap)
    assert stored.returncode == 0, stored.stderr
    for node in site_nodes(site):  # the policy's tests need their sources and targets as nodes
        registered = server.create_node(node.user or users[0], node.name)
        if node.tags:  # a tagged device: registered by a user, then tagged by the admin CLI
            tagged = server.run(
                "nodes", "tag", "-i", str(registered["id"]), "-t", ",".join(node.tags)
            )
            assert tagged.returncode == 0, (registered, tagged.stdout, tagged.stderr)
    return HeadscaleProvider("http://127.0.0.1:8080", server.api_key(), server.api_client())


def with_extra_grant(text: str) -> str:
    """A real rule change that keeps the generated tests passing: emory gains icon:8080."""
    extra = '\n\t\t{"src": ["emory@"], "dst": ["icon"], "ip": ["tcp:8080"]},'
    return text.replace('"grants": [', '"grants": [' + extra, 1)


def test_broken_policy_shows_headscales_message(provider: HeadscaleProvider) -> None:
    with pytest.raises(PolicyError) as err:
        provider.check_policy(BROKEN)
    assert BROKEN_MESSAGE in str(err.value)
    assert err.value.exit_code == ExitCode.ERROR


def test_plan_push_rollback(provider: HeadscaleProvider, repo: Path, tmp_path: Path) -> None:
    site = build.compile_text((repo / "site.yaml").read_text(), "site.yaml").site
    first = headscale_text(site)
    reviewed = plan(provider, first)
    assert reviewed.changed
    backup = push(provider, reviewed, tmp_path)
    assert provider.fetch_policy().text == first
    assert plan(provider, first).changed is False

    second = with_extra_grant(first)
    assert second != first
    backup = push(provider, plan(provider, second), tmp_path)
    assert backup.read_text() == first
    assert provider.fetch_policy().text == second

    restored = rollback(provider, backup)
    assert restored.text == first == provider.fetch_policy().text
    assert second in [p.read_text() for p in tmp_path.iterdir()]  # what rollback replaced


def test_change_behind_our_back_is_refused(
    provider: HeadscaleProvider, server: Headscale, repo: Path, tmp_path: Path
) -> None:
    site = build.compile_text((repo / "site.yaml").read_text(), "site.yaml").site
    desired = with_extra_grant(headscale_text(site))
    reviewed = plan(provider, desired)
    sneaky = tmp_path / "sneaky.hujson"
    sneaky.write_text(provider.fetch_policy().text + "\n// edited by hand\n")
    assert server.set_policy(sneaky).returncode == 0, "headscale policy set failed"
    with pytest.raises(LiveChangedError) as err:
        push(provider, reviewed, tmp_path / "backups")
    assert err.value.exit_code == ExitCode.CONFLICT
    assert WEAKER_THAN_IF_MATCH in str(err.value)
    assert provider.fetch_policy().text == sneaky.read_text()
    assert not (tmp_path / "backups").exists()
