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

from collections.abc import Iterator
from pathlib import Path

import pytest

from compiler import build, hujson
from compiler.emit.headscale import headscale_text
from compiler.emit.headscale.users import user_name
from compiler.errors import ExitCode, LiveChangedError, PolicyError
from compiler.remote.headscale import (
    WEAKER_THAN_IF_MATCH,
    HeadscaleProvider,
    plan,
    push,
    rollback,
)
from compiler.site.model import Site
from peers import Binaries, Headscale, Netns, OfflineHeadscale, require_binaries

pytestmark = pytest.mark.peers

GOLDEN = Path(__file__).parent / "golden" / "build"
CASES = sorted(p.name for p in GOLDEN.iterdir() if (p / "site.yaml").is_file())
# headscale's messages for the mistake below (hscontrol/policy/v2/types.go).
BROKEN = '{"grants": [{"src": ["nobody"], "dst": ["*"], "ip": ["*"]}]}\n'
BROKEN_MESSAGE = 'host not defined in policy: "nobody"'


@pytest.fixture(scope="session")
def bins() -> Binaries:
    return require_binaries()


def compiled(site_text: str) -> tuple[Site, str]:
    result = build.compile_text("target: headscale\n" + site_text, "site.yaml")
    return result.site, result.files["headscale/policy.hujson"].decode()


def site_users(site: Site) -> list[tuple[str, str]]:
    """(name, email) for headscale's users table: what `headscale users create` would make."""
    return [
        (user_name(u.login), u.login if "." in u.login.partition("@")[2] else "")
        for u in site.users.values()
    ]


def offline_check(bins: Binaries, tmp: Path, site_text: str) -> tuple[str, str]:
    site, text = compiled(site_text)
    hs = OfflineHeadscale(bins, tmp)
    hs.seed_users(site_users(site))
    policy = tmp / "policy.hujson"
    policy.write_text(text)
    proc = hs.check(policy)
    return proc.stdout + proc.stderr, str(proc.returncode)


def test_example_policy_passes_headscale(bins: Binaries, repo: Path, tmp_path: Path) -> None:
    output, code = offline_check(bins, tmp_path, (repo / "site.yaml").read_text())
    assert (code, output.strip().splitlines()[-1]) == ("0", "Policy is valid"), output


@pytest.mark.parametrize("case", CASES)
def test_golden_policy_passes_headscale(bins: Binaries, case: str, tmp_path: Path) -> None:
    output, code = offline_check(bins, tmp_path, (GOLDEN / case / "site.yaml").read_text())
    assert (code, output.strip().splitlines()[-1]) == ("0", "Policy is valid"), output


def test_failing_test_is_refused_by_headscale(bins: Binaries, repo: Path, tmp_path: Path) -> None:
    """headscale runs our generated tests: break one and it says which, as SaaS would."""
    site, text = compiled((repo / "site.yaml").read_text())
    doc = hujson.loads(text)
    doc["tests"][-1]["accept"] = ["lmStudio:11337"]  # guest may not use LM Studio
    hs = OfflineHeadscale(bins, tmp_path)
    hs.seed_users(site_users(site))
    policy = tmp_path / "broken.hujson"
    policy.write_text(hujson.dumps(doc))
    proc = hs.check(policy)
    assert proc.returncode != 0
    assert "test(s) failed" in proc.stderr + proc.stdout


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
def provider(server: Headscale, repo: Path) -> HeadscaleProvider:
    site, _ = compiled((repo / "site.yaml").read_text())
    for name, email in site_users(site):
        server.create_user(name, email)
    return HeadscaleProvider("http://127.0.0.1:8080", server.api_key(), server.api_client())


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

    second = first.replace('"ip":  ["tcp:22"]', '"ip":  ["tcp:2222"]')
    assert second != first
    backup = push(provider, plan(provider, second), tmp_path)
    assert backup.read_text() == first
    assert provider.fetch_policy().text == second

    restored = rollback(provider, backup)
    assert restored.text == first == provider.fetch_policy().text


def test_change_behind_our_back_is_refused(
    provider: HeadscaleProvider, server: Headscale, repo: Path, tmp_path: Path
) -> None:
    site = build.compile_text((repo / "site.yaml").read_text(), "site.yaml").site
    desired = headscale_text(site).replace("tcp:11337", "tcp:11338")
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
