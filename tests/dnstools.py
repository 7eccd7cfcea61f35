"""Helpers for the DNS tests: the golden cases, real tools (skipped locally, required in CI),
and a dnsmasq started on a loopback address with generated configuration."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dns.exception
import dns.message
import dns.query
import dns.rcode
import pytest

from compiler.emit import Emitted
from compiler.emit import dns as dns_emit
from compiler.errors import errors_only
from compiler.site import check, loader
from compiler.site.model import Site

CASES_DIR = Path(__file__).parent / "golden" / "dns"
CASES = sorted(p.name for p in CASES_DIR.iterdir() if (p / "site.yaml").is_file())
LOOPBACK = ("127.0.0.153", "127.0.0.1")  # the first one keeps clear of anything on .1


def load_case(case: str) -> tuple[Site, Emitted]:
    """A golden case's site (which must pass every check) and its DNS artifacts."""
    text = (CASES_DIR / case / "site.yaml").read_text(encoding="utf-8")
    site = loader.load_text(text, "site.yaml")
    problems = check.check(site)
    assert not errors_only(problems), [str(p) for p in problems]
    return site, dns_emit.emit(site)


def require_tool(binary: str, package: str) -> str:
    """The tool's path; skipped when missing on a developer machine, a failure in CI
    (scripts/install-system-deps.sh installs it there)."""
    found = shutil.which(binary)
    if found:
        return found
    message = (
        f"{binary} is not installed (Debian package {package}; scripts/install-system-deps.sh)"
    )
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def free_port() -> tuple[str, int]:
    """A loopback address and a port free for both UDP and TCP on it."""
    for address in LOOPBACK:
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                udp.bind((address, 0))
                port = udp.getsockname()[1]
                with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                    tcp.bind((address, port))
            return address, port
        except OSError:
            continue
    raise RuntimeError("no loopback port free")


def dnsmasq_conf(address: str, port: int, includes: list[Path]) -> str:
    """Loopback only, no upstream servers at all (no-resolv, no server=): nothing is forwarded,
    so no query can leave the machine."""
    lines = [
        f"listen-address={address}",
        f"port={port}",
        "bind-interfaces",
        "no-resolv",
        "no-hosts",
        "no-poll",
        *(f"conf-file={path}" for path in includes),
    ]
    return "\n".join(lines) + "\n"


@contextmanager
def dnsmasq(files: dict[str, bytes], workdir: Path) -> Iterator[tuple[str, int]]:
    """Run dnsmasq in the foreground on loopback with the generated `*.dnsmasq.conf` files;
    yields (address, port) once it answers, and always stops it."""
    binary = require_tool("dnsmasq", "dnsmasq-base")
    includes = []
    for rel, data in files.items():
        if rel.endswith(".dnsmasq.conf"):
            path = workdir / Path(rel).name
            path.write_bytes(data)
            includes.append(path)
    address, port = free_port()
    main = workdir / "main.conf"
    main.write_text(dnsmasq_conf(address, port, includes), encoding="utf-8")
    args = [binary, "--no-daemon", "--log-facility=-", f"--conf-file={main}"]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        _wait_until_answering(proc, address, port)
        yield address, port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def _wait_until_answering(proc: subprocess.Popen[bytes], address: str, port: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            _, err = proc.communicate()
            raise AssertionError(f"dnsmasq exited {proc.returncode}: {err.decode()}")
        try:
            query("localhost.invalid", address, port, timeout=0.2)
            return
        except (dns.exception.Timeout, ConnectionRefusedError, OSError):
            time.sleep(0.05)
    raise AssertionError("dnsmasq did not answer within 10 s")


def query(
    name: str, address: str, port: int, rdtype: str = "A", *, tcp: bool = False, timeout: float = 2
) -> dns.message.Message:
    assert address.startswith("127."), "queries stay on loopback"
    message = dns.message.make_query(name, rdtype)
    send = dns.query.tcp if tcp else dns.query.udp
    return send(message, address, port=port, timeout=timeout)


def rcode(response: dns.message.Message) -> str:
    return dns.rcode.to_text(response.rcode())
