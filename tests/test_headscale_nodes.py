"""The final proof (issue 18, layers 3 and 4): a real headscale, real tailscaled nodes.

One namespace the test creates holds headscale and one userspace-networking tailscaled per
device of the example site (plus `guest-laptop`: the site's guest has no device, and a person
with no node cannot be probed). headscale assigns the addresses; the example site is then
rebuilt with those addresses pinned (everything else as written), and its headscale policy set.

Layer 3: for every principal × declared service port, and for every source device, the
verdict read from the packet filter headscale sent the destination node (`tailscale debug
netmap`) equals our evaluator's. Layer 4: a real TCP connection through the tailnet
(`tailscale nc` to a stand-in listener) succeeds exactly when `tailgen explain` says allowed.
The matrix and the wall time are printed (`pytest -s` shows them).
"""

from __future__ import annotations

import ipaddress
import json
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from compiler import build
from compiler.cli import app
from compiler.emit.headscale.users import user_name
from compiler.evaluate import allowed, evaluator, icmp_echo
from compiler.evaluate.site_view import inventory_from_site, site_principals, site_services
from compiler.site.model import Site
from peers import REPO, STANDIN, Binaries, Headscale, Netns, Node, require_binaries, wait_for

pytestmark = pytest.mark.peers

GUEST_DEVICE = "guest-laptop"
TCP, ICMP = 6, 1


@dataclass(frozen=True)
class Cell:
    src: str  # a source device
    device: str  # the service's device
    port: int
    service: str


@dataclass
class Tailnet:
    headscale: Headscale
    nodes: dict[str, Node]
    site: Site
    out: Path
    site_file: Path
    started: float
    ready: float


def mirrored_site(repo: Path, addresses: dict[str, str]) -> dict[str, Any]:
    """The example site for headscale, plus the guest's stand-in device, with `addresses`."""
    raw = yaml.safe_load((repo / "site.yaml").read_text())
    raw["target"] = "headscale"
    raw["devices"][GUEST_DEVICE] = {"os": "linux", "owner": "guest"}
    for name, ip in addresses.items():
        raw["devices"][name]["tailscale_ip"] = ip
    return dict(raw)


def write_build(raw: dict[str, Any], where: Path) -> tuple[build.BuildResult, Path]:
    where.mkdir(parents=True, exist_ok=True)
    site_file = where / "site.yaml"
    site_file.write_text(yaml.safe_dump(raw, sort_keys=False))
    result, _ = build.build(site_file)
    build.write(result, where / "out")
    return result, site_file


def create_users(hs: Headscale, site: Site) -> dict[str, int]:
    ids = {}
    for key, user in site.users.items():
        email = user.login if "." in user.login.partition("@")[2] else ""
        ids[key] = hs.create_user(user_name(user.login), email)
    return ids


def join(hs: Headscale, node: Node, site: Site, ids: dict[str, int]) -> str:
    dev = site.devices[node.name]
    owner = dev.owner or next(iter(site.tags[dev.tags[0]].owners))
    key = hs.preauth_key(ids[owner], [f"tag:{t}" for t in dev.tags])
    extra = [f"--advertise-routes={','.join(str(r) for r in dev.routes)}"] if dev.routes else []
    extra += ["--advertise-exit-node"] if dev.exit_node else []
    proc = node.up(key, *extra)
    if proc.returncode != 0:
        raise RuntimeError(f"{node.name}: tailscale up: {proc.stderr}")
    return str(wait_for(f"{node.name}'s address", node.ipv4, timeout=30))


def service_ports(site: Site) -> dict[str, list[int]]:
    ports: dict[str, list[int]] = {}
    for svc in site.services.values():
        ports.setdefault(svc.device, []).extend(svc.port)
    return ports


def filter_ready(node: Node, ports: list[int]) -> bool:
    rules = node.packet_filter()
    covered = {p for r in rules for d in r.get("DstPorts", []) for p in ports if _covers(d, p)}
    return covered == set(ports)


def _covers(dst: dict[str, Any], port: int) -> bool:
    return int(dst["Ports"]["First"]) <= port <= int(dst["Ports"]["Last"])


@pytest.fixture(scope="module")
def tailnet(bins: Binaries, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tailnet]:
    repo = REPO
    started = time.monotonic()
    work = tmp_path_factory.mktemp("tailnet")
    ns = Netns()
    try:
        hs = Headscale(bins, ns, work / "headscale")
        first, _ = write_build(mirrored_site(repo, {}), work / "placeholder")
        ids = create_users(hs, first.site)
        # Deny all until the nodes have joined (the site policy's tests need them), so a
        # node's filter covers the service ports only once the site policy has reached it.
        (work / "deny-all.hujson").write_text('{"grants": []}\n')
        assert hs.set_policy(work / "deny-all.hujson").returncode == 0
        names = list(first.site.devices)
        nodes = {n: Node(bins, ns, work / "nodes" / n, n, 41641 + i) for i, n in enumerate(names)}
        with ThreadPoolExecutor(len(nodes)) as pool:
            joined = pool.map(lambda n: join(hs, nodes[n], first.site, ids), names)
            ips = dict(zip(names, joined, strict=True))
        result, site_file = write_build(mirrored_site(repo, ips), work / "mirror")
        proc = hs.set_policy(work / "mirror/out/headscale/policy.hujson")
        assert proc.returncode == 0, proc.stderr
        ns.start([sys.executable, "-c", STANDIN, "11434", "11337"], work / "standin.log")
        for device, ports in service_ports(result.site).items():
            node = nodes[device]
            wait_for(f"{device}'s filter", lambda n=node, p=ports: filter_ready(n, p))
        yield Tailnet(
            hs, nodes, result.site, work / "mirror/out", site_file, started, time.monotonic()
        )
    finally:
        ns.close()


