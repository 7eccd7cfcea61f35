"""The headscale provider's error paths, over an in-memory transport shaped like headscale v0.29
(the real server is driven in test_headscale_peer.py): the API key never shows in an error,
a missing policy reads as empty, and a change between plan and push is refused."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from compiler.errors import ExitCode, LiveChangedError, PolicyError, RemoteError, UsageError
from compiler.remote.headscale import HeadscaleProvider, plan, push, version_of

KEY = "hskey-api-SECRETSECRET-abcdefghijklmnop"


class FakeHeadscale:
    """GET/PUT /api/v1/policy and POST /api/v1/policy/check, as headscale answers them."""

    def __init__(self) -> None:
        self.policy: str | None = None
        self.puts = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert request.headers["Authorization"] == f"Bearer {KEY}"
        if request.url.path == "/api/v1/policy" and request.method == "GET":
            if self.policy is None:
                body = {"code": 2, "message": "loading ACL from database: acl policy not found"}
                return httpx.Response(500, json=body)
            return httpx.Response(200, json={"policy": self.policy, "updatedAt": "now"})
        text = json.loads(request.content)["policy"]
        if request.url.path.endswith("/check"):
            if "nobody" in text:
                return httpx.Response(400, json={"code": 3, "message": 'host not defined: "x"'})
            return httpx.Response(200, json={})
        self.puts += 1
        self.policy = text
        return httpx.Response(200, json={"policy": text})


def provider(server: FakeHeadscale) -> HeadscaleProvider:
    client = httpx.Client(transport=httpx.MockTransport(server))
    return HeadscaleProvider("http://127.0.0.1:8080", KEY, client)


def test_no_policy_yet_reads_as_empty() -> None:
    live = provider(FakeHeadscale()).fetch_policy()
    assert (live.text, live.version) == ("", version_of(""))


def test_check_shows_headscales_message() -> None:
    with pytest.raises(PolicyError, match='host not defined: "x"'):
        provider(FakeHeadscale()).check_policy('{"grants": [{"src": ["nobody"]}]}')


def test_change_between_plan_and_push_is_refused(tmp_path: Path) -> None:
    server = FakeHeadscale()
    reviewed = plan(provider(server), '{"grants": []}\n')
    server.policy = '{"grants": [], "hosts": {}}\n'  # someone else's edit
    with pytest.raises(LiveChangedError) as err:
        push(provider(server), reviewed, tmp_path)
    assert err.value.exit_code == ExitCode.CONFLICT
    assert "weaker than Tailscale's If-Match" in str(err.value)
    assert server.puts == 0 and not list(tmp_path.iterdir())


def test_unreachable_server_never_shows_the_key() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"refused {request.headers['Authorization']}")

    client = httpx.Client(transport=httpx.MockTransport(refuse))
    with pytest.raises(RemoteError) as err:
        HeadscaleProvider("http://127.0.0.1:1", KEY, client).fetch_policy()
    assert "SECRET" not in str(err.value) and "ConnectError" in str(err.value)


def test_server_error_never_shows_the_key() -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, text=f"upstream said {request.headers['Authorization']}")

    client = httpx.Client(transport=httpx.MockTransport(fail))
    with pytest.raises(RemoteError) as err:
        HeadscaleProvider("http://127.0.0.1:1", KEY, client).fetch_policy()
    assert "HTTP 503" in str(err.value)
    assert "SECRET" not in str(err.value)


def test_from_env_needs_url_and_key() -> None:
    with pytest.raises(UsageError, match="TAILGEN_HEADSCALE_API_KEY"):
        HeadscaleProvider.from_env({"TAILGEN_HEADSCALE_URL": "http://127.0.0.1:8080"})
