"""`tailgen schema` says what the loader accepts: the example and every golden site validate
against it (with the `jsonschema` package, not our loader), random valid sites do too, and
every field carries a description for editors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from typer.testing import CliRunner

from compiler.cli import app
from compiler.site.loader import load_text
from sitegen import sites

REPO = Path(__file__).resolve().parents[1]
SITES = [REPO / "site.yaml", *sorted((REPO / "tests" / "golden").glob("**/site.yaml"))]


def schema() -> dict[str, Any]:
    result = CliRunner().invoke(app, ["schema"])
    assert result.exit_code == 0
    loaded: dict[str, Any] = json.loads(result.stdout)
    return loaded


VALIDATOR = jsonschema.Draft202012Validator(schema())


def errors(data: Any) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in VALIDATOR.iter_errors(data)]


@pytest.mark.parametrize("path", SITES, ids=[str(p.relative_to(REPO)) for p in SITES])
def test_site_validates_against_the_schema(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    load_text(text, path.name)  # the loader accepts it…
    assert errors(yaml.safe_load(text)) == []  # …and so does the schema


def test_there_are_golden_sites() -> None:
    assert len(SITES) > 5


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(schema())


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("servics: {}\n", []),
        ("services:\n  s: {device: d, port: 0}\n", ["services", "s", "port"]),
        ("locations:\n  l: {subnets: [1]}\n", ["locations", "l", "subnets"]),
        ("users:\n  u: {login: a@b, role: boss}\n", ["users", "u", "role"]),
    ],
)
def test_the_schema_rejects_what_the_loader_rejects(text: str, where: list[Any]) -> None:
    found = list(VALIDATOR.iter_errors(yaml.safe_load(text)))
    assert found and any(list(e.absolute_path)[: len(where)] == where for e in found)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sites())
def test_random_valid_sites_validate(site: dict[str, Any]) -> None:
    load_text(yaml.safe_dump(site), "site.yaml")
    assert errors(site) == []


def test_every_field_has_a_description() -> None:
    document = schema()
    missing = [
        f"{name}.{key}"
        for name, node in [("Site", document), *document.get("$defs", {}).items()]
        for key, prop in node.get("properties", {}).items()
        if not prop.get("description")
    ]
    assert missing == []
