"""Properties of `tailgen import`: build → import → build keeps access (and the services and
allow lists the model holds), and mutated policies never crash it."""

from __future__ import annotations

import contextlib
import itertools
import json
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler.adopt import import_policy
from compiler.build import compile_text
from compiler.errors import TailgenError
from compiler.evaluate import Evaluator, allowed, inventory_from_dict, parse_policy
from compiler.site.inventory import inventory_from_site
from sitegen import sites

SETTINGS = settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))


def _services(site: dict[str, Any]) -> set[tuple[str, str, tuple[int, ...], frozenset[str]]]:
    return {
        (s["device"], s.get("protocol", "tcp"), tuple(sorted(s["port"])), frozenset(s["allow"]))
        for s in (site.get("services") or {}).values()
        if s.get("allow")
    }


@SETTINGS
@given(sites())
def test_build_import_build_keeps_access_services_and_allow_lists(data: dict[str, Any]) -> None:
    first = compile_text(yaml.safe_dump(data))
    policy = first.files["policy.hujson"].decode()
    adoption = import_policy(policy, "policy.hujson", inventory_from_site(first.site))
    assert adoption.proof.zero, adoption.proof.lines()
    imported = yaml.safe_load(adoption.site_text)
    second = compile_text(adoption.site_text)
    assert second.files["policy.hujson"].decode() == adoption.policy_text
    _same_decisions(policy, adoption.policy_text, inventory_from_site(first.site), data)
    # Where the model was used, it holds what the site said: every original service whose
    # allow list the model can name (not `location:`) comes back with the same allow list.
    expected = {s for s in _services(data) if not any(a.startswith("location:") for a in s[3])}
    got = {s for s in _services(imported) if s[2][0] >= 1000}  # break-glass grants are :22
    assert got == expected


def _same_decisions(old: str, new: str, topology: dict[str, Any], site: dict[str, Any]) -> None:
    """An oracle apart from the proof: `allowed()` on both policies, device to device, on every
    port the site declares (and SSH's 22 and one nobody declares), TCP and UDP."""
    inventory = inventory_from_dict(topology)
    before, after = Evaluator(parse_policy(old), inventory), Evaluator(parse_policy(new), inventory)
    ports = {p for svc in site["services"].values() for p in svc["port"]} | {22, 9}
    names = [d.name for d in inventory.devices]
    for src, dst, port, proto in itertools.product(names, names, sorted(ports), ("tcp", "udp")):
        was = allowed(before, None, src, dst, port, proto).allowed
        assert allowed(after, None, src, dst, port, proto).allowed == was, (src, dst, port, proto)


MUTATIONS = st.sampled_from(
    [
        ("delete", None),
        ("replace", "*"),
        ("replace", "tag:x:80"),
        ("replace", 7),
        ("replace", None),
        ("replace", []),
        ("replace", {}),
        ("replace", "autogroup:internet"),
        ("replace", "group:missing"),
        ("replace", "100.64.0.1/32:22-23"),
        ("replace", "tcp:1-65535"),
        ("replace", "\u2028é\x85"),
    ]
)
BASE = {
    "groups": {"group:a": ["a@example.com", "b@example.com"]},
    "tagOwners": {"tag:web": ["group:a"], "tag:r": ["a@example.com"]},
    "hosts": {"nas": "192.168.1.5"},
    "autoApprovers": {"routes": {"192.168.1.0/24": ["tag:r"]}, "exitNode": ["tag:r"]},
    "acls": [{"action": "accept", "src": ["group:a"], "proto": "tcp", "dst": ["tag:web:443"]}],
    "grants": [
        {"src": ["b@example.com"], "dst": ["tag:web"], "ip": ["tcp:80", "udp:53"]},
        {"src": ["autogroup:member"], "dst": ["autogroup:internet"], "ip": ["*"]},
        {"src": ["a@example.com"], "dst": ["nas"], "ip": ["*"]},
    ],
    "ssh": [{"action": "check", "src": ["a@example.com"], "dst": ["tag:web"], "users": ["root"]}],
    "tests": [{"src": "b@example.com", "accept": ["tag:web:80"]}],
}


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path] if path else []
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*path, i))
    return out


def _mutate(doc: Any, path: tuple[Any, ...], how: str, new: Any) -> None:
    parent = doc
    for part in path[:-1]:
        parent = parent[part]
    if how == "delete":
        del parent[path[-1]]
    else:
        parent[path[-1]] = new


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_mutated_policies_import_or_are_refused_never_crash(data: st.DataObject) -> None:
    doc = json.loads(json.dumps(BASE))
    paths = _paths(doc)
    for _ in range(data.draw(st.integers(1, 3))):
        paths = _paths(doc)
        if not paths:
            break
        how, new = data.draw(MUTATIONS)
        _mutate(doc, data.draw(st.sampled_from(paths)), how, new)
    text = json.dumps(doc, ensure_ascii=False)
    if data.draw(st.booleans()):
        cut = data.draw(st.integers(0, len(text)))
        text = text[:cut] + data.draw(st.sampled_from(["", ",", "//", "/*", '"', "}"])) + text[cut:]
    try:
        adoption = import_policy(text, "fuzz.hujson")
    except TailgenError:
        return
    yaml.safe_load(adoption.site_text)  # the written site always reads back as YAML


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-2, 300) | st.sampled_from(
        ["", "tag:web", "100.64.0.7", "fd7a:115c:a1e0::7", "10.0.0.0/24", "a@example.com", "x"]
    ),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(
            ["nodes", "users", "devices", "hostname", "addresses", "tags", "user", "ipv4",
             "ipv6", "approved_routes", "enabledRoutes", "name", "email", "nameservers",
             "preferences", "magicDNS", "splitDNS", "searchPaths", "address"]
        ),
        inner,
        max_size=4,
    ),
    max_leaves=12,
)  # fmt: skip


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(JSON, JSON)
def test_device_and_dns_inputs_are_read_or_refused(devices: Any, dns: Any) -> None:
    from compiler.adopt import dns_settings, topology
    from compiler.evaluate import inventory_from_dict

    with contextlib.suppress(TailgenError):
        assert inventory_from_dict(topology(devices)).device_by_key is not None  # addresses parse
    with contextlib.suppress(TailgenError):
        dns_settings(dns)
