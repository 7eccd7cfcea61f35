"""Site → DNS artifacts (pure): the tailnet's DNS settings and the records each zone serves.

Files (paths relative to out/):

- `dns.json`: the API's full DNS configuration object (`settings`);
- `dns/<zone>.zone`: an RFC 1035 master file per split-DNS zone (`zonefile`);
- `dns/<zone>.dnsmasq.conf`: the same records for dnsmasq, which is what home routers run
  (`dnsmasq` says why that format).

Which names exist and what they point at is derived once in `compiler.site.dns` (the checks
need it too); this package only lays it out. `policy_rules` (in `grants`) adds the port-53
grants and tests to the policy. The summary lines show the split-DNS map (zone → resolvers,
and the router each is reached through) for `tailgen build` to print.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from compiler.emit.dns import dnsmasq, settings, zonefile
from compiler.emit.dns.grants import policy_rules
from compiler.emit.emitted import Emitted
from compiler.site.dns import Record, Zone, route_to, zone_of, zones
from compiler.site.dns import records as site_records
from compiler.site.model import IP, Site

__all__ = ["DnsConfig", "compile_dns", "emit", "policy_rules", "render", "summary"]


def records_by_zone(site: Site) -> dict[str, list[Record]]:
    """Each usable zone's records (the most specific zone holds a name)."""
    by_zone: dict[str, list[Record]] = {name: [] for name in zones(site)}
    for record in site_records(site):
        zone = zone_of(record.name, by_zone)
        if zone is not None:
            by_zone[zone].append(record)
    return by_zone


@dataclass(frozen=True)
class DnsConfig:
    """The DNS artifacts as data: the API's DNS configuration object (`dns.json`), and each
    split-DNS zone with the records it serves."""

    settings: dict[str, Any]
    zones: dict[str, Zone]
    records: dict[str, list[Record]]


def compile_dns(site: Site) -> DnsConfig:
    return DnsConfig(settings.dns_configuration(site), zones(site), records_by_zone(site))


def render(site: Site, config: DnsConfig) -> dict[str, bytes]:
    files = {"dns.json": settings.render_configuration(config.settings)}
    for name, zone in config.zones.items():
        records = config.records[name]
        files[f"dns/{name}.zone"] = zonefile.render(site, name, zone, records)
        files[f"dns/{name}.dnsmasq.conf"] = dnsmasq.render(site, name, zone, records)
    return files


def emit(site: Site) -> Emitted:
    config = compile_dns(site)
    return Emitted(render(site, config), [], summary(site, config.records))


def summary(site: Site, by_zone: dict[str, list[Record]]) -> list[str]:
    """`dns: …` then one line per zone: `  phl.kvet.ch -> 192.168.240.1 via appletv-phl`."""
    magic = "on" if site.dns.magic_dns_on else "off"
    count = sum(len(r) for r in by_zone.values())
    zones_text = f"{len(by_zone)} split-DNS zone{'' if len(by_zone) == 1 else 's'}"
    head = f"dns: {zones_text}, {count} records, MagicDNS {magic}"
    lines = [head]
    for name, zone in sorted(zones(site).items()):
        lines.append(f"  {name} -> " + ", ".join(_via(site, r) for r in zone.resolvers))
    return lines


def _via(site: Site, address: IP) -> str:
    route = route_to(site, address)
    if route.problem:
        return f"{route.address} (unreachable)"
    if route.device is not None:
        return f"{route.address} (tailnet device {route.device})"
    return f"{route.address} via {route.router}"
