"""DNS cross-checks: each broken site reports the exact message at the exact site.yaml place.

Every case starts from BASE (one location `home` with zone home.example, its resolver and
router, and a device `box`), so line numbers below count from BASE's 13 lines.
"""

from __future__ import annotations

import json

import pytest

from compiler.emit import dns as dns_emit
from compiler.site import check, loader

BASE = """\
users:
  me: {login: me@example.com, role: admin}
tags:
  router: {owners: [me]}
locations:
  home:
    subnets: 10.0.0.0/24
    zone: home.example
    resolver: 10.0.0.53
    router: gw
devices:
  gw: {os: linux, location: home, tags: [router], routes: [10.0.0.0/24], tailscale_ip: 100.64.0.1}
  box: {os: linux, location: home, owner: me, tailscale_ip: 100.64.0.2, lan_ip: 10.0.0.2}
"""
NS = "dns:\n  nameservers: [{address: 1.1.1.1}]\n"
AWAY = "  away:\n    subnets: 10.9.0.0/24\n    zone: HOME.example.\n    resolver: 10.9.0.53\n    router: gw2\n"
GW2 = "  gw2: {os: linux, location: away, tags: [router], routes: [10.9.0.0/24], tailscale_ip: 100.64.0.9}\n"
LABEL = "may hold only letters, digits and '-', and may not start or end with '-'"

DNS_CODES = {
    "bad-dns-name",
    "zone-twice",
    "zone-without-resolver",
    "duplicate-name",
    "name-outside-zones",
    "cname-at-apex",
    "record-target",
    "resolver-unreachable",
    "name-not-granted",
    "name-without-address",
    "name-unreachable",
    "cname-needs-suffix",
    "cname-needs-magic-dns",
    "magic-dns-no-nameserver",
}


def service(extra: str = "", name: str = "web.home.example") -> str:
    return f"services:\n  web: {{device: box, port: 80, allow: [me], name: {name}{extra}}}\n"


