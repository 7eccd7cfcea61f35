"""Policy validation the way the control plane does it, with its messages and our positions.

Every check is a function `(ctx) -> Iterator[Problem]` registered in `CHECKS`. The control
plane stops at its first error; we report every one (in file order) so a person can fix them
in one pass, and each message *contains* the control plane's own text, so a message seen from
`/acl/validate` is found here verbatim.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from compiler.errors import Problem, Span
from compiler.evaluate.addrs import is_ip_or_cidr
from compiler.evaluate.durations import DurationError, format_duration, parse_duration
from compiler.evaluate.inventory import Inventory
from compiler.evaluate.model import Entries, Fields, Policy, Ref, field_of, str_items, str_list
from compiler.evaluate.ports import PortError, parse_grant_ip, parse_ports, parse_proto
from compiler.evaluate.positions import Path
from compiler.evaluate.resolve import SELF
from compiler.evaluate.selectors import SELF_SOURCES, SelectorCheck, domain_error, tag_name_error

MAX_CHECK_PERIOD = 168 * 3600 * 10**9
RESERVED_POOLS = (
    ipaddress.ip_network("100.100.100.0/24"),
    ipaddress.ip_network("100.115.92.0/23"),
)
FORBIDDEN_CAPS = frozenset(
    {"tailscale.com/cap/funnel", "tailscale.com/cap/ingress", "tailscale.com/cap/relay-target"}
)


@dataclass(frozen=True)
class Ctx:
    policy: Policy
    inventory: Inventory
    file: str
    _ip_errors: dict[str, str] = field(default_factory=dict)

    @cached_property
    def selectors(self) -> SelectorCheck:
        """Made once per check run (every selector in the policy is checked with it)."""
        return SelectorCheck(self.policy, self.inventory.tailnet_domains)

    def problem(self, code: str, message: str, path: Path, hint: str = "") -> Problem:
        line, column = self.policy.where(path)
        return Problem(code, message, Span(self.file, line, column), hint=hint, path=path)

    def section(self, name: str) -> tuple[str, Any]:
        return field_of(self.policy.raw, name)

    def entries(self, name: str) -> Iterator[tuple[Path, Fields]]:
        """The section's object entries, each with its keys read once for its fields."""
        key, value = self.section(name)
        for i, entry in enumerate(value if isinstance(value, list) else []):
            if isinstance(entry, dict):
                yield (key, i), Fields(entry)

    def grant_ip_error(self, item: str) -> str:
        """What is wrong with a grant `ip` item ("" = fine), read once per distinct item: a
        large policy's grants share a few hundred ports."""
        error = self._ip_errors.get(item)
        if error is None:
            try:
                parse_grant_ip(item)
                error = ""
            except PortError as err:
                error = str(err)
            self._ip_errors[item] = error
        return error


Check = Callable[[Ctx], Iterator[Problem]]


def _str_lists(value: Any) -> Iterator[tuple[str, Any]]:
    """A section's name -> list pairs as written: `Policy` keeps only each list's strings,
    which loses the indexes a problem's path needs."""
    yield from (value if isinstance(value, dict) else {}).items()


def check_groups(ctx: Ctx) -> Iterator[Problem]:
    key, groups = ctx.section("groups")
    for name, members in _str_lists(groups):
        for i, member in str_items(members):
            if member.startswith("group:"):
                message = f'groups["{name}"]: "{member}": group members cannot be recursive'
                yield ctx.problem("group-recursive", message, (key, name, i))


def check_tag_owners(ctx: Ctx) -> Iterator[Problem]:
    key, tag_owners = ctx.section("tagOwners")
    for tag, owners in _str_lists(tag_owners):
        error = tag_name_error(tag)
        if error:
            yield ctx.problem("tag-name", f'tagOwners["{tag}"]: {error}', (key, tag))
        for i, owner in str_items(owners):
            if owner.startswith("tag:") and owner not in ctx.policy.tag_owners:
                message = f'tagOwners["{tag}"]: tag not found: "{owner}"'
                yield ctx.problem("tag-unknown", message, (key, tag, i))


def check_hosts(ctx: Ctx) -> Iterator[Problem]:
    key, hosts = ctx.section("hosts")
    parsed = ctx.policy.host_intervals
    for name, value in (hosts if isinstance(hosts, dict) else {}).items():
        if not isinstance(value, str) or parsed.get(name) is None:
            yield ctx.problem("host-invalid", f'"{value}": invalid address', (key, name))


