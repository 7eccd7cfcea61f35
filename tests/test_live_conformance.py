"""Conformance with Tailscale's published OpenAPI definition (tests/data/tailscale-api/).

Every request tailgen's client sends and every answer the emulator gives, over real HTTP, is
validated with openapi-core against `openapi.yaml`: a scenario drives every operation tailgen
uses (`compiler.remote.operations.OPERATIONS`), success and error answers alike. The operation
table itself is checked against the file: each path and method exists under that operationId,
and the scope matches the operation's `OAuth Scope:` line where the file gives one.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

import pytest
import yaml
from live_harness import (
    API_KEY,
    OAUTH_ID,
    OAUTH_SECRET,
    POLICY_ONLY_KEY,
    Exchange,
    Recorder,
    client,
    desired,
    emulator,
)

import datafiles
from compiler.remote import operations as ops
from compiler.remote.credentials import Credentials
from compiler.remote.errors import ApiError
from compiler.review.snapshot import POLICY

SPEC = datafiles.require_data("tailscale-api/openapi.yaml")
openapi_core = pytest.importorskip("openapi_core", reason="openapi-core is in the test extra")

from openapi_core.datatypes import RequestParameters  # noqa: E402
from werkzeug.datastructures import Headers, ImmutableMultiDict  # noqa: E402

SERVER = "https://api.tailscale.com"


class SpecRequest:
    """An exchange's request as openapi-core reads it (on the spec's server URL)."""

    def __init__(self, x: Exchange) -> None:
        url = urlsplit(x.url)
        self.host_url = SERVER
        self.path = url.path
        self.method = x.method.lower()
        self.body = x.body or None
        self.content_type = x.headers.get("content-type", "")
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(parse_qsl(url.query)),
            header=Headers(x.headers),
            cookie=ImmutableMultiDict(),
        )


class SpecResponse:
    def __init__(self, x: Exchange) -> None:
        self.status_code = x.status
        self.content_type = x.response_headers.get("content-type", "")
        self.headers = Headers(x.response_headers)
        self.data = x.response_body


# Mismatches between what the real API does and what its definition says, found by this
# test: each is kept in the scenario so the test notices when the definition changes.
SPEC_GAPS = {
    # The description says "OAuth Scope: devices:core:read", so a token without it gets 403
    # (reference §7.1), but the operation lists only 200/404/500/504.
    ("listTailnetDevices", 403, "response"): "ResponseNotFound",
    # The overview says a key may be sent as the Basic username, but the only security scheme
    # declared is `bearerAuth`.
    ("getDnsConfiguration", 200, "request"): "SecurityValidationError",
}


@pytest.fixture(scope="module")
def spec() -> object:
    # HuJSON bodies are `type: string` in the definition: read them as text, as a server does.
    config = openapi_core.Config(
        extra_media_type_deserializers={"application/hujson": lambda data: data.decode()}
    )
    return openapi_core.OpenAPI.from_file_path(str(SPEC), config=config)


def scenario(recorder: Recorder) -> None:
    """Every operation tailgen uses, with success and the error answers tailgen handles."""
    text = desired().text(POLICY) or ""
    with (
        emulator() as emu,
        client(emu, Credentials(api_key=API_KEY, scheme="bearer"), transport=recorder) as c,
    ):
        c.get_policy()
        c.get_policy_json()
        c.validate_policy(text)
        c.validate_policy('{"acls": [{"action": "accept", "src": ["*"], "dst": ["tag:x:1"]}]}')
        stored = c.set_policy(text, "ts-default")
        for call in (
            lambda: c.set_policy(text, "ts-default"),
            lambda: c.set_policy("{", stored.etag),
        ):
            with pytest.raises(ApiError):
                call()  # 412, then 400
        config = c.get_dns()
        c.set_dns(config)
        c.set_nameservers(c.nameservers())
        c.set_preferences(bool(c.preferences()["magicDNS"]))
        c.set_search_paths(c.search_paths())
        c.set_split_dns({"a.example": ["10.0.0.53"]})
        c.patch_split_dns({"a.example": None, "b.example": ["10.0.1.53"]})
        c.split_dns()
        devices = c.devices()
        c.devices(fields="default")
        device = devices[0]["id"]
        c.device(device)
        c.set_routes(device, c.routes(device)["enabledRoutes"])
        c.set_tags(device, devices[0]["tags"])
        with pytest.raises(ApiError):
            c.routes("0000")  # 404
    with (
        emulator() as emu,
        client(emu, Credentials(api_key=POLICY_ONLY_KEY, scheme="bearer"), transport=recorder) as c,
        pytest.raises(ApiError),
    ):
        c.devices()  # 403
    with emulator() as emu, client(emu, Credentials(api_key=API_KEY), transport=recorder) as c:
        c.get_dns()  # HTTP Basic, as Tailscale's Go clients send the key
    oauth = Credentials(oauth_id=OAUTH_ID, oauth_secret=OAUTH_SECRET)
    with emulator() as emu, client(emu, oauth, transport=recorder) as c:
        c.get_policy()  # Bearer with an access token from /oauth/token


def operation_of(x: Exchange) -> str:
    path = urlsplit(x.url).path
    for op in ops.OPERATIONS:
        if op.method == x.method and op.pattern().match(path):
            return op.id
    return f"{x.method} {path}"


def test_every_exchange_conforms_to_the_published_definition(spec: object) -> None:
    recorder = Recorder()
    scenario(recorder)
    covered: set[str] = set()
    failures: list[str] = []
    gaps: set[tuple[str, int, str]] = set()
    tokens = 0
    for x in recorder.exchanges:
        name = operation_of(x)
        if urlsplit(x.url).path == ops.OAUTH_TOKEN_PATH:
            tokens += 1  # not in the published definition (RFC 6749, reference §7.1)
            continue
        covered.add(name)
        request, response = SpecRequest(x), SpecResponse(x)
        for side, check, args in (
            ("request", spec.validate_request, (request,)),  # type: ignore[attr-defined]
            ("response", spec.validate_response, (request, response)),  # type: ignore[attr-defined]
        ):
            try:
                check(*args)
            except Exception as exc:  # openapi-core raises one class per kind of mismatch
                if SPEC_GAPS.get((name, x.status, side)) == type(exc).__name__:
                    gaps.add((name, x.status, side))
                    continue
                cause = exc.__cause__ or exc
                failures.append(f"{name} {x.status} {side}: {type(exc).__name__}: {cause}")
    print(
        f"\nconformance: {len(recorder.exchanges)} exchanges, {len(covered)} operations: {sorted(covered)}"
    )
    print("failures:", failures or "none", "; definition gaps:", sorted(gaps))
    assert covered >= {op.id for op in ops.OPERATIONS} and tokens == 1
    assert failures == []
    assert gaps == set(SPEC_GAPS)


def test_the_validator_notices_a_malformed_answer(spec: object) -> None:
    """The oracle can fail: a nameserver list that is not a list is reported."""
    recorder = Recorder()
    with (
        emulator() as emu,
        client(emu, Credentials(api_key=API_KEY, scheme="bearer"), transport=recorder) as c,
    ):
        c.nameservers()
    x = recorder.exchanges[0]
    x.response_body = b'{"dns": "8.8.8.8"}'
    with pytest.raises(Exception, match="not of type 'array'"):
        spec.validate_response(SpecRequest(x), SpecResponse(x))  # type: ignore[attr-defined]


def test_the_operation_table_matches_the_definition() -> None:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    paths = yaml.load(SPEC.read_text(encoding="utf-8"), Loader=loader)["paths"]
    for op in ops.OPERATIONS:
        entry = paths[op.path][op.method.lower()]
        assert entry["operationId"] == op.id
        stated = re.search(r"OAuth Scope: `([^`]+)`", entry.get("description", ""))
        if stated:
            assert stated.group(1) == op.scope, op.id
        else:  # the DNS operations state none; reference §7.1 gives dns / dns:read
            assert op.scope in ("dns", "dns:read"), op.id


def test_validate_takes_a_policy_only_as_hujson_per_the_definition(spec: object) -> None:
    """Finding: the definition's JSON body for validate is `oneOf` [tests array, string], so a
    candidate policy sent as a JSON object does not conform; tailgen sends it as HuJSON."""
    url = "http://127.0.0.1/api/v2/tailnet/-/acl/validate"
    headers = {"authorization": "Bearer (elided)"}

    def exchange(content_type: str) -> Exchange:
        return Exchange(
            "POST", url, {**headers, "content-type": content_type}, b'{"acls": []}', 200, {}, b""
        )

    spec.validate_request(SpecRequest(exchange("application/hujson")))  # type: ignore[attr-defined]
    with pytest.raises(Exception) as refused:
        spec.validate_request(SpecRequest(exchange("application/json")))  # type: ignore[attr-defined]
    assert type(refused.value).__name__ == "InvalidRequestBody"
