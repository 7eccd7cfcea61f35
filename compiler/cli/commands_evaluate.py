"""`tailgen validate`, `test`, `explain`, `matrix` and `lint`: offline policy evaluation.

Each command reads the policy (default out/policy.hujson) and an inventory — `--inventory FILE`
(JSON in the recorded captures' `topology` shape) or, by default, the one the site model
describes — then calls `compiler.evaluate` and formats the answer.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from compiler.cli.app import app, fail, print_problems
from compiler.cli.help import EVALUATE
from compiler.errors import TailgenError

if TYPE_CHECKING:
    from compiler.evaluate.matrix import Service
    from compiler.site.model import Site

POLICY_OPT = typer.Option(
    Path("out/policy.hujson"), "--policy", "-p", help="Policy file, e.g. -p live-policy.hujson."
)
INVENTORY_OPT = typer.Option(
    None, "--inventory", "-i", help="Inventory JSON (topology shape), e.g. -i tailnet.json."
)
SITE_OPT = typer.Option(
    Path("site.yaml"), "--site", help="Site file (inventory, services), e.g. --site home.yaml."
)
FORMAT_OPT = typer.Option("text", "--format", "-f", help="text or json, e.g. --format json.")


@dataclass
class Loaded:
    name: str
    text: str
    inventory: dict[str, Any]
    site: Site | None
    site_text: str


def _load(policy: Path, inventory: Path | None, site_path: Path) -> Loaded:
    try:
        text = policy.read_text(encoding="utf-8")
    except OSError as err:
        raise TailgenError(
            f"{policy}: cannot read the policy ({err.strerror}); run `tailgen build`"
        ) from err
    site, site_text = _site(site_path) if inventory is None else (None, "")
    if inventory is not None:
        data = _inventory_file(inventory)
    elif site is not None:
        from compiler.evaluate.site_view import inventory_from_site

        data = inventory_from_site(site)
    else:
        data = {}
    return Loaded(policy.name, text, data, site, site_text)


def _inventory_file(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise TailgenError(f"{path}: cannot read the inventory: {err}") from err
    return data.get("topology", data) if isinstance(data, dict) else {}


def _site(path: Path) -> tuple[Site | None, str]:
    if not path.is_file():
        return None, ""
    from compiler.site import loader

    try:
        site, text = loader.load(path)
    except TailgenError:
        return None, ""
    return site, text


def _report(problems: list[Any], loaded: Loaded, fmt: str, valid: bool, verdict: str) -> None:
    """Problems as JSON, or each with its policy line and then a one-line verdict."""
    if fmt == "json":
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
    policy: Path = typer.Argument(
        Path("out/policy.hujson"), help="Policy file, e.g. live-policy.hujson."
    ),
    inventory: Path | None = INVENTORY_OPT,
    site: Path = SITE_OPT,
    fmt: str = FORMAT_OPT,
) -> None:
    """Check POLICY offline as the control plane does; exit 1 if invalid.

    The messages are the control plane's own.

    Examples:

      tailgen validate

      tailgen validate policy.hujson --inventory tailnet.json --format json
    """
    from compiler.evaluate import validate as check_policy

    try:
        loaded = _load(policy, inventory, site)
    except TailgenError as exc:
        fail(exc)
    problems = check_policy(loaded.text, loaded.inventory, file=loaded.name)
    valid = not any(p.is_error for p in problems)
    _report(problems, loaded, fmt, valid, f"{policy}: {'valid' if valid else 'invalid'}")
    raise typer.Exit(0 if valid else 1)


@app.command("test", rich_help_panel=EVALUATE)
def run_tests(
    policy: Path = POLICY_OPT,
    inventory: Path | None = INVENTORY_OPT,
    site: Path = SITE_OPT,
    fmt: str = FORMAT_OPT,
) -> None:
    """Run the policy's tests and sshTests offline; exit 1 if any fails.

    Example: tailgen test --format json
    """
    from compiler.evaluate import parse_policy
    from compiler.evaluate import run_tests as run
    from compiler.evaluate.inventory import as_inventory
    from compiler.evaluate.render import failures_json

    try:
        loaded = _load(policy, inventory, site)
        parsed = parse_policy(loaded.text)
    except (TailgenError, ValueError) as exc:
        fail(exc if isinstance(exc, TailgenError) else TailgenError(f"{policy}: {exc}"))
    failures = run(parsed, as_inventory(loaded.inventory))
    total = len(parsed.tests) + len(parsed.ssh_tests)
    if fmt == "json":
        typer.echo(failures_json(failures), nl=False)
    else:
        _print_failures(parsed, failures, total)
    raise typer.Exit(1 if failures else 0)


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


def _split_dst(text: str) -> tuple[str, int | None]:
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port = rest.removeprefix(":")
        return host, int(port) if port.isdigit() else None
    host, sep, port = text.rpartition(":")
    if sep and port.isdigit() and host.count(":") != 1:
        return host, int(port)
    return text, None


@app.command(rich_help_panel=EVALUATE)
def explain(
    src: str = typer.Argument(
        ..., help="Source: device, user login, tag, group or address, e.g. emory@github."
    ),
    dst: str = typer.Argument(
        ..., help="Destination[:port]: device, host alias or address, e.g. wintendo:11434."
    ),
    proto: str = typer.Option(
        "tcp", "--proto", help="tcp, udp, icmp or a protocol number, e.g. --proto udp."
    ),
    policy: Path = POLICY_OPT,
    inventory: Path | None = INVENTORY_OPT,
    site: Path = SITE_OPT,
    fmt: str = FORMAT_OPT,
) -> None:
    """Whether SRC may reach DST[:PORT]: the rule and its site.yaml line.

    Without a port, every declared service port of DST is explained. Exit 1 if denied.

    Examples:

      tailgen explain emory@github wintendo:11434

      tailgen explain tag:ai 192.168.240.10:22 --proto tcp
    """
    from compiler.evaluate import allowed, evaluator
    from compiler.evaluate.render import decision_text

    try:
        loaded = _load(policy, inventory, site)
        ev = evaluator(loaded.text, loaded.inventory)
    except (TailgenError, ValueError) as exc:
        fail(exc if isinstance(exc, TailgenError) else TailgenError(f"{policy}: {exc}"))
    host, port = _split_dst(dst)
    ports = [port] if port is not None else _ports_of(loaded, ev, host, proto)
    decisions = [allowed(ev, None, src, host, p, proto) for p in ports]
    site_lines = dict(enumerate(loaded.site_text.splitlines(), 1))
    if fmt == "json":
        typer.echo(json.dumps([d.to_dict() for d in decisions], indent=2))
    else:
        typer.echo("".join(decision_text(d, site_lines) for d in decisions), nl=False)
    raise typer.Exit(0 if decisions and all(decisions) else 1)


def _ports_of(loaded: Loaded, ev: Any, host: str, proto: str) -> list[int]:
    if proto.lower() in ("icmp", "1", "ipv6-icmp", "58"):
        return [0]
    ports = sorted({s.port for s in _services(loaded, ev) if s.device == host})
    return ports or [22]


def _services(loaded: Loaded, ev: Any) -> list[Service]:
    from compiler.evaluate.matrix import default_services

    if loaded.site is not None:
        from compiler.evaluate.site_view import site_services

        return site_services(loaded.site)
    return default_services(ev)


@app.command(rich_help_panel=EVALUATE)
def matrix(
    policy: Path = POLICY_OPT,
    inventory: Path | None = INVENTORY_OPT,
    site: Path = SITE_OPT,
    fmt: str = typer.Option(
        "text", "--format", "-f", help="text, csv, json or html, e.g. --format csv."
    ),
) -> None:
    """Every principal × every declared service port, allowed or not.

    Examples:

      tailgen matrix

      tailgen matrix --format html > matrix.html
    """
    from compiler.evaluate import evaluator, render
    from compiler.evaluate import matrix as build_matrix

    renderers = {"text": render.matrix_text, "csv": render.matrix_csv, "json": render.matrix_json}
    if fmt not in (*renderers, "html"):
        fail(TailgenError(f"unknown format {fmt!r}: use text, csv, json or html"))
    try:
        loaded = _load(policy, inventory, site)
        ev = evaluator(loaded.text, loaded.inventory)
    except (TailgenError, ValueError) as exc:
        fail(exc if isinstance(exc, TailgenError) else TailgenError(f"{policy}: {exc}"))
    principals = None
    if loaded.site is not None:
        from compiler.evaluate.site_view import site_principals

        principals = site_principals(loaded.site)
    table = build_matrix(ev, principals=principals, services=_services(loaded, ev))
    if fmt == "html":  # the access report's page (compiler.report), not a second layout
        from compiler.cli.commands_report import matrix_page

        page = matrix_page(table, loaded.site, loaded.site_text, loaded.text, loaded.name)
        sys.stdout.write(page)
        return
    sys.stdout.write(renderers[fmt](table))


@app.command(rich_help_panel=EVALUATE)
def lint(
    policy: Path = POLICY_OPT,
    inventory: Path | None = INVENTORY_OPT,
    site: Path = SITE_OPT,
    fmt: str = FORMAT_OPT,
) -> None:
    """Warn: unused names, wide grants, tag escalation, lost break-glass.

    Exit 0 when clean, 2 when there are warnings.

    Examples:

      tailgen lint

      tailgen lint --policy live-policy.hujson --format json
    """
    from compiler.evaluate import evaluator
    from compiler.evaluate import lint as run_lint

    try:
        loaded = _load(policy, inventory, site)
        ev = evaluator(loaded.text, loaded.inventory)
    except (TailgenError, ValueError) as exc:
        fail(exc if isinstance(exc, TailgenError) else TailgenError(f"{policy}: {exc}"))
    services, must_keep = _site_expectations(loaded)
    warnings = run_lint(ev, file=loaded.name, services=services, must_keep=must_keep)
    count = f"{len(warnings)} warning{'s' if len(warnings) != 1 else ''}"
    _report(warnings, loaded, fmt, True, f"{policy}: {count}")
    raise typer.Exit(2 if warnings else 0)


def _site_expectations(loaded: Loaded) -> tuple[list[Service], list[tuple[str, str, int]]]:
    if loaded.site is None:
        return [], []
    from compiler.evaluate.site_view import site_must_keep, site_services

    return site_services(loaded.site), site_must_keep(loaded.site)
