"""`tailgen build`, `tailgen check` and `tailgen schema`."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from compiler.cli.app import (
    app,
    fail,
    io_failure,
    pick_site,
    print_problems,
    site_option,
    site_sources,
)
from compiler.cli.help import BUILD
from compiler.errors import ExitCode, TailgenError

if TYPE_CHECKING:
    from compiler.build import Changes

SITE_ARG = typer.Argument(
    None,
    help="The site file (default: site.yaml; or --site), e.g. sites/home.yaml.",
    show_default=False,
)
OUT_OPT = typer.Option(Path("out"), "--out", "-o", help="Output directory, e.g. --out build/.")


class Target(StrEnum):
    """The control server a site is built (or a backup restored) for."""

    TAILSCALE = "tailscale"
    HEADSCALE = "headscale"


TARGET_OPT = typer.Option(
    None,
    "--target",
    help="Override the site's `target:`. headscale adds OUT/headscale/policy.hujson and "
    "OUT/headscale/dns.yaml and warns about what headscale cannot express; tailscale leaves "
    "them out. Every other file is the same either way, e.g. --target headscale.",
    show_default=False,
)


@app.command(rich_help_panel=BUILD)
def build(
    site_arg: Path | None = SITE_ARG,
    out: Path = OUT_OPT,
    site_opt: Path | None = site_option(),
    target: Target | None = TARGET_OPT,
) -> None:
    """Compile SITE into OUT: policy, DNS, zone files, launch configs.

    OUT gets policy.hujson, dns.json, dns/*.zone, launch/ and manifest.json; with
    `target: headscale` (or --target headscale) also headscale/policy.hujson and
    headscale/dns.yaml. `tailgen check` compares OUT with what SITE builds for its own target
    (give it the same --target).

    A failing build leaves the previous OUT untouched.

    Examples:

      tailgen build

      tailgen build sites/home.yaml --out build/

      tailgen build --target headscale --out build/
    """
    from compiler import build as pipeline
    from compiler.cli.commands_diff import build_plan
    from compiler.output import read_tree

    site = pick_site(site_arg, site_opt)
    try:
        result, _ = pipeline.build(site, target)
        previous = read_tree(out)  # read once: for the file list and for the plan
        changes = pipeline.write(result, out, previous)
    except TailgenError as exc:
        fail(exc, site_sources(site), note=f"{out}/ was left as it was")
    except OSError as exc:
        fail(io_failure(out, exc))
    print_problems(result.warnings, site_sources(site))
    for line in result.summary:
        typer.echo(line)
    if not changes:
        typer.echo(f"{out}/ is up to date")
        return
    typer.echo(build_plan(result, previous, out), nl=False)
    _echo_files(changes, out, ("added", "changed", "removed"))
    typer.echo(f"wrote {out}/ ({changes.count} file{'s' if changes.count != 1 else ''} changed)")


def _echo_files(
    changes: Changes, out: Path, labels: tuple[str, str, str], err: bool = False
) -> None:
    """One line per file: `labels` name the added, changed and removed ones in that order."""
    groups = (changes.added, changes.changed, changes.removed)
    for label, paths in zip(labels, groups, strict=True):
        for path in paths:
            typer.echo(f"  {label:8} {out}/{path}", err=err)


@app.command(rich_help_panel=BUILD)
def check(
    site_arg: Path | None = SITE_ARG,
    out: Path = OUT_OPT,
    site_opt: Path | None = site_option(),
    target: Target | None = TARGET_OPT,
) -> None:
    """Exit 2 when OUT is not exactly what SITE builds (a CI gate); else 0.

    Example: tailgen check && git diff --exit-code
    """
    from compiler import build as pipeline

    site = pick_site(site_arg, site_opt)
    try:
        result, _ = pipeline.build(site, target)
        changes = pipeline.stale(result, out)
    except TailgenError as exc:
        fail(exc, site_sources(site))
    except OSError as exc:
        fail(io_failure(out, exc, "read"))
    if not changes:
        typer.echo(f"{out}/ is exactly what {site} builds")
        return
    _echo_files(changes, out, ("missing", "differs", "extra"), err=True)
    again = f"{site} --target {target.value}" if target is not None else str(site)
    typer.echo(f"{out}/ is stale: run `tailgen build {again}`", err=True)
    raise typer.Exit(ExitCode.ATTENTION)


@app.command(rich_help_panel=BUILD)
def schema(
    output: Path | None = typer.Option(
        None,
        "--out",
        "--output",
        "-o",
        help="Write the schema to this file instead of stdout, e.g. -o site.schema.json.",
    ),
) -> None:
    """Print the JSON Schema of site.yaml, for editors.

    yaml-language-server (VS Code and others) reads it from the site's first line.

    Example: tailgen schema -o site.schema.json
    """
    import json

    from compiler.output import write_file
    from compiler.site.schema import site_schema

    text = json.dumps(site_schema(), indent=2) + "\n"
    if output is None:
        typer.echo(text, nl=False)
        return
    try:
        write_file(output, text.encode("utf-8"))
    except OSError as exc:
        fail(io_failure(output, exc))
    typer.echo(f"wrote {output}")
