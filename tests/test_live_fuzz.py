"""Fuzzing the parsers the live-tailnet work added: plan files, fault specs, DNS
configurations, and the emulator's request handling (any body gets an API-shaped answer)."""

from __future__ import annotations

import contextlib
import http.client
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from live_harness import API_KEY, emulator

from compiler.errors import InputError
from compiler.remote import dnsconfig, liveplan
from compiler.remote.emulator import Emulator
from compiler.remote.emulator.faults import Fault

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=20,
)
dns_keys = st.sampled_from(
    ["nameservers", "splitDNS", "searchPaths", "preferences", "address", "magicDNS"]
)
dns_like = st.dictionaries(dns_keys, json_values, max_size=4)


@given(st.one_of(json_values, dns_like))
def test_dns_normalize_is_total_and_idempotent(value: object) -> None:
    try:
        once = dnsconfig.normalize(value)
    except ValueError:
        return
    assert dnsconfig.normalize(once) == once
    assert dnsconfig.render(once) == dnsconfig.render(value)


@given(st.text(max_size=30))
def test_fault_specs_parse_or_say_why(spec: str) -> None:
    try:
        fault = Fault.parse(spec)
    except ValueError:
        return
    assert fault.kind in spec


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=60)
@given(
    st.one_of(
        json_values,
        st.fixed_dictionaries(
            {"format": st.just("tailgen-live-plan"), "version": st.just(1)},
            optional={"site": json_values, "safe": json_values, "reasons": json_values},
        ),
    )
)
def test_plan_files_load_or_are_refused(tmp_path: Path, value: object) -> None:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(value))
    with contextlib.suppress(InputError):
        plan = liveplan.load(path)
        assert isinstance(plan.safe, bool) and isinstance(plan.reasons, list)


@pytest.fixture(scope="module")
def emu() -> object:
    with emulator() as running:
        yield running


ENDPOINTS = [
    ("POST", "/api/v2/tailnet/-/acl"),
    ("POST", "/api/v2/tailnet/-/acl/validate"),
    ("POST", "/api/v2/tailnet/-/dns/configuration"),
    ("PATCH", "/api/v2/tailnet/-/dns/split-dns"),
    ("POST", "/api/v2/tailnet/-/dns/nameservers"),
    ("POST", "/api/v2/tailnet/-/dns/preferences"),
]


@settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=80, deadline=None
)
@given(
    st.sampled_from(ENDPOINTS),
    st.one_of(st.binary(max_size=64), json_values.map(lambda v: json.dumps(v).encode())),
)
def test_any_body_gets_an_api_shaped_answer(
    emu: Emulator, endpoint: tuple[str, str], body: bytes
) -> None:
    host, port = emu.server.server_address[:2]
    conn = http.client.HTTPConnection(str(host), int(port), timeout=10)
    headers = {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"}
    conn.request(endpoint[0], endpoint[1], body=body, headers=headers)
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    assert resp.status in (200, 400, 412), (resp.status, data)
    if resp.status >= 400:
        assert isinstance(json.loads(data)["message"], str)
