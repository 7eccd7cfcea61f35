"""Which users the generated split-DNS tests run from (compiler/emit/dns/grants.py).

A zone whose grant admits `autogroup:member` is tested once per protocol, from the first user
in site order; a zone used by named principals is tested from each of their users.
"""

from __future__ import annotations

from test_dns_checks import AWAY, BASE, GW2

from compiler.emit import dns as dns_emit
from compiler.site import loader

SITE = (
    BASE.replace(
        "role: admin}\n",
        "role: admin}\n  bob: {login: bob@example.com}\n  cy: {login: cy@example.com}\n"
        "groups:\n  lab: [cy, bob]\n",
        1,
    ).replace("devices:\n", AWAY.replace("HOME.example.", "away.example") + "devices:\n")
    + GW2
    + "services:\n  web: {device: box, port: 80, allow: [group:lab], name: web.home.example}\n"
)
"""Users me (first), bob and cy; away.example has no service, home.example serves group:lab."""


def dns_tests(text: str) -> list[tuple[str, str, list[str]]]:
    rules = dns_emit.policy_rules(loader.load_text(text))
    return [
        (r.body["src"], r.body["proto"], r.body["accept"]) for r in rules if r.section == "tests"
    ]


def test_everyone_zone_from_the_first_user_named_zone_from_each_user() -> None:
    """away.example has no service (its grant's src is autogroup:member): me only, who is
    first; home.example is used by group:lab: cy and bob each, in site order (bob, cy)."""
    assert dns_tests(SITE) == [
        ("me@example.com", "udp", ["10.9.0.53:53"]),
        ("me@example.com", "tcp", ["10.9.0.53:53"]),
        ("bob@example.com", "udp", ["10.0.0.53:53"]),
        ("bob@example.com", "tcp", ["10.0.0.53:53"]),
        ("cy@example.com", "udp", ["10.0.0.53:53"]),
        ("cy@example.com", "tcp", ["10.0.0.53:53"]),
    ]


def test_search_path_zone_is_everyones_even_with_named_services() -> None:
    """A search-path zone is tested from the first user only, beside its named users' own."""
    text = SITE + "dns:\n  nameservers: [{address: 1.1.1.1}]\n  search_paths: [home.example]\n"
    assert dns_tests(text) == [
        ("me@example.com", "udp", ["10.0.0.53:53", "10.9.0.53:53"]),
        ("me@example.com", "tcp", ["10.0.0.53:53", "10.9.0.53:53"]),
    ]


def test_the_count_does_not_grow_with_users_times_zones() -> None:
    """Many users, no services: two tests (udp, tcp) from the first user, not 2 × users."""
    users = "".join(f"  u{i}: {{login: u{i}@example.com}}\n" for i in range(40))
    text = SITE.replace("users:\n", "users:\n" + users).split("services:")[0]
    assert [(src, proto) for src, proto, _ in dns_tests(text)] == [
        ("u0@example.com", "udp"),
        ("u0@example.com", "tcp"),
    ]
