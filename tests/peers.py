"""Real peers for the tests: headscale and tailscaled, built by scripts/build-peers.sh.

Everything runs on loopback inside a network namespace the test creates (`unshare -n`, held
open by a sleeping process; other processes join it with `nsenter`). The namespace gets a veth
pair with a TEST-NET-1 address and a default route into it, because tailscaled pauses its
control client when it sees no interface (reference/tailscale.md §8.1); packets to any address
but loopback die inside the namespace. headscale runs with its embedded DERP over plain HTTP on
127.0.0.1 (the nodes get `TS_DEBUG_USE_DERP_HTTP=1`), no external DERP map, no update check, no
log upload, and `policy.mode: database` so the policy can be pushed.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import httpx
import pytest
import yaml

from compiler.emit.headscale.users import user_name
from compiler.site.inventory import device_addresses
from compiler.site.model import Site

REPO = Path(__file__).resolve().parents[1]
BUILD_SCRIPT = REPO / "scripts" / "build-peers.sh"
SERVER = "http://127.0.0.1:8080"
NETNS_SETUP = """\
set -e
ip link set lo up
ip link add v0 type veth peer name v1
ip addr add 192.0.2.1/24 dev v0
ip link set v0 up
ip link set v1 up
ip route add default via 192.0.2.2 dev v0
echo ready
exec sleep 100000
"""

# Runs inside the namespace: relays a unix socket (reachable from the test process) to a TCP
# port on the namespace's loopback, so an in-process httpx client can talk to headscale's API.
RELAY = """\
import asyncio, sys

async def pipe(reader, writer):
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    finally:
        writer.close()

async def handle(reader, writer):
    up_reader, up_writer = await asyncio.open_connection("127.0.0.1", int(sys.argv[2]))
    await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer), return_exceptions=True)

async def main():
    server = await asyncio.start_unix_server(handle, sys.argv[1])
    print("relaying", flush=True)
    await server.serve_forever()

asyncio.run(main())
"""

# Runs inside the namespace: a stand-in service on 127.0.0.1:PORT (userspace tailscaled
# forwards inbound tailnet TCP to loopback) that greets every connection with its port.
STANDIN = """\
import socket, sys, threading

def serve(port):
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(64)
    while True:
        conn, _ = sock.accept()
        conn.sendall(b"tailgen-standin %d\\n" % port)
        conn.close()

for port in sys.argv[1:]:
    threading.Thread(target=serve, args=(int(port),), daemon=True).start()
