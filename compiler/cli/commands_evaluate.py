"""`tailgen validate`, `test`, `explain`, `matrix` and `lint`: offline policy evaluation.

Each command starts from the site (`--site/-s`, default site.yaml), loaded, checked and compiled
in memory by `compiler.workspace`; it evaluates that policy unless asked for a file
(`--policy FILE`, or `--out DIR` for DIR/policy.hujson), and says so when the file is not what
the site builds. The inventory is `--inventory FILE` (JSON in the recorded captures' `topology`
shape) or the one the site describes.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TextIO

import typer

from compiler.cli.app import app, format_option, print_problems, site_option
from compiler.cli.help import EVALUATE
from compiler.errors import ExitCode, InputError, PolicyError, Problem, Span

if TYPE_CHECKING:
    from compiler.build import CheckedPolicy
    from compiler.evaluate import Inventory
    from compiler.evaluate.matrix import Service
    from compiler.site.model import Site

POLICY_HELP = (
    "Evaluate this policy file instead of the one the site builds, e.g. -p live-policy.hujson."
)
OUT_HELP = (
    "Evaluate DIR/policy.hujson (a previous build) instead of the one the site builds, "
    "e.g. --out out."
)
POLICY_OPT = typer.Option(None, "--policy", "-p", help=POLICY_HELP, show_default=False)
OUT_OPT = typer.Option(None, "--out", "-o", help=OUT_HELP, show_default=False, metavar="DIR")
INVENTORY_OPT = typer.Option(
    None, "--inventory", "-i", help="Inventory JSON (topology shape), e.g. -i tailnet.json."
)


class Format(StrEnum):
    TEXT = "text"
    JSON = "json"


class MatrixFormat(StrEnum):
    TEXT = "text"
    CSV = "csv"
    JSON = "json"
    HTML = "html"


class Loaded(NamedTuple):
    """What an evaluating command works on (a NamedTuple: cheaper to define at start-up than a
    dataclass, and this module is imported by every `tailgen` run)."""

    name: str
    text: str
    inventory: Inventory | dict[str, Any]
    site: Site | None
    site_text: str
    own: CheckedPolicy | None  # the site's self-check: the policy and inventory are the site's


def _load(
    site: Path | None, policy: Path | None, out: Path | None, inventory: Path | None
) -> Loaded:
    """The site (loaded, checked and compiled: `compiler.workspace`), the policy to evaluate
    (the site's own unless a file is asked for; a stale file is said so) and the inventory."""
    from compiler.workspace import choose_policy, find_workspace

    ws = find_workspace(site, needed=policy is None and out is None)
    chosen = choose_policy(ws, policy, out)
    if chosen.note is not None:
        print_problems([chosen.note])
    data: Inventory | dict[str, Any] = {}
    if inventory is not None:
        data = _inventory_file(inventory)
    elif ws is not None:
        data = ws.checked.inventory
    own = None  # the site's own policy and tailnet: its self-check has the answers
    if ws is not None and inventory is None and chosen.text == ws.policy_text:
        own = ws.checked
    site_model, site_text = (ws.site, ws.text) if ws is not None else (None, "")
    return Loaded(chosen.name, chosen.text, data, site_model, site_text, own)


def _inventory_file(path: Path) -> dict[str, Any]:
    from compiler import jsontext

    try:
        data = jsontext.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
        raise InputError(f"{path}: cannot read the inventory: {reason}") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: an inventory is a JSON object (users and nodes)")
    inner = data.get("topology", data)
    return inner if isinstance(inner, dict) else {}


def _evaluator(loaded: Loaded) -> Any:
    """The policy's evaluator: the site's own, already built by its self-check, or one
    built on the policy file asked for."""
    from compiler.evaluate import evaluator

    if loaded.own is not None:
        return loaded.own.site_evaluator()
    try:
        return evaluator(loaded.text, loaded.inventory)
    except ValueError as exc:
        raise policy_error(loaded.name, exc) from None


def policy_error(name: str, exc: ValueError) -> PolicyError:
    """A policy that does not parse, at `file:line:col` when the reader says where."""
    line, column = getattr(exc, "line", 0), getattr(exc, "column", 0)
    reason = getattr(exc, "reason", str(exc))
    return PolicyError([Problem("policy-syntax", str(reason), Span(name, line, column))])


def _report(problems: list[Any], loaded: Loaded, fmt: Format, valid: bool, verdict: str) -> None:
    """Problems as JSON, or each with its policy line and then a one-line verdict."""
    import json

    if fmt is Format.JSON:
        body = {"valid": valid, "problems": [p.to_dict() for p in problems]}
        typer.echo(json.dumps(body, indent=2))
    else:
        sources = {loaded.name: loaded.text}
        if loaded.site is not None:  # lint warnings point at the site line a rule came from
            sources[loaded.site.source_name] = loaded.site_text
        print_problems(problems, sources)
        typer.echo(verdict)


@app.command(rich_help_panel=EVALUATE)
def validate(
    policy: Path | None = typer.Argument(
        None,
        help="Policy file (default: the one the site builds), e.g. live-policy.hujson.",
        show_default=False,
    ),
    inventory: Path | None = INVENTORY_OPT,
    site: Path | None = site_option(),
    out: Path | None = OUT_OPT,
    fmt: Format = format_option(Format.TEXT),
) -> None:
    """Check POLICY offline as the control plane does; exit 1 if invalid.

    The messages are the control plane's own.

    Examples:

      tailgen validate

      tailgen validate policy.hujson --inventory tailnet.json --format json
    """
    from compiler.evaluate import validate as check_policy
    from compiler.workspace import POLICY_FILE

    loaded = _load(site, policy, out, inventory)
    own = loaded.own
    if own is not None and loaded.name == POLICY_FILE:
        problems = own.problems  # the self-check's, which named the policy so
    elif own is not None:
        problems = check_policy(own.evaluator, own.evaluator.inventory, file=loaded.name)
    else:
        problems = check_policy(loaded.text, loaded.inventory, file=loaded.name)
    valid = not any(p.is_error for p in problems)
    _report(problems, loaded, fmt, valid, f"{loaded.name}: {'valid' if valid else 'invalid'}")
    raise typer.Exit(ExitCode.OK if valid else ExitCode.ERROR)


@app.command("test", rich_help_panel=EVALUATE)
def run_tests(
    policy: Path | None = POLICY_OPT,
    inventory: Path | None = INVENTORY_OPT,
    site: Path | None = site_option(),
    out: Path | None = OUT_OPT,
    fmt: Format = format_option(Format.TEXT),
) -> None:
    """Run the policy's tests and sshTests offline; exit 1 if any fails.

    Example: tailgen test --format json
    """
    from compiler.evaluate import parse_policy
    from compiler.evaluate import run_tests as run
    from compiler.evaluate.inventory import as_inventory
    from compiler.evaluate.render import failures_json

    loaded = _load(site, policy, out, inventory)
    if loaded.own is not None:  # the tests run on the self-check's indexes
        parsed, tested = loaded.own.evaluator.policy, loaded.own.evaluator
        failures = run(parsed, tested.inventory, tested)
    else:
        try:
            parsed = parse_policy(loaded.text)
        except ValueError as exc:
            raise policy_error(loaded.name, exc) from None
        failures = run(parsed, as_inventory(loaded.inventory))
    total = len(parsed.tests) + len(parsed.ssh_tests)
    if fmt is Format.JSON:
        typer.echo(failures_json(failures), nl=False)
    else:
        _print_failures(parsed, failures, total)
    raise typer.Exit(ExitCode.ERROR if failures else ExitCode.OK)


def _print_failures(parsed: Any, failures: list[Any], total: int) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=120, highlight=False, force_terminal=False, soft_wrap=False)
    if failures:
        table = Table(
            "line", "kind", "src", "failure", title="test(s) failed", title_justify="left"
        )
        for f in failures:
            line = parsed.where(f.path)[0]
            for error in f.errors:
                table.add_row(str(line), f.kind, f.user or "(none)", error)
        console.print(table)
    console.print(f"{total - len(failures)} passed, {len(failures)} failed")


