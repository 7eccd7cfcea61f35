"""Offline policy evaluation: validate, run tests, explain flows, show the matrix, lint.

The public API (its import path is fixed: tools outside the package use it):

- `validate(policy_text, inventory)` → problems; empty means the control plane would accept
  the policy, its `tests` and `sshTests` included.
- `allowed(policy, inventory, src, dst_addr, port, proto)` → `Decision` naming the rule(s).
- `ssh_allowed(...)`, `run_tests(...)`, `compile_node_filter(...)`, `matrix(...)`, `lint(...)`.

Everything here is pure: text and data in, values out; no file or network access.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from compiler.errors import Problem, Span
from compiler.evaluate.checks import policy_problems
from compiler.evaluate.decision import Decision, Match, allowed, evaluator, icmp_echo
from compiler.evaluate.inventory import Device, Inventory, User, as_inventory, inventory_from_dict
from compiler.evaluate.lint import lint
from compiler.evaluate.matrix import Matrix, matrix
from compiler.evaluate.model import Policy, parse_policy
from compiler.evaluate.node_filter import compile_node_filter, node_domain
from compiler.evaluate.policytests import TestFailure, run_tests
from compiler.evaluate.rules import Evaluator
from compiler.evaluate.sshcheck import SshDecision, ssh_allowed

__all__ = [
    "Decision",
    "Device",
    "Evaluator",
    "Inventory",
    "Match",
    "Matrix",
    "Policy",
    "SshDecision",
    "TestFailure",
    "User",
    "allowed",
    "as_inventory",
    "compile_node_filter",
    "evaluator",
    "icmp_echo",
    "inventory_from_dict",
    "lint",
    "matrix",
    "node_domain",
    "parse_policy",
    "run_tests",
    "ssh_allowed",
    "test_failures",
    "validate",
]

TESTS_FAILED = "test(s) failed"


def validate(
    policy_text: str | Policy | Evaluator,
    inventory: Inventory | Mapping[str, Any],
    file: str = "policy.hujson",
) -> list[Problem]:
    """Everything the control plane would reject in this policy, tests included (sorted).
    A caller that goes on to evaluate the policy passes it parsed, so it is read once, or
    passes its `Evaluator` (then `inventory` is the evaluator's), so the tests run on the
    evaluator's indexes instead of resolving every rule again."""
    ev = policy_text if isinstance(policy_text, Evaluator) else None
    try:
        policy = _policy_of(policy_text)
    except ValueError as err:
        return [_parse_problem(err, file)]
    inv = ev.inventory if ev is not None else as_inventory(inventory)
    problems = policy_problems(policy, inv, file)
    problems += test_failures(policy, inv, file, ev)
    return sorted(problems, key=lambda p: p.sort_key())


def _policy_of(policy: str | Policy | Evaluator) -> Policy:
    if isinstance(policy, Evaluator):
        return policy.policy
    return policy if isinstance(policy, Policy) else parse_policy(policy)


def test_failures(
    policy: Policy,
    inventory: Inventory,
    file: str = "policy.hujson",
    evaluator: Evaluator | None = None,
) -> list[Problem]:
    """Failing tests as problems whose message starts with the API's `test(s) failed`."""
    problems = []
    for failure in run_tests(policy, inventory, evaluator):
        line, column = policy.where(failure.path)
        message = f"{TESTS_FAILED}: {failure.user or '(no src)'}: " + "; ".join(failure.errors)
        span = Span(file, line, column)
        problems.append(Problem("test-failed", message, span, path=failure.path))
    return problems


def _parse_problem(err: ValueError, file: str) -> Problem:
    """A policy `parse_policy` could not read, at the place `HujsonError` carries (any other
    ValueError has none). Imported here: the parser that raised it is loaded by now, and
    importing the evaluator must not load it (`tests/test_startup.py`)."""
    from compiler.hujson import HujsonError

    span = Span(file, err.line, err.column) if isinstance(err, HujsonError) else Span(file)
    return Problem("hujson", f"invalid HuJSON: {err}", span)
