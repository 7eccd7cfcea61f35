"""The report's fast paths against the slow questions they replace, and its streaming.

Oracles (none calls the code it checks):

- each matrix cell is what `evaluate.allowed` says when asked cell by cell (the row's source
  from `review.evaluation.principals`, the column's target from `review.universe`), read the
  way the report words it: allowed names each matching rule and its `site.yaml:LINE`
  comment; denied says "no rule allows it" when nothing matched, else `allowed`'s reason;
- each SSH entry is what `evaluate.ssh_allowed` says for every (user, device) pair;
- the summary's counts are counted from the cells;
- on random hand-written policies (not only tailgen's), `Verdicts` is `allowed` cell by cell.

Sites are random (`sitegen`) and generated (`bench.build_bench.site_text`, with SSH rules,
groups and locations); the example site and the diff goldens' sites are asked too.
"""

from __future__ import annotations

import json
import sys
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_evaluate_props import TAGS, USERS, Dev, policies, tailnets, topology

from compiler import evaluate
from compiler.build import compile_text
from compiler.cli.commands_report import _write
from compiler.errors import TailgenError
from compiler.evaluate.decision import PROVENANCE
from compiler.evaluate.inventory import as_inventory
from compiler.evaluate.site_view import site_inventory
from compiler.report import page_parts, site_report
from compiler.report.model import Report
from compiler.report.verdicts import ALLOWED, PARTLY, UNMATCHED, Question, Verdicts
from compiler.review.evaluation import principals, review_inventory
from compiler.review.universe import site_targets
from sitegen import access_sites, sites

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # `pytest` alone puts only tests/ on the path; bench/ sits beside
    sys.path.insert(0, str(REPO))
from bench.build_bench import site_text  # noqa: E402

NON_ROOT = "tailgen-any-user"
Verdict = tuple[bool, tuple[tuple[str, str, int], ...]]  # allowed, (summary, rule, line)


def _built(text: str) -> tuple[Any, str, str]:
    result = compile_text(text)
    return result.site, text, result.files["policy.hujson"].decode()


def _evaluator(site: Any, policy_text: str) -> evaluate.Evaluator:
    policy = evaluate.parse_policy(policy_text)
    return evaluate.Evaluator(policy, review_inventory(policy, site_inventory(site)))


def _line(provenance: str) -> int:
    found = PROVENANCE.match(provenance)
    return int(found["line"]) if found else 0


def _oracle_cells(site: Any, policy_text: str, report: Report) -> dict[tuple[str, str], Verdict]:
    """Every cell asked of `evaluate.allowed`, as the report words it (site lines by number)."""
    ev = _evaluator(site, policy_text)
    who = principals(site)
    targets = {str(t): t for t in site_targets(site)}
    found = {}
    for row in report.rows:
        for column in report.columns:
            t = targets[column.key]
            d = evaluate.allowed(ev, None, who.get(row.key, row.key), t.address, t.port, t.proto)
            if d.allowed:
                why = tuple(
                    (f"allowed by {m.rule}", m.rule, _line(m.provenance)) for m in d.matches
                )
            else:
                summary = "no rule allows it" if not d.matches else d.reason
                why = ((summary, "", -1),)  # the line: the column's declaration, checked apart
            found[(row.key, column.key)] = (d.allowed, why)
    return found


def _report_cells(report: Report) -> dict[tuple[str, str], Verdict]:
    found = {}
    for row, cells in report.matrix():
        for column, cell in zip(report.columns, cells, strict=True):
            why = tuple(
                (r.summary, r.rule, r.site.line if r.site and cell.allowed else -1)
                for r in cell.reasons
            )
            found[(row.key, column.key)] = (cell.allowed, why)
    return found


def _check_matrix(text: str) -> None:
    site, text, policy = _built(text)
    report = site_report(site, text, policy)
    # the rows and columns asked are the site's, not only the report's own list of them
    rows = {row.key for row in report.rows}
    assert rows == set(principals(site)) | {f"group:{g}" for g in site.groups}
    assert {c.key for c in report.columns} <= {str(t) for t in site_targets(site)}
    cells = _report_cells(report)
    assert cells == _oracle_cells(site, policy, report)
    distinct = {row.key for row in report.rows}
    assert report.counts.cells == len(distinct) * len(report.columns)
    assert report.counts.allowed == sum(a for (r, _), (a, _) in cells.items() if r in distinct)
    for _row, cells_of_row in report.matrix():  # a denial cites its column's declaration
        for default, cell in zip(report.defaults, cells_of_row, strict=True):
            if not cell.allowed:
                assert cell.reasons[0].site == default.reasons[0].site


def _oracle_ssh(site: Any, policy_text: str) -> list[tuple[str, str, str, str, str]]:
    ev = _evaluator(site, policy_text)
    found = []
    for user in site.users.values():
        for device in site.devices:
            root = evaluate.ssh_allowed(ev, None, user.login, device, "root")
            other = evaluate.ssh_allowed(ev, None, user.login, device, NON_ROOT)
            if root.allowed or other.allowed:
                rule = (other if other.allowed else root).rule
                found.append((user.login, device, root.action, other.action, rule))
    return found


def _check_sections(text: str) -> None:
    site, text, policy = _built(text)
    report = site_report(site, text, policy)
    ssh = [(s.who, s.device, s.root, s.other, s.rule) for s in report.ssh]
    assert ssh == _oracle_ssh(site, policy)


SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)