CASES: list[tuple[str, str, list[str]]] = [
    # names are valid DNS names (IDNA for non-ASCII)
    (
        "service-name-label",
        BASE + service(name="my_web.home.example"),
        [
            f"site.yaml:15:51: service 'web': name 'my_web.home.example' is not a valid DNS name: label 'my_web' {LABEL}"
        ],
    ),
    (
        "zone-label",
        BASE.replace("zone: home.example", "zone: -home.example"),
        [
            f"site.yaml:8:11: location 'home': zone '-home.example' is not a valid DNS name: label '-home' {LABEL}"
        ],
    ),
    (
        "search-path-empty-label",
        BASE + NS + "  search_paths: [home..example]\n",
        [
            "site.yaml:16:18: dns.search_paths[0]: search path 'home..example' is not a valid DNS name: it has an empty label"
        ],
    ),
    (
        "magic-dns-suffix",
        BASE + NS + "  magic_dns_suffix: tail_1.ts.net\n",
        [
            f"site.yaml:16:21: dns: magic_dns_suffix 'tail_1.ts.net' is not a valid DNS name: label 'tail_1' {LABEL}"
        ],
    ),
    (
        "device-name-in-zone",
        BASE + "  my_nas: {os: linux, location: home, owner: me, lan_ip: 10.0.0.9}\n",
        [
            f"site.yaml:14:3: device 'my_nas': name 'my_nas.home.example' is not a valid DNS name: label 'my_nas' {LABEL}"
        ],
    ),
    (
        "record-cname-target",
        BASE + "dns:\n  records:\n    - {name: www.home.example, cname: 'box home.example'}\n",
        [
            f"site.yaml:16:39: dns.records[0]: cname 'box home.example' is not a valid DNS name: label 'box home' {LABEL}"
        ],
    ),
    (
        "label-too-long",
        BASE + service(name="a" * 64 + ".home.example"),
        [
            f"site.yaml:15:51: service 'web': name '{'a' * 64}.home.example' is not a valid DNS name: label '{'a' * 64}' is longer than 63 characters"
        ],
    ),
    (
        "non-ascii-is-encoded-not-refused",
        BASE.replace("home.example", "zuhause.bücher.example")
        + service(name="café.zuhause.bücher.example"),
        [],
    ),
    # no zone served by two locations; every zone has a resolver
    (
        "zone-twice",
        BASE.replace("devices:\n", AWAY + "devices:\n") + GW2,
        [
            "site.yaml:13:11: location 'away': zone 'HOME.example.' is already served by location 'home' (line 8)"
        ],
    ),
    (
        "shared-zone-twice",
        BASE + NS + "  shared_zones:\n    - {zone: home.example, resolvers: [10.0.0.53]}\n",
        [
            "site.yaml:17:14: dns.shared_zones[0]: zone 'home.example' is already served by location 'home' (line 8)"
        ],
    ),
    (
        "zone-without-resolver",
        BASE.replace("    resolver: 10.0.0.53\n", ""),
        [
            "site.yaml:8:11: location 'home': zone 'home.example' has no resolver to send its queries to"
        ],
    ),
    (
        "shared-zone-without-resolver",
        BASE + NS + "  shared_zones:\n    - {zone: shared.example, resolvers: []}\n",
        [
            "site.yaml:17:14: dns.shared_zones[0]: zone 'shared.example' has no resolver to send its queries to"
        ],
    ),
    # no record name declared twice; names inside a zone; one target per record
    (
        "service-name-is-a-device-name",
        BASE + service(name="box.home.example"),
        [
            "site.yaml:15:51: service 'web': name 'box.home.example' is already declared by device 'box' (line 13)"
        ],
    ),
    (
        "record-repeats-a-service-name",
        BASE + NS + "  records:\n    - {name: Web.home.example, address: 10.0.0.7}\n" + service(),
        [
            "site.yaml:17:14: dns.records[0]: name 'Web.home.example' is already declared by service 'web' (line 19)"
        ],
    ),
    (
        "record-takes-the-nameserver-name",
        BASE + NS + "  records:\n    - {name: ns.home.example, address: 10.0.0.7}\n",
        [
            "site.yaml:17:14: dns.records[0]: name 'ns.home.example' is already declared by the nameserver of location 'home' (line 9)"
        ],
    ),
    (
        "name-outside-zones",
        BASE + service(name="web.elsewhere.example"),
        [
            "site.yaml:15:51: service 'web': name 'web.elsewhere.example' is in no split-DNS zone (zones: home.example)"
        ],
    ),
    (
        "cname-at-apex",
        BASE + NS + "  records:\n    - {name: home.example, cname: box.home.example}\n",
        [
            "site.yaml:17:14: dns.records[0]: 'home.example' is the zone apex, which cannot be a CNAME"
        ],
    ),
    (
        "record-targets",
        BASE
        + NS
        + "  records:\n    - {name: a.home.example, address: 10.0.0.7, cname: box.home.example}\n    - {name: b.home.example}\n",
        [
            "site.yaml:17:14: dns.records[0]: 'a.home.example' needs exactly one of address or cname",
            "site.yaml:18:14: dns.records[1]: 'b.home.example' needs exactly one of address or cname",
        ],
    ),
    # every split-DNS resolver is reachable through an advertised (auto-approved) route
    (
        "resolver-outside-subnets",
        BASE.replace("resolver: 10.0.0.53", "resolver: 192.168.9.53"),
        [
            "site.yaml:9:15: location 'home': resolver 192.168.9.53 of zone 'home.example' is unreachable from the tailnet: it is in no location's subnets (use an address inside a location's subnets (or a device's tailscale_ip))"
        ],
    ),
    (
        "resolver-without-router",
        BASE.replace("    router: gw\n", ""),
        [
            "site.yaml:9:15: location 'home': resolver 10.0.0.53 of zone 'home.example' is unreachable from the tailnet: location 'home' has no router (set router: on location 'home')"
        ],
    ),
    (
        "resolver-not-advertised",
        BASE.replace("routes: [10.0.0.0/24]", "routes: [10.0.0.0/25]").replace(
            "resolver: 10.0.0.53", "resolver: 10.0.0.253"
        ),
        [
            "site.yaml:9:15: location 'home': resolver 10.0.0.253 of zone 'home.example' is unreachable from the tailnet: router 'gw' of location 'home' does not advertise a route to it (add a route covering 10.0.0.253 to the routes: of device 'gw')"
        ],
    ),
    (
        "shared-resolver-outside-subnets",
        BASE
        + NS
        + "  shared_zones:\n    - {zone: shared.example, resolvers: [10.0.0.53, 172.16.0.53]}\n",
        [
            "site.yaml:17:53: dns.shared_zones[0]: resolver 172.16.0.53 of zone 'shared.example' is unreachable from the tailnet: it is in no location's subnets (use an address inside a location's subnets (or a device's tailscale_ip))"
        ],
    ),
    # every service name resolves to an address the policy grants the service's users
    (
        "cname-with-subnet-reach",
        BASE + NS + "  magic_dns_suffix: tail1.ts.net\n" + service(", cname: true, reach: subnet"),
        [
            "site.yaml:18:76: service 'web': cname: true points 'web.home.example' at the MagicDNS name (the tailnet address), but reach: subnet grants only the LAN address (drop cname: or use reach: tailnet)"
        ],
    ),
    (
        "cname-without-suffix",
        BASE + NS + service(", cname: true"),
        [
            "site.yaml:17:76: service 'web': cname: true needs dns.magic_dns_suffix, the tailnet's MagicDNS domain (e.g. magic_dns_suffix: tail1234.ts.net)"
        ],
    ),
    (
        "cname-with-magic-dns-off",
        BASE
        + NS
        + "  magic_dns: false\n  magic_dns_suffix: tail1.ts.net\n"
        + service(", cname: true"),
        [
            "site.yaml:19:76: service 'web': cname: true points 'web.home.example' at a MagicDNS name, but MagicDNS is off"
        ],
    ),
    (
        "tailnet-name-unpinned",
        BASE.replace("tailscale_ip: 100.64.0.2, ", "") + service(),
        [
            "site.yaml:15:51: service 'web': name 'web.home.example' has no address: device 'box' has no tailscale_ip (pin tailscale_ip, or set cname: true)"
        ],
    ),
    (
        "subnet-name-without-lan-ip",
        BASE.replace(", lan_ip: 10.0.0.2", "") + service(", reach: subnet"),
        [
            "site.yaml:15:51: service 'web': name 'web.home.example' has no address: reach: subnet needs lan_ip on device 'box'"
        ],
    ),
    (
        "subnet-name-unrouted",
        BASE.replace("lan_ip: 10.0.0.2", "lan_ip: 10.7.0.2") + service(", reach: subnet"),
        [
            "site.yaml:15:51: service 'web': name 'web.home.example' resolves to 10.7.0.2, which the tailnet cannot reach: it is in no location's subnets (use an address inside a location's subnets (or a device's tailscale_ip))"
        ],
    ),
    # MagicDNS on needs a nameserver
    (
        "magic-dns-without-nameserver",
        BASE + "dns:\n  magic_dns: true\n",
        [
            "site.yaml:15:14: dns.magic_dns is on, but dns.nameservers is empty: the Tailscale API refuses MagicDNS without a nameserver (add a nameserver, e.g. {address: 1.1.1.1}, or set magic_dns: false)"
        ],
    ),
    ("magic-dns-default-without-nameserver", BASE, []),
]


def dns_problems(text: str) -> list[str]:
    site = loader.load_text(text, "site.yaml")
    return [str(p) for p in check.check(site) if p.code in DNS_CODES]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_dns_check(text: str, expected: list[str]) -> None:
    assert dns_problems(text) == expected


def test_every_dns_code_is_exercised() -> None:
    seen = {p.code for _, text, _ in CASES for p in check.check(loader.load_text(text))}
    assert seen >= DNS_CODES


def test_problems_are_errors_with_paths() -> None:
    site = loader.load_text(BASE + service(name="web.elsewhere.example"))
    (problem,) = [p for p in check.check(site) if p.code in DNS_CODES]
    assert problem.is_error
    assert problem.path == ("services", "web", "name")


def test_magic_dns_defaults_to_off_without_nameservers() -> None:
    """Unset magic_dns follows the API's rule (on only with a nameserver), so a site without a
    dns: section builds; writing magic_dns: true without one is the error above."""
    for text, magic in ((BASE, False), (BASE + NS, True)):
        site = loader.load_text(text)
        doc = json.loads(dns_emit.emit(site).files["dns.json"])
        assert doc["preferences"]["magicDNS"] is magic
