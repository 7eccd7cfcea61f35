"""One access model: every artifact and every answer agree on where a service is reached.

The oracle below is written from the site model's documented meaning alone (site.yaml keys,
reference §4.7 and §9, launch-configs §4.10), never from `compiler.site.access`:

- a service is reached on its device's LAN address when it says `expose: lan` (or
  `reach: subnet`), else on the device's tailnet address;
- `bind: loopback+serve` listens on 127.0.0.1 and is reached on the ports serve publishes:
  the declared ports (`serve: tcp`, TCP), or 443 for the first one (`serve: https`, and
  OpenClaw, which runs `tailscale serve` itself in HTTPS mode);
- an SSH rule gives its sources tcp:22 on every device carrying its tags; a break-glass path
  gives tcp:22 on its devices;
- who: user keys, `group:` members, `autogroup:member` = every user.

For random sites the test checks that the (login, address, port, proto) set the compiled
policy grants — as the evaluator's matrix shows it — equals the oracle's; that every service
name in the compiled DNS points at the oracle's address; that every launch spec binds the
oracle's listener (and serve publishes the oracle's ports); and that auditing a listener
table built from the launch specs finds nothing.
"""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings

from compiler import build
from compiler.audit import Listener, Table, audit
from compiler.evaluate import Evaluator, as_inventory, matrix
from compiler.evaluate.matrix import Service
from compiler.evaluate.model import policy_from_data
from compiler.evaluate.ports import TCP, UDP
from compiler.evaluate.site_view import inventory_from_site, site_services
from sitegen import access_sites

Flow = tuple[str, str, int, str]  # (login, address, port, proto)
LOOPBACK = "127.0.0.1"


def _users(site: dict[str, Any], refs: list[str]) -> set[str]:
    found: set[str] = set()
    for ref in refs:
        if ref in site["users"]:
            found.add(ref)
        elif ref.startswith("group:"):
            found.update(site["groups"][ref[6:]])
        elif ref == "autogroup:member":
            found.update(site["users"])
    return found


def _served(svc: dict[str, Any]) -> bool:
    return svc.get("bind") == "loopback+serve"


def oracle_address(site: dict[str, Any], svc: dict[str, Any]) -> str:
    dev = site["devices"][svc["device"]]
    return dev["lan_ip"] if svc.get("expose") == "lan" else dev["tailscale_ip"]


def oracle_ports(svc: dict[str, Any]) -> list[tuple[int, str]]:
    """(port, proto) clients connect to."""
    ports = svc["port"]
    if _served(svc) and (svc.get("serve") == "https" or svc["kind"] == "openclaw"):
        return [(443, "tcp")] + [(p, "tcp") for p in ports[1:]]
    if _served(svc):
        return [(p, "tcp") for p in ports]
    return [(p, svc.get("protocol", "tcp")) for p in ports]


def oracle_listener(site: dict[str, Any], svc: dict[str, Any]) -> str:
    return LOOPBACK if _served(svc) else oracle_address(site, svc)


def oracle_flows(site: dict[str, Any]) -> set[Flow]:
    login = {u: v["login"] for u, v in site["users"].items()}
    ip = {d: v["tailscale_ip"] for d, v in site["devices"].items()}
    flows: set[Flow] = set()
    for svc in site["services"].values():
        address = oracle_address(site, svc)
        for user in _users(site, svc["allow"]):
            flows |= {(login[user], address, p, proto) for p, proto in oracle_ports(svc)}
    for rule in site.get("ssh", []):
        tags = {t[4:] for t in rule["to"]}
        tagged = [d for d, v in site["devices"].items() if tags & set(v.get("tags", []))]
        for user in _users(site, rule["from"]):
            flows |= {(login[user], ip[d], 22, "tcp") for d in tagged}
    for bg in site.get("break_glass", []):
        for user in _users(site, bg["who"]):
            flows |= {(login[user], ip[d], 22, "tcp") for d in bg["devices"]}
    return flows


