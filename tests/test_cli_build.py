"""`tailgen build`, `check`, `schema`, `--version` through the real CLI (in process)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from compiler import __version__
from compiler.cli import app

runner = CliRunner()


def test_build_writes_out_and_summary(site_dir: Path) -> None:
    result = runner.invoke(app, ["build"])
    assert result.exit_code == 0, result.output
    assert (site_dir / "out" / "policy.hujson").is_file()
    manifest = json.loads((site_dir / "out" / "manifest.json").read_text())
    assert set(manifest["files"]) == {
        p.relative_to(site_dir / "out").as_posix()
        for p in (site_dir / "out").rglob("*")
        if p.is_file() and p.name != "manifest.json"
    }
    assert "policy:" in result.stdout
    assert "out/policy.hujson" in result.stdout


def test_second_build_reports_up_to_date(site_dir: Path) -> None:
    runner.invoke(app, ["build"])
    result = runner.invoke(app, ["build"])
    assert result.exit_code == 0
    assert "up to date" in result.stdout


def test_check_clean_then_stale(site_dir: Path) -> None:
    assert runner.invoke(app, ["build"]).exit_code == 0
    assert runner.invoke(app, ["check"]).exit_code == 0
    policy = site_dir / "out" / "policy.hujson"
    policy.write_text(policy.read_text() + " ")
    result = runner.invoke(app, ["check"])
    assert result.exit_code == 2
    assert "differs  out/policy.hujson" in result.stderr


def test_check_on_missing_out_is_stale(site_dir: Path) -> None:
    result = runner.invoke(app, ["check"])
    assert result.exit_code == 2
    assert "missing  out/policy.hujson" in result.stderr


def test_build_refuses_foreign_directory(site_dir: Path) -> None:
    (site_dir / "mine").mkdir()
    (site_dir / "mine" / "notes.txt").write_text("keep me")
    result = runner.invoke(app, ["build", "--out", "mine"])
    assert result.exit_code == 1
    assert "not a tailgen output directory" in result.stderr
    assert (site_dir / "mine" / "notes.txt").read_text() == "keep me"


def test_build_removes_stale_artifacts(site_dir: Path) -> None:
    runner.invoke(app, ["build"])
    (site_dir / "out" / "old.txt").write_text("left over")
    result = runner.invoke(app, ["build"])
    assert "removed  out/old.txt" in result.stdout
    assert not (site_dir / "out" / "old.txt").exists()


def test_build_is_independent_of_cwd(site_dir: Path, tmp_path: Path) -> None:
    """Same bytes whether the site is named relatively or absolutely."""
    runner.invoke(app, ["build"])
    first = (site_dir / "out" / "policy.hujson").read_bytes()
    runner.invoke(app, ["build", str(site_dir / "site.yaml"), "--out", str(tmp_path / "o2")])
    assert (tmp_path / "o2" / "policy.hujson").read_bytes() == first


def test_schema_matches_committed_file(repo: Path) -> None:
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    assert result.stdout == (repo / "site.schema.json").read_text()
    schema = json.loads(result.stdout)
    assert "services" in schema["properties"]


def test_site_yaml_points_editors_at_schema(repo: Path) -> None:
    first = (repo / "site.yaml").read_text().splitlines()[0]
    assert first == "# yaml-language-server: $schema=site.schema.json"


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"tailgen {__version__}"


def test_help_has_examples() -> None:
    result = runner.invoke(app, ["build", "--help"])
    assert "tailgen build" in result.stdout


def test_python_dash_m() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "compiler", "--version"], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == f"tailgen {__version__}"
