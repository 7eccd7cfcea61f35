"""The words of an access question (`explain SRC DST[:PORT] --proto P`), read strictly.

A question that cannot be read is an error, never a guess: `icon:abc` is not "icon:abc on
port 22", `--proto 999` is not a crash, and a name nobody declared is not "denied". Names are
looked up in the site's own vocabulary first (`compiler.site.names`), then in what the policy
and its inventory know (for a policy evaluated without a site).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping

from compiler.errors import Problem, UsageError, did_you_mean
from compiler.evaluate.ports import PortError, parse_proto
from compiler.evaluate.rules import Evaluator
from compiler.numerals import is_decimal
from compiler.site.names import Named

MAX_PORT = 65535


def split_destination(text: str) -> tuple[str, int | None]:
    """`host`, `host:port`, `[v6]:port` or a bare IPv6 address → (host, port or None)."""
    if text.startswith("["):
        host, closed, rest = text[1:].partition("]")
        if not closed or (rest and not rest.startswith(":")):
            raise UsageError(
                f"destination {text!r}: write an IPv6 address with a port as [ADDR]:PORT"
            )
        return _host(host, text), (_port(rest[1:], text) if rest else None)
    if text.count(":") > 1:  # a bare IPv6 address: its colons are not a port separator
        return _host(text, text), None
    host, sep, port = text.partition(":")
    return _host(host, text), (_port(port, text) if sep else None)


def _host(host: str, text: str) -> str:
    if not host:
        raise UsageError(f"destination {text!r} names no host")
    return host


def _port(port: str, text: str) -> int:
    if not is_decimal(port):
        raise UsageError(
            f"destination {text!r}: port {port!r} is not a number from 1 to {MAX_PORT}"
        )
    number = int(port)
    if not 1 <= number <= MAX_PORT:
        raise UsageError(f"destination {text!r}: port {number} is outside 1-{MAX_PORT}")
    return number


def query_proto(text: str) -> int:
    """`--proto`: a protocol name (tcp, udp, icmp, …) or an IANA number 1-255."""
    try:
        return parse_proto(text.strip())
    except PortError:
        raise UsageError(
            f"--proto {text!r}: unknown protocol (use tcp, udp, icmp or a number from 1 to 255)"
        ) from None


def resolve_name(name: str, role: str, names: Mapping[str, Named], ev: Evaluator) -> str:
    """The reference the evaluator takes for `name`; an unknown name is an error with a
    "did you mean" hint drawn from every name the site and the policy know."""
    if _is_address(name):
        return name
    if name in names:
        return names[name].ref
    known = _policy_names(ev)
    if name in known or name.startswith("autogroup:"):
        return name
    where = "the site or the policy" if names else "the policy or its inventory"
    hint = did_you_mean(name, [*names, *known])
    problem = Problem("unknown-name", f"{role} {name!r} is not a name {where} declares", hint=hint)
    raise UsageError([problem])


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _policy_names(ev: Evaluator) -> set[str]:
    inv, policy = ev.inventory, ev.policy
    found = set(inv.device_by_name) | set(inv.user_by_login) | set(policy.hosts)
    return found | set(policy.groups) | set(policy.tag_owners)