@pytest.fixture(scope="module")
def bins() -> Binaries:
    return require_binaries()


# ---------------------------------------------------------------------------------------------
# who is who


def principal_devices(site: Site, principal: str) -> list[str]:
    """The devices a principal's traffic comes from (what the nodes were registered as)."""
    logins = {u.login: k for k, u in site.users.items()}
    kind, _, name = principal.partition(":")
    if kind == "tag":
        return [d for d, dev in site.devices.items() if name in dev.tags]
    users = site.groups.get(name, []) if kind == "group" else [logins[principal]]
    return [d for d, dev in site.devices.items() if dev.owner in users and not dev.tags]


def cells(site: Site) -> list[Cell]:
    return [
        Cell(src, svc.device, svc.port, svc.label)
        for svc in site_services(site)
        for src in site.devices
        if src != svc.device
    ]


# ---------------------------------------------------------------------------------------------
# layer 3: the packet filters headscale compiled


def _in(ip: str, entries: list[str]) -> bool:
    addr = ipaddress.ip_address(ip)
    for entry in entries:
        if entry == "*":
            return True
        if "-" in entry:
            lo, hi = (ipaddress.ip_address(x) for x in entry.split("-"))
            if lo.version == addr.version and lo <= addr <= hi:  # type: ignore[operator]
                return True
        elif addr in ipaddress.ip_network(entry, strict=False):
            return True
    return False


def filter_allows(rules: list[dict[str, Any]], src: str, dst: str, port: int, proto: int) -> bool:
    """tailcfg.FilterRule semantics: a rule matches source, protocol (empty = TCP, UDP, ICMP)
    and one destination address and port range."""
    for rule in rules:
        if proto not in (rule.get("IPProto") or [6, 17, 1, 58]):
            continue
        if not _in(src, rule.get("SrcIPs") or []):
            continue
        for dst_port in rule.get("DstPorts") or []:
            if _in(dst, [dst_port["IP"]]) and _covers(dst_port, port):
                return True
    return False


def pair_in_filter(rules: list[dict[str, Any]], src: str, dst: str) -> bool:
    """Any rule for this address pair, whatever port or protocol (what wgengine/filter lets
    an ICMP echo request through on)."""
    return any(
        _in(src, r.get("SrcIPs") or []) and any(_in(dst, [d["IP"]]) for d in r["DstPorts"])
        for r in rules
    )


def ip(site: Site, device: str) -> str:
    return str(site.devices[device].tailscale_ip)


def test_evaluator_agrees_with_headscales_filters(tailnet: Tailnet) -> None:
    site = tailnet.site
    policy = (tailnet.out / "policy.hujson").read_text()
    ev = evaluator(policy, inventory_from_site(site))
    filters = {d: tailnet.nodes[d].packet_filter() for d in service_ports(site)}
    disagreements = []
    for cell in cells(site):
        theirs = filter_allows(
            filters[cell.device], ip(site, cell.src), ip(site, cell.device), cell.port, TCP
        )
        ours = allowed(ev, None, cell.src, cell.device, cell.port, "tcp").allowed
        if theirs != ours:
            disagreements.append((cell, theirs, ours))
    for principal in site_principals(site):
        for svc in site_services(site):
            srcs = [d for d in principal_devices(site, principal) if d != svc.device]
            theirs = bool(srcs) and all(
                filter_allows(filters[svc.device], ip(site, s), ip(site, svc.device), svc.port, TCP)
                for s in srcs
            )
            ours = allowed(ev, None, principal, svc.device, svc.port, "tcp").allowed
            if theirs != ours:
                disagreements.append((principal, svc.label, theirs, ours))
    assert not disagreements


# ---------------------------------------------------------------------------------------------
# layer 4: real connections


def connect(node: Node, dst: str, port: int, timeout: float) -> bool:
    """`tailscale nc` through the tailnet; True when the stand-in's greeting arrives. Stdin
    stays open (nc closes the connection on stdin EOF before reading)."""
    cmd = [str(node.bins.tailscale), f"--socket={node.socket}", "nc", dst, str(port)]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], timeout)
        return bool(ready) and proc.stdout.readline().startswith(b"tailgen-standin %d" % port)
    finally:
        proc.kill()
        proc.wait()


