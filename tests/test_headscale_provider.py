"""The headscale provider behind the one `Provider` interface, over an in-memory transport
shaped like headscale v0.29's API (answers copied from a real v0.29.2 server; the real server
is driven through the CLI in test_headscale_peer.py): the shared plan/push path works on it, a
change between plan and push is refused with the Tailscale path's `PreconditionFailed` (exit
4) and nothing written, nodes read as devices, DNS is left alone, the key never shows."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from compiler import build
from compiler.cli import app
from compiler.errors import ExitCode, LiveChangedError, RemoteError, UsageError
from compiler.remote import backup, liveplan, push
from compiler.remote.client import TailscaleClient
from compiler.remote.credentials import Credentials, headscale_from_env
from compiler.remote.errors import OutcomeUnknown, PreconditionFailed
from compiler.remote.headscale import WEAKER_THAN_IF_MATCH, HeadscaleProvider, desired_snapshot
from compiler.remote.retry import RetryPolicy

KEY = "hskey-api-SECRETSECRET-abcdefghijklmnop"
URL = "http://127.0.0.1:8080"
NODE = {
    "id": "7",
    "name": "icon",
    "givenName": "icon",
    "user": {"id": "1", "name": "emory"},
    "ipAddresses": ["100.64.0.7", "fd7a:115c:a1e0::7"],
    "tags": ["tag:ai"],
    "availableRoutes": ["192.168.240.0/24"],
    "approvedRoutes": [],
}


class FakeHeadscale:
    """GET/PUT /api/v1/policy, POST /api/v1/policy/check, GET /api/v1/node, as v0.29 answers."""

    def __init__(self, policy: str | None = None) -> None:
        self.policy = policy
        self.puts = 0
        self.gets = 0
        self.edit_on_get: tuple[int, str] | None = None  # (nth read, the text someone writes)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.headers["Authorization"] != f"Bearer {KEY}":
            return httpx.Response(401, text="Unauthorized")
        path, method = request.url.path, request.method
        if path == "/api/v1/node":
            return httpx.Response(200, json={"nodes": [NODE]})
        if path == "/api/v1/policy" and method == "GET":
            self.gets += 1
            if self.edit_on_get and self.edit_on_get[0] == self.gets:
                self.policy = self.edit_on_get[1]  # a hand edit landing just before this read
            if self.policy is None:
                body = {"code": 2, "message": "loading ACL from database: acl policy not found"}
                return httpx.Response(500, json=body)
            return httpx.Response(200, json={"policy": self.policy, "updatedAt": "now"})
        text = json.loads(request.content)["policy"]
        if path.endswith("/check"):
            if "nobody" in text:
                body = {"code": 3, "message": 'parsing policy: host not defined in policy: "x"'}
                return httpx.Response(400, json=body)
            return httpx.Response(200, json={})
        self.puts += 1
        self.policy = text
        return httpx.Response(200, json={"policy": text, "updatedAt": "now"})


def provider(server: FakeHeadscale, key: str = KEY) -> HeadscaleProvider:
    return HeadscaleProvider(URL, Credentials(api_key=key), transport=httpx.MockTransport(server))


def sha(text: str) -> str:
    return '"' + hashlib.sha256(text.encode()).hexdigest() + '"'


def test_the_etag_is_the_sha256_of_the_stored_text() -> None:
    live = provider(FakeHeadscale('{"grants": []}\n')).get_policy()
    assert live.etag == sha('{"grants": []}\n')


def test_no_policy_yet_reads_as_empty() -> None:
    live = provider(FakeHeadscale()).get_policy()
    assert (live.text, live.etag) == ("", sha(""))


def test_write_while_unchanged() -> None:
    server = FakeHeadscale("{}")
    stored = provider(server).set_policy('{"grants": []}', sha("{}"))
    assert (server.policy, stored.etag) == ('{"grants": []}', sha('{"grants": []}'))


def test_a_changed_policy_is_refused_like_a_412() -> None:
    server = FakeHeadscale('{"hosts": {}}')
    with pytest.raises(PreconditionFailed) as err:
        provider(server).set_policy('{"grants": []}', sha("{}"))
    assert err.value.exit_code == ExitCode.CONFLICT
    assert WEAKER_THAN_IF_MATCH in str(err.value)
    assert server.puts == 0


def test_ts_default_writes_only_where_no_policy_is_stored() -> None:
    assert provider(FakeHeadscale()).set_policy("{}", '"ts-default"').text == "{}"
    server = FakeHeadscale('{"hosts": {}}')
    with pytest.raises(PreconditionFailed, match="first adoption"):
        provider(server).set_policy("{}", '"ts-default"')
    assert server.puts == 0


def test_validate_is_headscales_check() -> None:
    hs = provider(FakeHeadscale())
    assert hs.validate_policy('{"grants": []}').ok
    verdict = hs.validate_policy('{"grants": [{"src": ["nobody"]}]}')
    assert not verdict.ok and 'host not defined in policy: "x"' in verdict.message


def test_nodes_read_as_devices_and_dns_is_not_managed() -> None:
    hs = provider(FakeHeadscale())
    (dev,) = hs.devices()
    assert dev["id"] == "7" and dev["hostname"] == "icon" and dev["tags"] == ["tag:ai"]
    assert dev["addresses"] == NODE["ipAddresses"]
    assert (dev["advertisedRoutes"], dev["enabledRoutes"]) == (["192.168.240.0/24"], [])
    assert hs.get_dns() is None
    with pytest.raises(RemoteError, match="no DNS API"):
        hs.set_dns({})


def headscale_site(repo: Path) -> build.BuildResult:
    return build.compile_text((repo / "site.yaml").read_text(), "site.yaml", "headscale")


def test_shared_plan_and_push_write_the_builds_headscale_policy(repo: Path, tmp_path: Path) -> None:
    result = headscale_site(repo)
    desired = desired_snapshot(result.files, result.site, "site.yaml")
    server = FakeHeadscale('{"grants": []}\n')
    planned = liveplan.make_plan(provider(server), desired)
    plan = planned.plan
    assert (plan.target, plan.guard, plan.live_dns, plan.dns_changed) == (
        "headscale",
        "re-read-and-compare",
        "",
        False,
    )
    assert plan.policy_changed and plan.validation == {"message": "", "data": []}
    outcome = push.push(provider(server), plan, desired, tmp_path, force=True, replace=True)
    assert server.policy == result.files["headscale/policy.hujson"].decode()
    assert outcome.policy_written and not outcome.dns_written
    saved = backup.read(Path(outcome.backup))
    assert saved.live.policy.text == '{"grants": []}\n'
    assert (saved.meta["target"], saved.meta["guard"]) == ("headscale", "re-read-and-compare")
    assert saved.live.devices[0]["hostname"] == "icon"
    again = liveplan.make_plan(provider(server), desired).plan
    assert not again.changed


def test_change_between_plan_and_push_is_refused(repo: Path, tmp_path: Path) -> None:
    result = headscale_site(repo)
    desired = desired_snapshot(result.files, result.site, "site.yaml")
    server = FakeHeadscale('{"grants": []}\n')
    plan = liveplan.make_plan(provider(server), desired).plan
    server.policy = '{"grants": [], "hosts": {}}\n'  # someone else's edit
    with pytest.raises(LiveChangedError) as err:
        push.push(provider(server), plan, desired, tmp_path, force=True, replace=True)
    assert err.value.exit_code == ExitCode.CONFLICT
    assert server.puts == 0 and not list(tmp_path.iterdir())


def test_change_after_the_push_read_is_caught_by_the_providers_re_read(
    repo: Path, tmp_path: Path
) -> None:
    """push's own guard passed (read 1); the edit lands before set_policy's re-read (read 2):
    the provider refuses with the Tailscale path's 412 error, amended "nothing was written"."""
    result = headscale_site(repo)
    desired = desired_snapshot(result.files, result.site, "site.yaml")
    server = FakeHeadscale('{"grants": []}\n')
    plan = liveplan.make_plan(provider(server), desired).plan
    server.gets, server.edit_on_get = 0, (2, '{"grants": [], "hosts": {}}\n')
    with pytest.raises(LiveChangedError) as err:
        push.push(provider(server), plan, desired, tmp_path, force=True, replace=True)
    assert err.value.exit_code == ExitCode.CONFLICT
    assert "nothing was written" in str(err.value) and WEAKER_THAN_IF_MATCH in str(err.value)
    assert server.puts == 0 and server.policy == '{"grants": [], "hosts": {}}\n'


