"""The tailnet's DNS settings as the API's full DNS configuration object (`dns.json`).

The shape is `POST /tailnet/{t}/dns/configuration`'s body, so a push can send the file as it
is: nameservers, splitDNS (zone → resolvers, with useWithExitNode), searchPaths and
preferences. Key order is fixed; nameservers and search paths keep the site's order (it is
a preference order); splitDNS is sorted by zone because the API treats it as a map.
"""

from __future__ import annotations

import json
from typing import Any

from compiler.site.dns import ascii_or_none, zones
from compiler.site.model import Site


def dns_configuration(site: Site) -> dict[str, Any]:
    dns = site.dns
    nameservers = [
        {"address": str(ns.address), "useWithExitNode": ns.use_with_exit_node}
        for ns in dns.nameservers
    ]
    return {
        "nameservers": nameservers,
        "splitDNS": split_dns(site),
        "searchPaths": [ascii_or_none(p) or p for p in dns.search_paths],
        "preferences": {"overrideLocalDNS": dns.override_local_dns, "magicDNS": dns.magic_dns_on},
    }


def split_dns(site: Site) -> dict[str, list[dict[str, Any]]]:
    return {
        name: [
            {"address": str(address), "useWithExitNode": zone.use_with_exit_node}
            for address in zone.resolvers
        ]
        for name, zone in sorted(zones(site).items())
    }


def render_configuration(configuration: dict[str, Any]) -> bytes:
    return (json.dumps(configuration, indent=2) + "\n").encode()


def render(site: Site) -> bytes:
    return render_configuration(dns_configuration(site))