print("listening", flush=True)
threading.Event().wait()
"""


def unavailable(message: str) -> NoReturn:
    """Skip on a developer machine; fail in CI, where a check that never runs is no check."""
    if os.environ.get("CI"):
        pytest.fail(f"{message} (CI must provide it)")
    pytest.skip(message)


@dataclass(frozen=True)
class Binaries:
    headscale: Path
    tailscaled: Path
    tailscale: Path


def binaries(build: bool = True) -> Binaries | None:
    """The cached peer binaries; with `build`, builds them first when missing (minutes)."""
    args = ["bash", str(BUILD_SCRIPT)] + ([] if build else ["--cached"])
    proc = subprocess.run(args, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        return None
    hs_dir, ts_dir = (Path(line) for line in proc.stdout.split())
    return Binaries(hs_dir / "headscale", ts_dir / "tailscaled", ts_dir / "tailscale")


def require_binaries() -> Binaries:
    if os.geteuid() != 0:
        unavailable("the peer tests need root (network namespaces)")
    for tool in ("unshare", "nsenter", "ip"):
        if shutil.which(tool) is None:
            unavailable(f"{tool} is not installed")
    found = binaries(build=False)
    if found is None and shutil.which("go") is None:
        unavailable("headscale/tailscaled are not built and Go (>= 1.26) is not installed")
    found = found or binaries(build=True)
    if found is None:
        pytest.fail("scripts/build-peers.sh failed: run it by hand to see why")
    return found


# ---------------------------------------------------------------------------------------------
# headscale's configuration


def headscale_config(workdir: Path, dns: dict[str, Any] | None = None) -> Path:
    """A config that keeps headscale on loopback and offline; `dns` is a `dns:` section."""
    config: dict[str, Any] = {
        "server_url": SERVER,
        "listen_addr": "127.0.0.1:8080",
        "metrics_listen_addr": "127.0.0.1:9090",
        "grpc_listen_addr": "127.0.0.1:50443",
        "grpc_allow_insecure": False,
        "noise": {"private_key_path": str(workdir / "noise_private.key")},
        "prefixes": {
            "v4": "100.64.0.0/10",
            "v6": "fd7a:115c:a1e0::/48",
            "allocation": "sequential",
        },
        "derp": {
            "server": {
                "enabled": True,
                "region_id": 999,
                "region_code": "headscale",
                "region_name": "tailgen test DERP",
                "verify_clients": True,
                "stun_listen_addr": "127.0.0.1:3478",
                "private_key_path": str(workdir / "derp_server_private.key"),
                "automatically_add_embedded_derp_region": True,
                "ipv4": "127.0.0.1",
            },
            "urls": [],
            "paths": [],
            "auto_update_enabled": False,
        },
        "disable_check_updates": True,
        "database": {"type": "sqlite", "sqlite": {"path": str(workdir / "db.sqlite")}},
        "log": {"level": "info", "format": "text"},
        "policy": {"mode": "database", "path": ""},
        "dns": dns or {"magic_dns": False, "override_local_dns": False, "base_domain": ""},
        "unix_socket": str(workdir / "headscale.sock"),
        "unix_socket_permission": "0770",
        "logtail": {"enabled": False},
        "taildrop": {"enabled": False},
    }
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / "config.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


# ---------------------------------------------------------------------------------------------
# offline: `headscale policy check` against a database, no server


@dataclass
class OfflineHeadscale:
    """headscale's own policy check with no server: config + sqlite with the site's users."""

    bins: Binaries
    workdir: Path
    config: Path = field(init=False)

    def __post_init__(self) -> None:
        self.config = headscale_config(self.workdir)

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        cmd = [str(self.bins.headscale), "-c", str(self.config), *args]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)

    def check(self, policy: Path) -> subprocess.CompletedProcess[str]:
        bypass = "--bypass-grpc-and-access-database-directly"
        return self.run("policy", "check", "-f", str(policy), bypass, "--force")

    def seed(self, users: Sequence[tuple[str, str]], nodes: Sequence[SeedNode] = ()) -> None:
        """(name, email) users and their nodes, written into the database headscale created
        and migrated (there is no offline `users create`; the columns are headscale v0.29's).
        A policy's tests need nodes: headscale fails a test whose source has none."""
        database = self.workdir / "db.sqlite"
        if not database.exists():
            empty = self.workdir / "empty.hujson"
            empty.write_text('{"grants": []}\n')
            self.check(empty)  # opens (creates and migrates) the database
        now = "2026-01-01 00:00:00+00:00"
        with sqlite3.connect(database) as db:
            ids = {}
            for name, email in users:
                cur = db.execute(
                    "INSERT INTO users (name, email, created_at, updated_at) VALUES (?, ?, ?, ?)",
                    (name, email or None, now, now),
                )
                ids[name] = cur.lastrowid
            for node in nodes:
                db.execute(
                    "INSERT INTO nodes (machine_key, node_key, disco_key, endpoints, host_info,"
                    " ipv4, hostname, given_name, user_id, register_method, tags,"
                    " approved_routes, created_at, updated_at)"
                    " VALUES (?, ?, ?, '[]', '{}', ?, ?, ?, ?, 'authkey', ?, ?, ?, ?)",
                    (
                        "mkey:" + secrets.token_hex(32),
                        "nodekey:" + secrets.token_hex(32),
                        "discokey:" + secrets.token_hex(32),
                        node.ipv4,
                        node.name,
                        node.name.lower(),
                        ids.get(node.user or ""),
                        json.dumps(list(node.tags)),
                        json.dumps(list(node.routes)),
                        now,
                        now,
                    ),
                )


@dataclass(frozen=True)
class SeedNode:
    name: str
    ipv4: str
    user: str | None  # a headscale user name; None for a tagged node
    tags: tuple[str, ...] = ()
    routes: tuple[str, ...] = ()


def site_users(site: Site) -> list[tuple[str, str]]:
    """(name, email) for headscale's users table: what `headscale users create` would make."""
    return [
        (user_name(u.login), u.login if "." in u.login.partition("@")[2] else "")
        for u in site.users.values()
    ]


def site_nodes(site: Site) -> list[SeedNode]:
    """One node per site device, at the address the evaluator gives it."""
    addresses = device_addresses(site)
    nodes = []
    for name, dev in site.devices.items():
        owner = site.users[dev.owner].login if dev.owner and not dev.tags else None
        routes = [str(r) for r in dev.routes] + (["0.0.0.0/0", "::/0"] if dev.exit_node else [])
        tags = tuple(f"tag:{t}" for t in dev.tags)
        user = user_name(owner) if owner else None
        nodes.append(SeedNode(name, addresses[name], user, tags, tuple(routes)))
    return nodes


# ---------------------------------------------------------------------------------------------
# a namespace, a server and nodes


class Netns:
    """A private network namespace, held open by a sleeping process we started."""

    def __init__(self) -> None:
        self._holder = subprocess.Popen(
            ["unshare", "-n", "sh", "-c", NETNS_SETUP], stdout=subprocess.PIPE, text=True
        )
        assert self._holder.stdout is not None
        if self._holder.stdout.readline().strip() != "ready":
            raise RuntimeError("network namespace setup failed")
        self.children: list[subprocess.Popen[bytes]] = []

    def cmd(self, argv: Sequence[str]) -> list[str]:
        return ["nsenter", "-t", str(self._holder.pid), "-n", *argv]

    def start(self, argv: Sequence[str], log: Path, env: dict[str, str] | None = None) -> None:
        with log.open("wb") as out:
            proc = subprocess.Popen(
                self.cmd(argv),
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
        self.children.append(proc)

    def run(
        self,
        argv: Sequence[str],
        timeout: float = 30,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.cmd(argv),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            env=env,
            cwd=cwd,
        )

    def close(self) -> None:
        for proc in [*self.children, self._holder]:
            with suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM) if proc is not self._holder else proc.kill()
        for proc in [*self.children, self._holder]:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def wait_for(what: str, probe: Any, timeout: float = 60, interval: float = 0.2) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")


@dataclass
class Headscale:
    """A running `headscale serve` inside `netns`; its CLI talks to it over the unix socket."""

    bins: Binaries
    netns: Netns
    workdir: Path
    dns: dict[str, Any] | None = None
    config: Path = field(init=False)

    def __post_init__(self) -> None:
        self.config = headscale_config(self.workdir, self.dns)
        argv = [str(self.bins.headscale), "-c", str(self.config), "serve"]
        self.netns.start(argv, self.workdir / "headscale.log")
        wait_for("headscale to listen", lambda: self.run("users", "list").returncode == 0)

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        cmd = [str(self.bins.headscale), "-c", str(self.config), *args]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)

    def json(self, *args: str) -> Any:
        proc = self.run(*args, "-o", "json")
        if proc.returncode != 0:
            raise RuntimeError(f"headscale {' '.join(args)}: {proc.stderr or proc.stdout}")
        return json.loads(proc.stdout)

    def create_user(self, name: str, email: str = "") -> int:
        args = ["users", "create", name] + (["--email", email] if email else [])
        return int(self.json(*args)["id"])

    def preauth_key(self, user_id: int, tags: Sequence[str] = ()) -> str:
        args = ["preauthkeys", "create", "--user", str(user_id), "--reusable"]
        if tags:
            args += ["--tags", ",".join(tags)]
        return str(self.json(*args)["key"])

    def create_node(self, user: str, name: str) -> dict[str, Any]:
        """A registered node with addresses but no tailscaled behind it (debug create-node)."""
        key = "hskey-authreq-" + secrets.token_urlsafe(18)[:24]
        self.json("debug", "create-node", "--user", user, "--name", name, "--key", key)
        return dict(self.json("auth", "register", "--auth-id", key, "--user", user))

    def api_key(self) -> str:
        proc = self.run("apikeys", "create", "--expiration", "1h")
        if proc.returncode != 0:
            raise RuntimeError(proc.stderr)
        return proc.stdout.strip().splitlines()[-1]

    def set_policy(self, policy: Path) -> subprocess.CompletedProcess[str]:
        return self.run("policy", "set", "-f", str(policy))

    def nodes(self) -> list[dict[str, Any]]:
        return list(self.json("nodes", "list"))

    def api_transport(self) -> httpx.HTTPTransport:
        """An httpx transport whose requests reach the API inside the namespace (via a relay),
        for a provider in the test process."""
        uds = self.workdir / "api.sock"
        if not uds.exists():
            argv = [sys.executable, "-c", RELAY, str(uds), "8080"]
            self.netns.start(argv, self.workdir / "relay.log")
            wait_for("the API relay", uds.exists, timeout=20)
        return httpx.HTTPTransport(uds=str(uds))


