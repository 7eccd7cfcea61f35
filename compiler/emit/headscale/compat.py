"""What the site asks for that headscale cannot express: one problem per site.yaml place.

Warnings name a feature that is dropped or approximated in out/headscale/ (the build still
writes it); errors name a setting headscale would refuse to start with. The facts are
reference/tailscale.md §8 and headscale v0.29's own validation.
"""

from __future__ import annotations

from collections.abc import Iterator

from compiler.emit.headscale.dns import DEFAULT_BASE_DOMAIN
from compiler.emit.headscale.policy import deviceless_users
from compiler.emit.headscale.users import token_clashes
from compiler.errors import Problem, Severity
from compiler.site.access import ROLE_AUTOGROUPS
from compiler.site.model import Site

Path = tuple[str | int, ...]
CODE = "headscale-unsupported"


def _warn(site: Site, path: Path, message: str, hint: str = "") -> Problem:
    return Problem(CODE, message, site.span(*path), Severity.WARNING, hint, path)


def _devices(site: Site) -> Iterator[Problem]:
    for name, dev in site.devices.items():
        if dev.mullvad:
            yield _warn(
                site,
                ("devices", name, "mullvad"),
                f"device {name!r}: headscale has no Mullvad exit nodes; the mullvad "
                "attribute is left out of headscale/policy.hujson",
            )
        if dev.tailscale_ip is not None:
            yield _warn(
                site,
                ("devices", name, "tailscale_ip"),
                f"device {name!r}: headscale assigns node addresses itself (prefixes.v4); "
                f"the policy's {dev.tailscale_ip} holds only if the node gets that address",
                "check `headscale nodes list` and update tailscale_ip to match",
            )


def _untestable_users(site: Site) -> Iterator[Problem]:
    for key in deviceless_users(site):
        yield _warn(
            site,
            ("users", key),
            f"user {key!r} has no device here, and headscale fails a test whose source has "
            "no node: their tests are left out of headscale/policy.hujson",
            "declare their devices to keep the tests",
        )


def _exit_node_dns(site: Site) -> Iterator[Problem]:
    """headscale's DNS section has no per-resolver `useWithExitNode`."""
    places: list[Path] = [
        ("dns", "nameservers", i, "use_with_exit_node")
        for i, ns in enumerate(site.dns.nameservers)
        if ns.use_with_exit_node
    ]
    places += [
        ("locations", name, "use_with_exit_node")
        for name, loc in site.locations.items()
        if loc.use_with_exit_node
    ]
    places += [
        ("dns", "shared_zones", i, "use_with_exit_node")
        for i, zone in enumerate(site.dns.shared_zones)
        if zone.use_with_exit_node
    ]
    for path in places:
        yield _warn(site, path, "headscale's dns config has no use_with_exit_node; ignored")


def _principal_lists(site: Site) -> Iterator[tuple[Path, list[str]]]:
    for name, svc in site.services.items():
        yield ("services", name, "allow"), svc.allow
    for name, tag in site.tags.items():
        yield ("tags", name, "owners"), tag.owners
    yield ("exit_nodes", "allow"), site.exit_nodes.allow
    for i, rule in enumerate(site.ssh):
        yield ("ssh", i, "from"), rule.from_
    for i, bg in enumerate(site.break_glass):
        yield ("break_glass", i, "who"), bg.who


def _role_autogroups(site: Site) -> Iterator[Problem]:
    for path, refs in _principal_lists(site):
        for i, ref in enumerate(refs):
            if ref in ROLE_AUTOGROUPS:
                yield _warn(
                    site,
                    (*path, i),
                    f"headscale has no roles: {ref} is written as the users with role "
                    f"{' or '.join(sorted(ROLE_AUTOGROUPS[ref]))} in this site",
                )


def _dns(site: Site) -> Iterator[Problem]:
    dns = site.dns
    if dns.magic_dns_on and dns.magic_dns_suffix is None:
        yield _warn(
            site,
            ("dns",),
            f"headscale's MagicDNS needs a base_domain: using {DEFAULT_BASE_DOMAIN}",
            "set dns.magic_dns_suffix to headscale's base_domain",
        )
    if dns.override_local_dns and not dns.nameservers:
        yield Problem(
            CODE,
            "headscale refuses override_local_dns without global nameservers",
            site.span("dns", "override_local_dns"),
            Severity.ERROR,
            "add dns.nameservers or set override_local_dns: false",
            ("dns", "override_local_dns"),
        )


def compatibility(site: Site) -> list[Problem]:
    """Every model feature headscale cannot express, sorted by site.yaml line."""
    problems = [
        *_devices(site),
        *_untestable_users(site),
        *_exit_node_dns(site),
        *_role_autogroups(site),
        *_dns(site),
        *token_clashes(site),
    ]
    return sorted(problems, key=Problem.sort_key)
