"""`tailgen audit`: parsers for every listener format (captured samples from the reference),
format detection, classification, findings, and the command's exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from compiler import audit
from compiler.cli import app
from compiler.emit.launch.hosts import HostClass
from compiler.site import loader
from compiler.site.model import Site

DATA = Path(__file__).parent / "data" / "listeners"

# file → (format, [(address, port, family, scope, process, pid)], malformed line numbers)
EXPECTED: dict[str, tuple[str, list[tuple[str, int, str, str, str, int | None]], list[int]]] = {
    "ss-ltnup.txt": (
        "ss",
        [
            ("0.0.0.0", 2024, "4", "", "", None),
            ("127.0.0.2", 18082, "4", "", "python3", 7614),
            ("::1", 18083, "6", "", "python3", 7614),
            ("0.0.0.0", 18088, "4", "lo", "python3", 7682),
            ("*", 18085, "46", "", "python3", 7682),
            ("::", 18086, "6", "", "python3", 7682),
            ("::ffff:127.0.0.1", 18089, "6", "", "python3", 7682),
            ("100.101.102.103", 18090, "4", "", "", None),
        ],
        [],
    ),
    "ss-tlnpH.txt": (
        "ss",
        [
            ("100.101.7.21", 11434, "4", "", "ollama", 812),
            ("0.0.0.0", 22, "4", "", "sshd", 401),
            ("::", 22, "6", "", "sshd", 401),
            ("0.0.0.0", 8080, "4", "tailscale0", "my app, v2", 900),
            ("fe80::5054:ff:fe12:3456", 9100, "6", "eth0", "node_exporter", 77),
            ("192.168.153.21", 1234, "4", "", "", None),
            ("fd7a:115c:a1e0::1234:5678", 11435, "6", "", "", None),
        ],
        [8, 9],
    ),
    "proc-net-tcp.txt": (
        "proc",
        [
            ("127.0.0.1", 18081, "4", "", "", None),
            ("0.0.0.0", 2024, "4", "", "", None),
            ("100.101.102.103", 18090, "4", "", "", None),
            ("100.88.12.34", 11434, "4", "", "", None),
        ],
        [7],
    ),
    "proc-net-tcp6.txt": (
        "proc",
        [
            ("::1", 18083, "6", "", "", None),
            ("::", 18085, "6", "", "", None),
            ("::ffff:127.0.0.1", 18089, "6", "", "", None),
            ("fd7a:115c:a1e0::1234:5678", 11434, "6", "", "", None),
            ("fd7a:115c:a1e0:ab12:4843:cd96:625f:e80c", 11435, "6", "", "", None),
        ],
        [7],
    ),
    "lsof.txt": (
        "lsof",
        [
            ("127.0.0.1", 18081, "4", "", "python3", 7614),
            ("::1", 18083, "6", "", "python3", 7614),
            ("*", 18085, "6", "", "python3", 7682),
            ("*", 18087, "4", "", "python3", 7682),
            ("*", 18088, "4", "", "python3", 7682),
            ("127.0.0.1", 18089, "6", "", "python3", 7682),
            ("100.88.12.34", 1234, "4", "", "LM Stu", 907),
            ("fe80::1", 11434, "6", "lo0", "ollama", 812),
        ],
        [11],
    ),
    "lsof-F.txt": (
        "lsof-F",
        [
            ("127.0.0.1", 18081, "4", "", "python3", 7614),
            ("::1", 18083, "6", "", "python3", 7614),
            ("*", 18085, "46", "", "python3", 7682),
            ("127.0.0.1", 18089, "4", "", "python3", 7682),
            ("100.101.7.22", 11434, "4", "", "ollama", 812),
        ],
        [29, 31],
    ),
    "netstat-macos.txt": (
        "netstat-macos",
        [
            ("*", 11434, "46", "", "ollama", 812),
            ("100.88.12.34", 1234, "4", "", "LM Studio", 907),
            ("127.0.0.1", 631, "4", "", "cupsd", 300),
            ("fe80::1", 631, "6", "lo0", "cupsd", 300),
            ("fd7a:115c:a1e0::1234:5678", 11434, "6", "", "ollama", 812),
        ],
        [9],
    ),
    "windows.json": (
        "windows-json",
        [
            ("0.0.0.0", 11434, "4", "", "ollama", 812),
            ("::", 445, "6", "", "System", 4),
            ("100.101.7.21", 8080, "4", "", "open-webui", 900),
            ("fe80::1", 5357, "6", "12", "System", 4),
            ("::ffff:127.0.0.1", 9000, "6", "", "", 77),
        ],
        [37],  # the 6th record (no LocalAddress) opens on line 37 of the file
    ),
    "windows-single.json": ("windows-json", [("100.101.7.21", 11434, "4", "", "ollama", 812)], []),
    "windows.csv": (
        "windows-csv",
        [
            ("0.0.0.0", 135, "4", "", "svchost", 1234),
            ("::", 445, "6", "", "System", 4),
            ("100.101.7.21", 11434, "4", "", "ollama", 812),
        ],
        [6],  # the file's line: the #TYPE line counts,
    ),
    "windows-netstat.txt": (
        "windows-netstat",
        [
            ("0.0.0.0", 135, "4", "", "", 1234),
            ("::", 445, "6", "", "", 4),
            ("100.101.7.21", 11434, "4", "", "", 812),
        ],
        [10],
    ),
}


def read(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_parser_reads_every_listener_and_reports_bad_lines(name: str) -> None:
    fmt, listeners, malformed = EXPECTED[name]
    table = audit.parse(read(name))
    assert table.format == fmt
    got = [(x.address, x.port, x.family, x.scope, x.process, x.pid) for x in table.listeners]
    assert got == listeners
    assert [m.line for m in table.malformed] == malformed
    assert all(m.reason for m in table.malformed)


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        (
            '\ufeff[\n  {"LocalAddress": "::",\n   "LocalPort" 445}\n]\n',
            3,
            "Expecting ':' delimiter",
        ),
        ("[" * 100_000 + "]" * 100_000, 1, "it nests too deeply"),
    ],
)
def test_unreadable_windows_json_is_one_malformed_line(text: str, line: int, reason: str) -> None:
    """A syntax error is placed on its line (after a byte-order mark, which is no line); a
    file too deep to decode has no place, so it is line 1's."""
    table = audit.parse_windows_json(text)
    assert table.listeners == []
    assert [(m.line, m.reason) for m in table.malformed] == [(line, f"invalid JSON: {reason}")]


