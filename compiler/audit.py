"""Listener tables → findings for one device (pure: parsing and classification only).

`tailgen audit` reads what a host really listens on, in whichever format the host can give
(Linux `ss -tlnpH` or /proc/net/tcp{,6}, `lsof`, macOS `netstat -anv`, Windows
`Get-NetTCPConnection` as JSON or CSV, or `netstat -ano`), detects the format, and reports every
declared service of the device that listens on a wildcard or LAN address or not at all, and
every undeclared listener on a wildcard. A line it cannot read is reported, never fatal.
Reading the host (`--local`) is the CLI's job; everything here takes text.
"""

from __future__ import annotations

import csv
import io
import ipaddress
import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from compiler import jsontext
from compiler.emit.launch.hosts import HostClass, classify
from compiler.evaluate.positions import find_positions
from compiler.numerals import is_decimal
from compiler.site.access import LOOPBACK, access
from compiler.site.listeners import Expected, expected_listeners
from compiler.site.model import TAILSCALE_V4, Expose, Protocol, Site

TAILNET_V6 = ipaddress.ip_network("fd7a:115c:a1e0::/48")
TAILSCALE_SERVICE_IPS = {"100.100.100.100", "fd7a:115c:a1e0::53"}
TAILNET_SCOPES = ("tailscale0", "utun", "Tailscale")
LOOPBACK_SCOPES = ("lo", "lo0")


@dataclass(frozen=True)
class Listener:
    """One listening TCP socket; `address` is an IP string or "*" (lsof/netstat wildcard)."""

    address: str
    port: int
    family: str = ""  # "4", "6", "46" (dual-stack), "" unknown
    scope: str = ""  # interface from ADDR%IF (SO_BINDTODEVICE, link-local zone)
    process: str = ""
    pid: int | None = None
    line: int = 0

    def __str__(self) -> str:
        addr = f"[{self.address}]" if ":" in self.address else self.address
        scope = f"%{self.scope}" if self.scope else ""
        names = [self.process] if self.process else []
        names += [f"pid {self.pid}"] if self.pid is not None else []
        who = f" ({' '.join(names)})" if names else ""
        return f"{addr}{scope}:{self.port}{who}"


@dataclass(frozen=True)
class Malformed:
    line: int
    text: str
    reason: str


@dataclass
class Table:
    format: str
    listeners: list[Listener] = field(default_factory=list)
    malformed: list[Malformed] = field(default_factory=list)


class ParseError(ValueError):
    """A line (or record) that does not fit the detected format."""


# ---------------------------------------------------------------------------------------------
# addresses


def split_scope(address: str) -> tuple[str, str]:
    """`[fe80::1%eth0]`, `[fe80::1]%eth0`, `0.0.0.0%lo` → (address, scope); brackets removed."""
    address = address.replace("]%", "%")
    address = address.strip("[]")
    host, _, scope = address.partition("%")
    return host, scope


def host_port(text: str, sep: str = ":") -> tuple[str, str, int]:
    """`ADDR:PORT` (or `ADDR.PORT` for BSD netstat) → (address, scope, port); split on the last
    separator, as IPv6 addresses contain colons."""
    addr, found, port = text.rpartition(sep)
    if not found or not is_decimal(port) or not addr:
        raise ParseError(f"not an address:port: {text!r}")
    host, scope = split_scope(addr)
    if host != "*":
        _check_ip(host)
    return host, scope, int(port)


def _check_ip(host: str) -> None:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise ParseError(f"not an IP address: {host!r}") from None


def family_of(host: str) -> str:
    return "46" if host == "*" else ("6" if ":" in host else "4")


# ---------------------------------------------------------------------------------------------
# parsers: each turns a whole text into a Table; line parsers raise ParseError on bad lines


def _lines(text: str) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            yield number, line


