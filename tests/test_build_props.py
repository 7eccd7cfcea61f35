"""Property tests for the compiler: no over-grant, and the same input gives the same bytes.

The grant interpreter below is deliberately tiny: it understands only the shapes our compiler
emits (logins, groups, autogroup:member, tags and host aliases; `proto:port` lists) and maps
every access the policy grants back to the site's declarations.
"""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings

from compiler import build, hujson
from sitegen import sites

Flow = tuple[str, str, str, int]  # (principal, device-or-address, proto, port)


def declared(site: dict[str, Any]) -> set[Flow]:
    users = site["users"]
    groups = site["groups"]

    def who(ref: str) -> set[str]:
        if ref in users:
            return {ref}
        if ref.startswith("group:"):
            return set(groups[ref[6:]])
        if ref == "autogroup:member":
            return set(users)
        return {ref}  # location:KEY stands for itself

    flows: set[Flow] = set()
    for svc in site["services"].values():
        for ref in svc["allow"]:
            for principal in who(ref):
                flows |= {(principal, svc["device"], svc["protocol"], p) for p in svc["port"]}
    for bg in site.get("break_glass", []):
        flows |= {(u, d, "tcp", 22) for ref in bg["who"] for u in who(ref) for d in bg["devices"]}
    return flows


def granted(site: dict[str, Any], policy: dict[str, Any]) -> set[Flow]:
    logins = {u["login"]: key for key, u in site["users"].items()}
    hosts = policy.get("hosts", {})
    by_ip = {d["tailscale_ip"]: name for name, d in site["devices"].items()}
    lan = {alias: f"location:{alias.rsplit('-lan', 1)[0]}" for alias in hosts if "-lan" in alias}

    def src(sel: str) -> set[str]:
        if sel in logins:
            return {logins[sel]}
        if sel.startswith("group:"):
            return {logins[m] for m in policy["groups"][sel]}
        if sel == "autogroup:member":
            return set(site["users"])
        if sel in lan:
            return {lan[sel]}
        raise AssertionError(f"unexpected src {sel}")

    def dst(sel: str) -> set[str]:
        if sel in hosts and hosts[sel] in by_ip:
            return {by_ip[hosts[sel]]}
        if sel.startswith("tag:"):
            return {n for n, d in site["devices"].items() if sel[4:] in d.get("tags", [])}
        return {sel}  # addresses outside the devices (resolvers, internet) stand for themselves

    flows: set[Flow] = set()
    for grant in policy["grants"]:
        for ip in grant["ip"]:
            if ip == "*":
                continue  # only the exit-node grant (autogroup:internet) uses "*"
            proto, _, port = ip.partition(":")
            flows |= {
                (s, d, proto, int(port))
                for a in grant["src"]
                for s in src(a)
                for b in grant["dst"]
                for d in dst(b)
            }
    return flows


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sites())
def test_no_over_grant_and_deterministic(site: dict[str, Any]) -> None:
    text = yaml.safe_dump(site, sort_keys=False)
    first = build.compile_text(text)
    second = build.compile_text(text)
    assert first.files == second.files
    policy = hujson.loads(first.files["policy.hujson"])
    extra = {f for f in granted(site, policy) if f[1] in site["devices"]} - declared(site)
    assert not extra, f"over-grant: {sorted(extra)}"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sites())
def test_every_declared_flow_is_granted(site: dict[str, Any]) -> None:
    """The converse: nothing declared is missing from the policy."""
    result = build.compile_text(yaml.safe_dump(site, sort_keys=False))
    policy = hujson.loads(result.files["policy.hujson"])
    missing = declared(site) - granted(site, policy)
    assert not missing, f"declared but not granted: {sorted(missing)}"