def explain(tailnet: Tailnet, src: str, dst: str, port: int, proto: str = "tcp") -> bool:
    """`tailgen explain SRC DST:PORT` (the CLI, in process) on the mirrored site's build."""
    args = ["explain", src, f"{dst}:{port}", "--proto", proto, "--format", "json"]
    args += ["--policy", str(tailnet.out / "policy.hujson"), "--site", str(tailnet.site_file)]
    result = CliRunner().invoke(app, args)
    return bool(json.loads(result.stdout)[0]["allowed"])


def probe_all(tailnet: Tailnet, todo: list[Cell], timeout: float) -> dict[Cell, bool]:
    site = tailnet.site

    def one(cell: Cell) -> bool:
        return connect(tailnet.nodes[cell.src], ip(site, cell.device), cell.port, timeout)

    with ThreadPoolExecutor(max(len(todo), 1)) as pool:
        return dict(zip(todo, pool.map(one, todo), strict=True))


def test_connections_match_explain(tailnet: Tailnet) -> None:
    site = tailnet.site
    todo = cells(site)
    started = time.monotonic()
    real = probe_all(tailnet, todo, timeout=4)
    # A drop cannot turn into a connection by retrying, so retrying refusals is fair: it only
    # rules out a path still being set up.
    real.update(probe_all(tailnet, [c for c in todo if not real[c]], timeout=6))
    said = {c: explain(tailnet, c.src, c.device, c.port) for c in todo}
    print_matrix(tailnet, real, said)
    print(f"{len(todo)} connections and explains took {time.monotonic() - started:.0f} s")
    assert {c: real[c] for c in todo} == said


def print_matrix(tailnet: Tailnet, real: dict[Cell, bool], said: dict[Cell, bool]) -> None:
    site = tailnet.site
    services = site_services(site)
    width = max(len(d) for d in site.devices) + 2
    lines = ["", "real connections (✓ connected, · refused; ! = differs from tailgen explain)"]
    lines.append(" " * width + " ".join(f"{i:>2}" for i in range(1, len(services) + 1)))
    for src in site.devices:
        row = []
        for svc in services:
            cell = Cell(src, svc.device, svc.port, svc.label)
            mark = "" if cell not in real else ("✓" if real[cell] else "·")
            row.append(f"{mark + ('!' if cell in real and real[cell] != said[cell] else ''):>2}")
        lines.append(f"{src:<{width}}" + " ".join(row))
    lines += [f" {i} {s.label}" for i, s in enumerate(services, 1)]
    took = time.monotonic() - tailnet.started
    lines.append(f"set-up {tailnet.ready - tailnet.started:.0f} s; wall time so far {took:.0f} s")
    print("\n".join(lines))


# ---------------------------------------------------------------------------------------------
# ICMP: the data plane's reading, not the policy tester's


def echo(node: Node, dst: str) -> bool:
    """One ICMP echo through WireGuard (`tailscale ping --icmp`), answered or not."""
    args = ["ping", "--icmp", "-c", "2", "--timeout=2s", "--until-direct=false", dst]
    return node.cli(*args, timeout=20).returncode == 0


def test_icmp_echo_follows_any_rule_for_the_pair(tailnet: Tailnet) -> None:
    """An echo request gets through when any rule admits the address pair (wgengine/filter),
    as `explain --proto icmp` says on its data-plane line; the policy's reading (a rule must
    allow ICMP) differs wherever only a TCP grant links the pair."""
    site = tailnet.site
    ev = evaluator((tailnet.out / "policy.hujson").read_text(), inventory_from_site(site))
    # Both directions: a reply path (the service device pinging its client) makes them
    # peers, so those echoes reach the client's filter and are dropped there.
    pairs = sorted({p for c in cells(site) for p in ((c.src, c.device), (c.device, c.src))})
    with ThreadPoolExecutor(len(pairs)) as pool:
        real = dict(
            zip(
                pairs,
                pool.map(lambda p: echo(tailnet.nodes[p[0]], ip(site, p[1])), pairs),
                strict=True,
            )
        )
    filters = {d: node.packet_filter() for d, node in tailnet.nodes.items()}
    rows = []
    for src, dst in pairs:
        in_filter = pair_in_filter(filters[dst], ip(site, src), ip(site, dst))
        data_plane = icmp_echo(ev, None, src, dst).allowed
        policy = allowed(ev, None, src, dst, 0, "icmp").allowed
        rows.append((src, dst, real[(src, dst)], in_filter, data_plane, policy))
    print("\nICMP echo (real, pair in node filter, explain data plane, explain policy)")
    for row in rows:
        print(f"  {row[0]:>14} -> {row[1]:<9} " + " ".join("✓" if v else "·" for v in row[2:]))
    assert [r[2] for r in rows] == [r[3] for r in rows] == [r[4] for r in rows]
    assert any(r[2] and not r[5] for r in rows), "expected a pair where the readings differ"