def test_the_review_names_users_as_headscale_does(repo: Path) -> None:
    result = headscale_site(repo)
    desired = desired_snapshot(result.files, result.site, "site.yaml")
    assert desired.site is not None
    assert desired.site.users["emory"].login == "emory@"
    assert desired.text("policy.hujson") == result.files["headscale/policy.hujson"].decode()
    assert result.site.users["emory"].login == "emory@github"  # the build's own is untouched


def test_unreachable_server_never_shows_the_key() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"refused {request.headers['Authorization']}")

    hs = HeadscaleProvider(URL, Credentials(api_key=KEY), transport=httpx.MockTransport(refuse))
    with pytest.raises(RemoteError) as err:
        hs.get_policy()
    assert "SECRET" not in str(err.value) and "ConnectError" in str(err.value)


def test_server_error_never_shows_the_key() -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, text=f"upstream said {request.headers['Authorization']}")

    hs = HeadscaleProvider(URL, Credentials(api_key=KEY), transport=httpx.MockTransport(fail))
    with pytest.raises(RemoteError) as err:
        hs.get_policy()
    assert "HTTP 503" in str(err.value)
    assert "SECRET" not in str(err.value)


def test_a_wrong_key_says_which_variable() -> None:
    with pytest.raises(RemoteError, match="HEADSCALE_API_KEY") as err:
        provider(FakeHeadscale(), "hskey-api-wrong-wrong-wrong").get_policy()
    assert "HTTP 401" in str(err.value)