def test_windows_csv_rows_are_numbered_by_their_line() -> None:
    """Without a `#TYPE` line, and past a quoted field that spans two lines."""
    text = (
        '"LocalAddress","LocalPort","State","Process"\n'
        '"0.0.0.0","135","Listen","two\nlines"\n'
        '"127.0.0.1","abc","Listen","bad"\n'
    )
    table = audit.parse_windows_csv(text)
    assert [x.port for x in table.listeners] == [135]
    assert [m.line for m in table.malformed] == [4]


def test_proc_tables_concatenated_as_read_by_local() -> None:
    table = audit.parse(read("proc-net-tcp.txt") + read("proc-net-tcp6.txt"))
    assert len(table.listeners) == 9


@pytest.mark.parametrize(
    "text",
    ["", "hello world\n", "Proto Recv-Q\n"],
)
def test_unrecognised_text_is_an_error_not_a_crash(text: str) -> None:
    with pytest.raises(ValueError, match="unrecognised listener table"):
        audit.parse(text)


def test_garbage_lines_in_every_format_never_raise() -> None:
    junk = "\n".join(["\x00\x01", "LISTEN", "tcp4", "p", "n:", "TCP", "  0:", "[", "}", "::::"])
    for fmt, parser in audit.PARSERS.items():
        table = parser(junk)
        assert isinstance(table, audit.Table), fmt


@pytest.mark.parametrize(
    "address,scope,expected",
    [
        ("0.0.0.0", "", HostClass.WILDCARD),
        ("*", "", HostClass.WILDCARD),
        ("::", "", HostClass.WILDCARD),
        ("0.0.0.0", "tailscale0", HostClass.TAILNET),
        ("0.0.0.0", "lo", HostClass.LOOPBACK),
        ("::ffff:127.0.0.1", "", HostClass.LOOPBACK),
        ("100.101.7.21", "", HostClass.TAILNET),
        ("100.101.7.99", "", HostClass.OTHER),
        ("fe80::1", "eth0", HostClass.OTHER),
        ("192.168.153.21", "", HostClass.OTHER),
    ],
)
def test_listener_class(address: str, scope: str, expected: HostClass) -> None:
    listener = audit.Listener(address, 1, scope=scope)
    assert audit.listener_class(listener, {"100.101.7.21"}) is expected


def test_unpinned_device_trusts_tailscale_ranges_but_not_magicdns() -> None:
    assert audit.listener_class(audit.Listener("100.88.1.2", 1), set()) is HostClass.TAILNET
    assert audit.listener_class(audit.Listener("100.100.100.100", 1), set()) is HostClass.OTHER


def example_site(repo: Path) -> Site:
    return loader.load(repo / "site.yaml")[0]


def test_findings_for_the_example_windows_box(repo: Path) -> None:
    site = example_site(repo)
    report = audit.audit(site, "wintendo", audit.parse(read("windows.json")))
    codes = [(f.code, f.service, f.port) for f in report.findings]
    assert codes == [("wildcard", "ollama-wintendo", 11434)]
    # SMB on [::]:445 is Windows's own: expected (shown), not a finding
    assert [(e.listener.port, "windows default" in e.expected) for e in report.expected] == [
        (445, True)
    ]
    assert "site.yaml:66" in report.findings[0].message


def test_clean_and_not_listening(repo: Path) -> None:
    site = example_site(repo)
    clean = audit.audit(site, "wintendo", audit.parse(read("windows-single.json")))
    assert clean.findings == []
    other_node = audit.audit(site, "icon", audit.parse(read("windows-single.json")))
    assert [f.code for f in other_node.findings] == ["lan"]  # wintendo's address is not icon's
    silent = audit.audit(site, "icon", audit.parse("LISTEN 0 5 100.101.7.22:22 0.0.0.0:*\n"))
    assert [f.code for f in silent.findings] == ["not-listening"]


