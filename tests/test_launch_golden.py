"""Golden tests for launch configs: every target × every service kind, the variants that change
the text (runtime lookup, loopback+serve, LAN), and the example site's three services.

Regenerate with `pytest --update-goldens`, then review the diff.
"""

from __future__ import annotations

import typing
from pathlib import Path

import pytest
from launch_cases import all_cases, case_files, emit_case

from compiler.emit.launch import emit
from compiler.emit.launch.targets import TARGETS
from compiler.emit.services import KINDS
from compiler.site import loader
from compiler.site.model import LaunchTarget, ServiceKind
from goldens import assert_tree

GOLDEN = Path(__file__).parent / "golden" / "launch"
CASES = all_cases()


@pytest.mark.parametrize("name", sorted(CASES))
def test_case_matches_golden(name: str, update_goldens: bool) -> None:
    assert_tree(GOLDEN / name, case_files(emit_case(CASES[name])), update_goldens)


def test_example_site_matches_golden(repo: Path, update_goldens: bool) -> None:
    site, _ = loader.load(repo / "site.yaml")
    emitted = emit(site)
    services = {p.split("/")[2] for p in emitted.files if p.count("/") > 2}
    assert services == {"ollama-wintendo", "ollama-icon", "lmstudio"}
    assert_tree(GOLDEN / "example-site", case_files(emitted), update_goldens)


def test_no_stale_golden_cases() -> None:
    present = {p.name for p in GOLDEN.iterdir() if p.is_dir()}
    assert present <= {*CASES, "example-site"}, (
        f"remove {sorted(present - {*CASES, 'example-site'})}"
    )


def test_every_target_and_kind_is_covered() -> None:
    for target in TARGETS:
        for kind in KINDS:
            assert f"{target}-{kind}" in CASES


def test_model_literals_match_registries() -> None:
    """The site model names exactly the registered targets and kinds (typos fail at load)."""
    assert set(typing.get_args(LaunchTarget)) == {*TARGETS, "none"}
    assert set(typing.get_args(ServiceKind)) == set(KINDS)


@pytest.mark.parametrize(
    "name", ["systemd-ollama", "runtime-launchd-ollama", "docker-compose-vllm"]
)
def test_same_input_same_bytes(name: str) -> None:
    assert emit_case(CASES[name]).files == emit_case(CASES[name]).files


def test_no_wildcard_written_anywhere() -> None:
    """No generated file names a wildcard bind (the hook and reviewers grep for these)."""
    for name, site in CASES.items():
        for path, data in emit_case(site).files.items():
            text = data.decode()
            for needle in ("0.0.0.0", "[::]", '"::"'):
                assert needle not in text, f"{name}: {path} mentions {needle}"
