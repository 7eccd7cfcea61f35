"""A real bind test: inside a private network namespace with a `tailscale0` carrying a
100.64.x.y address, a stand-in for `ollama serve` runs with exactly the environment the
generated systemd drop-in sets, after the generated ready script has passed; `tailgen audit
--local` then sees it on the Tailscale address only. Run as the source document's "0.0.0.0"
mistake, the audit exits 2 and names the service.

The stand-in reads OLLAMA_HOST the way Ollama's envconfig.Host() documents it and listens the
way Go's net.Listen does (an unspecified host opens one dual-stack socket: `*:11434` in ss).
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from realtools import require, require_root_netns

from compiler import build

ADDRESS = "100.64.7.9"
SITE = """\
users:
  me: {login: me@example.com, role: admin}
devices:
  gpu: {os: linux, owner: me{pin}}
services:
  ollama: {device: gpu, kind: ollama, port: 11434, allow: [me]}
"""

STANDIN = '''\
import os, socket, sys, time

def ollama_host(raw):
    """envconfig.Host(): trim spaces and quotes, optional scheme, default port 11434."""
    value = raw.strip().strip("\\"'").strip() or "127.0.0.1"
    scheme, sep, rest = value.partition("://")
    port = {"http": 80, "https": 443}.get(scheme, 11434) if sep else 11434
    rest = (rest if sep else value).split("/", 1)[0]
    if rest.startswith("["):
        host, _, tail = rest[1:].partition("]")
        return host, int(tail[1:]) if tail.startswith(":") else port
    if rest.count(":") == 1:
        host, _, p = rest.partition(":")
        return host, int(p)
    return rest, port

host, port = ollama_host(os.environ.get("OLLAMA_HOST", ""))
if host in ("", "0.0.0.0", "::"):  # Go: one dual-stack socket for an unspecified host
    sock = socket.socket(socket.AF_INET6)
    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    host = "::"
else:
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
sock.bind((host, port))
sock.listen()
print("listening", host, port, flush=True)
time.sleep(60)
'''

NAMESPACE = """\
set -eu
ip link set lo up
ip tuntap add dev tailscale0 mode tun
ip addr add {address}/32 dev tailscale0
ip link set tailscale0 up
mount -t tmpfs tmpfs /run
export PATH="$PWD/stubs:$PATH"
sh ./tailnet-ready.sh
env -i PATH="$PATH" {env} {python} standin.py > standin.log 2>&1 &
for _ in $(seq 100); do
    if grep -q listening standin.log; then break; fi
    sleep 0.05
done
set +e
{python} -m compiler audit gpu --local --site site.yaml --format json > audit.json
echo $? > audit.rc
kill %1
"""


def generated(tmp_path: Path, pinned: bool) -> dict[str, str]:
    """Build the site and install what the namespace needs; returns the unit's environment."""
    pin = f", tailscale_ip: {ADDRESS}" if pinned else ""
    text = SITE.replace("{pin}", pin)
    (tmp_path / "site.yaml").write_text(text)
    files = build.compile_text(text, "site.yaml").files
    base = "launch/gpu/ollama/"
    (tmp_path / "tailnet-ready.sh").write_bytes(files[base + "tailnet-ready.sh"])
    dropin = files[base + "ollama.service.d/50-tailnet.conf"].decode()
    return dict(re.findall(r'^Environment="([^=]+)=([^"]*)"$', dropin, re.M))


def stub_tailscale(tmp_path: Path, answer: str) -> None:
    """tailscaled is not running here: `tailscale ip -4` answers from the namespace's setup."""
    stubs = tmp_path / "stubs"
    stubs.mkdir(exist_ok=True)
    stub = stubs / "tailscale"
    stub.write_text(
        f'#!/bin/sh\nif [ "$1 $2" = "ip -4" ]; then echo {answer}; exit 0; fi\nexit 1\n'
    )
    stub.chmod(0o755)