def _by_line(
    fmt: str,
    text: str,
    parse_line: Callable[[str, int], Listener | None],
    skip: Callable[[str], bool],
) -> Table:
    table = Table(fmt)
    for number, line in _lines(text):
        if skip(line):
            continue
        try:
            listener = parse_line(line, number)
        except (ParseError, ValueError, IndexError) as exc:
            table.malformed.append(Malformed(number, line, str(exc)))
            continue
        if listener is not None:
            table.listeners.append(listener)
    return table


SS_PROCESS = re.compile(r'\("([^"]*)",pid=(\d+),fd=(\d+)\)')
SS_NETIDS = {
    "tcp",
    "udp",
    "raw",
    "sctp",
    "mptcp",
    "u_str",
    "u_dgr",
    "u_seq",
    "nl",
    "p_raw",
    "p_dgr",
}


def parse_ss_line(line: str, number: int) -> Listener | None:
    fields = line.split()
    if fields[0] in SS_NETIDS:
        if fields[0] != "tcp":
            return None
        fields = fields[1:]
    if len(fields) < 5 or not is_decimal(fields[1]) or not is_decimal(fields[2]):
        raise ParseError("expected State Recv-Q Send-Q Local Peer [Process]")
    if fields[0] != "LISTEN":
        return None
    host, scope, port = host_port(fields[3])
    proc = SS_PROCESS.search(line)
    family = "6" if fields[3].startswith("[") else family_of(host)
    name, pid = (proc.group(1), int(proc.group(2))) if proc else ("", None)
    return Listener(host, port, family, scope, name, pid, number)


def parse_ss(text: str) -> Table:
    return _by_line("ss", text, parse_ss_line, lambda line: line.split()[0] in ("State", "Netid"))


PROC_LINE = re.compile(r"^\s*\d+:\s+([0-9A-Fa-f]+):([0-9A-Fa-f]{4})\s+\S+\s+([0-9A-Fa-f]{2})\s")


def proc_address(hexaddr: str, byteorder: str = "little") -> str:
    """/proc/net/tcp{,6} address: 32-bit words in host byte order (little-endian on x86/ARM)."""
    if len(hexaddr) not in (8, 32):
        raise ParseError(f"address is {len(hexaddr)} hex digits, not 8 or 32")
    raw = bytes.fromhex(hexaddr)
    if byteorder == "little":
        raw = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
    ip = ipaddress.ip_address(raw)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return f"::ffff:{ip.ipv4_mapped}"  # the form ss prints; Python 3.11 would say ::ffff:7f00:1
    return str(ip)


def parse_proc_line(line: str, number: int) -> Listener | None:
    match = PROC_LINE.match(line)
    if match is None:
        raise ParseError("expected 'sl: local_address rem_address st …'")
    hexaddr, hexport, state = match.groups()
    if state.upper() != "0A":  # TCP_LISTEN
        return None
    address = proc_address(hexaddr)
    return Listener(address, int(hexport, 16), "4" if len(hexaddr) == 8 else "6", line=number)


def parse_proc(text: str) -> Table:
    return _by_line("proc", text, parse_proc_line, lambda line: line.split()[0] == "sl")


def parse_lsof_line(line: str, number: int) -> Listener | None:
    fields = line.split()
    if fields[-1] != "(LISTEN)":
        return None  # UDP and connected sockets (from `lsof -i` without -sTCP:LISTEN)
    if len(fields) < 10 or not is_decimal(fields[1]) or fields[-3] != "TCP":
        raise ParseError("expected COMMAND PID USER FD TYPE DEVICE SIZE/OFF NODE NAME")
    host, scope, port = host_port(fields[-2])
    family = {"IPv4": "4", "IPv6": "6"}.get(fields[4], "")
    command = fields[0].replace("\\x20", " ")
    return Listener(host, port, family, scope, command, int(fields[1]), number)


def parse_lsof(text: str) -> Table:
    return _by_line("lsof", text, parse_lsof_line, lambda line: line.startswith("COMMAND"))


LSOF_OTHER_FIELDS = set("aCdDgGiklKLnNoRsStTuz0")


