"""The evaluating commands answer about the site's own policy from its self-check.

`compile_policy` keeps the evaluator (and the problems) of the self-check the site's policy
just passed; validate, test, explain, matrix and lint read them instead of parsing the
rendered text and indexing it again. The oracle here is the other door into the same
commands: the same policy as a file with the same tailnet as an inventory file, which takes
the parse-and-index path from text, so each answer is checked against one computed without
the self-check.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from compiler import hujson
from compiler.build import compile_policy, compile_text
from compiler.cli import app
from compiler.evaluate import Evaluator
from compiler.evaluate.site_view import inventory_from_site

QUESTIONS = [
    ["validate"],
    ["validate", "--format", "json"],
    ["test", "--format", "json"],
    ["test"],
    ["explain", "emory@github", "wintendo:11434"],
    ["explain", "guest@example.com", "wintendo:11434"],
    ["explain", "partner@example.com", "icon"],
    ["explain", "tag:ai", "192.168.240.10:22", "--proto", "tcp"],
    ["matrix", "--format", "json"],
    ["matrix", "--format", "csv"],
    ["lint", "--format", "json"],
]


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def from_files(site_dir: Path, tmp_path: Path) -> list[str]:
    """Options that evaluate the site's policy from text: the policy built into a file named
    as the site's own is (`policy.hujson`, so messages match) and its tailnet as JSON."""
    built = run("build", "--out", str(tmp_path / "built"))
    assert built[0] == 0, built
    policy = tmp_path / "copy" / "policy.hujson"
    policy.parent.mkdir()
    shutil.copy(tmp_path / "built" / "policy.hujson", policy)
    site = compile_text(Path("site.yaml").read_text(encoding="utf-8")).site
    inventory = tmp_path / "inventory.json"
    inventory.write_text(json.dumps(inventory_from_site(site)))
    return [str(policy), "--inventory", str(inventory)]


def with_files(question: list[str], files: list[str]) -> list[str]:
    """`question` asked of the files (validate takes the policy as its argument)."""
    policy, *inventory = files
    return (
        [*question, policy, *inventory]
        if question[0] == "validate"
        else [
            *question,
            "--policy",
            policy,
            *inventory,
        ]
    )


@pytest.mark.parametrize("question", QUESTIONS, ids=" ".join)
def test_the_self_check_answers_as_the_text_does(
    question: list[str], from_files: list[str]
) -> None:
    own = run(*question)
    fresh = run(*with_files(question, from_files))
    assert own[0] in (0, 1, 2) and own[1], own
    assert own[:2] == fresh[:2]


def test_the_sites_own_policy_is_not_parsed_again(
    site_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing reads the rendered policy back: HuJSON parsing is made to fail, and every
    question about the site's own policy is still answered."""

    def no_parse(*_: object, **__: object) -> object:
        raise AssertionError("the site's own policy was parsed again")

    monkeypatch.setattr(hujson, "loads", no_parse)
    for question in QUESTIONS:
        code, out, err = run(*question)
        assert code in (0, 1, 2) and out, (question, err)


def test_a_different_policy_file_is_parsed(site_dir: Path, tmp_path: Path) -> None:
    """The shortcut is only for the site's own text: a file that differs is read as written
    (here one whose test fails), and said to differ."""
    built = run("build", "--out", str(tmp_path / "built"))
    assert built[0] == 0
    path = tmp_path / "built" / "policy.hujson"
    document = hujson.loads(path.read_text(encoding="utf-8"))
    document["tests"] = [{"src": "guest@example.com", "accept": ["wintendo:11434"]}]
    path.write_text(json.dumps(document))
    code, out, err = run("validate", str(path), "--format", "json")
    assert code == 1 and "not what site.yaml builds" in err
    assert "test(s) failed: guest@example.com" in out


def test_the_site_evaluator_is_the_self_checks_when_no_stand_in_was_needed(
    site_dir: Path,
) -> None:
    checked = compile_policy(Path("site.yaml").read_text(encoding="utf-8"))
    # The example has a user with no device: the tests ran with a stand-in for them, which
    # explain and matrix must not see.
    assert len(checked.evaluator.inventory.devices) > len(checked.inventory.devices)
    plain = checked.site_evaluator()
    assert plain.inventory is checked.inventory and plain.policy is checked.evaluator.policy
    alone = dataclasses.replace(checked, evaluator=Evaluator(plain.policy, checked.inventory))
    assert alone.site_evaluator() is alone.evaluator