def test_lan_address_and_loopback_only(repo: Path) -> None:
    site = example_site(repo)
    lan = "LISTEN 0 5 192.168.153.21:11434 0.0.0.0:*\n"
    assert [f.code for f in audit.audit(site, "wintendo", audit.parse(lan)).findings] == ["lan"]
    loop = "LISTEN 0 5 127.0.0.1:11434 0.0.0.0:*\n"
    report = audit.audit(site, "wintendo", audit.parse(loop))
    assert [f.code for f in report.findings] == ["not-listening"]
    assert "only on loopback" in report.findings[0].message
    served = "LISTEN 0 5 127.0.0.1:11337 0.0.0.0:*\n"  # lmstudio is loopback+serve: fine
    assert audit.audit(site, "lmStudio", audit.parse(served)).findings == []


# ---------------------------------------------------------------------------------------------
# the command

runner = CliRunner()


def run(repo: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["audit", *args, "--site", str(repo / "site.yaml")])
    return result.exit_code, result.stdout, result.stderr


def test_cli_findings_exit_2_and_name_the_service(repo: Path) -> None:
    code, out, _ = run(repo, "wintendo", "--from", str(DATA / "windows.json"))
    assert code == 2
    assert "ollama-wintendo" in out and "0.0.0.0:11434" in out
    assert "cannot read" in out  # the malformed record is reported, not fatal


def test_cli_clean_exits_0(repo: Path) -> None:
    code, out, _ = run(repo, "wintendo", "--from", str(DATA / "windows-single.json"))
    assert code == 0, out
    assert "0 finding(s)" in out


def test_cli_json(repo: Path) -> None:
    code, out, _ = run(repo, "wintendo", "--from", str(DATA / "windows.csv"), "--format", "json")
    assert code == 0  # 135 and 445 on wildcards are Windows's own: expected, not findings
    body = json.loads(out)
    assert body["format"] == "windows-csv"
    assert body["findings"] == []
    assert sorted(e["listener"]["port"] for e in body["expected"]) == [135, 445]
    assert body["malformed"][0]["line"] == 6  # line 6 of windows.csv


@pytest.mark.parametrize(
    "args,message",
    [
        (["nope", "--from", "x"], "'nope' is not a device"),
        (["wintendo"], "exactly one of --from"),
        (["wintendo", "--from", "/nonexistent/listeners.txt"], "cannot read listener table"),
    ],
)
def test_cli_errors_exit_1(repo: Path, args: list[str], message: str) -> None:
    code, _, err = run(repo, *args)
    assert code == 1
    assert message in err


def test_cli_unknown_format_exits_1(repo: Path, tmp_path: Path) -> None:
    junk = tmp_path / "junk.txt"
    junk.write_text("nothing to see\n")
    code, _, err = run(repo, "wintendo", "--from", str(junk))
    assert code == 1
    assert "unrecognised listener table" in err


def test_cli_reads_stdin_and_takes_the_address_for_unpinned_devices(
    repo: Path, tmp_path: Path
) -> None:
    site = tmp_path / "site.yaml"
    site.write_text(
        "users: {me: {login: me@example.com, role: admin}}\n"
        "devices: {gpu: {os: linux, owner: me}}\n"
        "services: {llm: {device: gpu, kind: llamacpp, port: 8080, allow: [me]}}\n"
    )
    table = "LISTEN 0 5 100.64.3.3:8080 0.0.0.0:*\n"
    args = ["audit", "gpu", "--from", "-", "--site", str(site)]
    trusted = runner.invoke(app, args, input=table)
    assert trusted.exit_code == 0, trusted.output
    assert "no pinned tailscale_ip" in trusted.stdout
    exact = runner.invoke(app, [*args, "--tailscale-ip", "100.64.9.9"], input=table)
    assert exact.exit_code == 2
    assert "non-tailnet address: 100.64.3.3:8080" in exact.stdout


def test_cli_reads_utf16_as_windows_powershell_redirects_it(repo: Path, tmp_path: Path) -> None:
    """`ConvertTo-Json > file` in Windows PowerShell 5.1 writes UTF-16 with a BOM."""
    path = tmp_path / "listeners.json"
    path.write_bytes(read("windows-single.json").encode("utf-16"))
    code, out, _ = run(repo, "wintendo", "--from", str(path))
    assert code == 0, out
    assert "(windows-json): 1 listener(s)" in out


def test_windows_json_listeners_are_placed_on_the_line_their_record_opens() -> None:
    """ConvertTo-Json writes each record over several lines, opening with a lone `{`: the
    listeners (and the malformed record) are numbered by those lines, in file order."""
    text = read("windows.json")
    opening = [n for n, line in enumerate(text.splitlines(), 1) if line.strip() == "{"]
    table = audit.parse_windows_json(text)
    placed = sorted([x.line for x in table.listeners] + [m.line for m in table.malformed])
    assert placed == opening