@dataclass
class _LsofFields:
    """State while reading `lsof -F pcnPT` output: one field per line, `p` starts a process,
    `f` (or a second `P`) starts a file; a file is a listener if it is TCP in state LISTEN."""

    table: Table = field(default_factory=lambda: Table("lsof-F"))
    command: str = ""
    pid: int | None = None
    file: dict[str, Any] | None = None

    def flush(self) -> None:
        current, self.file = self.file, None
        if not current or "n" not in current:
            return
        name, number = current["n"]
        if (
            current.get("P", "TCP") != "TCP"
            or current.get("TST", "LISTEN") != "LISTEN"
            or "->" in name
        ):
            return
        try:
            host, scope, port = host_port(name)
        except ParseError as exc:
            self.table.malformed.append(Malformed(number, "n" + name, str(exc)))
            return
        listener = Listener(host, port, family_of(host), scope, self.command, self.pid, number)
        self.table.listeners.append(listener)

    def read(self, tag: str, value: str, number: int) -> None:
        if tag == "p":
            self.flush()
            self.pid, self.command = (int(value) if is_decimal(value) else None), ""
        elif tag == "c":
            self.command = value
        elif tag == "f" or (tag == "P" and (self.file is None or {"P", "n"} & self.file.keys())):
            self.flush()
            self.file = {"P": value} if tag == "P" else {}
        elif tag in "PnT":
            self.file = self.file if self.file is not None else {}
            key, _, rest = value.partition("=")
            if tag == "n":
                self.file["n"] = (value, number)
            else:
                self.file[tag if tag == "P" else "T" + key] = value if tag == "P" else rest
        elif tag not in LSOF_OTHER_FIELDS:
            raise ParseError(f"unknown lsof field {tag!r}")


def parse_lsof_fields(text: str) -> Table:
    reader = _LsofFields()
    for number, line in _lines(text):
        try:
            reader.read(line[0], line[1:].strip(), number)
        except ParseError as exc:
            reader.table.malformed.append(Malformed(number, line, str(exc)))
    reader.flush()
    return reader.table


NETSTAT_PROCESS = re.compile(r"^\s*\d+\s+\d+\s+(.+?):(\d+)(?:\s|$)")


def parse_netstat_line(line: str, number: int) -> Listener | None:
    fields = line.split()
    proto = fields[0]
    if not proto.startswith("tcp"):
        return None
    if len(fields) < 6 or not is_decimal(fields[1]):
        raise ParseError("expected Proto Recv-Q Send-Q Local Foreign (state) …")
    if fields[5] != "LISTEN":
        return None
    host, scope, port = host_port(fields[3], sep=".")
    family = {"tcp4": "4", "tcp6": "6", "tcp46": "46"}.get(proto, "")
    rest = line.split("LISTEN", 1)[1]
    proc = NETSTAT_PROCESS.match(rest)
    name, pid = (proc.group(1).strip(), int(proc.group(2))) if proc else ("", None)
    return Listener(host, port, family, scope, name, pid, number)


def parse_netstat_macos(text: str) -> Table:
    skip = ("Active", "Proto", "Current")
    return _by_line(
        "netstat-macos",
        text,
        parse_netstat_line,
        lambda line: line.split()[0] in skip or line.startswith(skip),
    )


def parse_windows_netstat_line(line: str, number: int) -> Listener | None:
    fields = line.split()
    if fields[0] != "TCP":
        return None
    if len(fields) != 5 or not is_decimal(fields[4]):
        raise ParseError("expected TCP Local Foreign State PID")
    if not fields[2].endswith(":0"):  # key on layout: the state word is localised
        return None
    host, scope, port = host_port(fields[1])
    return Listener(host, port, family_of(host), scope, "", int(fields[4]), number)


def parse_windows_netstat(text: str) -> Table:
    return _by_line(
        "windows-netstat", text, parse_windows_netstat_line, lambda line: line.split()[0] != "TCP"
    )


WINDOWS_LISTEN = {"listen", "2"}