@SETTINGS
@given(sites())
def test_cells_equal_allowed_asked_cell_by_cell_on_random_sites(site: dict[str, Any]) -> None:
    _check_matrix(yaml.safe_dump(site, sort_keys=False))


@SETTINGS
@given(access_sites())
def test_cells_equal_allowed_on_random_access_sites(site: dict[str, Any]) -> None:
    text = yaml.safe_dump(site, sort_keys=False)
    _check_matrix(text)
    _check_sections(text)


@pytest.mark.parametrize("devices", [12, 40, 90])
def test_generated_sites_match_the_slow_questions(devices: int) -> None:
    text = site_text(devices, "default")
    _check_matrix(text)
    _check_sections(text)


def _example_sites() -> list[Path]:
    return [REPO / "site.yaml", *sorted((REPO / "tests" / "golden" / "diff").glob("*/*.yaml"))]


@pytest.mark.parametrize("path", _example_sites(), ids=lambda p: str(p.relative_to(REPO)))
def test_example_sites_match_the_slow_questions(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    try:
        compile_text(text)
    except TailgenError:
        pytest.skip("not a buildable site on its own")
    _check_matrix(text)
    _check_sections(text)


def test_rows_are_computed_as_the_page_reaches_them() -> None:
    """The first row is written before any later row's cells are asked for."""
    site, text, policy = _built(site_text(40, "default"))
    report = site_report(site, text, policy)
    inner, pulled = report.cells, []

    def counting() -> Iterator[dict[int, Any]]:
        for i, row in enumerate(inner()):
            pulled.append(i)
            yield row

    report.cells = counting
    parts = page_parts(report)
    first = next(p for p in parts if p.startswith('<tr><th scope="row"'))
    assert pulled == [0] and report.rows[0].label in first
    rest = list(parts)
    assert pulled == list(range(len(report.rows)))
    assert "".join(rest).endswith("</main></body></html>\n")


def _streamed(devices: int) -> tuple[int, int]:
    """(bytes of the page, peak bytes allocated while its pieces are made and dropped)."""
    site, text, policy = _built(site_text(devices, "default"))
    report = site_report(site, text, policy)
    tracemalloc.start()
    try:
        size = sum(len(part.encode()) for part in page_parts(report))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return size, peak


def test_streaming_memory_grows_with_the_rows_not_the_page() -> None:
    """Written piece by piece, the page is never held: from 100 to 400 devices the page
    grows with rows × columns (about 10x here) while what is allocated meanwhile grows with
    one row and the cited lines and rules (about 4x). Holding the page or its cells would
    grow as the page does."""
    small_size, small_peak = _streamed(100)
    size, peak = _streamed(400)
    assert size / small_size > 8, (small_size, size)
    assert peak / small_peak < 6, (small_peak, peak)
    assert peak < size / 2, (peak, size)


def test_a_failed_write_leaves_the_older_report(tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    out.write_text("older", encoding="utf-8")

    def failing() -> Iterator[str]:
        yield "<!DOCTYPE html>"
        raise TailgenError("a row could not be computed")

    with pytest.raises(TailgenError):
        _write(out, failing())
    assert out.read_text(encoding="utf-8") == "older"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]
    _write(out, iter(["<p>", "new", "</p>"]))
    assert out.read_text(encoding="utf-8") == "<p>new</p>"


# ---------------------------------------------------------------- any policy, not only tailgen's


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(devices=tailnets(), policy=policies(), data=st.data())
def test_verdicts_equal_allowed_on_random_policies(
    devices: list[Dev], policy: Any, data: st.DataObject
) -> None:
    """Random tailnets and hand-written policies (autogroup:self, hosts, routes, IPv6
    destinations, a LAN source, users with several devices, devices with an IPv4 or an IPv6
    address only, two devices sharing a name): which cells some rule matches, whether every
    device is allowed, the matches and the denied devices are `allowed`'s."""
    topo = topology(devices)
    names = list(topo["nodes"])
    for name in names:
        family = data.draw(st.sampled_from(["both", "ipv4", "ipv6"]))
        if family != "both":
            topo["nodes"][name].pop("ipv6" if family == "ipv4" else "ipv4")
    if len(names) > 1 and data.draw(st.booleans()):
        topo["nodes"][names[1]]["hostname"] = names[0]
    ev = evaluate.Evaluator(evaluate.parse_policy(json.dumps(policy)), as_inventory(topo))
    sources = [*USERS, "group:staff", *TAGS, "10.0.1.7", "nobody@example.com", *names]
    addresses = [d.ip for d in devices] + [
        f"fd7a:115c:a1e0::{d.ip.rsplit('.', 1)[1]}" for d in devices
    ]
    questions = [
        Question(a, port, proto)
        for a in [*addresses, *names, "10.0.1.7", "100.64.0.9"]
        for port in (22, 53, 443)
        for proto in ("tcp", "udp")
    ]
    verdicts = Verdicts(ev, sources, questions)
    for row, src in enumerate(sources):
        for col, q in enumerate(questions):
            want = evaluate.allowed(ev, None, src, q.address, q.port, q.proto)
            got = verdicts.detail(row, col)
            assert (got.allowed, got.matches) == (want.allowed, want.matches), (src, q)
            state = verdicts.matched[row][col]
            if want.matches:
                assert state == (ALLOWED if want.allowed else PARTLY), (src, q)
                if not want.allowed:
                    assert f"no rule matched for {', '.join(got.denied)}" == want.reason
            else:
                assert state == UNMATCHED, (src, q)
