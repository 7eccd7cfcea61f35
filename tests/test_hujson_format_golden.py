"""Golden layouts for `hujson.format`: each case is `input.hujson` -> `expected.hujson`.

The expected files were written by hand from the rules of Tailscale's formatter (format.go,
summarised in shared/reference/tailscale.md §1.3), not generated, and are reviewed like code.
`pytest --update-goldens` rewrites them from the current implementation; review the diff.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from compiler import hujson

GOLDEN = Path(__file__).resolve().parent / "golden" / "hujson_format"
CASES = sorted(path.name for path in GOLDEN.iterdir() if path.is_dir())


def test_there_are_enough_cases() -> None:
    assert len(CASES) >= 30


@pytest.mark.parametrize("case", CASES)
def test_format_matches_golden(case: str, update_goldens: bool) -> None:
    source = (GOLDEN / case / "input.hujson").read_bytes()
    expected_file = GOLDEN / case / "expected.hujson"
    actual = hujson.format(source)
    if update_goldens:
        expected_file.write_bytes(actual.encode())
        return
    assert actual == expected_file.read_bytes().decode()


@pytest.mark.parametrize("case", CASES)
def test_golden_output_is_a_fixed_point(case: str) -> None:
    expected = (GOLDEN / case / "expected.hujson").read_bytes().decode()
    assert hujson.format(expected) == expected
    source = (GOLDEN / case / "input.hujson").read_bytes()
    # The same data, compared through plain `json`: like Go's parser it takes duplicate names
    # and 3.14159E+435, both of which `hujson.loads` refuses.
    assert json.loads(hujson.standardize(expected)) == json.loads(hujson.standardize(source))
