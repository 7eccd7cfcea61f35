"""Which users the generated split-DNS tests run from (compiler/emit/dns/grants.py).

A zone whose grant admits `autogroup:member` is tested once per protocol, from the first user
in site order; a zone used by named principals is tested from each of their users.
"""

from __future__ import annotations

from compiler.emit import dns as dns_emit
from compiler.site import loader

SITE = """\
users:
  ann: {login: ann@example.com, role: admin}
  bob: {login: bob@example.com}
  cy: {login: cy@example.com}
groups:
  lab: [cy, bob]
tags:
  router: {owners: [ann]}
locations:
  home:
    subnets: 10.0.0.0/24
    zone: home.example
    resolver: 10.0.0.53
    router: gw
  away:
    subnets: 10.9.0.0/24
    zone: away.example
    resolver: 10.9.0.53
    router: gw2
devices:
  gw: {os: linux, location: home, tags: [router], routes: [10.0.0.0/24], tailscale_ip: 100.64.0.1}
  gw2: {os: linux, location: away, tags: [router], routes: [10.9.0.0/24], tailscale_ip: 100.64.0.9}
  box: {os: linux, location: home, owner: ann, tailscale_ip: 100.64.0.2, lan_ip: 10.0.0.2}
services:
  web: {device: box, port: 80, allow: [group:lab], name: web.home.example}
"""


def dns_tests(text: str) -> list[tuple[str, str, list[str]]]:
    rules = dns_emit.policy_rules(loader.load_text(text))
    return [
        (r.body["src"], r.body["proto"], r.body["accept"]) for r in rules if r.section == "tests"
    ]


def test_everyone_zone_from_the_first_user_named_zone_from_each_user() -> None:
    """away.example has no service (its grant's src is autogroup:member): ann only, who is
    first; home.example is used by group:lab: cy and bob each, in site order (bob, cy)."""
    assert dns_tests(SITE) == [
        ("ann@example.com", "udp", ["10.9.0.53:53"]),
        ("ann@example.com", "tcp", ["10.9.0.53:53"]),
        ("bob@example.com", "udp", ["10.0.0.53:53"]),
        ("bob@example.com", "tcp", ["10.0.0.53:53"]),
        ("cy@example.com", "udp", ["10.0.0.53:53"]),
        ("cy@example.com", "tcp", ["10.0.0.53:53"]),
    ]


def test_search_path_zone_is_everyones_even_with_named_services() -> None:
    """A search-path zone is tested from the first user only, beside its named users' own."""
    text = SITE + "dns:\n  nameservers: [{address: 1.1.1.1}]\n  search_paths: [home.example]\n"
    assert dns_tests(text) == [
        ("ann@example.com", "udp", ["10.0.0.53:53", "10.9.0.53:53"]),
        ("ann@example.com", "tcp", ["10.0.0.53:53", "10.9.0.53:53"]),
    ]


def test_the_count_does_not_grow_with_users_times_zones() -> None:
    """Many users, no services: two tests (udp, tcp) from the first user, not 2 × users."""
    users = "".join(f"  u{i}: {{login: u{i}@example.com}}\n" for i in range(40))
    text = SITE.replace("users:\n", "users:\n" + users).split("services:")[0]
    assert [(src, proto) for src, proto, _ in dns_tests(text)] == [
        ("u0@example.com", "udp"),
        ("u0@example.com", "tcp"),
    ]
