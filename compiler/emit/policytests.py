"""The policy's generated `tests` and `sshTests`: the site's intent, stated so the control
plane refuses a later edit that breaks it (pure).

Per user and protocol, one `tests` entry:

- `accept`: every endpoint of every service they may use (the port clients really connect to,
  from the access model), their break-glass ports, and port 22 on the tags their SSH rules name;
- `deny`: every declared endpoint, on any device, that the compiled grants do not give them
  (so a later edit that opens LM Studio to a guest fails the tests), nearest first (the
  devices they already reach, where a widened grant is the likeliest mistake), at most
  `MAX_DENIES_PER_USER` (fewer on sites with many users, `MAX_DENIES_TOTAL` in all); how
  many were left out, and which, is written in the entry's comment
  and the build summary. Only endpoints with an address of their own are denied: an unpinned
  device is named by a tag or owner that other devices share.

Per SSH rule and source user, one `sshTests` entry (the logins the rule admits, as `accept` or
`check`), and per break-glass path to port 22, one that says root gets in without a check.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import chain

from compiler.emit.emitted import Rule
from compiler.emit.selectors import device_selector, endpoint_selector, login, origin, ssh_tags
from compiler.site.access import Endpoint, access, break_glass_paths, users_of
from compiler.site.dns import zones
from compiler.site.model import Site

MAX_DENIES_PER_USER = 16
# All users together: the control plane (and the self-check) runs every entry, so a large
# site gets fewer per user rather than tens of thousands of entries.
MAX_DENIES_TOTAL = 400
SHOWN_LEFT_OUT = 5
Key = tuple[str, str, int]  # (device, or the address for a LAN endpoint; proto; port)
UNIX_NAME = re.compile(r"[a-z_][a-z0-9_-]{0,31}")


def where(ep: Endpoint) -> str:
    return ep.device if ep.on_tailnet or ep.address is None else ep.address


@dataclass
class _UserTests:
    # proto → {"dst:port": None, …}: ordered sets (first addition first), so that adding an
    # entry is a hash lookup, not a scan of the entries so far
    accept: dict[str, dict[str, None]] = field(default_factory=dict)
    deny: dict[str, dict[str, None]] = field(default_factory=dict)
    left_out: list[str] = field(default_factory=list)  # the first few, as test entries
    left_out_count: int = 0

    def add(self, bucket: dict[str, dict[str, None]], proto: str, entry: str) -> None:
        bucket.setdefault(proto, {})[entry] = None


# ---------------------------------------------------------------------------------------------
# what the generated grants give each user (port level)


def _covered(site: Site, ep: Endpoint) -> list[str]:
    """The devices (or address) a grant to this endpoint's selector reaches: one, unless the
    device is unpinned and named by a tag or its owner, which other devices share."""
    dev = site.devices[ep.device]
    if not ep.on_tailnet or dev.tailscale_ip is not None:
        return [where(ep)]
    selector = device_selector(site, ep.device)
    if selector.startswith("tag:"):
        return [d for d, other in site.devices.items() if selector[4:] in other.tags]
    return [d for d, other in site.devices.items() if not other.tags and other.owner == dev.owner]


def _ssh_devices(site: Site, targets: Iterable[str], user: str) -> list[str]:
    tags = {t[4:] for t in targets if t.startswith("tag:")}
    own = "autogroup:self" in targets
    return [
        d
        for d, dev in site.devices.items()
        if tags & set(dev.tags) or (own and not dev.tags and dev.owner == user)
    ]


def granted(site: Site) -> dict[str, set[Key]]:
    """user → every (device-or-address, proto, port) the generated grants open to them."""
    out: dict[str, set[Key]] = {u: set() for u in site.users}
    for svc in access(site).services.values():
        for ep in svc.endpoints:
            for target in _covered(site, ep):
                for user in svc.users:
                    out[user].add((target, ep.proto, ep.port))
    for path in break_glass_paths(site):
        out[path.user].add((path.device, "tcp", path.port))
    for rule in site.ssh:
        for user in users_of(site, rule.from_):
            out[user].update((d, "tcp", 22) for d in _ssh_devices(site, rule.to, user))
    return out


def _resolvers(site: Site) -> set[str]:
    """Where port 53 is opened for split DNS (by address, and the device that has it)."""
    resolvers = {a for zone in zones(site).values() for a in zone.resolvers}
    # by address value, not text: writing every device's address out was most of the cost
    by_ip: dict[object, str] = {
        d.tailscale_ip: n for n, d in site.devices.items() if d.tailscale_ip
    }
    return {str(a) for a in resolvers} | {by_ip[a] for a in resolvers if a in by_ip}


# ---------------------------------------------------------------------------------------------
# tests


def _accepts(site: Site, tests: dict[str, _UserTests]) -> None:
    for svc in access(site).services.values():
        entries = [(ep.proto, ep.dst(endpoint_selector(site, ep))) for ep in svc.endpoints]
        for user in svc.users:
            for proto, entry in entries:
                tests[user].add(tests[user].accept, proto, entry)
    for path in break_glass_paths(site):
        entry = f"{device_selector(site, path.device)}:{path.port}"
        tests[path.user].add(tests[path.user].accept, "tcp", entry)
    carried = {t for dev in site.devices.values() for t in dev.tags}
    for rule in site.ssh:
        tags = [t for t in rule.to if t.startswith("tag:") and t[4:] in carried]
        for user in users_of(site, rule.from_):
            for tag in tags:
                tests[user].add(tests[user].accept, "tcp", f"{tag}:22")


@dataclass(frozen=True)
class _Candidate:
    """An endpoint that can be denied: it has an address of its own (not split DNS's 53)."""

    endpoint: Endpoint
    key: Key
    entry: str  # as the test writes it: "icon:11434", "[fd00::1]:445"


def _candidates(site: Site) -> list[_Candidate]:
    dns = _resolvers(site)
    found = []
    for ep in access(site).endpoints():
        key = (where(ep), ep.proto, ep.port)
        if ep.address is not None and not (ep.port == 53 and key[0] in dns):
            found.append(_Candidate(ep, key, ep.dst(endpoint_selector(site, ep))))
    return found


def per_user_limit(site: Site) -> int:
    return max(1, min(MAX_DENIES_PER_USER, MAX_DENIES_TOTAL // max(1, len(site.users))))


def _denies(site: Site, tests: dict[str, _UserTests]) -> None:
    """Per user: the candidates the grants do not give them, on the devices they already
    reach first, then the rest, each in site order; at most `per_user_limit` of them. The
    scan stops once the limit and the few names shown as left out are found; the left-out
    count comes from set arithmetic, so large sites stay linear in users + endpoints."""
    gives, candidates, limit = granted(site), _candidates(site), per_user_limit(site)
    by_where: dict[str, list[int]] = {}  # where → positions in `candidates`
    for pos, c in enumerate(candidates):
        by_where.setdefault(c.key[0], []).append(pos)
    all_keys = {c.key for c in candidates}
    for user, t in tests.items():
        accepted = {e for items in t.accept.values() for e in items}
        reached = sorted({k[0] for k in gives[user]} & by_where.keys())
        nearest = sorted(pos for w in reached for pos in by_where[w])
        chosen: dict[str, _Candidate] = {}
        shown: list[str] = []
        # lazily: the scan stops early, and the whole list per user would grow with
        # users x endpoints
        for c in chain((candidates[pos] for pos in nearest), candidates):
            if c.key in gives[user] or c.entry in accepted or c.entry in chosen:
                continue
            if len(chosen) < limit:
                chosen[c.entry] = c
            elif len(shown) < SHOWN_LEFT_OUT and c.entry not in shown:
                shown.append(c.entry)
            else:
                break
        for entry, c in chosen.items():
            t.add(t.deny, c.endpoint.proto, entry)
        t.left_out = shown
        # |all_keys - gives| without walking all_keys for every user
        t.left_out_count = max(0, len(all_keys) - len(all_keys & gives[user]) - len(chosen))


def _comment(user: str, t: _UserTests) -> str:
    text = f"what {user} may and may not reach"
    if not t.left_out_count:
        return text
    shown = ", ".join(t.left_out)
    more = ", …" if t.left_out_count > len(t.left_out) else ""
    return f"{text}; {t.left_out_count} more denied ports not tested: {shown}{more}"


def network_tests(site: Site) -> tuple[list[Rule], list[str]]:
    """The `tests` entries, and a summary line when deny checks were left out."""
    tests = {u: _UserTests() for u in site.users}
    _accepts(site, tests)
    _denies(site, tests)
    rules = []
    for user, t in tests.items():
        where_ = origin(site, _comment(user, t), "users", user)
        for proto in sorted(t.accept.keys() | t.deny.keys()):
            body: dict[str, object] = {"src": login(site, user), "proto": proto}
            if t.accept.get(proto):
                body["accept"] = list(t.accept[proto])
            if t.deny.get(proto):
                body["deny"] = list(t.deny[proto])
            rules.append(Rule("tests", body, where_))
    left = {u: t.left_out_count for u, t in tests.items() if t.left_out_count}
    summary = []
    if left:
        worst = ", ".join(f"{u} {n}" for u, n in sorted(left.items(), key=lambda kv: -kv[1])[:3])
        summary.append(
            f"policy tests: deny checks capped at {per_user_limit(site)} per user; "
            f"{sum(left.values())} left out for {len(left)} user(s) (most: {worst})"
        )
    return rules, summary


# ---------------------------------------------------------------------------------------------
# sshTests


def ssh_login(site: Site, user: str, allowed: str) -> str | None:
    """A login name that an SSH rule's `users` entry admits for this user, to test with."""
    if allowed == "autogroup:nonroot":
        name = user.lower()
        return name if UNIX_NAME.fullmatch(name) and name != "root" else "tailgen-user"
    if allowed.startswith("localpart:*@"):
        local, _, domain = login(site, user).partition("@")
        return local if domain == allowed.removeprefix("localpart:*@") else None
    return allowed


def ssh_tests(site: Site) -> list[Rule]:
    """One sshTests entry per SSH rule and source user, and per break-glass path to port 22."""
    carried = {t for dev in site.devices.values() for t in dev.tags}
    rules = []
    for i, rule in enumerate(site.ssh):
        tags = [t for t in rule.to if t.startswith("tag:") and t[4:] in carried]
        where_ = origin(site, f"ssh rule {i}: who gets in", "ssh", i)
        for user in users_of(site, rule.from_):
            logins = [n for a in rule.as_ if (n := ssh_login(site, user, a)) is not None]
            if tags and logins:
                body: dict[str, object] = {
                    "src": login(site, user),
                    "dst": tags,
                    rule.mode: list(dict.fromkeys(logins)),
                }
                rules.append(Rule("sshTests", body, where_))
    for i, bg in enumerate(site.break_glass):
        tags = ssh_tags(site, bg.devices)
        if bg.port != 22 or not tags:
            continue
        where_ = origin(site, f"break-glass path {i}: root without a check", "break_glass", i)
        for user in users_of(site, bg.who):
            entry: dict[str, object] = {"src": login(site, user), "dst": tags, "accept": ["root"]}
            rules.append(Rule("sshTests", entry, where_))
    return rules
