"""Property tests for the site loader's node walk (hypothesis).

The loader composes YAML with the C loader (its composer asking a faster `resolve`) and
builds plain data and a source map in one walk over the nodes. Oracles written here, borrowing
nothing from the loader: PyYAML's pure-Python safe loader (keys kept as written) for the data,
and the pure-Python composer's node marks for every key's and scalar's place.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler.errors import Span
from compiler.site.loader import parse_yaml

# A bare `!` (the non-specific tag) on a plain scalar: libyaml reports it as not plain, so
# the C loader reads `!` alone as "" where PyYAML's pure-Python parser reads null. That is a
# difference between the two parsers (the loader has always used libyaml), not the walk's.
NON_SPECIFIC_TAG = re.compile(r"(^|[\s\[{,])!(\s|$|[\]},])", re.MULTILINE)
SETTINGS = settings(max_examples=150, deadline=2000, suppress_health_check=[HealthCheck.too_slow])

# Plain scalars whose type YAML 1.1 decides by their text: each first character the implicit
# resolvers look at, and look-alikes that stay strings.
TRICKY = [
    "yes", "No", "on", "OFF", "y", "n", "true", "False", "~", "null", "Null", "",
    "0", "-1", "+7", "0x1f", "0o17", "017", "0b101", "1_000", "190:20:30", "1e3", "-.5",
    ".inf", "-.Inf", ".NaN_", "2024-01-02", "2024-01-02T03:04:05Z", "2024-1-2 3:04:05",
    "100.64.0.1", "10.0.0.0/24", "fd00::1", "u0@example.com", "linux", "d17", "=", "<<x",
    ":x", "-x", ".x", "é", "tag:ai", "8000-8010",
]  # fmt: skip
keys = st.sampled_from(["a", "b", "os", "on", "yes", "1", "x y", "é"]) | st.text(
    st.characters(codec="utf-8", categories=("L", "N")), min_size=1, max_size=6
)
scalars = (
    st.sampled_from(TRICKY)
    | st.none()
    | st.booleans()
    | st.integers(min_value=-(10**12), max_value=10**12)
    | st.floats(allow_nan=False)
    | st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=12)
    | st.dates()
)
documents = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=25,
)


class _NamesLoader(yaml.SafeLoader):
    """PyYAML's pure-Python safe loader, keeping keys as written (`on:` is the name "on"):
    what a site file's keys are."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        return {k.value: self.construct_object(v, deep=deep) for k, v in node.value}


def _dump(doc: Any, flow: bool | None) -> str:
    return yaml.safe_dump(doc, default_flow_style=flow, allow_unicode=True, sort_keys=False)


def _plain(doc: Any) -> str:
    """`doc` written by hand with every string as a plain (unquoted) scalar where YAML allows:
    the texts the resolver's short cut must type exactly as the full resolver does."""
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False).replace("'", "")


def _oracle_places(text: str) -> tuple[dict[Any, tuple[int, int]], dict[Any, tuple[int, int]]]:
    """Every key's and scalar's (line, column), from the pure-Python composer."""
    keys: dict[Any, tuple[int, int]] = {}
    values: dict[Any, tuple[int, int]] = {}

    def walk(node: yaml.Node, path: tuple[Any, ...]) -> None:
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                keys[(*path, k.value)] = (k.start_mark.line + 1, k.start_mark.column + 1)
                walk(v, (*path, k.value))
        elif isinstance(node, yaml.SequenceNode):
            for i, v in enumerate(node.value):
                keys[(*path, i)] = (v.start_mark.line + 1, v.start_mark.column + 1)
                walk(v, (*path, i))
        else:
            values[path] = (node.start_mark.line + 1, node.start_mark.column + 1)

    node = yaml.compose(text, Loader=yaml.SafeLoader)
    if node is not None:
        walk(node, ())
    return keys, values