def windows_record(record: Any, number: int) -> Listener | None:
    """One Get-NetTCPConnection object (JSON or CSV row)."""
    if not isinstance(record, dict) or "LocalAddress" not in record or "LocalPort" not in record:
        raise ParseError("expected an object with LocalAddress and LocalPort")
    state = str(record.get("State", "Listen")).strip().lower()
    if state not in WINDOWS_LISTEN:
        return None
    host, scope = split_scope(str(record["LocalAddress"]).strip())
    _check_ip(host)
    port = int(str(record["LocalPort"]).strip())
    owner = str(record.get("OwningProcess") or "").strip()
    pid = int(owner) if is_decimal(owner) else None
    name = str(record.get("Process") or record.get("ProcessName") or "")
    return Listener(host, port, family_of(host), scope, name, pid, number)


def _records(fmt: str, records: Iterable[tuple[int, Any]]) -> Table:
    table = Table(fmt)
    for number, record in records:
        try:
            listener = windows_record(record, number)
        except (ParseError, ValueError) as exc:
            table.malformed.append(
                Malformed(number, json.dumps(record, default=str)[:200], str(exc))
            )
            continue
        if listener is not None:
            table.listeners.append(listener)
    return table


def parse_windows_json(text: str) -> Table:
    """ConvertTo-Json output: an array, or one object when there was a single listener."""
    text = text.lstrip("\ufeff")
    try:
        data = jsontext.loads(text)
    except ValueError as exc:
        why = jsontext.failure(exc)  # a too-deep file has no place: it is line 1's fault
        malformed = Malformed(why.line or 1, "", f"invalid JSON: {why.reason}")
        return Table("windows-json", malformed=[malformed])
    if not isinstance(data, list):
        return _records("windows-json", [(1, data)])
    # Each record by the line it starts on (ConvertTo-Json spreads one over many lines).
    where = find_positions(text, depth=1)
    return _records("windows-json", ((where.of((i,))[0] or 1, r) for i, r in enumerate(data)))


def parse_windows_csv(text: str) -> Table:
    """ConvertTo-Csv / Export-Csv output (Windows PowerShell adds a `#TYPE` line first).
    A row is numbered by the file's line it ends on, from the reader's own count mapped back
    past the `#TYPE` lines it never saw (counting rows put every row a line early)."""
    lines = list(enumerate(text.lstrip("\ufeff").splitlines(), 1))
    kept = [(number, line) for number, line in lines if not line.startswith("#TYPE")]
    rows = csv.DictReader(io.StringIO("\n".join(line for _, line in kept)))
    return _records("windows-csv", ((kept[rows.line_num - 1][0], row) for row in rows))


PARSERS: dict[str, Callable[[str], Table]] = {
    "ss": parse_ss,
    "proc": parse_proc,
    "lsof": parse_lsof,
    "lsof-F": parse_lsof_fields,
    "netstat-macos": parse_netstat_macos,
    "windows-json": parse_windows_json,
    "windows-csv": parse_windows_csv,
    "windows-netstat": parse_windows_netstat,
}


# ---------------------------------------------------------------------------------------------
# format detection

# Checked in order against the first lines; the first pattern any line matches names the format.
DETECTORS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("lsof-F", re.compile(r"^p\d+\s*$")),
    ("windows-csv", re.compile(r'^#TYPE|LocalAddress"?,')),
    ("proc", re.compile(r"^\s*(sl\s+local_address|\d+:\s+[0-9A-Fa-f]{8,32}:[0-9A-Fa-f]{4}\s)")),
    ("lsof", re.compile(r"^COMMAND\s+PID\s|\(LISTEN\)\s*$")),
    ("netstat-macos", re.compile(r"^(tcp4|tcp6|tcp46)\s|\(state\)")),
    ("windows-netstat", re.compile(r"^\s*TCP\s+\S+:\d+\s")),
    ("ss", re.compile(r"^(State|Netid|LISTEN)\s|^tcp\s+LISTEN\s")),
)


