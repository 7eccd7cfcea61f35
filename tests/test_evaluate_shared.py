"""`validate` given an `Evaluator` runs the policy tests on that evaluator's indexes, and says
exactly what it says given the policy text (the oracle: the text path, which builds its own)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from test_evaluate_props import Dev, policies, tailnets, topology

from compiler.evaluate import Evaluator, parse_policy, policytests, validate
from compiler.evaluate.inventory import as_inventory


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(devices=tailnets(), policy=policies())
def test_validate_on_an_evaluator_says_what_it_says_on_the_text(
    devices: list[Dev], policy: dict[str, Any]
) -> None:
    text, inventory = json.dumps(policy), topology(devices)
    ev = Evaluator(parse_policy(text), as_inventory(inventory))
    assert validate(ev, inventory) == validate(text, inventory)


def test_tests_run_on_the_given_evaluator(monkeypatch: pytest.MonkeyPatch) -> None:
    text = json.dumps(
        {
            "grants": [{"src": ["tag:a"], "dst": ["tag:b"], "ip": ["22"]}],
            "tagOwners": {"tag:a": [], "tag:b": []},
            "tests": [{"src": "tag:a", "accept": ["tag:b:22"], "deny": ["tag:b:80"]}],
        }
    )
    inventory = {
        "devices": [
            {"name": "a", "addresses": ["100.64.0.1"], "tags": ["tag:a"]},
            {"name": "b", "addresses": ["100.64.0.2"], "tags": ["tag:b"]},
        ]
    }
    ev = Evaluator(parse_policy(text), as_inventory(inventory))

    def no_second_evaluator(*args: object) -> None:
        raise AssertionError("the tests built an evaluator of their own")

    monkeypatch.setattr(policytests, "Evaluator", no_second_evaluator)
    assert validate(ev, inventory) == []
