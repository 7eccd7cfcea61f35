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