def detect(text: str) -> str | None:
    """The format of a listener table, from its first lines; None when nothing fits."""
    body = text.lstrip("\ufeff").lstrip()
    if body[:1] in ("[", "{"):
        return "windows-json"
    sample = [line for _, line in _lines(body)][:20]
    for name, pattern in DETECTORS:
        if any(pattern.search(line) for line in sample):
            return name
    return None


def parse(text: str, fmt: str | None = None) -> Table:
    """Parse a listener table; raises ValueError when the format cannot be told."""
    fmt = fmt or detect(text)
    if fmt is None:
        raise ValueError(
            "unrecognised listener table (expected ss, /proc/net/tcp, lsof, netstat or PowerShell output)"
        )
    table = PARSERS[fmt](text)
    table.malformed.sort(key=lambda m: m.line)
    return table


# ---------------------------------------------------------------------------------------------
# classification and findings


def listener_class(listener: Listener, tailnet: set[str]) -> HostClass:
    """Like the bind guard's classes, with interface scoping (`0.0.0.0%tailscale0`) honoured
    and, when no address is known for the device, Tailscale's ranges taken on trust."""
    if listener.scope.startswith(TAILNET_SCOPES):
        return HostClass.TAILNET
    if listener.scope in LOOPBACK_SCOPES:
        return HostClass.LOOPBACK
    cls = classify(listener.address, tailnet) or HostClass.OTHER
    if cls is HostClass.OTHER and not tailnet and _in_tailnet_range(listener.address):
        return HostClass.TAILNET
    return cls