@app.command(rich_help_panel=EVALUATE)
def explain(
    src: str = typer.Argument(
        ...,
        help="Source: a user (key or login), group, tag, location, device or address, "
        "e.g. emory@github.",
        metavar="SRC",
    ),
    dst: str = typer.Argument(
        ...,
        help="Destination[:PORT]: a device, service, service DNS name, location or address "
        "([v6]:PORT); without a port, every declared port of it; e.g. wintendo:11434.",
        metavar="DST",
    ),
    proto: str | None = typer.Option(
        None,
        "--proto",
        help="tcp, udp, icmp or a protocol number (default: tcp, or each declared port's own), "
        "e.g. --proto udp.",
        show_default=False,
    ),
    policy: Path | None = POLICY_OPT,
    inventory: Path | None = INVENTORY_OPT,
    site: Path | None = site_option(),
    out: Path | None = OUT_OPT,
    fmt: Format = format_option(Format.TEXT),
) -> None:
    """Whether SRC may reach DST[:PORT]: the rule and its site.yaml line.

    Without a port, every declared service port of DST is explained. Exit 0 if allowed, 2 if
    denied, 1 if the question cannot be answered (unknown name, bad port or protocol).

    Examples:

      tailgen explain emory@github wintendo:11434

      tailgen explain guest ollama.phl.kvet.ch

      tailgen explain tag:ai 192.168.240.10:22 --proto tcp
    """
    import json

    from compiler.evaluate import allowed, icmp_echo
    from compiler.evaluate.query import query_proto, resolve_name, split_destination
    from compiler.evaluate.render import data_plane_text, decision_text
    from compiler.site.names import site_names

    host, port = split_destination(dst)
    number = query_proto(proto) if proto is not None else None
    loaded = _load(site, policy, out, inventory)
    ev = _evaluator(loaded)
    names = site_names(loaded.site) if loaded.site is not None else {}
    src_ref = resolve_name(src, "source", names, ev)
    dst_ref = resolve_name(host, "destination", names, ev)
    queries = _queries(host, port, number, names)
    decisions = [allowed(ev, None, src_ref, dst_ref, p, pr) for p, pr in queries]
    site_lines = dict(enumerate(loaded.site_text.splitlines(), 1))
    echo = icmp_echo(ev, None, src_ref, dst_ref) if number in (1, 58) else None
    if fmt is Format.JSON:
        body = [d.to_dict() for d in decisions]
        if echo is not None:
            body = [{**d, "data_plane": echo.to_dict()} for d in body]
        typer.echo(json.dumps(body, indent=2))
    else:
        typer.echo("".join(decision_text(d, site_lines) for d in decisions), nl=False)
        if echo is not None:
            typer.echo(data_plane_text(echo, decisions[0].allowed), nl=False)
    raise typer.Exit(ExitCode.OK if all(decisions) else ExitCode.ATTENTION)


