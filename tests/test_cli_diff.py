"""`tailgen diff` (exit 0 none, 2 changes, 1 error) and the plan `tailgen build` prints."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from compiler.cli import app

runner = CliRunner()


@pytest.fixture
def site_dir(tmp_path: Path, repo: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copy(repo / "site.yaml", tmp_path / "site.yaml")
    monkeypatch.chdir(tmp_path)
    assert runner.invoke(app, ["build"]).exit_code == 0
    return tmp_path


def _widen(site_dir: Path) -> None:
    """Let the guest use the Ollama on wintendo too."""
    path = site_dir / "site.yaml"
    text = path.read_text()
    old = "    port: 11434\n    allow: [group:family]\n    name: ollama.iow.kvet.ch"
    assert old in text
    path.write_text(text.replace(old, old.replace("[group:family]", "[group:family, guest]")))


def test_no_changes_exits_0(site_dir: Path) -> None:
    result = runner.invoke(app, ["diff"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "No changes: site.yaml and out/ agree.\n"


def test_changes_exit_2_and_lead_with_access(site_dir: Path) -> None:
    _widen(site_dir)
    result = runner.invoke(app, ["diff"])
    assert result.exit_code == 2, result.output
    first, *rest = result.stdout.splitlines()
    assert first.startswith("site.yaml vs out/: access: 1 gained, 0 lost")
    assert "  wintendo:11434/tcp (100.101.7.21)  [service ollama-wintendo]" in rest
    assert "    + guest@example.com" in rest
    assert "\x1b[" not in result.stdout  # not a terminal: plain


def test_json_and_markdown_formats(site_dir: Path) -> None:
    _widen(site_dir)
    result = runner.invoke(app, ["diff", "--format", "json"])
    assert result.exit_code == 2
    data = json.loads(result.stdout)
    assert [c["principal"] for c in data["access"]["gained"]] == ["guest@example.com"]
    result = runner.invoke(app, ["diff", "--format", "markdown"])
    assert result.exit_code == 2
    assert result.stdout.startswith("### tailgen plan: `site.yaml` against `out/`")


def test_against_a_site_file_and_a_policy_file(site_dir: Path) -> None:
    shutil.copy(site_dir / "site.yaml", site_dir / "base.yaml")
    _widen(site_dir)
    result = runner.invoke(app, ["diff", "--against", "base.yaml", "--format", "json"])
    assert result.exit_code == 2
    data = json.loads(result.stdout)
    assert data["current"] == "base.yaml" and data["access"]["note"] == ""
    result = runner.invoke(app, ["diff", "--against", "out/policy.hujson", "--format", "json"])
    assert result.exit_code == 2
    data = json.loads(result.stdout)
    assert [f["path"] for f in data["files"]] == ["policy.hujson"]  # only what the file covers


def test_errors_exit_1(site_dir: Path) -> None:
    result = runner.invoke(app, ["diff", "--against", "nowhere"])
    assert result.exit_code == 1
    assert "nowhere: no such file or directory" in result.stderr
    (site_dir / "broken.hujson").write_text("{,}")
    result = runner.invoke(app, ["diff", "--against", "broken.hujson"])
    assert result.exit_code == 1
    assert "broken.hujson: policy.hujson:" in result.stderr


def test_build_prints_the_plan_of_what_it_changed(site_dir: Path) -> None:
    _widen(site_dir)
    result = runner.invoke(app, ["build"])
    assert result.exit_code == 0, result.output
    assert "site.yaml vs out/: access: 1 gained, 0 lost" in result.stdout
    assert "    + guest@example.com" in result.stdout
    assert "--- a/policy.hujson" not in result.stdout  # the meaning, not the bytes
    assert "  changed  out/policy.hujson" in result.stdout
    assert runner.invoke(app, ["diff"]).exit_code == 0


def test_unsafe_plan_names_its_reasons(site_dir: Path) -> None:
    site = yaml.safe_load((site_dir / "site.yaml").read_text())
    site["break_glass"] = []
    site["ssh"] = []  # its port-22 grant to tag:ai would keep the break-glass paths open
    (site_dir / "site.yaml").write_text(yaml.safe_dump(site, sort_keys=False))
    result = runner.invoke(app, ["diff", "--format", "json"])
    assert result.exit_code == 2
    codes = {r["code"] for r in json.loads(result.stdout)["safety"]["reasons"]}
    assert codes == {"break-glass"}
