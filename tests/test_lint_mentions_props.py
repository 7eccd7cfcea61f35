"""Property test: the lint's index of mentions answers "is this name used?" exactly as looking
for the name in the policy text does (the three patterns, written out here)."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from compiler.evaluate.lint import Mentions

CHARS = st.sampled_from(['"', ":", " ", "a", "b", "\\", "é"])
NAMES = st.text(CHARS, max_size=4)


def mentioned(name: str, text: str) -> bool:
    """The plain reading: the name quoted, quoted before a colon, or after a space and quoted."""
    return f'"{name}"' in text or f'"{name}:' in text or f' {name}"' in text


@settings(max_examples=300, deadline=None)
@given(text=st.text(CHARS, max_size=40), names=st.lists(NAMES, max_size=8))
def test_mentions_agree_with_searching_any_text(text: str, names: list[str]) -> None:
    index = Mentions.of(text, max((len(n) for n in names), default=0))
    assert {n: index.used(n) for n in names} == {n: mentioned(n, text) for n in names}


@settings(max_examples=200, deadline=None)
@given(
    data=st.dictionaries(NAMES, st.lists(st.text(CHARS, max_size=6), max_size=3), max_size=5),
    names=st.lists(NAMES, max_size=8),
)
def test_mentions_agree_with_searching_policy_json(
    data: dict[str, list[str]], names: list[str]
) -> None:
    text = json.dumps(data)
    index = Mentions.of(text, max((len(n) for n in names), default=0))
    assert {n: index.used(n) for n in names} == {n: mentioned(n, text) for n in names}


@settings(max_examples=100, deadline=None)
@given(
    raw=st.dictionaries(
        st.sampled_from(["hosts", "Hosts", "groups", "tests", 'a"b', "é"]),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(CHARS, max_size=4),
            lambda inner: (
                st.lists(inner, max_size=3)
                | st.dictionaries(st.text(CHARS, max_size=3), inner, max_size=3)
            ),
            max_leaves=6,
        ),
        max_size=5,
    ),
    skip=st.sampled_from(["hosts", "HOSTS", "groups", "tagOwners"]),
)
def test_mentions_text_is_the_policy_json_without_the_section(
    raw: dict[str, object], skip: str
) -> None:
    from compiler.evaluate import Evaluator, as_inventory
    from compiler.evaluate.lint import LintCtx, _mentions
    from compiler.evaluate.model import policy_from_data

    ctx = LintCtx(Evaluator(policy_from_data(raw), as_inventory({})), "policy.hujson")
    rest = {k: v for k, v in raw.items() if k.lower() != skip.lower()}
    assert _mentions(ctx, skip) == json.dumps(rest)