def _queries(
    host: str, port: int | None, proto: int | None, names: dict[str, Any]
) -> list[tuple[int, str | int]]:
    """(port, protocol) pairs to explain: the one asked, else every port declared on DST."""
    from compiler.errors import UsageError

    if proto in (1, 58):  # ICMP has no ports
        return [(0, proto)]
    if port is not None:
        return [(port, proto if proto is not None else "tcp")]
    named = names.get(host)
    declared = [(p, pr) for p, pr in (named.ports if named else ())]
    if proto is not None:
        declared = [(p, proto) for p, _ in declared]
    if not declared:
        raise UsageError(
            f"destination {host!r} has no declared service port: name one, e.g. {host}:22"
        )
    return list(dict.fromkeys(declared))


def _services(loaded: Loaded, ev: Any) -> list[Service]:
    from compiler.evaluate.matrix import default_services

    if loaded.site is not None:
        from compiler.evaluate.site_view import site_services

        return site_services(loaded.site)
    return default_services(ev)


@app.command(rich_help_panel=EVALUATE)
def matrix(
    policy: Path | None = POLICY_OPT,
    inventory: Path | None = INVENTORY_OPT,
    site: Path | None = site_option(),
    out: Path | None = OUT_OPT,
    fmt: MatrixFormat = format_option(MatrixFormat.TEXT),
    pretty: bool = typer.Option(
        False,
        "--pretty",
        help="Indent JSON (compact by default), e.g. tailgen matrix -f json --pretty.",
    ),
) -> None:
    """Every principal × every declared service port, allowed or not.

    Text, CSV and JSON are written row by row as they are computed (memory stays small
    whatever the size); HTML is built whole.

    Examples:

      tailgen matrix

      tailgen matrix --format html > matrix.html
    """
    from functools import partial

    from compiler.evaluate import render
    from compiler.evaluate.matrix import Grid, matrix_stream

    renderers: dict[MatrixFormat, Callable[[Grid, TextIO], None]] = {
        MatrixFormat.TEXT: render.write_matrix_text,
        MatrixFormat.CSV: render.write_matrix_csv,
        MatrixFormat.JSON: partial(render.write_matrix_json, pretty=pretty),
    }
    loaded = _load(site, policy, out, inventory)
    ev = _evaluator(loaded)
    principals = None
    if loaded.site is not None:
        from compiler.evaluate.site_view import site_principals

        principals = site_principals(loaded.site)
    grid = matrix_stream(ev, principals=principals, services=_services(loaded, ev))
    if fmt is MatrixFormat.HTML:  # the access report's page (compiler.report), not a second layout
        from compiler.cli.commands_report import matrix_page

        sys.stdout.write(matrix_page(grid, loaded.site, loaded.site_text, loaded.text, loaded.name))
        return
    renderers[fmt](grid, sys.stdout)


@app.command(rich_help_panel=EVALUATE)
def lint(
    policy: Path | None = POLICY_OPT,
    inventory: Path | None = INVENTORY_OPT,
    site: Path | None = site_option(),
    out: Path | None = OUT_OPT,
    fmt: Format = format_option(Format.TEXT),
) -> None:
    """Warn: unused names, wide grants, tag escalation, lost break-glass.

    Exit 0 when clean, 2 when there are warnings.

    Examples:

      tailgen lint

      tailgen lint --policy live-policy.hujson --format json
    """
    from compiler.evaluate import lint as run_lint

    loaded = _load(site, policy, out, inventory)
    ev = _evaluator(loaded)
    services, must_keep = _site_expectations(loaded)
    warnings = run_lint(ev, file=loaded.name, services=services, must_keep=must_keep)
    count = f"{len(warnings)} warning{'s' if len(warnings) != 1 else ''}"
    _report(warnings, loaded, fmt, True, f"{loaded.name}: {count}")
    raise typer.Exit(ExitCode.ATTENTION if warnings else ExitCode.OK)


def _site_expectations(loaded: Loaded) -> tuple[list[Service], list[tuple[str, str, int]]]:
    if loaded.site is None:
        return [], []
    from compiler.evaluate.site_view import site_must_keep, site_services

    return site_services(loaded.site), site_must_keep(loaded.site)
