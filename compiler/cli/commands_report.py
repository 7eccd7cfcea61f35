"""`tailgen report`: the access report as one self-contained HTML page.

The site is compiled in memory (out/ is not read or written); with `--against`, the review
(`compiler.review.diff`, what `tailgen diff` prints) marks who gains and who loses access in
the same matrix. The page is written atomically: a failed run leaves an older report as it was.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from compiler.cli.app import app, fail, pick_site, site_option, site_sources
from compiler.cli.help import EVALUATE
from compiler.errors import IOFailure, TailgenError

WRITE_BUFFER = 1 << 20  # rows are a few hundred KB each at 10,000 devices

if TYPE_CHECKING:
    from compiler.evaluate.matrix import Grid
    from compiler.report import Report
    from compiler.review.access import AccessDiff
    from compiler.site.model import Site


@app.command("report", rich_help_panel=EVALUATE)
def report_command(
    site_arg: Path | None = typer.Argument(
        None,
        help="The site file to report on (default: site.yaml; or --site), e.g. sites/home.yaml.",
        show_default=False,
    ),
    output: Path = typer.Option(
        Path("report.html"),
        "--output",
        "-o",
        help="Where to write the page, e.g. -o report.html; - writes it to stdout.",
    ),
    against: Path | None = typer.Option(
        None,
        "--against",
        "-a",
        help="Mark who gains and loses access against this current state, e.g. --against out "
        "or --against /tmp/base/site.yaml.",
    ),
    site_opt: Path | None = site_option(),
) -> None:
    """One HTML page: who reaches what and why, SSH, DNS and exit nodes.

    The page has no scripts and loads nothing: open it anywhere, attach it to a review, print
    it. Exit 0 when the page was written (gains and losses are not an error), 1 on an error.
    The page is written row by row as it is made: a file appears only once complete, while
    with `-o -` an error (exit 1) can leave what was already printed cut off.

    Examples:

      tailgen report                               # site.yaml -> report.html

      tailgen report --against out -o review.html  # vs. the last build

      tailgen report sites/home.yaml -o - > home.html
    """
    from compiler.report import page_parts

    site = pick_site(site_arg, site_opt)
    try:
        _write(output, page_parts(build_report(site, against)))
    except TailgenError as exc:
        fail(exc, site_sources(site, *([against] if against else [])))
    if str(output) != "-":
        typer.echo(f"wrote {output}", err=True)


def build_report(site: Path, against: Path | None) -> Report:
    """Compile `site` in memory and collect its report (and the review, given `against`)."""
    from compiler.build import build
    from compiler.report import site_report

    result, text = build(site)
    access = _review(result.site, result.files, against) if against is not None else None
    report = site_report(result.site, text, result.files["policy.hujson"].decode(), access)
    if against is not None:
        report.against = str(against)
    return report


def _review(site: Site, files: dict[str, bytes], against: Path) -> AccessDiff:
    from compiler.review import Snapshot, diff
    from compiler.review.read import read_snapshot

    desired = Snapshot(files, site.source_name, site=site)
    return diff(desired, read_snapshot(against)).access


def matrix_page(table: Grid, site: Site | None, site_text: str, policy: str, name: str) -> str:
    """`tailgen matrix --format html`: this report's page (the site's, when there is one; else
    the matrix's cells, gathered: the page counts them in its summary)."""
    from compiler.evaluate.matrix import Matrix
    from compiler.report import matrix_report, render, site_report

    if site is not None:
        return render(site_report(site, site_text, policy))
    whole = table if isinstance(table, Matrix) else Matrix.of(table)
    return render(matrix_report(whole, name))


def _write(output: Path, parts: Iterable[str]) -> None:
    """The page to stdout, or to `output` through a temporary file in the same directory,
    each piece written as it is made (the matrix a row at a time: the page is never held
    whole). The file appears only once complete: an error while writing or while a row is
    computed removes the temporary file and leaves any older report as it was."""
    import tempfile  # here, not at the top: registering the command (for --help) needs none

    if str(output) == "-":
        sys.stdout.writelines(parts)
        return
    directory = output.parent if str(output.parent) else Path(".")
    tmp = ""
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{output.name}.", dir=directory)
        with os.fdopen(fd, "w", encoding="utf-8", buffering=WRITE_BUFFER) as handle:
            handle.writelines(parts)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes it 0600; a report is for sharing
        os.replace(tmp, output)
        tmp = ""
    except OSError as exc:
        raise IOFailure(f"{output}: cannot write the report: {exc.strerror or exc}") from None
    finally:
        if tmp:
            Path(tmp).unlink(missing_ok=True)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