def _columns(site: dict[str, Any], result: build.BuildResult) -> list[Service]:
    """The matrix columns: the site view's, plus every oracle endpoint and every device's
    port 22 (so a grant on the wrong port, or a missing one, shows as a difference)."""
    cols = {(s.device, s.port, s.proto): s for s in site_services(result.site)}
    by_ip = {v["tailscale_ip"]: d for d, v in site["devices"].items()}
    wanted = {(addr, port, proto) for _, addr, port, proto in oracle_flows(site)}
    wanted |= {(v["tailscale_ip"], 22, "tcp") for v in site["devices"].values()}
    for addr, port, proto in wanted:
        where = by_ip.get(addr, addr)
        number = UDP if proto == "udp" else TCP
        cols.setdefault(
            (where, port, number), Service(f"{where}:{port}/{proto}", where, port, number)
        )
    return list(cols.values())


def matrix_flows(site: dict[str, Any], result: build.BuildResult) -> set[Flow]:
    assert result.artifacts is not None
    policy = policy_from_data(result.artifacts.policy_document)
    ev = Evaluator(policy, as_inventory(inventory_from_site(result.site)))
    logins = [v["login"] for v in site["users"].values()]
    cols = _columns(site, result)
    grid = matrix(ev, None, logins, cols)
    ip = {d: v["tailscale_ip"] for d, v in site["devices"].items()}
    return {
        (login, ip.get(col.device, col.device), col.port, "udp" if col.proto == UDP else "tcp")
        for login in logins
        for col in cols
        if grid.cell(login, col).allowed
    }


def check_dns(site: dict[str, Any], result: build.BuildResult) -> None:
    assert result.artifacts is not None
    by_name = {r.name: r for zone in result.artifacts.dns.records.values() for r in zone}
    for sname, svc in site["services"].items():
        record = by_name[svc["name"]]
        assert record.value == oracle_address(site, svc), (sname, record)
        assert record.rtype == ("AAAA" if ":" in record.value else "A")


def check_launch(site: dict[str, Any], result: build.BuildResult) -> None:
    assert result.artifacts is not None
    specs = {s.service: s for s in result.artifacts.launch.specs}
    assert specs.keys() == site["services"].keys()
    for sname, svc in site["services"].items():
        spec = specs[sname]
        assert spec.host == oracle_listener(site, svc), sname
        assert spec.port == svc["port"][0], sname
        if _served(svc) and svc["kind"] != "openclaw":  # OpenClaw writes its own serve rules
            published = [(f.port, "tcp") for f in spec.forwards]
            assert published == oracle_ports(svc), sname


def check_audit(site: dict[str, Any], result: build.BuildResult) -> None:
    """Listener tables as the launch configs would leave each device: the process on its
    bind host, plus tailscaled on the tailnet address for every published serve port."""
    assert result.artifacts is not None
    tables: dict[str, list[Listener]] = {}
    for spec in result.artifacts.launch.specs:
        rows = tables.setdefault(spec.device, [])
        rows += [Listener(spec.host, p, process=spec.service) for p in spec.ports]
        svc = site["services"][spec.service]
        if _served(svc):
            ip = site["devices"][spec.device]["tailscale_ip"]
            rows += [Listener(ip, p, process="tailscaled") for p, _ in oracle_ports(svc)]
    for device, rows in tables.items():
        report = audit(result.site, device, Table("constructed", rows))
        assert report.findings == [], (device, report.findings)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(access_sites())
def test_every_artifact_agrees_on_where_a_service_is_reached(site: dict[str, Any]) -> None:
    result = build.compile_text(yaml.safe_dump(site, sort_keys=False))
    granted = matrix_flows(site, result)
    expected = oracle_flows(site)
    assert granted == expected, (
        f"granted but not declared: {sorted(granted - expected)}; "
        f"declared but not granted: {sorted(expected - granted)}"
    )
    check_dns(site, result)
    check_launch(site, result)
    check_audit(site, result)