def _check_same(text: str) -> None:
    if NON_SPECIFIC_TAG.search(text):
        return  # libyaml and PyYAML's own parser type `!` alone differently (see above)
    try:
        expected = yaml.load(text, Loader=_NamesLoader)
    except (yaml.YAMLError, ValueError):  # a plain text the hand-writing made invalid
        return
    data, source, problems = parse_yaml(text, "site.yaml")
    assert problems == []
    assert data == expected
    assert _types(data) == _types(expected)
    keys, values = _oracle_places(text)
    for path, (line, column) in keys.items():
        span = source.at(path)
        assert (span.line, span.column) == (line, column), path
        value = source.at(path, key=False)
        assert (value.line, value.column) == values.get(path, (line, column)), path
        # a place never written falls back to the nearest one that was
        for missing in ((*path, "never written"), (*path, 10**6)):
            assert source.at(missing) == span, missing
            assert source.at(missing, key=False) == value, missing
    for path in values.keys() - keys.keys():  # the document itself is a scalar
        assert path == ()
    assert source.at(("never written",)) == Span("site.yaml", 1, 1)


def _types(value: Any) -> Any:
    """The type of every leaf (`1 == True` and `1 == 1.0` in Python: the data alone would
    not show a scalar typed wrongly)."""
    if isinstance(value, dict):
        return {k: _types(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_types(v) for v in value]
    return type(value)


@SETTINGS
@given(documents.filter(lambda d: isinstance(d, dict)), st.sampled_from([None, True, False]))
def test_walk_matches_safe_load(doc: Any, flow: bool | None) -> None:
    _check_same(_dump(doc, flow))


@SETTINGS
@given(st.dictionaries(keys, documents, max_size=5))
def test_plain_scalars_typed_as_safe_load_types_them(doc: dict[str, Any]) -> None:
    _check_same(_plain(doc))


@SETTINGS
@given(st.lists(st.sampled_from(TRICKY) | st.text(max_size=6), min_size=1, max_size=8))
def test_every_tricky_plain_scalar(words: list[str]) -> None:
    text = "".join(f"k{i}: {w}\n" for i, w in enumerate(words))
    _check_same(text)


def test_timestamps_and_anchors_built_like_safe_load() -> None:
    text = "a: &x 2024-01-02\nb: *x\nc: &l [1, yes, ~]\nd: *l\n"
    data, _, problems = parse_yaml(text, "site.yaml")
    assert problems == []
    assert data == yaml.load(text, Loader=_NamesLoader)
    assert data["a"] == datetime.date(2024, 1, 2)


def test_forbidden_characters_are_the_complement_of_yaml_c_printable() -> None:
    """The loader's positive set of refused characters equals YAML 1.2's c-printable
    complement, written here from the spec (§5.1) on every code point."""
    import re

    from compiler.site.loader import _FORBIDDEN

    printable = re.compile(
        "[\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
    )
    differ = [
        c
        for c in range(0x110000)
        if bool(_FORBIDDEN.fullmatch(chr(c))) == bool(printable.fullmatch(chr(c)))
    ]
    assert differ == []


# Texts near YAML 1.1's typed forms: digits, signs, dots, colons, exponents, dates, words.
NEAR_TYPED = st.text(st.sampled_from("0123456789+-._:eExXoObB TtZ~nNyYfF"), max_size=12)


@SETTINGS
@given(st.sampled_from(TRICKY) | NEAR_TYPED | st.text(max_size=8), st.booleans())
def test_resolver_tags_a_scalar_as_pyyaml_does(value: str, plain: bool) -> None:
    """The loader's joined expression per first character gives the tag the pure-Python
    resolver's loop over its implicit resolvers gives (first match in order wins)."""
    from compiler.site.loader import _SiteLoader

    implicit = (plain, not plain)
    oracle = yaml.resolver.Resolver().resolve(yaml.ScalarNode, value, implicit)
    loader = _SiteLoader("")
    try:
        assert loader.resolve(yaml.ScalarNode, value, implicit) == oracle
    finally:
        loader.dispose()