def _in_tailnet_range(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if address in TAILSCALE_SERVICE_IPS:
        return False
    return ip in TAILSCALE_V4 if ip.version == 4 else ip in TAILNET_V6


@dataclass(frozen=True)
class Finding:
    code: str  # wildcard | lan | not-listening | undeclared-wildcard
    message: str
    service: str | None = None
    port: int | None = None
    line: int = 0  # the service's site.yaml line
    listeners: tuple[Listener, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        body = asdict(self)
        body["listeners"] = [asdict(listener) for listener in self.listeners]
        return body


@dataclass(frozen=True)
class ExpectedHit:
    """An undeclared wildcard listener the site expects (sshd, SMB): shown, not a finding."""

    listener: Listener
    expected: str  # what it matched and where that was declared

    def to_dict(self) -> dict[str, Any]:
        return {"listener": asdict(self.listener), "expected": self.expected}


@dataclass
class Report:
    device: str
    format: str
    listeners: int
    findings: list[Finding] = field(default_factory=list)
    malformed: list[Malformed] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    expected: list[ExpectedHit] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "device": self.device,
            "format": self.format,
            "listeners": self.listeners,
            "findings": [f.to_dict() for f in self.findings],
            "expected": [e.to_dict() for e in self.expected],
            "malformed": [asdict(m) for m in self.malformed],
            "notes": self.notes,
        }


def _listed(listeners: Iterable[Listener]) -> str:
    return ", ".join(str(listener) for listener in listeners)


EXPOSED = (
    (HostClass.WILDCARD, "wildcard", "a wildcard address"),
    (HostClass.OTHER, "lan", "a LAN or other non-tailnet address"),
)


def service_findings(site: Site, name: str, table: Table, tailnet: set[str]) -> list[Finding]:
    """A declared service, against the listeners the access model says it binds: exposed on
    a wildcard or an unexpected LAN address, or not listening at all (a service expected on
    its Tailscale address but found only on loopback is not reachable where the policy says;
    one published by serve is expected on loopback)."""
    expected = access(site).services[name].listeners
    line = site.span("services", name).line
    where = f"service {name!r} ({site.source_label}:{line})"
    ports = {x.port for x in expected}
    mine = {x: listener_class(x, tailnet) for x in table.listeners if x.port in ports}

    def finding(code: str, message: str, hits: list[Listener]) -> Finding:
        port = hits[0].port if hits else expected[0].port
        return Finding(code, f"{where}: {message}", name, port, line, tuple(hits))

    if not mine:
        listed = ", ".join(str(p) for p in sorted(ports))
        return [finding("not-listening", f"nothing listens on port {listed}", [])]
    if site.services[name].expose is Expose.LAN:
        return []  # the site opted in to a LAN bind (warned at build time)
    lan = {x.host for x in expected if x.host and classify(x.host, tailnet) is HostClass.OTHER}
    found = []
    for cls, code, what in EXPOSED:
        hits = [x for x, c in mine.items() if c is cls and x.address not in lan]
        if hits:
            found.append(finding(code, f"listens on {what}: {_listed(hits)}", hits))
    on_tailnet = any(x.host != LOOPBACK and x.host not in lan for x in expected)
    if on_tailnet and set(mine.values()) == {HostClass.LOOPBACK}:
        message = f"listens only on loopback ({_listed(mine)}), not on its Tailscale address"
        found.append(finding("not-listening", message, list(mine)))
    return found


def undeclared_findings(
    declared: set[int], table: Table, tailnet: set[str], expected: Sequence[Expected] = ()
) -> tuple[list[Finding], list[ExpectedHit]]:
    """Undeclared listeners on a wildcard address: findings, except those the site expects."""
    by_port: dict[int, list[Listener]] = {}
    hits = []
    for listener in table.listeners:
        if listener.port in declared or listener_class(listener, tailnet) is not HostClass.WILDCARD:
            continue
        match = next((e for e in expected if e.matches(listener.port, listener.process)), None)
        if match is not None:
            hits.append(ExpectedHit(listener, str(match)))
        else:
            by_port.setdefault(listener.port, []).append(listener)
    return _undeclared(by_port), hits


def _undeclared(by_port: dict[int, list[Listener]]) -> list[Finding]:
    return [
        Finding(
            "undeclared-wildcard",
            f"undeclared listener on a wildcard address: {_listed(hits)} (if it is meant to "
            "be there, declare it in audit.expected or the device's expected_listeners)",
            port=port,
            listeners=tuple(hits),
        )
        for port, hits in sorted(by_port.items())
    ]


def audit(site: Site, device: str, table: Table, tailscale_ips: Iterable[str] = ()) -> Report:
    """Findings for `device` from a parsed listener table."""
    dev = site.devices[device]
    tailnet = {str(ipaddress.ip_address(ip)) for ip in tailscale_ips}
    if dev.tailscale_ip is not None:
        tailnet.add(str(dev.tailscale_ip))
    report = Report(device, table.format, len(table.listeners), malformed=table.malformed)
    if not tailnet:
        report.notes.append(
            f"{device} has no pinned tailscale_ip: any 100.64.0.0/10 address counts as tailnet (pass --tailscale-ip to be exact)"
        )
    names = sorted(site.services_on(device))
    for name in names:
        if site.services[name].protocol is Protocol.UDP:
            report.notes.append(
                f"service {name!r} is udp: listener tables here are TCP only, not checked"
            )
            continue
        report.findings.extend(service_findings(site, name, table, tailnet))
    declared = {x.port for n in names for x in access(site).services[n].listeners}
    expected = expected_listeners(site, device)
    findings, report.expected = undeclared_findings(declared, table, tailnet, expected)
    report.findings.extend(findings)
    return report


def format_text(report: Report, source: str) -> str:
    """The text report: a headline, one line per finding, then unreadable lines and notes."""
    count = len(report.findings)
    head = f"audit of {report.device} from {source} ({report.format}): {report.listeners} listener(s), {count} finding(s)"
    lines = [head, *(f"  {f.message}" for f in report.findings)]
    lines += [f"  expected: {e.listener} — {e.expected}" for e in report.expected]
    lines += [
        f"  warning: line {m.line}: cannot read ({m.reason}): {m.text.strip()}"
        for m in report.malformed
    ]
    lines += [f"  note: {note}" for note in report.notes]
    return "\n".join(lines) + "\n"