def _check_refs(ctx: Ctx, refs: Entries, side: str) -> Iterator[Problem]:
    for n, text in enumerate(refs.texts):
        error = ctx.selectors.error(text, side)
        if error:
            yield ctx.problem(f"{side}-invalid", error, refs.path(n))


def _refs(entry: Fields, path: Path, *names: str) -> Entries:
    """The strings of one of the entry's lists, each at its index in the whole list; a `Ref`
    (with its path) is made only for a string iterated over, as few are."""
    key, value = field_of(entry, *names)
    return Entries.of((*path, key), value)


def _self_misuse(ctx: Ctx, srcs: Entries, path: Path, star_ok: bool) -> Iterator[Problem]:
    for ref in srcs:
        text = ref.text
        fine = text in SELF_SOURCES or text.startswith(("group:", "user:*@"))
        fine = fine or ("@" in text and not text.startswith("tag:")) or (star_ok and text == "*")
        if not fine and text != SELF:
            message = "autogroup:self can only be used with users, groups, or supported autogroups"
            yield ctx.problem("self-misuse", message, ref.path)
            return


def check_acls(ctx: Ctx) -> Iterator[Problem]:
    for path, entry in ctx.entries("acls"):
        action = field_of(entry, "action")
        if action[1] != "accept":
            message = f'action="{action[1] or ""}" is not supported'
            yield ctx.problem("acl-action", message, (*path, action[0]))
        yield from _check_proto(ctx, entry, path)
        srcs = _refs(entry, path, "src", "users")
        yield from _check_refs(ctx, srcs, "src")
        dsts = _refs(entry, path, "dst", "ports")
        yield from _check_acl_dsts(ctx, dsts)
        if any(d.text.rpartition(":")[0] == SELF for d in dsts):
            yield from _self_misuse(ctx, srcs, path, star_ok=True)


def _check_proto(ctx: Ctx, entry: Fields, path: Path) -> Iterator[Problem]:
    key, proto = field_of(entry, "proto")
    if proto is None:
        return
    try:
        parse_proto(str(proto))
    except PortError as err:
        yield ctx.problem("proto-invalid", str(err), (*path, key))


def _check_acl_dsts(ctx: Ctx, dsts: Entries) -> Iterator[Problem]:
    for ref in dsts:
        host, sep, ports = ref.text.rpartition(":")
        if not sep:
            yield ctx.problem("dst-port", f'dst="{ref.text}": missing port', ref.path)
            continue
        try:
            parse_ports(ports)
        except PortError as err:
            yield ctx.problem("dst-port", f'dst="{ref.text}": {err}', ref.path)
            continue
        host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
        error = ctx.selectors.error(host, "dst")
        if error:
            yield ctx.problem("dst-invalid", error, ref.path)


def check_grants(ctx: Ctx) -> Iterator[Problem]:
    for path, entry in ctx.entries("grants"):
        srcs, dsts = _refs(entry, path, "src"), _refs(entry, path, "dst")
        yield from _check_refs(ctx, srcs, "src")
        yield from _check_refs(ctx, dsts, "dst")
        yield from _check_grant_ip_app(ctx, entry, path, dsts)
        yield from _check_all_ips(ctx, dsts)
        yield from _check_via(ctx, entry, path)
        if SELF in dsts.texts:
            yield from _self_misuse(ctx, srcs, path, star_ok=False)


def _check_grant_ip_app(ctx: Ctx, entry: Fields, path: Path, dsts: Entries) -> Iterator[Problem]:
    ip_key, ips = field_of(entry, "ip")
    app_key, app = field_of(entry, "app")
    if not ips and not app:
        yield ctx.problem("grant-empty", "ip and app can not both be empty", path)
    for i, item in str_items(ips):
        error = ctx.grant_ip_error(item)
        if error:
            yield ctx.problem("grant-ip", error, (*path, ip_key, i))
    for name in app if isinstance(app, dict) else {}:
        yield from _check_cap_name(ctx, name, (*path, app_key, name))
    if app and "autogroup:internet" in dsts.texts:
        message = "cannot use app grants with autogroup:internet"
        yield ctx.problem("grant-app-internet", message, (*path, app_key))


