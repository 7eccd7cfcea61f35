"""`tailgen diff`: who gains and who loses access, then DNS, launch and text changes."""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from compiler.cli.app import (
    app,
    fail,
    format_option,
    pick_site,
    problem_sources,
    site_option,
    site_sources,
    stdout_is_terminal,
)
from compiler.cli.help import REVIEW
from compiler.errors import ExitCode, TailgenError

if TYPE_CHECKING:
    from compiler.build import BuildResult


class Format(StrEnum):
    """The names `compiler.review.planfmt.Format` takes (repeated here so that importing the
    CLI does not import the review stack: `tailgen --version` stays fast)."""

    TEXT = "text"
    MARKDOWN = "markdown"
    JSON = "json"


@app.command("diff", rich_help_panel=REVIEW)
def diff_command(
    site_arg: Path | None = typer.Argument(
        None,
        help="The desired side: a site file (default: site.yaml; or --site), a directory or a "
        "policy file, e.g. sites/home.yaml.",
        show_default=False,
    ),
    against: Path = typer.Option(
        Path("out"),
        "--against",
        "-a",
        help="The current side: an out/ directory, a site file, one artifact file "
        "(a policy, dns.json or a zone file: only that artifact is compared), or `live` "
        "(the tailnet through the API; also reports device drift), e.g. --against live.",
    ),
    output: Format = format_option(Format.TEXT),
    site_opt: Path | None = site_option(),
) -> None:
    """Who gains and loses access, and what else changes, if SITE is built.

    Access gained and lost (evaluated, not text-compared), policy changes by section, DNS
    and launch-config changes, the text diff, and a safety verdict.

    Exit codes: 0 no changes, 2 changes, 1 error.

    Examples:

      tailgen diff                                  # site.yaml against out/

      tailgen diff --format markdown > plan.md      # a pull-request comment

      mkdir -p /tmp/base && git show main:site.yaml > /tmp/base/site.yaml

      tailgen diff --against /tmp/base/site.yaml
    """
    from compiler.cli.commands_live import LIVE, live_side, with_drift
    from compiler.review import diff
    from compiler.review.planfmt import render
    from compiler.review.read import read_snapshot

    site = pick_site(site_arg, site_opt)
    try:
        desired = read_snapshot(site)
        desired, current, drift = (
            live_side(desired) if str(against) == LIVE else (desired, read_snapshot(against), [])
        )
        plan = diff(desired, current)
    except TailgenError as exc:
        sources = {**site_sources(site, against), **problem_sources(exc.problems)}
        fail(exc, sources, exc.exit_code)
    color = output is Format.TEXT and stdout_is_terminal() and "NO_COLOR" not in os.environ
    typer.echo(with_drift(render(plan, output.value, color=color), output.value, drift), nl=False)
    if plan.changed or drift:
        raise typer.Exit(ExitCode.ATTENTION)


def build_plan(result: BuildResult, previous: dict[str, bytes], out: Path) -> str:
    """What `tailgen build` changed in out/, as the text plan without the file list (build
    prints that itself). Empty for a first build (nothing to compare against) and when out/
    held something unreadable: the build itself succeeded, so this never fails it."""
    from compiler.review import diff
    from compiler.review.planfmt import text
    from compiler.review.snapshot import snapshot

    if not previous:
        return ""
    policy = result.policy_document
    try:
        desired = snapshot(result.files, result.site.source_name, result.site, policy=policy)
        plan = diff(desired, snapshot(previous, f"{out}/"))
    except TailgenError as exc:
        return f"(no plan: {exc})\n"
    color = stdout_is_terminal() and "NO_COLOR" not in os.environ
    return text.render(plan, color=color, files=False) + "\n" if plan.changed else ""
