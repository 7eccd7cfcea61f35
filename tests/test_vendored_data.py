"""The vendored data (tests/data/) is what ../shared holds, and a missing data set is loud in CI."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

import datafiles

VENDORED = ["hujson/format.json", "hujson/invalid.json", "hujson/minimize.json"]
VENDORED += ["hujson/patch.json", "hujson/standardize.json", "saas/INDEX.tsv", "saas/cases.jsonl"]


def vendored(rel: str) -> Path:
    for candidate in (datafiles.VENDORED / rel, datafiles.VENDORED / f"{rel}.gz"):
        if candidate.is_file():
            return candidate
    raise AssertionError(f"{rel} is not vendored")


@pytest.mark.parametrize("rel", VENDORED)
def test_vendored_copy_matches_its_recorded_checksum(rel: str) -> None:
    """The README's sha256 list is the provenance record: each copy still has those bytes."""
    readme = (datafiles.VENDORED / "README.md").read_text(encoding="utf-8")
    recorded = re.search(rf"^([0-9a-f]{{64}})  {re.escape(rel)}$", readme, re.MULTILINE)
    assert recorded, f"{rel} has no checksum in tests/data/README.md"
    assert hashlib.sha256(datafiles.read_bytes(vendored(rel))).hexdigest() == recorded[1]


@pytest.mark.parametrize("rel", VENDORED)
def test_vendored_copy_equals_shared(rel: str) -> None:
    shared = datafiles.require_shared(rel)
    assert datafiles.read_bytes(vendored(rel)) == shared.read_bytes()


@pytest.mark.parametrize("folder", ["hujson", "saas"])
def test_each_vendored_folder_has_licence_and_provenance(folder: str) -> None:
    licence = (datafiles.VENDORED / folder / "LICENSE").read_text(encoding="utf-8")
    assert "Redistribution and use in source and binary forms" in licence
    assert "Source: github.com/" in (datafiles.VENDORED / folder / "README.md").read_text(
        encoding="utf-8"
    )


def test_missing_data_skips_outside_ci(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("TAILGEN_SHARED", str(tmp_path))
    with pytest.raises(pytest.skip.Exception, match=r"needs test data nothing/here\.json"):
        datafiles.require_data("nothing/here.json")


def test_missing_data_fails_in_ci(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CI", "true")
    monkeypatch.setenv("TAILGEN_SHARED", str(tmp_path))
    with pytest.raises(pytest.fail.Exception, match=r"CI=true: needs test data nothing/here\.json"):
        datafiles.require_data("nothing/here.json")


def test_vendored_data_is_found_without_shared(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TAILGEN_SHARED", str(tmp_path))  # an empty shared/: a fresh clone
    assert datafiles.require_data("saas/cases.jsonl") == datafiles.VENDORED / "saas/cases.jsonl.gz"