def _check_cap_name(ctx: Ctx, name: str, path: Path) -> Iterator[Problem]:
    domain, slash, rest = name.partition("/")
    if not slash or not domain or not rest or "://" in name or ":" in domain:
        yield ctx.problem("cap-name", "capability name must have the form {domain}/{path}", path)
    elif name in FORBIDDEN_CAPS:
        message = "capability name must not be in the tailscale.com domain"
        yield ctx.problem("cap-name", message, path)


def _check_all_ips(ctx: Ctx, dsts: Entries) -> Iterator[Problem]:
    if "0.0.0.0/0" not in dsts.texts and "::/0" not in dsts.texts:
        return
    for ref in dsts:
        if ref.text in ("0.0.0.0/0", "::/0"):
            message = (
                f'dst "{ref.text}": to allow all IP addresses, use "*" or "autogroup:internet"'
            )
            yield ctx.problem("dst-all-ips", message, ref.path)


def _check_via(ctx: Ctx, entry: Fields, path: Path) -> Iterator[Problem]:
    for ref in _refs(entry, path, "via"):
        if not ref.text.startswith("tag:"):
            yield ctx.problem("via-not-tag", "via can only be a tag", ref.path)
        elif ref.text not in ctx.policy.tag_owners:
            yield ctx.problem("via-unknown", f'tag "{ref.text}" not found', ref.path)


def check_ssh(ctx: Ctx) -> Iterator[Problem]:
    for path, entry in ctx.entries("ssh"):
        yield from _check_ssh_action(ctx, entry, path)
        yield from _check_ssh_users(ctx, entry, path)
        yield from _check_ssh_src(ctx, _stripped(_refs(entry, path, "src")))
        yield from _check_ssh_dst(ctx, _stripped(_refs(entry, path, "dst")))
        yield from _check_check_period(ctx, entry, path)
        key, envs = field_of(entry, "acceptEnv")
        for i, env in str_items(envs):
            if not env:
                yield ctx.problem("ssh-env", "acceptEnv values cannot be empty", (*path, key, i))


def _stripped(refs: Iterable[Ref]) -> tuple[Ref, ...]:
    return tuple(Ref(r.text.strip(), r.path) for r in refs)


def _check_ssh_action(ctx: Ctx, entry: Fields, path: Path) -> Iterator[Problem]:
    key, action = field_of(entry, "action")
    action = str(action or "").strip()
    if not action:
        yield ctx.problem("ssh-action", "action must be specified", path)
    elif action not in ("accept", "check"):
        yield ctx.problem("ssh-action", f'"{action}" is not a valid action', (*path, key))


def _check_ssh_users(ctx: Ctx, entry: Fields, path: Path) -> Iterator[Problem]:
    key, users = field_of(entry, "users")
    if not str_list(users):
        yield ctx.problem("ssh-users", "users must be specified", path)
        return
    for i, user in str_items(users):
        user = user.strip()
        if user in ("", "*"):
            yield ctx.problem("ssh-users", f'user "{user}" is not valid', (*path, key, i))
        elif user.startswith("localpart:*@") and user != "localpart:*@":
            error = domain_error(user.removeprefix("localpart:*@"), ctx.inventory.tailnet_domains)
            if error:
                yield ctx.problem("ssh-localpart", error, (*path, key, i))


def _check_ssh_src(ctx: Ctx, srcs: tuple[Ref, ...]) -> Iterator[Problem]:
    for ref in srcs:
        if ref.text.startswith("user:*@"):
            error = domain_error(ref.text.removeprefix("user:*@"), ctx.inventory.tailnet_domains)
            if error:
                yield ctx.problem("ssh-src", f"[ssh] {error}", ref.path)
            continue
        error = ctx.selectors.error(ref.text, "src")
        if error:
            yield ctx.problem("ssh-src", error, ref.path)


def _check_ssh_dst(ctx: Ctx, dsts: tuple[Ref, ...]) -> Iterator[Problem]:
    for ref in dsts:
        text = ref.text
        named = text.startswith(("tag:", "autogroup:", "group:")) or "@" in text
        if not named:
            yield ctx.problem("ssh-dst", f'invalid dst "{text}"', ref.path)
            continue
        error = ctx.selectors.error(text, "dst")
        if error:
            yield ctx.problem("ssh-dst", error, ref.path)