def run_in_namespace(tmp_path: Path, env: dict[str, str]) -> tuple[int, dict[str, object]]:
    (tmp_path / "standin.py").write_text(STANDIN)
    assignments = " ".join(shlex.quote(f"{k}={v}") for k, v in sorted(env.items()))
    script = NAMESPACE.format(address=ADDRESS, env=assignments, python=shlex.quote(sys.executable))
    done = subprocess.run(
        ["unshare", "-n", "-m", "bash", "-c", script],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr + (tmp_path / "standin.log").read_text()
    rc = int((tmp_path / "audit.rc").read_text())
    return rc, json.loads((tmp_path / "audit.json").read_text())


@pytest.fixture
def netns() -> None:
    require_root_netns()
    require("ss")


def test_generated_environment_listens_on_the_tailscale_address_only(
    netns: None, tmp_path: Path
) -> None:
    env = generated(tmp_path, pinned=True)
    assert env == {"OLLAMA_HOST": f"{ADDRESS}:11434"}
    stub_tailscale(tmp_path, ADDRESS)
    rc, report = run_in_namespace(tmp_path, env)
    assert rc == 0, report
    assert report["findings"] == []
    assert report["format"] == "ss"
    assert "listening 100.64.7.9 11434" in (tmp_path / "standin.log").read_text()


def test_the_wildcard_mistake_is_found(netns: None, tmp_path: Path) -> None:
    generated(tmp_path, pinned=True)
    stub_tailscale(tmp_path, ADDRESS)
    rc, report = run_in_namespace(tmp_path, {"OLLAMA_HOST": "0.0.0.0"})
    assert rc == 2
    findings = report["findings"]
    assert isinstance(findings, list)
    assert [(f["code"], f["service"]) for f in findings] == [("wildcard", "ollama")]
    assert "*:11434" in findings[0]["message"]


def test_runtime_lookup_writes_the_address_the_service_gets(netns: None, tmp_path: Path) -> None:
    """Unpinned: the ready script looks the address up and writes the unit's environment file."""
    static = generated(tmp_path, pinned=False)
    assert static == {}
    stub_tailscale(tmp_path, ADDRESS)
    (tmp_path / "standin.py").write_text(STANDIN)
    script = (
        "ip link set lo up; ip tuntap add dev tailscale0 mode tun; "
        f"ip addr add {ADDRESS}/32 dev tailscale0; ip link set tailscale0 up; "
        'mount -t tmpfs tmpfs /run; PATH="$PWD/stubs:$PATH" sh ./tailnet-ready.sh && cat /run/tailgen/ollama.env'
    )
    done = subprocess.run(
        ["unshare", "-n", "-m", "sh", "-c", script],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [f"TS_IP={ADDRESS}", f"OLLAMA_HOST={ADDRESS}:11434"]


def test_stale_pinned_address_refuses_to_start(netns: None, tmp_path: Path) -> None:
    generated(tmp_path, pinned=True)
    stub_tailscale(tmp_path, "100.64.99.99")
    script = 'ip link set lo up; PATH="$PWD/stubs:$PATH" sh ./tailnet-ready.sh'
    done = subprocess.run(
        ["unshare", "-n", "sh", "-c", script],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert "is 100.64.99.99, not 100.64.7.9" in done.stderr


WEAK_HOST = """\
set -eu
ip link set lo up
ip tuntap add dev tailscale0 mode tun
ip addr add {address}/32 dev tailscale0
ip link set tailscale0 up
ip link add lan0 type veth peer name peer0
ip addr add 192.168.77.1/24 dev lan0
ip link set lan0 up
unshare -n sleep 60 &
peer=$!
sleep 0.2
ip link set peer0 netns "$peer"
nsenter -t "$peer" -n sh -c 'ip link set lo up; ip addr add 192.168.77.2/24 dev peer0; ip link set peer0 up; ip route add {address}/32 via 192.168.77.1'
env -i OLLAMA_HOST={address}:11434 {python} standin.py > standin.log 2>&1 &
for _ in $(seq 100); do grep -q listening standin.log && break; sleep 0.05; done
probe='import socket, sys
try:
    socket.create_connection((sys.argv[1], 11434), timeout=1).close(); print("open")
except OSError:
    print("closed")'
echo "lan-before $(nsenter -t "$peer" -n {python} -c "$probe" {address})"
nft -f tailnet-guard.nft
echo "lan-after $(nsenter -t "$peer" -n {python} -c "$probe" {address})"
echo "local-after $({python} -c "$probe" {address})"
kill "$peer" %2
"""


def test_nft_guard_keeps_lan_neighbours_off_the_tailscale_address(
    netns: None, tmp_path: Path
) -> None:
    """Reference §4.9 reproduced: a LAN neighbour that routes the Tailscale address via this
    host reaches a listener bound only to it, until the generated guard is loaded."""
    require("nft")
    require("nsenter")
    text = SITE.replace("{pin}", f", tailscale_ip: {ADDRESS}")
    guard = build.compile_text(text, "site.yaml").files["launch/gpu/tailnet-guard.nft"]
    (tmp_path / "tailnet-guard.nft").write_bytes(guard)
    (tmp_path / "standin.py").write_text(STANDIN)
    script = WEAK_HOST.format(address=ADDRESS, python=shlex.quote(sys.executable))
    done = subprocess.run(
        ["unshare", "-n", "bash", "-c", script],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["lan-before open", "lan-after closed", "local-after open"]
