"""`tailgen dns NAME`: which resolver answers NAME, through which router, and with what."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer

from compiler.cli.app import DEFAULT_SITE, app, fail, format_option, site_option, site_sources
from compiler.cli.help import EVALUATE
from compiler.errors import Problem, TailgenError


class Format(StrEnum):
    TEXT = "text"
    JSON = "json"


@app.command("dns", rich_help_panel=EVALUATE)
def dns_command(
    name: str = typer.Argument(..., help="A DNS name, e.g. ollama.iow.kvet.ch, or a bare ollama."),
    site_opt: Path | None = site_option(),
    output: Format = format_option(Format.TEXT),
) -> None:
    """Which resolver answers NAME, through which router, and with what.

    Examples:

      tailgen dns ollama.iow.kvet.ch

      tailgen dns lmstudio --format json
    """
    import json

    from compiler.emit.dns.lookup import as_json, as_text, lookup
    from compiler.errors import errors_only
    from compiler.site import check, loader

    site = site_opt or DEFAULT_SITE
    try:
        site_model, _ = loader.load(site)
        errors = errors_only(check.check(site_model))
        if errors:
            raise TailgenError(errors)
        resolution = lookup(site_model, name)
    except TailgenError as exc:
        fail(exc, site_sources(site))
    except ValueError as exc:
        fail(TailgenError([Problem("bad-dns-name", f"{name!r} is not a DNS name: {exc}")]))
    if output is Format.JSON:
        typer.echo(json.dumps(as_json(site_model, resolution), indent=2))
    else:
        typer.echo("\n".join(as_text(site_model, resolution)))
