"""`tailgen report` without a browser: the review marks, `matrix --format html`, the CLI.

The review's oracle is the diff golden's plan.json (reviewed when it was written): every pair
it says is gained or lost is marked in the matrix or listed beside it, and nothing else is.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from test_report_browser import Dom
from typer.testing import CliRunner

from compiler.build import compile_text
from compiler.cli import app

REPO = Path(__file__).resolve().parents[1]
DIFFS = REPO / "tests" / "golden" / "diff"
runner = CliRunner()


def _page(*args: str) -> str:
    result = runner.invoke(app, ["report", *args, "-o", "-"])
    assert result.exit_code == 0, result.output
    return result.stdout


def _marked(page: str) -> dict[tuple[str, str], str]:
    dom = Dom()
    dom.feed(page)
    return {(c["data-principal"], c["data-column"]): c["data-change"] for c in dom.cells}


def test_against_marks_every_gain_and_loss_of_the_review() -> None:
    case = DIFFS / "add-user-to-group"
    page = _page(str(case / "after.yaml"), "--against", str(case / "before.yaml"))
    plan = json.loads((case / "plan.json").read_text(encoding="utf-8"))["access"]
    marked = {k: v for k, v in _marked(page).items() if v}
    expected = {}
    for kind in ("gained", "lost"):
        for change in plan[kind]:
            name = change["target"]["name"].replace(":53/tcp", ":53/udp")
            expected[(change["principal"], name)] = kind
    in_matrix = {k: v for k, v in expected.items() if k in _marked(page)}
    assert marked == in_matrix and marked, (marked, expected)
    for principal, name in expected.keys() - in_matrix.keys():
        assert f"<td>{principal}</td><td>{name}</td>" in page.replace('data-label="who" ', "")


def test_against_lists_lost_access_to_a_removed_service() -> None:
    case = DIFFS / "remove-service"
    page = _page(str(case / "after.yaml"), "--against", str(case / "before.yaml"))
    plan = json.loads((case / "plan.json").read_text(encoding="utf-8"))["access"]
    assert plan["lost"]
    assert 'id="changes"' in page and "− loses access" in page
    for change in plan["lost"]:
        assert change["target"]["name"] in page


def test_matrix_html_is_the_report_page(tmp_path: Path) -> None:
    site = REPO / "site.yaml"
    policy = tmp_path / "policy.hujson"
    policy.write_bytes(compile_text(site.read_text(encoding="utf-8")).files["policy.hujson"])
    args = ["matrix", "--format", "html", "--policy", str(policy), "--site", str(site)]
    matrix = runner.invoke(app, args)
    assert matrix.exit_code == 0, matrix.output
    assert matrix.stdout == _page(str(site))


def test_matrix_html_without_a_site_groups_users_and_tags(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no site.yaml here: the policy and inventory alone
    policy = tmp_path / "policy.hujson"
    site = REPO / "site.yaml"
    policy.write_bytes(compile_text(site.read_text(encoding="utf-8")).files["policy.hujson"])
    inventory = tmp_path / "inventory.json"
    from compiler.site.inventory import inventory_from_site
    from compiler.site.loader import load

    inventory.write_text(json.dumps(inventory_from_site(load(site)[0])), encoding="utf-8")
    args = ["matrix", "--format", "html", "--policy", str(policy), "-i", str(inventory)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    dom = Dom()
    dom.feed(result.stdout)
    assert set(dom.groups) == {"users", "tags"} and all(dom.groups.values())
    assert dom.cells and "default-src 'none'" in dom.csp


def test_report_writes_the_file_and_leaves_it_on_failure(tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    mask = os.umask(0o022)
    try:
        assert (
            runner.invoke(app, ["report", str(REPO / "site.yaml"), "-o", str(out)]).exit_code == 0
        )
    finally:
        os.umask(mask)
    before = out.read_bytes()
    assert out.stat().st_mode & 0o777 == 0o644  # as any file the user writes, not mkstemp's 0600
    broken = tmp_path / "site.yaml"
    broken.write_text("users: {a: {login: 3}}\nnope: 1\n", encoding="utf-8")
    result = runner.invoke(app, ["report", str(broken), "-o", str(out)])
    assert result.exit_code == 1
    assert "site.yaml:2" in result.stderr
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html", "site.yaml"]


def test_a_site_without_services_says_so(tmp_path: Path) -> None:
    site = tmp_path / "site.yaml"
    site.write_text("users:\n  me: {login: me@example.com}\n", encoding="utf-8")
    page = _page(str(site))
    assert "No service ports are declared yet" in page and "<td" not in page