@dataclass
class Node:
    """One userspace-networking tailscaled inside `netns`, with its own state and socket."""

    bins: Binaries
    netns: Netns
    workdir: Path
    name: str
    port: int

    def __post_init__(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.socket = self.workdir / "ts.sock"
        argv = [
            str(self.bins.tailscaled),
            "--tun=userspace-networking",
            f"--socket={self.socket}",
            f"--statedir={self.workdir}",
            f"--port={self.port}",
            "--no-logs-no-support",
        ]
        env = {**os.environ, "TS_DEBUG_USE_DERP_HTTP": "1", "TS_NO_LOGS_NO_SUPPORT": "1"}
        self.netns.start(argv, self.workdir / "tailscaled.log", env)

    def cli(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        cmd = [str(self.bins.tailscale), f"--socket={self.socket}", *args]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)

    def up(self, authkey: str, *extra: str) -> subprocess.CompletedProcess[str]:
        wait_for(f"{self.name}'s tailscaled", self.socket.exists, timeout=30)
        return self.cli(
            "up",
            f"--login-server={SERVER}",
            f"--authkey={authkey}",
            f"--hostname={self.name}",
            "--accept-dns=false",
            *extra,
            timeout=90,
        )

    def status(self) -> dict[str, Any]:
        proc = self.cli("status", "--json")
        return json.loads(proc.stdout) if proc.returncode == 0 else {}

    def ipv4(self) -> str:
        ips = self.status().get("Self", {}).get("TailscaleIPs", [])
        return next((ip for ip in ips if "." in ip), "")

    def packet_filter(self) -> list[dict[str, Any]]:
        """The packet filter headscale compiled for this node, as the node received it."""
        proc = self.cli("debug", "netmap")
        if proc.returncode != 0:
            raise RuntimeError(proc.stderr)
        return list(json.loads(proc.stdout).get("PacketFilterRules") or [])


@contextmanager
def namespace() -> Iterator[Netns]:
    ns = Netns()
    try:
        yield ns
    finally:
        ns.close()