def _check_check_period(ctx: Ctx, entry: Fields, path: Path) -> Iterator[Problem]:
    key, period = field_of(entry, "checkPeriod")
    if period is None or period == "always":
        return
    where = (*path, key)
    try:
        ns = parse_duration(str(period))
    except DurationError as err:
        yield ctx.problem("ssh-check-period", str(err), where)
        return
    if ns < 0:  # zero is accepted (observed): it means "check every time"
        message = f"checkPeriod {format_duration(ns)} must be a positive duration"
        yield ctx.problem("ssh-check-period", message, where)
    elif ns > MAX_CHECK_PERIOD:
        message = f"checkPeriod {format_duration(ns)} is above the max (168h)"
        yield ctx.problem("ssh-check-period", message, where)


def check_node_attrs(ctx: Ctx) -> Iterator[Problem]:
    for path, entry in ctx.entries("nodeAttrs"):
        for ref in _refs(entry, path, "target"):
            yield from _check_target(ctx, ref)
        key, pools = field_of(entry, "ipPool")
        for i, pool in str_items(pools):
            yield from _check_pool(ctx, pool, (*path, key, i))


def _check_target(ctx: Ctx, ref: Ref) -> Iterator[Problem]:
    text = ref.text
    if text == SELF:
        yield ctx.problem("node-attr-target", "internal server error (autogroup:self)", ref.path)
    elif text.startswith("tag:"):
        if text not in ctx.policy.tag_owners:
            yield ctx.problem("node-attr-target", f'tag not found: "{text}"', ref.path)
    elif ctx.selectors.error(text, "src"):
        yield ctx.problem("node-attr-target", f'"{text}": invalid address', ref.path)


def _check_pool(ctx: Ctx, pool: str, path: Path) -> Iterator[Problem]:
    try:
        net = ipaddress.ip_network(pool, strict=False)
    except ValueError:
        yield ctx.problem("node-attr-pool", f'"{pool}": invalid address', path)
        return
    if any(net.overlaps(r) for r in RESERVED_POOLS):
        message = f"IPPool({pool}): network within reserved range"
        yield ctx.problem("node-attr-pool", message, path)


def check_auto_approvers(ctx: Ctx) -> Iterator[Problem]:
    key, value = ctx.section("autoApprovers")
    if not isinstance(value, dict):
        return
    routes_key, routes = field_of(value, "routes")
    for prefix, approvers in (routes if isinstance(routes, dict) else {}).items():
        if not is_ip_or_cidr(prefix):
            yield ctx.problem(
                "approver-route", f'"{prefix}": invalid address', (key, routes_key, prefix)
            )
        for i, who in str_items(approvers):
            yield from _check_approver(ctx, who, (key, routes_key, prefix, i))
    exit_key, exits = field_of(value, "exitNode")
    for i, who in str_items(exits):
        yield from _check_approver(ctx, who, (key, exit_key, i))


def _check_approver(ctx: Ctx, who: str, path: Path) -> Iterator[Problem]:
    if who.startswith("tag:") and who not in ctx.policy.tag_owners:
        yield ctx.problem("approver-tag", f'tag not found: "{who}"', path)


def check_ssh_tests(ctx: Ctx) -> Iterator[Problem]:
    """sshTests destinations the control plane rejects outright (not as a failing test)."""
    for path, entry in ctx.entries("sshTests"):
        for ref in _refs(entry, path, "dst"):
            text = ref.text
            if text == "autogroup:internet" or ("/" in text and is_ip_or_cidr(text)):
                message = f'SSH tests dst contains disallowed element "{text}"'
                yield ctx.problem("ssh-test-dst", message, ref.path)
            elif text.startswith("tag:") and text not in ctx.policy.tag_owners:
                message = f'SSH tests dst contains unknown tag "{text}"'
                yield ctx.problem("ssh-test-dst", message, ref.path)


CHECKS: tuple[Check, ...] = (
    check_groups,
    check_tag_owners,
    check_hosts,
    check_acls,
    check_grants,
    check_ssh,
    check_node_attrs,
    check_auto_approvers,
    check_ssh_tests,
)


def policy_problems(policy: Policy, inventory: Inventory, file: str) -> list[Problem]:
    ctx = Ctx(policy, inventory, file)
    return [p for check in CHECKS for p in check(ctx)]
