"""Property test: the build's inventory, made from the site directly (`site_inventory`), is
the inventory of the site's topology dictionary (`inventory_from_site`, read as any other
topology is), and the address keys it was told are its addresses read back.

The self-check builds its inventory without the dictionary and without parsing the addresses
it wrote; the oracle is the reading every other command uses, and `ipaddress`.
"""

from __future__ import annotations

import ipaddress
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler.evaluate.addrs import V6_BASE
from compiler.evaluate.inventory import inventory_from_dict
from compiler.evaluate.site_view import site_inventory
from compiler.site import loader
from compiler.site.inventory import inventory_from_site
from sitegen import sites

ROLES = ["member", "admin", "owner", "network-admin"]


@st.composite
def varied_sites(draw: st.DrawFn) -> dict[str, Any]:
    """The generator's sites, some devices unpinned (synthetic addresses), an exit node, and
    roles other than the generator's."""
    site = draw(sites())
    for dev in site["devices"].values():
        if draw(st.booleans()):
            dev.pop("tailscale_ip")
    routers = [d for d in site["devices"].values() if "routes" in d]
    if routers and draw(st.booleans()):
        routers[0]["exit_node"] = True
    for user in site["users"].values():
        user["role"] = draw(st.sampled_from(ROLES))
    return site


def read_back(address: str) -> int:
    ip = ipaddress.ip_address(address)
    return int(ip) if ip.version == 4 else V6_BASE + int(ip)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=varied_sites())
def test_site_inventory_is_the_topology_read_back(data: dict[str, Any]) -> None:
    site = loader.load_text(yaml.safe_dump(data, sort_keys=False))
    got = site_inventory(site)
    want = inventory_from_dict(inventory_from_site(site))
    assert got == want
    for device in got.devices:
        assert device.keys == tuple(read_back(a) for a in device.addresses)
        assert device.addrs == want.device_by_name[device.name].addrs
