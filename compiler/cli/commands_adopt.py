"""`tailgen import` and `tailgen init`: adopt an existing tailnet, or start a new site."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from compiler.cli.app import app, fail
from compiler.cli.help import BUILD
from compiler.errors import ExitCode, TailgenError, UsageError

if TYPE_CHECKING:
    from compiler.adopt import Adoption
    from compiler.adopt.live import LiveSource


def _live_source() -> LiveSource:
    """The live tailnet's client (compiler.remote, from the environment's credentials)."""
    from compiler.cli.commands_live import connect

    return connect()


def _adopt(
    policy: Path | None, dns: Path | None, devices: Path | None, live: bool, site_name: str
) -> Adoption:
    from compiler.adopt import import_policy
    from compiler.adopt.files import read_devices, read_dns, read_text

    if live == (policy is not None):
        raise UsageError("name a POLICY file or pass --live (one of them)")
    device_list = read_devices(devices) if devices else None
    settings = read_dns(dns) if dns else None
    if policy is None:
        from compiler.adopt.live import read_live

        inputs = read_live(_live_source())
        text, name = inputs.policy_text, "live policy"
        device_list = device_list or inputs.devices
        settings = settings or inputs.dns
    else:
        text, name = read_text(policy, "policy"), policy.as_posix()
    return import_policy(text, name, device_list, settings, site_name)


@app.command("import", rich_help_panel=BUILD)
def import_command(
    policy: Path | None = typer.Argument(None, help="A policy file (HuJSON), e.g. policy.hujson."),
    dns: Path | None = typer.Option(
        None, "--dns", help="DNS settings (JSON, the API's shape), e.g. --dns dns.json."
    ),
    devices: Path | None = typer.Option(
        None,
        "--devices",
        help="Device list: the API's devices JSON, or a topology, e.g. --devices devices.json.",
    ),
    live: bool = typer.Option(
        False,
        "--live",
        help="Read the policy from the live tailnet, e.g. --live (needs TAILSCALE_API_KEY).",
    ),
    output: Path = typer.Option(
        Path("site.yaml"),
        "--out",
        "-o",
        help="Site file to write ('-': print it), e.g. -o site.yaml.",
    ),
    force: bool = typer.Option(
        False, "--force", help="Replace an existing site file, e.g. --force."
    ),
) -> None:
    """Turn a policy into site.yaml, and prove it grants the same access.

    What the model cannot say stays verbatim under `policy:`. The proof evaluates the old and
    the new policy for every device × address × port either mentions (plus SSH and the
    policy's own tests); exit 0 when they agree, 2 when they differ.

    Examples:

      tailgen import policy.hujson

      tailgen import policy.hujson --devices devices.json --dns dns.json -o site.yaml
    """
    from compiler.adopt.files import write_new

    try:
        adoption = _adopt(
            policy, dns, devices, live, output.name if str(output) != "-" else "site.yaml"
        )
        if str(output) == "-":
            typer.echo(adoption.site_text, nl=False)
        else:
            write_new(output, adoption.site_text, overwrite=force)
    except TailgenError as exc:
        fail(exc, _sources(policy))
    for line in adoption.summary():
        typer.echo(line, err=str(output) == "-")
    if str(output) != "-":
        typer.echo(f"wrote {output}", err=False)
    if not adoption.proof.zero:
        raise typer.Exit(ExitCode.ATTENTION)


def _sources(policy: Path | None) -> dict[str, str]:
    if policy is None:
        return {}
    try:
        return {policy.as_posix(): policy.read_text(encoding="utf-8")}
    except (OSError, UnicodeDecodeError):
        return {}


@app.command("init", rich_help_panel=BUILD)
def init_command(
    directory: Path = typer.Argument(Path("."), help="Where to create site.yaml, e.g. home."),
    from_policy: Path | None = typer.Option(
        None, "--from", help="Import this policy file, e.g. --from policy.hujson."
    ),
    from_live: bool = typer.Option(
        False,
        "--from-live",
        help="Import the live tailnet, e.g. --from-live (needs TAILSCALE_API_KEY).",
    ),
    force: bool = typer.Option(
        False, "--force", help="Replace an existing site file, e.g. --force."
    ),
) -> None:
    """Create DIR/site.yaml: a commented starter, or an import of a policy.

    Also writes DIR/site.schema.json so editors complete and check the file.

    Examples:

      tailgen init

      tailgen init home --from policy.hujson
    """
    from compiler.adopt.files import schema_text, write_new
    from compiler.adopt.starter import STARTER_SITE

    site = directory / "site.yaml"
    try:
        if from_policy is not None or from_live:
            adoption = _adopt(from_policy, None, None, from_live, site.name)
            text = adoption.site_text
            for line in adoption.summary():
                typer.echo(line)
        else:
            text = STARTER_SITE
        write_new(site, text, overwrite=force)
        write_new(directory / "site.schema.json", schema_text(), overwrite=True)
    except TailgenError as exc:
        fail(exc, _sources(from_policy))
    typer.echo(f"wrote {site}; next: tailgen build {site} --out {directory / 'out'}")
