"""tailscale/hujson's own test tables, run against compiler.hujson.

The vectors are vendored in tests/data/hujson/ (BSD-3-Clause; decoded from the Go tests of
github.com/tailscale/hujson and re-checked against the Go library itself; see the README
there); `datafiles` falls back to ../shared/testdata/hujson/.

- standardize.json and minimize.json: exact output;
- format.json: `format` output byte for byte (and it is a fixed point);
- invalid.json: every entry point raises HujsonError, with Go's exact message (so the same
  line and column) where the vector gives one;
- patch.json: not applicable (JSON Patch is not part of this module's API).
"""

from __future__ import annotations

import base64
import json
import math
import re
from collections.abc import Callable
from typing import Any

import pytest

from compiler import hujson
from datafiles import read_text, require_data


def load(name: str) -> list[dict[str, Any]]:
    vectors: list[dict[str, Any]] = json.loads(read_text(require_data(f"hujson/{name}")))
    return vectors


def source(vector: dict[str, Any]) -> str | bytes:
    """The input; vectors whose bytes are not UTF-8 carry them base64-encoded."""
    if vector.get("input") is None:
        return base64.b64decode(vector["input_b64"])
    text: str = vector["input"]
    return text


def ids(vectors: list[dict[str, Any]]) -> list[str]:
    return [f"{i}-{v['name'].split('/')[-1]}" for i, v in enumerate(vectors)]


STANDARDIZE = load("standardize.json")
MINIMIZE = load("minimize.json")
FORMAT = load("format.json")
INVALID = load("invalid.json")
ENTRY_POINTS: dict[str, Callable[[str | bytes], object]] = {
    "loads": hujson.loads,
    "standardize": hujson.standardize,
    "format": hujson.format,
    "minimize": hujson.minimize,
}


def test_vector_counts() -> None:
    """The README's table: 10 + 10 + 39 + 25 vectors (84 in all)."""
    assert (len(STANDARDIZE), len(MINIMIZE), len(FORMAT), len(INVALID)) == (10, 10, 39, 25)


@pytest.mark.parametrize("vector", STANDARDIZE, ids=ids(STANDARDIZE))
def test_standardize(vector: dict[str, Any]) -> None:
    text = source(vector)
    got = hujson.standardize(text)
    assert got == vector["want"]
    assert len(got.encode()) == len(text.encode() if isinstance(text, str) else text)
    assert vector["input_is_standard"] == (text == vector["want"])
    plain = json.loads(got)
    if isinstance(plain, float) and math.isinf(plain):  # 3.14159E+435: Go's decoder refuses it
        with pytest.raises(hujson.HujsonError, match="number out of range"):
            hujson.loads(text)
    else:
        assert hujson.loads(text) == plain


@pytest.mark.parametrize("vector", MINIMIZE, ids=ids(MINIMIZE))
def test_minimize(vector: dict[str, Any]) -> None:
    assert hujson.minimize(source(vector)) == vector["want"]


@pytest.mark.parametrize("vector", FORMAT, ids=ids(FORMAT))
def test_format(vector: dict[str, Any]) -> None:
    got = hujson.format(source(vector))
    assert got == vector["want"]
    assert hujson.format(got) == got


@pytest.mark.parametrize("entry", sorted(ENTRY_POINTS))
@pytest.mark.parametrize("vector", INVALID, ids=ids(INVALID))
def test_invalid(vector: dict[str, Any], entry: str) -> None:
    with pytest.raises(hujson.HujsonError) as caught:
        ENTRY_POINTS[entry](source(vector))
    error = caught.value
    if vector["want"] is None:
        return
    assert f"hujson: {error}" == vector["want"]
    match = re.match(r"hujson: line (\d+), column (\d+): (.*)$", vector["want"], re.S)
    assert match is not None
    assert (error.line, error.column, error.reason) == (
        int(match.group(1)),
        int(match.group(2)),
        match.group(3),
    )


def test_patch_vectors_are_out_of_scope() -> None:
    load("patch.json")  # present, but RFC 6902 JSON Patch is not part of compiler.hujson
    pytest.skip("patch.json: JSON Patch is not in compiler.hujson's API (issue 3)")
