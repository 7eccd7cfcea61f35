"""Table-driven cases for compiler.hujson: every grammar rule and edge case, exact results.

Valid inputs assert the exact Python value; invalid ones assert the exact line, column and
reason, worded as Tailscale's Go parser words them (columns count UTF-8 bytes). Where Go
would accept what `json` rejects, or the other way round, the case says which side we take.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from compiler import hujson

DEEP = 150  # well inside hujson.MAX_DEPTH

# (id, input, expected value)
VALID: list[tuple[str, str | bytes, Any]] = [
    # literals
    ("null", "null", None),
    ("true", "true", True),
    ("false", "false", False),
    ("zero", "0", 0),
    ("negative-zero", "-0", 0),
    ("int", "42", 42),
    ("negative-int", "-17", -17),
    ("fraction", "3.25", 3.25),
    ("exponent", "1e3", 1000.0),
    ("exponent-upper-plus", "2E+2", 200.0),
    ("exponent-minus", "5e-1", 0.5),
    ("fraction-exponent", "-1.5e2", -150.0),
    ("big-int", "123456789012345678901234567890", 123456789012345678901234567890),
    ("largest-double", "1.7976931348623157e308", 1.7976931348623157e308),
    # strings
    ("empty-string", '""', ""),
    ("plain-string", '"tag:web"', "tag:web"),
    ("escape-quote", r'"a\"b"', 'a"b'),
    ("escape-backslash", r'"a\\b"', "a\\b"),
    ("escape-slash", r'"a\/b"', "a/b"),
    ("escape-controls", r'"\b\f\n\r\t"', "\b\f\n\r\t"),
    ("escape-unicode", r'"\u00e9\u00E9"', "éé"),
    ("escape-surrogate-pair", r'"\ud83d\ude00"', "😀"),
    ("escape-lone-surrogate", r'"\ud800"', "\ud800"),
    ("escape-nul", r'"\u0000"', "\x00"),
    ("raw-utf8", '"grüße 😀"', "grüße 😀"),
    ("raw-del", '"a\x7fb"', "a\x7fb"),
    ("raw-line-separator", '"a\u2028b"', "a\u2028b"),
    ("string-with-line-comment", '"http://example.com"', "http://example.com"),
    ("string-with-block-comment", '"a /* not */ b"', "a /* not */ b"),
    ("string-with-comment-end", '"*/"', "*/"),
    ("string-with-trailing-comma-shape", '["a,]", "b,}"]', ["a,]", "b,}"]),
    ("string-with-comma-newline-bracket", '["x", "y,\\n]"]', ["x", "y,\n]"]),
    ("escaped-quote-then-comment-text", r'["a\"//b", "c"]', ['a"//b', "c"]),
    ("escaped-backslash-then-comment", '["a\\\\"// real\n]', ["a\\"]),
    ("unicode-key", '{"grüße": 1}', {"grüße": 1}),
    # containers
    ("empty-array", "[]", []),
    ("empty-object", "{}", {}),
    ("empty-array-spaces", "[ \t\r\n ]", []),
    ("empty-object-spaces", "{ \n }", {}),
    ("nested-empty", "[[], {}, [[]]]", [[], {}, [[]]]),
    ("array-mixed", '[1, "a", true, null, {"b": []}]', [1, "a", True, None, {"b": []}]),
    ("object-order-kept", '{"z": 1, "a": 2, "m": 3}', {"z": 1, "a": 2, "m": 3}),
    (
        "deep-arrays",
        "[" * DEEP + "]" * DEEP,
        __import__("functools").reduce(lambda a, _: [a], range(DEEP - 1), []),
    ),
    (
        "deep-objects",
        '{"a":' * 40 + "1" + "}" * 40,
        __import__("functools").reduce(lambda a, _: {"a": a}, range(40), 1),
    ),
    # whitespace
    ("leading-trailing-ws", " \t\r\n 1 \t\r\n ", 1),
    ("crlf", '{\r\n\t"a": 1,\r\n\t"b": [2,\r\n3],\r\n}\r\n', {"a": 1, "b": [2, 3]}),
    ("lone-cr-is-whitespace", '{"a":\r1}', {"a": 1}),
    ("tabs", '{\t"a"\t:\t1\t}', {"a": 1}),
    # line comments
    ("line-comment-before", "// head\n1", 1),
    ("line-comment-after", "1 // tail\n", 1),
    ("line-comment-only-slashes", "//\n1", 1),
    ("line-comment-crlf", "// x\r\n1", 1),
    ("line-comment-in-array", "[1, // one\n2]", [1, 2]),
    ("line-comment-before-colon", '{"a" // name\n: 1}', {"a": 1}),
    ("line-comment-after-colon", '{"a": // value\n1}', {"a": 1}),
    ("line-comment-before-comma", "[1 // c\n, 2]", [1, 2]),
    ("line-comment-before-close", "[1 // c\n]", [1]),
    ("line-comment-own-lines", '{\n// a\n\t// b\n"k": 1\n}', {"k": 1}),
    ("line-comment-with-quotes", "[1, // \"quoted\" and 'single'\n2]", [1, 2]),
    ("line-comment-with-block-start", "[1, // see /* here\n2]", [1, 2]),
    ("line-comment-with-block-end", "/*\n// */ 1", 1),
    ("line-comment-unicode", "// grüße ☺\n1", 1),
    ("many-line-comments", "".join(f"// {i}\n" for i in range(50)) + "[]", []),
    # block comments
    ("block-comment-before", "/* head */ 1", 1),
    ("block-comment-after", "1 /* tail */", 1),
    ("block-comment-empty", "/**/1/**/", 1),
    ("block-comment-adjacent", "/**//**/1", 1),
    ("block-comment-multiline", "/*\n * a\n * b\n */\n1", 1),
    ("block-comment-between-tokens", '{/*a*/"k"/*b*/:/*c*/1/*d*/,/*e*/}', {"k": 1}),
    ("block-comment-stars", "/*** x ***/ 1", 1),
    ("block-comment-slashes-inside", "/* // not a line comment */ 1", 1),
    ("block-comment-not-nested", "/* /* inner */ 1", 1),
    ("block-comment-with-quote", '["a" /* " */, "b"]', ["a", "b"]),
    ("block-comment-separates-literals", "[1/**/,2]", [1, 2]),
    # trailing commas
    ("trailing-comma-array", "[1, 2,]", [1, 2]),
    ("trailing-comma-object", '{"a": 1,}', {"a": 1}),
    ("trailing-comma-newline", "[\n\t1,\n\t2,\n]", [1, 2]),
    ("trailing-comma-spaces", "[1 , ]", [1]),
    ("trailing-comma-comment-after", "[1, // last\n]", [1]),
    ("trailing-comma-comment-before", "[1 /* c */ ,\n]", [1]),
    ("trailing-comma-nested", '{"a": [1,], "b": {"c": 2,},}', {"a": [1], "b": {"c": 2}}),
    ("trailing-comma-crlf", "[1,\r\n]", [1]),
    ("trailing-comma-comma-newline", "[1\n,\n]", [1]),
    ("trailing-comma-single-element", '["x",]', ["x"]),
    # duplicates are allowed only on request (see DUPLICATES below)
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in VALID], ids=[c[0] for c in VALID])
def test_valid(text: str | bytes, expected: Any) -> None:
    assert hujson.loads(text) == expected
    assert hujson.loads(text.encode() if isinstance(text, str) else text) == expected


# (id, input, line, column, reason)
INVALID: list[tuple[str, str | bytes, int, int, str]] = [
    # empty-ish documents
    ("empty", "", 1, 1, "parsing value: unexpected EOF"),
    ("only-spaces", "   ", 1, 4, "parsing value: unexpected EOF"),
    ("only-newlines", "\n\n", 3, 1, "parsing value: unexpected EOF"),
    ("only-line-comment", "// x\n", 2, 1, "parsing value: unexpected EOF"),
    ("only-block-comment", "/* x */", 1, 8, "parsing value: unexpected EOF"),
    # commas
    ("array-comma-only", "[,]", 1, 2, "invalid character ',' at start of value"),
    ("object-comma-only", "{,}", 1, 2, "invalid character ',' at start of value"),
    ("array-comma-only-newlines", "[\n,\n]", 2, 1, "invalid character ',' at start of value"),
    ("object-comma-only-newlines", "{\n,\n}", 2, 1, "invalid character ',' at start of value"),
    ("leading-comma", "[,1]", 1, 2, "invalid character ',' at start of value"),
    ("double-comma", "[1,,2]", 1, 4, "invalid character ',' at start of value"),
    ("double-trailing-comma", "[1,,]", 1, 4, "invalid character ',' at start of value"),
    (
        "double-trailing-comma-newlines",
        "[1,\n,\n]",
        2,
        1,
        "invalid character ',' at start of value",
    ),
    ("object-double-comma", '{"a":1,,}', 1, 8, "invalid character ',' at start of value"),
    ("top-level-trailing-comma", " null,", 1, 6, "invalid character ',' after top-level value"),
    ("top-level-comma-newline", "1,\n", 1, 2, "invalid character ',' after top-level value"),
    (
        "missing-comma-array",
        "[1 2]",
        1,
        4,
        "invalid character '2' after array value (expecting ',' or ']')",
    ),
    (
        "missing-comma-object",
        '{"a":1 "b":2}',
        1,
        8,
        "invalid character '\"' after object value (expecting ',' or '}')",
    ),
    (
        "missing-comma-newline",
        '[\n"a"\n"b"\n]',
        3,
        1,
        "invalid character '\"' after array value (expecting ',' or ']')",
    ),
    # brackets
    ("unclosed-array", "[1", 1, 3, "parsing array after value: unexpected EOF"),
    ("unclosed-array-comma", "[1,", 1, 4, "parsing value: unexpected EOF"),
    ("unclosed-object", '{"a":1', 1, 7, "parsing object after value: unexpected EOF"),
    ("unclosed-object-name", '{"a"', 1, 5, "parsing object after name: unexpected EOF"),
    ("unclosed-object-colon", '{"a":', 1, 6, "parsing value: unexpected EOF"),
    (
        "array-closed-by-brace",
        "[1}",
        1,
        3,
        "invalid character '}' after array value (expecting ',' or ']')",
    ),
    (
        "object-closed-by-bracket",
        '{"a":1]',
        1,
        7,
        "invalid character ']' after object value (expecting ',' or '}')",
    ),
    ("empty-array-closed-by-brace", "[}", 1, 2, "invalid character '}' at start of value"),
    ("empty-object-closed-by-bracket", "{]", 1, 2, "invalid character ']' at start of value"),
    ("stray-close-bracket", "]", 1, 1, "invalid character ']' at start of value"),
    ("stray-close-brace", "}", 1, 1, "invalid character '}' at start of value"),
    ("extra-close", "[1]]", 1, 4, "invalid character ']' after top-level value"),
    ("two-values", "1 2", 1, 3, "invalid character '2' after top-level value"),
    ("two-objects", "{}{}", 1, 3, "invalid character '{' after top-level value"),
    # objects
    ("missing-value", '{"a":}', 1, 6, "invalid character '}' at start of value"),
    ("missing-colon", '{"a" 1}', 1, 6, "invalid character '1' after object name"),
    ("semicolon", '{"k";', 1, 5, "invalid character ';' after object name"),
    ("name-without-value", '{"a",}', 1, 5, "invalid character ',' after object name"),
    ("unquoted-name", "{a:1}", 1, 2, "invalid literal: a"),
    ("number-name", "{1:2}", 1, 2, "invalid character '1' at start of object name"),
    ("null-name", '{null:"v"', 1, 2, "invalid character 'n' at start of object name"),
    ("array-name", "{[]:1}", 1, 2, "invalid character '[' at start of object name"),
    ("single-quoted-name", "{'a':1}", 1, 2, "invalid character '\\'' at start of value"),
    # literals
    ("single-quotes", "'a'", 1, 1, "invalid character '\\'' at start of value"),
    ("nan", "NaN", 1, 1, "invalid literal: NaN"),
    ("infinity", "[Infinity]", 1, 2, "invalid literal: Infinity"),
    ("minus-infinity", "-Infinity", 1, 1, "invalid literal: -Infinity"),
    ("plus-number", "+1000", 1, 1, "invalid literal: +1000"),
    ("leading-zero", "01", 1, 1, "invalid literal: 01"),
    ("trailing-dot", "1.", 1, 1, "invalid literal: 1."),
    ("leading-dot", ".5", 1, 1, "invalid literal: .5"),
    ("hex", "0x1F", 1, 1, "invalid literal: 0x1F"),
    ("bare-minus", "-", 1, 1, "invalid literal: -"),
    ("bare-exponent", "1e", 1, 1, "invalid literal: 1e"),
    ("exponent-sign-only", "1e+", 1, 1, "invalid literal: 1e+"),
    ("short-true", "tru", 1, 1, "invalid literal: tru"),
    ("capital-true", "True", 1, 1, "invalid literal: True"),
    ("literal-run", "truefalse", 1, 1, "invalid literal: truefalse"),
    ("number-then-letters", "[12abc]", 1, 2, "invalid literal: 12abc"),
    ("number-out-of-range", "[1, 1e400]", 1, 5, "number out of range: 1e400"),
    ("number-too-long", "1" * 5000, 1, 1, "number too long: 5000 digits"),
    # strings
    ("unterminated-string", '"abc', 1, 5, "parsing string: unexpected EOF"),
    # these two once took exponential time in a backtracking regex
    ("unterminated-long-string", '["' + "a" * 64, 1, 67, "parsing string: unexpected EOF"),
    (
        "long-backslash-run",
        '["' + "\\" * 4000 + '"',
        1,
        4004,
        "parsing array after value: unexpected EOF",
    ),
    ("unterminated-after-escape", '"abc\\', 1, 6, "parsing string: unexpected EOF"),
    ("unterminated-escaped-quote", '"\\"\\\\\\u0022😊', 1, 16, "parsing string: unexpected EOF"),
    ("bad-escape", '"\\xff"', 1, 1, 'invalid literal: "\\xff"'),
    ("short-unicode-escape", '"\\u12"', 1, 1, 'invalid literal: "\\u12"'),
    ("upper-u-escape", '"\\U0001F600"', 1, 1, 'invalid literal: "\\U0001F600"'),
    ("raw-tab-in-string", '"a\tb"', 1, 1, 'invalid literal: "a\tb"'),
    ("raw-newline-in-string", '["a\nb"]', 1, 2, 'invalid literal: "a\nb"'),
    # comments
    ("line-comment-at-eof", "// x", 1, 1, "parsing comment: unexpected EOF"),
    ("line-comment-after-value-at-eof", "null//", 1, 5, "parsing comment: unexpected EOF"),
    ("own-line-comment-at-eof", "null\n// x /*", 2, 1, "parsing comment: unexpected EOF"),
    ("indented-comment-at-eof", "[1]\n\t// x", 2, 2, "parsing comment: unexpected EOF"),
    ("line-comment-no-newline", '{"a": 1} // end', 1, 10, "parsing comment: unexpected EOF"),
    ("unterminated-block", "/* x", 1, 1, "parsing comment: unexpected EOF"),
    ("unterminated-block-in-array", "[1, /* x\n]", 1, 5, "parsing comment: unexpected EOF"),
    ("block-comment-slash-star-slash", "/*/ 1", 1, 1, "parsing comment: unexpected EOF"),
    ("nested-block-comment", "/* /* */ */ 1", 1, 10, "invalid character '*' at start of value"),
    ("lone-slash", "/?", 1, 1, "invalid character '/' at start of value"),
    ("slash-after-value", "1/", 1, 2, "invalid character '/' after top-level value"),
    (
        "slash-in-array",
        "[1/2]",
        1,
        3,
        "invalid character '/' after array value (expecting ',' or ']')",
    ),
    ("hash-comment", "# x\n1", 1, 1, "invalid character '#' at start of value"),
    ("invalid-utf8-in-comment", b"//\xde\xad\xbe\xef\nnull", 1, 1, "invalid UTF-8 in comment"),
    ("invalid-utf8-second-comment", b"// ok\n/* \xff */ 1", 2, 1, "invalid UTF-8 in comment"),
    ("surrogate-in-comment", "// \udcff\n1", 1, 1, "invalid UTF-8 in comment"),
    # characters that are not JSON
    ("bom", "\ufeff{}", 1, 1, "invalid character '\\ufeff' at start of value"),
    ("bom-bytes", b"\xef\xbb\xbf{}", 1, 1, "invalid character '\\ufeff' at start of value"),
    ("nbsp-whitespace", "[\u00a01]", 1, 2, "invalid character '\\u00a0' at start of value"),
    ("vertical-tab", "[\v1]", 1, 2, "invalid character '\\v' at start of value"),
    ("form-feed", "\f1", 1, 1, "invalid character '\\f' at start of value"),
    ("nul-byte", "\x00", 1, 1, "invalid character '\\x00' at start of value"),
    ("invalid-byte", b" \xff", 1, 2, "invalid character '\\xff' at start of value"),
    ("emoji", " 💩", 1, 2, "invalid character '💩' at start of value"),
    ("noncharacter", " \uffff", 1, 2, "invalid character '\\uffff' at start of value"),
    ("private-plane", " \U00101234", 1, 2, "invalid character '\\U00101234' at start of value"),
    # positions count UTF-8 bytes and lines
    (
        "column-after-multibyte",  # 7 in bytes; a character count would say 6
        '["é" 1]',
        1,
        7,
        "invalid character '1' after array value (expecting ',' or ']')",
    ),
    (
        "line-and-column",
        '{\n\t"a": 1,\n\t"b": ,\n}',
        3,
        7,
        "invalid character ',' at start of value",
    ),
    ("crlf-column", '{\r\n"a": }', 2, 6, "invalid character '}' at start of value"),
    # nesting limit (Go has none; ours is hujson.MAX_DEPTH for the exact parser)
    ("too-deep-invalid", "[" * 250, 1, 201, "exceeded max depth of 200"),
]


@pytest.mark.parametrize(
    ("text", "line", "column", "reason"), [c[1:] for c in INVALID], ids=[c[0] for c in INVALID]
)
def test_invalid(text: str | bytes, line: int, column: int, reason: str) -> None:
    with pytest.raises(hujson.HujsonError) as caught:
        hujson.loads(text)
    error = caught.value
    assert (error.line, error.column, error.reason) == (line, column, reason)
    assert str(error) == f"line {line}, column {column}: {reason}"
    data = text.encode("utf-8", "surrogateescape") if isinstance(text, str) else text
    assert error.offset == len(b"\n".join(data.split(b"\n")[: line - 1])) + (line > 1) + column - 1


DUPLICATES: list[tuple[str, str, int, int, str, Any]] = [
    ("top-level", '{"tests": [], "tests": [1]}', 1, 15, '"tests"', {"tests": [1]}),
    ("nested", '{"a": {"b": 1,\n\t"b": 2}}', 2, 2, '"b"', {"a": {"b": 2}}),
    ("in-array", '[{}, {"x": 1, "y": 2, "x": 3}]', 1, 23, '"x"', [{}, {"x": 3, "y": 2}]),
    ("escaped-same-name", '{"a": 1, "\\u0061": 2}', 1, 10, '"a"', {"a": 2}),
    ("unicode-name", '{"é": 1, "é": 2}', 1, 11, '"é"', {"é": 2}),
    ("after-comments", '{\n// c\n"k": 1, /* d */ "k": 2,\n}', 3, 17, '"k"', {"k": 2}),
]


@pytest.mark.parametrize(
    ("text", "line", "column", "name", "last_wins"),
    [c[1:] for c in DUPLICATES],
    ids=[c[0] for c in DUPLICATES],
)
def test_duplicate_names(text: str, line: int, column: int, name: str, last_wins: Any) -> None:
    with pytest.raises(hujson.HujsonError) as caught:
        hujson.loads(text)
    assert (caught.value.line, caught.value.column) == (line, column)
    assert caught.value.reason == f"duplicate object name {name}"
    assert hujson.loads(text, allow_duplicates=True) == last_wins
    hujson.standardize(text)  # Go's parser accepts duplicates: only loads refuses them
    hujson.format(text)


# (id, input, standardized): same bytes length, comments and trailing commas become spaces
STANDARDIZE: list[tuple[str, str, str]] = [
    ("plain-json-unchanged", '{"a": [1, 2]}', '{"a": [1, 2]}'),
    ("line-comment", "1 // c\n", "1     \n"),
    ("block-comment-keeps-newlines", "/* a\n\tb */1", "    \n\t    1"),
    ("trailing-comma-array", "[1,]", "[1 ]"),
    ("trailing-comma-object", '{"a": 1, }', '{"a": 1  }'),
    ("trailing-comma-after-comment", "[1, // x\n]", "[1      \n]"),
    ("comment-markers-in-strings-kept", '["//", "/*", "*/", ",]"]', '["//", "/*", "*/", ",]"]'),
    ("crlf-kept", "[1, // c\r\n2,\r\n]", "[1,     \r\n2 \r\n]"),
    ("multibyte-comment-one-space-per-byte", "// é\n1", "     \n1"),
    ("escaped-quote-before-comment", '["\\"", // c\n]', '["\\""      \n]'),
]


@pytest.mark.parametrize(
    ("text", "expected"), [c[1:] for c in STANDARDIZE], ids=[c[0] for c in STANDARDIZE]
)
def test_standardize(text: str, expected: str) -> None:
    got = hujson.standardize(text)
    assert got == expected
    assert len(got.encode()) == len(text.encode())
    assert [i for i, c in enumerate(got.encode()) if c == 10] == [
        i for i, c in enumerate(text.encode()) if c == 10
    ]


# (id, value, comments, exact output of dumps)
DUMPS: list[tuple[str, Any, dict[str, str] | None, str]] = [
    ("null", None, None, "null\n"),
    ("true", True, None, "true\n"),
    ("int", -3, None, "-3\n"),
    ("float", 2.5, None, "2.5\n"),
    ("float-exponent", 1e16, None, "1e+16\n"),
    ("negative-zero", -0.0, None, "-0.0\n"),
    ("string-escapes", 'a"\\/\n\t\x01é😀', None, '"a\\"\\\\/\\n\\t\\u0001é😀"\n'),
    ("empty-object", {}, None, "{}\n"),
    ("empty-array", [], None, "[]\n"),
    ("root-object-expanded", {"a": 1}, None, '{\n\t"a": 1,\n}\n'),
    ("root-array-expanded", [1, "x"], None, '[\n\t1,\n\t"x",\n]\n'),
    ("sections-expanded", {"a": [1, 2]}, None, '{\n\t"a": [\n\t\t1,\n\t\t2,\n\t],\n}\n'),
    (
        "rows-inline-and-aligned",
        {"hosts": {"nas": "100.64.0.8", "wintendo": "100.64.0.7"}},
        None,
        '{\n\t"hosts": {\n\t\t"nas":      "100.64.0.8",\n\t\t"wintendo": "100.64.0.7",\n\t},\n}\n',
    ),
    (
        "grant-row-inline",
        {"grants": [{"src": ["group:eng"], "dst": ["tag:web"], "ip": ["tcp:443"]}]},
        None,
        '{\n\t"grants": [\n\t\t{"src": ["group:eng"], "dst": ["tag:web"], "ip": ["tcp:443"]},\n\t],\n}\n',
    ),
    (
        "long-row-expanded-and-aligned",
        {
            "grants": [
                {"src": ["group:engineering"], "dst": ["tag:production-web"], "ip": ["tcp:443"]}
            ]
        },
        None,
        '{\n\t"grants": [\n\t\t{\n\t\t\t"src": ["group:engineering"],\n\t\t\t"dst": ["tag:production-web"],'
        '\n\t\t\t"ip":  ["tcp:443"],\n\t\t},\n\t],\n}\n',
    ),
    (
        "comments-on-section-and-rule",
        {"grants": [{"src": ["a"], "dst": ["b"]}]},
        {"/grants": "rules", "/grants/0": "site.yaml:41 service ollama"},
        '{\n\t// rules\n\t"grants": [\n\t\t// site.yaml:41 service ollama\n\t\t{"src": ["a"], "dst": ["b"]},\n\t],\n}\n',
    ),
    (
        "multi-line-comment",
        {"a": 1},
        {"/a": "first  \n\nthird\r\nfourth"},
        '{\n\t// first\n\t//\n\t// third\n\t// fourth\n\t"a": 1,\n}\n',
    ),
    ("root-comment", [1], {"": "top of file"}, "// top of file\n[\n\t1,\n]\n"),
    (
        "pointer-escapes",
        {"groups": {"a/b": [], "~x": []}},
        {"/groups/a~1b": "slash", "/groups/~0x": "tilde"},
        '{\n\t"groups": {\n\t\t// slash\n\t\t"a/b": [],\n\t\t// tilde\n\t\t"~x": [],\n\t},\n}\n',
    ),
    (
        "comment-splits-alignment",
        {"o": {"a": 1, "bbb": 2, "cc": 3}},
        {"/o/cc": "note"},
        '{\n\t"o": {\n\t\t"a":   1,\n\t\t"bbb": 2,\n\t\t// note\n\t\t"cc": 3,\n\t},\n}\n',
    ),
    (
        "expanded-value-splits-alignment",
        {"o": {"a": 1, "bb": {"c": ["x" * 40, "y" * 40]}, "ddd": 2}},
        None,
        '{\n\t"o": {\n\t\t"a": 1,\n\t\t"bb": {\n\t\t\t"c": [\n\t\t\t\t"'
        + "x" * 40
        + '",\n\t\t\t\t"'
        + "y" * 40
        + '",\n\t\t\t],\n\t\t},\n\t\t"ddd": 2,\n\t},\n}\n',
    ),
    (
        "comment-on-inline-element-expands-it",
        {"o": {"list": [1, 2]}},
        {"/o/list/1": "two"},
        '{\n\t"o": {\n\t\t"list": [\n\t\t\t1,\n\t\t\t// two\n\t\t\t2,\n\t\t],\n\t},\n}\n',
    ),
    ("tuple-is-array", {"t": (1, 2)}, None, '{\n\t"t": [\n\t\t1,\n\t\t2,\n\t],\n}\n'),
    (
        "exactly-80-inline",
        {"s": [["x" * 74]]},
        None,
        '{\n\t"s": [\n\t\t["' + "x" * 74 + '"],\n\t],\n}\n',
    ),
    (
        "81-expands",
        {"s": [["x" * 75]]},
        None,
        '{\n\t"s": [\n\t\t[\n\t\t\t"' + "x" * 75 + '",\n\t\t],\n\t],\n}\n',
    ),
]


@pytest.mark.parametrize(
    ("value", "comments", "expected"), [c[1:] for c in DUMPS], ids=[c[0] for c in DUMPS]
)
def test_dumps(value: Any, comments: dict[str, str] | None, expected: str) -> None:
    text = hujson.dumps(value, comments=comments)
    assert text == expected
    assert hujson.format(text) == text
    assert hujson.loads(text) == _as_json(value)


def _as_json(value: Any) -> Any:
    """What the value reads back as: tuples come back as lists."""
    if isinstance(value, dict):
        return {key: _as_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_as_json(item) for item in value]
    return value


DUMPS_ERRORS: list[tuple[str, Any, dict[str, str] | None, type[Exception], str]] = [
    ("nan", [math.nan], None, ValueError, "nan is not a JSON number"),
    ("infinity", {"a": math.inf}, None, ValueError, "inf is not a JSON number"),
    ("non-string-key", {1: "a"}, None, TypeError, "object name 1 at / is not a string"),
    ("set", {"a": {1}}, None, TypeError, "set at /a is not JSON serializable"),
    (
        "unknown-comment-path",
        {"a": 1},
        {"/b": "lost"},
        ValueError,
        "comment paths match nothing: /b",
    ),
    ("comment-path-past-end", [1], {"/1": "lost"}, ValueError, "comment paths match nothing: /1"),
    (
        "too-deep",
        __import__("functools").reduce(lambda a, _: [a], range(250), []),
        None,
        ValueError,
        "nesting deeper than 200",
    ),
]


@pytest.mark.parametrize(
    ("value", "comments", "error", "message"),
    [c[1:] for c in DUMPS_ERRORS],
    ids=[c[0] for c in DUMPS_ERRORS],
)
def test_dumps_errors(
    value: Any, comments: dict[str, str] | None, error: type[Exception], message: str
) -> None:
    with pytest.raises(error) as caught:
        hujson.dumps(value, comments=comments)
    assert message in str(caught.value)


def test_table_size() -> None:
    """The issue asks for at least 150 table cases."""
    total = (
        len(VALID)
        + len(INVALID)
        + len(DUPLICATES)
        + len(STANDARDIZE)
        + len(DUMPS)
        + len(DUMPS_ERRORS)
    )
    assert total >= 150, total
