"""Property tests: the indexed evaluator agrees with a brute-force reference on random tailnets.

The reference below is written from the reference document's semantics (§3, §5) as plainly as
possible — loop over every rule, every selector, every device — and shares no code with
`compiler.evaluate` beyond the standard library, so a bug in the index, the interval sets or
the selector resolution shows up as a disagreement on some random flow.
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler.evaluate import allowed, validate
from sitegen import sites

USERS = ["ann@example.com", "bob@example.com", "cy@example.org"]
TAGS = ["tag:web", "tag:db", "tag:router"]
PORTS = [22, 53, 80, 443, 5432, 8080]


@dataclass(frozen=True)
class Dev:
    name: str
    ip: str
    owner: str
    tags: tuple[str, ...]
    route: str


# ---------------------------------------------------------------- random tailnets and policies


@st.composite
def tailnets(draw: st.DrawFn) -> list[Dev]:
    count = draw(st.integers(2, 6))
    devices = []
    for i in range(count):
        tagged = draw(st.booleans())
        tags = (
            tuple(sorted(draw(st.sets(st.sampled_from(TAGS), min_size=1, max_size=2))))
            if tagged
            else ()
        )
        owner = "" if tagged else draw(st.sampled_from(USERS))
        route = f"10.0.{i}.0/24" if tagged and draw(st.booleans()) else ""
        devices.append(Dev(f"d{i}", f"100.64.0.{i + 1}", owner, tags, route))
    return devices


PLAIN_SRC = [
    "*",
    *USERS,
    "group:staff",
    *TAGS,
    "autogroup:member",
    "autogroup:tagged",
    "box",
    "net",
]
PERSON_SRC = [*USERS, "group:staff", "autogroup:member"]
DST = [
    "*",
    *USERS,
    "group:staff",
    *TAGS,
    "autogroup:member",
    "autogroup:tagged",
    "box",
    "net",
    "10.0.1.0/24",
]


@st.composite
def rules(draw: st.DrawFn) -> dict[str, Any]:
    use_self = draw(st.booleans())
    srcs = draw(
        st.lists(st.sampled_from(PERSON_SRC if use_self else PLAIN_SRC), min_size=1, max_size=3)
    )
    dsts = draw(st.lists(st.sampled_from(DST), min_size=1, max_size=3))
    if use_self:
        dsts.append("autogroup:self")
    if draw(st.booleans()):
        ports = draw(st.sampled_from(["*", "22", "80-443", "22,5432", "53"]))
        rule: dict[str, Any] = {
            "action": "accept",
            "src": srcs,
            "dst": [f"{d}:{ports}" for d in dsts],
        }
        proto = draw(st.sampled_from([None, "tcp", "udp"]))
        if proto:
            rule["proto"] = proto
        return {"acls": rule}
    ips = draw(
        st.lists(
            st.sampled_from(["*", "22", "tcp:80", "udp:53", "80-90", "tcp:5432"]),
            min_size=1,
            max_size=2,
        )
    )
    return {"grants": {"src": srcs, "dst": dsts, "ip": ips}}


@st.composite
def policies(draw: st.DrawFn) -> dict[str, Any]:
    staff = draw(st.lists(st.sampled_from(USERS), max_size=2, unique=True))
    box = draw(st.sampled_from(["100.64.0.1", "100.64.0.3", "100.64.0.9"]))
    policy: dict[str, Any] = {
        "groups": {"group:staff": staff},
        "tagOwners": {t: ["ann@example.com"] for t in TAGS},
        "hosts": {"box": box, "net": "10.0.0.0/16"},
        "acls": [],
        "grants": [],
    }
    for rule in draw(st.lists(rules(), max_size=4)):
        for section, body in rule.items():
            policy[section].append(body)
    return policy


def topology(devices: list[Dev]) -> dict[str, Any]:
    users = [{"id": i, "name": u.split("@")[0], "email": u} for i, u in enumerate(USERS, 1)]
    nodes = {
        d.name: {
            "hostname": d.name,
            "tags": list(d.tags),
            "ipv4": d.ip,
            "ipv6": f"fd7a:115c:a1e0::{d.ip.rsplit('.', 1)[1]}",
            "user": d.owner.split("@")[0] if d.owner else None,
            "routable_ips": [d.route] if d.route else [],
            "approved_routes": [d.route] if d.route else [],
        }
        for d in devices
    }
    return {"users": users, "nodes": nodes}


# ---------------------------------------------------------------- the brute-force reference


def ref_device_at(devices: list[Dev], addr: str) -> Dev | None:
    return next((d for d in devices if d.ip == addr), None)


def ref_src_matches(policy: dict[str, Any], devices: list[Dev], sel: str, src: Dev) -> bool:
    if sel == "*":
        return True
    if sel in policy["hosts"]:
        return ipaddress.ip_address(src.ip) in ipaddress.ip_network(policy["hosts"][sel])
    return ref_identity(policy, sel, src)


def ref_identity(policy: dict[str, Any], sel: str, dev: Dev) -> bool:
    if sel == "autogroup:member":
        return not dev.tags
    if sel == "autogroup:tagged":
        return bool(dev.tags)
    if sel.startswith("tag:"):
        return sel in dev.tags
    if sel.startswith("group:"):
        return not dev.tags and dev.owner in policy["groups"][sel]
    return not dev.tags and dev.owner == sel


def ref_dst_matches(
    policy: dict[str, Any], devices: list[Dev], sel: str, src: Dev, addr: str
) -> bool:
    if sel == "*":
        return True
    target = policy["hosts"].get(sel, sel)
    if "/" in target or target[0].isdigit():
        return ipaddress.ip_address(addr) in ipaddress.ip_network(target)
    dev = ref_device_at(devices, addr)
    if dev is None:
        return False
    if sel == "autogroup:self":
        return not dev.tags and not src.tags and dev.owner == src.owner
    return ref_identity(policy, sel, dev)


def ref_admits(spec: str, proto: str, port: int) -> bool:
    kind, _, ports = spec.rpartition(":")
    protos = {kind} if kind else {"tcp", "udp", "icmp"}
    if proto not in protos:
        return False
    if proto == "icmp" or ports == "*":
        return True
    for part in ports.split(","):
        lo, _, hi = part.partition("-")
        if int(lo) <= port <= int(hi or lo):
            return True
    return False


def ref_allowed(
    policy: dict[str, Any], devices: list[Dev], src: Dev, addr: str, port: int, proto: str
) -> bool:
    for acl in policy["acls"]:
        if not any(ref_src_matches(policy, devices, s, src) for s in acl["src"]):
            continue
        for dst in acl["dst"]:
            sel, _, ports = dst.rpartition(":")
            spec = f"{acl['proto']}:{ports}" if "proto" in acl else ports
            if ref_dst_matches(policy, devices, sel, src, addr) and ref_admits(spec, proto, port):
                return True
    for grant in policy["grants"]:
        if not any(ref_src_matches(policy, devices, s, src) for s in grant["src"]):
            continue
        for sel in grant["dst"]:
            if ref_dst_matches(policy, devices, sel, src, addr) and any(
                ref_admits(ip, proto, port) for ip in grant["ip"]
            ):
                return True
    return False


# ---------------------------------------------------------------- properties

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(devices=tailnets(), policy=policies(), data=st.data())
def test_allowed_agrees_with_brute_force(
    devices: list[Dev], policy: dict[str, Any], data: st.DataObject
) -> None:
    text = json.dumps(policy, indent="\t")
    inventory = topology(devices)
    for _ in range(12):
        src = data.draw(st.sampled_from(devices))
        addr = data.draw(st.sampled_from([d.ip for d in devices] + ["10.0.1.7", "100.64.0.9"]))
        port = data.draw(st.sampled_from(PORTS))
        proto = data.draw(st.sampled_from(["tcp", "udp", "icmp"]))
        want = ref_allowed(policy, devices, src, addr, port, proto)
        got = allowed(text, inventory, src.name, addr, port, proto)
        assert got.allowed == want, (src, addr, port, proto, got.reason)
        assert bool(got.matches) == want


@SETTINGS
@given(devices=tailnets(), policy=policies())
def test_generated_policies_validate(devices: list[Dev], policy: dict[str, Any]) -> None:
    """The generator only writes policies the control plane accepts; so must `validate`."""
    problems = validate(json.dumps(policy), topology(devices))
    assert not [p for p in problems if p.is_error], problems


# ---------------------------------------------------------------- our own compiled policies


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(site=sites())
def test_compiled_policies_pass_their_tests_and_trace_to_site(site: dict[str, Any]) -> None:
    """For a policy tailgen compiles: it validates (generated tests included), and every flow
    the evaluator allows between devices names a rule written from a site.yaml declaration."""
    import yaml

    from compiler.build import compile_text
    from compiler.evaluate import Evaluator, parse_policy
    from compiler.evaluate.decision import match_of
    from compiler.evaluate.inventory import inventory_from_dict
    from compiler.evaluate.site_view import inventory_from_site, site_services

    result = compile_text(yaml.safe_dump(site), "site.yaml")
    text = result.files["policy.hujson"].decode()
    inventory = inventory_from_site(result.site)
    assert not [p for p in validate(text, inventory) if p.is_error]
    ev = Evaluator(parse_policy(text), inventory_from_dict(inventory))
    for svc in site_services(result.site):
        target = ev.inventory.device_by_name[svc.device]
        for device in ev.inventory.devices:
            for atom in ev.matching(device.keys[0], target.keys[0], svc.port, svc.proto):
                assert "site.yaml:" in match_of(ev, atom).provenance, atom.rule.name
