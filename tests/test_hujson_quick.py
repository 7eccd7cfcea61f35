"""The quick `loads` path (comment lines deleted in C passes) against the exact Go port.

The quick text is only trusted when `json.loads` accepts it; these cases are the shapes where
a deletion would be wrong (a comment line inside a block comment that starts mid-line, a
`/*` inside a string on a line of its own, `/*/`, raw newlines in strings) and must end in
the careful path or the exact parser with the same answer. The oracle is `_ast`, the literal
port of Go's parser, never the fast path itself.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler import hujson
from compiler.hujson import _ast

SCALE = int(os.environ.get("HUJSON_FUZZ_SCALE", "1"))

TRICKY = [
    # a block comment starting mid-line hides an own-line block comment and a `//` line
    '{"a": 1, /* x\n /* y */\n "b": 2, /* z */ "c": 3}',
    '{"a": 1, /* x\n // y */ "b": 2,\n "c": 3}',
    '{"a": 1, /* x\n /*/ "b": 2, /* y */\n "c": 3}',
    # a comment first in the file, then a comment-like line inside it
    '/* header\n /* x */\n{"a": 1}',
    "// header\n/* and */ /* more */ // and more\n[1,\n]",
    # comment look-alikes inside strings, alone on a line and not
    '{"u": "https://x/*",\n "v": "/* not */",\n "w": "// nor",\n}',
    '["/*", "*/",\n"//"]',
    # a raw newline in a string makes a comment-looking line part of the string (invalid)
    '{"a": "x\n// y\n"}',
    '{"a": "x\n/* y */\n"}',
    # trailing commas around comment lines, CRLF line ends
    "[1,\r\n/* c */\r\n// d\r\n]",
    '{"a": [1, 2,\n/* c */\n],\n// end\n}',
    # comments the exact parser rejects
    '{"a": 1}\n// no newline at the end',
    '{"a": 1 /* open\n}',
    "[1,\n/* c */\n,]",
    # a comment that is not UTF-8 (a lone surrogate from surrogateescape) is an error
    "// \udcff\n1",
    "[1,\n// \udcff\n2]",
    "[1,\n/* \udcff */\n2]",
]


def _exact(text: str) -> object:
    raw = text.encode("utf-8", "surrogateescape")  # lone surrogates stand for raw bytes
    return _ast.to_python(_ast.parse(raw), raw, True)


def _agree(text: str) -> None:
    try:
        expected = _exact(text)
    except hujson.HujsonError as error:
        with pytest.raises(hujson.HujsonError) as raised:
            hujson.loads(text, allow_duplicates=True)
        assert str(raised.value) == str(error)
        return
    assert hujson.loads(text, allow_duplicates=True) == expected


@pytest.mark.parametrize("text", TRICKY)
def test_tricky_comment_shapes_match_the_go_port(text: str) -> None:
    _agree(text)


def test_comment_lines_inside_a_mid_line_block_comment_are_not_deleted_alone() -> None:
    # deleting the inner line would move the block's end and lose "b"
    assert hujson.loads(TRICKY[0]) == {"a": 1, "b": 2, "c": 3}
    assert hujson.loads(TRICKY[1]) == {"a": 1, "b": 2, "c": 3}
    assert hujson.loads(TRICKY[2]) == {"a": 1, "b": 2, "c": 3}


def test_comment_look_alikes_in_strings_are_data() -> None:
    assert hujson.loads(TRICKY[5]) == {"u": "https://x/*", "v": "/* not */", "w": "// nor"}


TOKENS = st.sampled_from(
    [
        *["\n", "\r\n", " ", "/*", "*/", "/", "*", "//", '"', '"/*"', '"//"', "1", ",", ":"],
        *["[", "]", "{", "}", '"a"', "/* c */", "// c"],
    ]
)


@settings(max_examples=300 * SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(TOKENS, max_size=40))
def test_fuzz_comment_tokens_match_the_go_port(tokens: list[str]) -> None:
    _agree("".join(tokens))


@settings(max_examples=150 * SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(TRICKY), min_size=1, max_size=3), st.sampled_from(["", "\n"]))
def test_fuzz_tricky_shapes_inside_a_list(parts: list[str], sep: str) -> None:
    _agree("[" + f",{sep}".join(parts) + sep + "]")
