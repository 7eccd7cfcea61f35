"""`tailgen audit DEVICE`: what really listens on a host, against what site.yaml declares.

Exit codes: 0 clean, 2 findings, 1 error (bad arguments, unreadable input, site errors).
Reading this host's listeners (`--local`) lives here, in `read_local`, so `compiler.audit`
stays pure parsing and classification.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from compiler.cli.app import DEFAULT_SITE, app, fail, format_option, site_option, site_sources
from compiler.cli.help import AUDIT
from compiler.errors import ExitCode, TailgenError

if TYPE_CHECKING:
    from compiler.site.model import Site

PROC_TABLES = (Path("/proc/net/tcp"), Path("/proc/net/tcp6"))


class Format(StrEnum):
    TEXT = "text"
    JSON = "json"


def read_local() -> tuple[str, str]:
    """This host's TCP listeners as (text, what was read): `ss -tlnpH`, else /proc/net/tcp{,6}."""
    ss = shutil.which("ss")
    if ss is not None:
        done = subprocess.run(
            [ss, "-tlnpH"], capture_output=True, text=True, timeout=30, check=False
        )
        if done.returncode == 0:
            return done.stdout, "ss -tlnpH"
    texts = [p.read_text(encoding="ascii") for p in PROC_TABLES if p.exists()]
    if not texts:
        raise TailgenError("--local: neither `ss` nor /proc/net/tcp is available on this host")
    return "".join(texts), "/proc/net/tcp{,6}"


def read_input(source: Path | None, local: bool) -> tuple[str, str]:
    """The listener table text and a name for it."""
    if local == (source is not None):
        raise TailgenError("give exactly one of --from FILE (or - for stdin) and --local")
    if local:
        return read_local()
    assert source is not None
    if str(source) == "-":
        return sys.stdin.read(), "stdin"
    try:
        return decode(source.read_bytes()), str(source)
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise TailgenError(f"{source}: cannot read listener table: {reason}") from None


def decode(data: bytes) -> str:
    """UTF-8, or UTF-16 with a BOM: what `> file` writes in Windows PowerShell 5.1."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    return data.decode("utf-8-sig")


def check_addresses(addresses: list[str]) -> list[str]:
    import ipaddress

    for address in addresses:
        try:
            ipaddress.ip_address(address)
        except ValueError:
            raise TailgenError(f"--tailscale-ip {address!r} is not an IP address") from None
    return addresses


def _load_site(site: Path, device: str) -> Site:
    from compiler.errors import Problem, did_you_mean, errors_only
    from compiler.site import check, loader

    model, _ = loader.load(site)
    errors = errors_only(check.check(model))
    if errors:
        raise TailgenError(errors)
    if device not in model.devices:
        hint = did_you_mean(device, model.devices)
        raise TailgenError(
            [Problem("unknown-device", f"{device!r} is not a device in {site}", hint=hint)]
        )
    return model


@app.command("audit", rich_help_panel=AUDIT)
def audit_command(
    device: str = typer.Argument(..., help="The device whose listeners these are, e.g. wintendo."),
    source: Path | None = typer.Option(
        None, "--from", help="Listener table file, or - for stdin, e.g. --from ss.txt."
    ),
    local: bool = typer.Option(
        False,
        "--local",
        help="Read this host's listeners (ss, /proc), e.g. sudo tailgen audit gpu --local.",
    ),
    site_opt: Path | None = site_option(),
    output: Format = format_option(Format.TEXT),
    tailscale_ip: list[str] = typer.Option(
        [],
        "--tailscale-ip",
        help="The device's Tailscale address(es), when site.yaml does not pin it, "
        "e.g. --tailscale-ip 100.101.7.21.",
    ),
) -> None:
    """Flag services on wildcard or LAN addresses from a listener table.

    Reports declared services listening on a wildcard or LAN address (or not at all), and
    undeclared listeners on wildcard addresses, except those the site expects (sshd, the
    OS's own). Exit 2 when there are findings.

    Formats (detected): ss -tlnpH, /proc/net/tcp{,6}, lsof -nP -iTCP -sTCP:LISTEN (or -F),
    macOS netstat -anvl -p tcp, PowerShell Get-NetTCPConnection as JSON or CSV, netstat -ano.

    Examples:

      tailgen audit icon --from listeners.txt

      tailgen audit wintendo --from listeners.json --format json

      sudo tailgen audit gpu-box --local
    """
    import json

    from compiler import audit

    site = site_opt or DEFAULT_SITE
    try:
        model = _load_site(site, device)
        text, name = read_input(source, local)
        table = audit.parse(text)
        report = audit.audit(model, device, table, check_addresses(tailscale_ip))
    except TailgenError as exc:
        fail(exc, site_sources(site))
    except ValueError as exc:
        fail(TailgenError(f"{source or 'local listeners'}: {exc}"))
    if output is Format.JSON:
        typer.echo(json.dumps({"source": name, **report.to_dict()}, indent=2))
    else:
        typer.echo(audit.format_text(report, name), nl=False)
    raise typer.Exit(ExitCode.ATTENTION if report.findings else ExitCode.OK)
