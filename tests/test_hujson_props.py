"""Property tests for compiler.hujson (hypothesis), plus a fuzz run on random text and bytes.

Oracles: C `json` for the data; the literal Go port (`_ast` + `_format`) for the exact
parser and the formatter, which the fast paths (`_fast`, `_render`) must agree with byte for
byte. Sizes and example counts keep the whole file well under a minute; set
HUJSON_FUZZ_SCALE=20 (say) to run 20 times as many examples when hunting bugs.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler import hujson
from compiler.hujson import _ast, _fast, _format

SCALE = int(os.environ.get("HUJSON_FUZZ_SCALE", "1"))
SETTINGS = settings(
    max_examples=250 * SCALE, deadline=2000, suppress_health_check=[HealthCheck.too_slow]
)

names = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=8
) | st.sampled_from(["a", "src", "tag:web", "a/b", "~x", "\\", '"', "é"])
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
    | st.sampled_from(["", "x" * 70, "http://x/*y*/", "a,]", "\u2028", "tab\there"])
)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(names, children, max_size=5),
    max_leaves=30,
)

EXTRAS = [
    " ", "\t", "\n", "\r\n", "\n\n\n", "  \t ", "// c\n", "//\n", "// x /* y\n", "/**/",
    "/* b */", "/*\n * s\n */", "/*\n\t\tdeep\n\tshallow\n*/", "// é ☺  \n", "/* */ /* */",
]  # fmt: skip


@st.composite
def extra(draw: st.DrawFn) -> str:
    return "".join(draw(st.lists(st.sampled_from(EXTRAS), max_size=3)))


@st.composite
def messy(draw: st.DrawFn, value: Any) -> str:
    """`value` as HuJSON with random whitespace, comments and trailing commas around tokens."""
    if isinstance(value, dict):
        members = [
            draw(extra()) + json.dumps(k) + draw(extra()) + ":" + draw(extra()) + draw(messy(v))
            for k, v in value.items()
        ]
        return "{" + _join(draw, members) + "}"
    if isinstance(value, list):
        return "[" + _join(draw, [draw(extra()) + draw(messy(v)) for v in value]) + "]"
    return json.dumps(value, ensure_ascii=draw(st.booleans())) + draw(extra())


def _join(draw: st.DrawFn, items: list[str]) -> str:
    body = ",".join(item + draw(extra()) for item in items)
    if items and draw(st.booleans()):
        body += "," + draw(extra())  # a trailing comma
    elif not items:
        body += draw(extra())
    return body


@st.composite
def documents(draw: st.DrawFn) -> tuple[Any, str]:
    value = draw(json_values)
    return value, draw(extra()) + draw(messy(value)) + draw(extra())


def exact_format(text: str) -> str:
    root = _ast.parse(_fast.to_bytes(text))
    _format.format_tree(root)
    return _fast.from_bytes(_ast.pack(root))


@SETTINGS
@given(documents())
def test_loads_equals_json_of_plain(doc: tuple[Any, str]) -> None:
    value, text = doc
    assert hujson.loads(text) == json.loads(json.dumps(value))
    assert hujson.loads(text.encode()) == value


@SETTINGS
@given(documents())
def test_fast_and_exact_parsers_agree(doc: tuple[Any, str]) -> None:
    _, text = doc
    data = text.encode()
    assert hujson.loads(text) == _ast.to_python(_ast.parse(data), data, False)


@SETTINGS
@given(documents())
def test_standardize_keeps_bytes_in_place(doc: tuple[Any, str]) -> None:
    value, text = doc
    standard = hujson.standardize(text)
    before, after = text.encode(), standard.encode()
    assert len(after) == len(before)
    assert [i for i, b in enumerate(after) if b == 10] == [
        i for i, b in enumerate(before) if b == 10
    ]
    assert json.loads(standard) == value
    root = _ast.parse(before)
    _ast.standardize_tree(root)
    assert _ast.pack(root) == after  # the Go algorithm, on the tree


@SETTINGS
@given(documents())
def test_format_is_idempotent_and_keeps_data(doc: tuple[Any, str]) -> None:
    value, text = doc
    formatted = hujson.format(text)
    assert hujson.format(formatted) == formatted
    assert hujson.loads(formatted) == value
    assert formatted.endswith("\n") and not formatted.endswith("\n\n")


@SETTINGS
@given(documents())
def test_fast_formatter_matches_go_port(doc: tuple[Any, str]) -> None:
    _, text = doc
    assert hujson.format(text) == exact_format(text)


@SETTINGS
@given(json_values)
def test_format_of_standard_json_stays_standard(value: Any) -> None:
    for text in (json.dumps(value), json.dumps(value, indent=2), json.dumps(value, indent="\t")):
        formatted = hujson.format(text)
        assert json.loads(formatted) == value  # no comments, no trailing commas
        assert formatted == exact_format(text)


@st.composite
def commented(draw: st.DrawFn) -> tuple[Any, dict[str, str]]:
    """A value and comments on some of its JSON-pointer paths."""
    value = draw(json_values)
    paths = [""]
    stack: list[tuple[str, Any]] = [("", value)]
    while stack:
        path, node = stack.pop()
        children = (
            node.items()
            if isinstance(node, dict)
            else enumerate(node)
            if isinstance(node, list)
            else []
        )
        for key, child in children:
            token = str(key).replace("~", "~0").replace("/", "~1")
            paths.append(f"{path}/{token}")
            stack.append((f"{path}/{token}", child))
    chosen = draw(st.lists(st.sampled_from(paths), unique=True, max_size=4))
    text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30)
    return value, {path: draw(text) for path in chosen}


@SETTINGS
@given(commented())
def test_dumps_round_trips(case: tuple[Any, dict[str, str]]) -> None:
    value, comments = case
    text = hujson.dumps(value, comments=comments)
    assert hujson.loads(text) == value
    assert hujson.format(text) == text
    assert exact_format(text) == text
    assert hujson.dumps(value) == hujson.format(hujson.dumps(value))


# Lists of strings near the 80-column limit (`dumps` lays out the fitting ones in one encoder
# call). The oracle, item by item: Go's line measure of an inline list is 2 plus, per item,
# the bytes of its JSON string and 2; within 80 it stays on one line, else one item per line.
near_limit = st.lists(
    st.text(st.sampled_from('ab-:@.é"\\\t€'), max_size=24) | st.sampled_from(["x" * 30]),
    max_size=6,
)


def _laid_out(items: list[str]) -> str:
    texts = [json.dumps(item, ensure_ascii=False) for item in items]
    if 2 + sum(len(t.encode()) + 2 for t in texts) <= 80:
        return "[" + ", ".join(texts) + "]"
    return "[\n" + "".join(f"\t\t\t{t},\n" for t in texts) + "\t\t]"


@SETTINGS
@given(st.lists(near_limit, min_size=1, max_size=3))
def test_dumps_string_lists_inline_exactly_when_they_fit(lists: list[list[str]]) -> None:
    text = hujson.dumps({"section": lists})
    body = "".join(f"\t\t{_laid_out(items)},\n" for items in lists)
    assert text == '{\n\t"section": [\n' + body + "\t],\n}\n"
    assert exact_format(text) == text


# -- fuzz: anything goes in, only HujsonError comes out ---------------------------------------

FUZZ = settings(
    max_examples=400 * SCALE, deadline=1000, suppress_health_check=[HealthCheck.too_slow]
)
ALPHABET = st.sampled_from([*'{}[],:" \t\r\n/*\\tfrueals0123456789.-+eEnul', "é", "\x00", "\ufeff"])
ENTRY_POINTS = (hujson.loads, hujson.standardize, hujson.format, hujson.minimize)


def _only_hujson_errors(text: str | bytes) -> None:
    for entry in ENTRY_POINTS:
        try:
            entry(text)
        except hujson.HujsonError as error:
            assert error.line >= 1 and error.column >= 1 and error.offset >= 0
            assert str(error).startswith(f"line {error.line}, column {error.column}: ")


def _rejects(entry: Any, text: str) -> bool:
    try:
        entry(text)
    except hujson.HujsonError:
        return True
    return False


@FUZZ
@given(st.binary(max_size=200))
def test_fuzz_random_bytes(data: bytes) -> None:
    _only_hujson_errors(data)


@FUZZ
@given(st.text(ALPHABET, max_size=120))
def test_fuzz_json_alphabet(text: str) -> None:
    _only_hujson_errors(text)


@FUZZ
@given(documents(), st.data())
def test_fuzz_mutated_documents(doc: tuple[Any, str], data: st.DataObject) -> None:
    """Damage a valid document; every path either rejects it or agrees with the Go port."""
    _, text = doc
    pos = data.draw(st.integers(0, len(text)))
    cut = data.draw(st.integers(0, 3))
    insert = data.draw(st.text(ALPHABET, max_size=3))
    mutated = text[:pos] + insert + text[pos + cut :]
    _only_hujson_errors(mutated)
    raw = mutated.encode("utf-8", "surrogatepass")
    try:
        root = _ast.parse(raw)
    except hujson.HujsonError:
        for entry in ENTRY_POINTS:
            assert _rejects(entry, mutated), f"{entry.__name__} accepted what the Go port rejects"
        return
    assert hujson.format(mutated) == exact_format(mutated)
    assert hujson.standardize(mutated).encode("utf-8", "surrogatepass") == _standardized(raw)
    try:  # Go's parser accepts it; to Python data it may still be out of range
        exact = _ast.to_python(root, raw, True)
    except hujson.HujsonError as error:
        with pytest.raises(hujson.HujsonError, match=re.escape(error.reason)):
            hujson.loads(mutated, allow_duplicates=True)
        return
    assert hujson.loads(mutated, allow_duplicates=True) == exact


def _standardized(raw: bytes) -> bytes:
    root = _ast.parse(raw)
    _ast.standardize_tree(root)
    return _ast.pack(root)


@FUZZ
@given(st.integers(1, 400), st.sampled_from([("[", "]"), ('{"a":', "}"), ('[{"b":', "}]")]))
def test_fuzz_deep_nesting(depth: int, brackets: tuple[str, str]) -> None:
    opener, closer = brackets
    _only_hujson_errors(opener * depth + "1" + closer * depth)
    _only_hujson_errors(opener * depth)