def test_credentials_need_url_and_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("compiler.remote.credentials._keyring", lambda name: "")
    with pytest.raises(UsageError, match=r"HEADSCALE_URL .* and HEADSCALE_API_KEY"):
        headscale_from_env({"HEADSCALE_URL": URL})
    url, creds = headscale_from_env({"HEADSCALE_URL": URL, "HEADSCALE_API_KEY": KEY})
    assert (url, creds.api_key) == (URL, KEY) and KEY not in repr(creds)


def test_plan_without_credentials_names_both_variables(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A headscale site selects the headscale provider; without its credentials: one line
    naming the variables, exit 1, no traceback."""
    for name in ("HEADSCALE_URL", "HEADSCALE_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    site = tmp_path / "site.yaml"
    site.write_text("target: headscale\n" + (repo / "site.yaml").read_text())
    result = CliRunner().invoke(app, ["plan", str(site)])
    assert result.exit_code == ExitCode.ERROR
    lines = [line for line in result.output.splitlines() if "HEADSCALE_URL" in line]
    assert len(lines) == 1 and "HEADSCALE_API_KEY" in lines[0]
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_a_headscale_live_side_is_named_by_its_server() -> None:
    from compiler.remote.provider import live_label

    provider = HeadscaleProvider.from_env(
        {"HEADSCALE_URL": "http://127.0.0.1:9/", "HEADSCALE_API_KEY": KEY}
    )
    assert live_label(provider) == "live (headscale http://127.0.0.1:9)"


class Flaky:
    """FakeHeadscale behind a queue of failures: each request first takes the next queued
    fault for its method (a status to answer, or "drop" to fail the connection)."""

    def __init__(self, server: FakeHeadscale, faults: dict[str, list[int | str]]) -> None:
        self.server = server
        self.faults = faults
        self.seen: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request.method)
        queue = self.faults.get(request.method, [])
        if queue:
            fault = queue.pop(0)
            if fault == "drop":
                raise httpx.ConnectError("connection refused", request=request)
            return httpx.Response(int(fault), json={"code": 14, "message": "unavailable"})
        return self.server(request)


def flaky_provider(flaky: Flaky, waits: list[float]) -> HeadscaleProvider:
    retry = RetryPolicy(attempts=3, backoff=0.25, max_backoff=1.0)
    return HeadscaleProvider(
        URL,
        Credentials(api_key=KEY),
        retry=retry,
        sleep=waits.append,
        transport=httpx.MockTransport(flaky),
    )


def test_headscale_reads_are_retried_as_tailscales_are() -> None:
    """A 503 and a dropped connection on reads are waited out with backoff (0.25, 0.5)."""
    waits: list[float] = []
    flaky = Flaky(FakeHeadscale("{}"), {"GET": [503, "drop"]})
    with flaky_provider(flaky, waits) as hs:
        assert hs.get_policy().text == "{}"
        assert waits == [0.25, 0.5] and hs.stats.retries == 2 and hs.stats.requests == 3


def test_headscale_gives_up_on_reads_after_the_attempts() -> None:
    waits: list[float] = []
    flaky = Flaky(FakeHeadscale("{}"), {"GET": ["drop", "drop", "drop"]})
    with flaky_provider(flaky, waits) as hs, pytest.raises(RemoteError) as failed:
        hs.devices()
    assert "did not answer (ConnectError) after 3 tries" in str(failed.value)
    assert flaky.seen == ["GET"] * 3 and waits == [0.25, 0.5]


def test_headscale_no_policy_yet_is_an_answer_not_a_failure() -> None:
    """headscale answers "none stored" with a 500: read once, not retried."""
    waits: list[float] = []
    flaky = Flaky(FakeHeadscale(None), {})
    with flaky_provider(flaky, waits) as hs:
        assert hs.get_policy().text == ""
    assert flaky.seen == ["GET"] and waits == []


def test_a_headscale_write_is_never_repeated_blindly() -> None:
    """A 503 on the PUT is an unknown outcome (push reads back), not a retry. A 429 is not
    waited out either: sent again later, the PUT would skip the re-read that guards it (no
    If-Match here), so nothing is written and the error says so."""
    waits: list[float] = []
    server = FakeHeadscale("{}")
    flaky = Flaky(server, {"PUT": [503]})
    with flaky_provider(flaky, waits) as hs, pytest.raises(OutcomeUnknown):
        hs.set_policy('{"acls": []}', sha("{}"))
    assert flaky.seen == ["GET", "PUT"] and server.puts == 0 and waits == []
    flaky = Flaky(server, {"PUT": [429]})
    with flaky_provider(flaky, waits) as hs, pytest.raises(RemoteError) as limited:
        hs.set_policy('{"acls": []}', sha("{}"))
    assert not isinstance(limited.value, OutcomeUnknown) and "429" in str(limited.value)
    assert flaky.seen == ["GET", "PUT"] and server.puts == 0 and waits == []


def test_an_api_url_carrying_a_password_is_refused() -> None:
    """A URL is written into plans, backups and messages: a secret in it would be too."""
    env = {"HEADSCALE_URL": "http://admin:hunter2@127.0.0.1:8080", "HEADSCALE_API_KEY": KEY}
    with pytest.raises(UsageError) as refused:
        headscale_from_env(env)
    assert "HEADSCALE_URL" in str(refused.value) and "hunter2" not in str(refused.value)
    with pytest.raises(UsageError) as refused:
        TailscaleClient.from_env(
            {"TAILSCALE_BASE_URL": "https://u:hunter2@api.example", "TAILSCALE_API_KEY": "k"}
        )
    assert "TAILSCALE_BASE_URL" in str(refused.value) and "hunter2" not in str(refused.value)
