"""Unicode digits are not numbers in any format tailgen reads.

`"²".isdigit()` is true and `int("²")` raises; `int("١٢")` is 12. The control plane parses
ports with Go's strconv, which knows only 0-9, so a policy saying `*:١٢` is invalid there and
must be invalid here — refused with the control plane's message, never a traceback or a
"valid" verdict.
"""

from __future__ import annotations

import json
import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from compiler.evaluate import validate
from compiler.evaluate.ports import PortError, parse_ports, parse_proto
from compiler.numerals import is_decimal

UNICODE_DIGITS = ["²", "١٢", "１２", "٣٤٥"]  # superscript, Arabic-Indic, fullwidth


@given(st.text(max_size=8))
def test_is_decimal_is_exactly_ascii_digits(text: str) -> None:
    assert is_decimal(text) == (text != "" and all(c in string.digits for c in text))


@pytest.mark.parametrize("digits", UNICODE_DIGITS)
def test_ports_and_protocols_refuse_unicode_digits(digits: str) -> None:
    with pytest.raises(PortError, match="invalid first integer"):
        parse_ports(digits)
    with pytest.raises(PortError, match="unknown protocol"):
        parse_proto(digits)


@pytest.mark.parametrize("digits", UNICODE_DIGITS)
def test_a_policy_with_a_unicode_port_is_invalid_with_the_port_message(digits: str) -> None:
    text = json.dumps({"acls": [{"action": "accept", "src": ["*"], "dst": [f"*:{digits}"]}]})
    messages = [p.message for p in validate(text, {}, file="policy.hujson")]
    assert any("invalid first integer" in m for m in messages), messages
    assert not any("HuJSON" in m for m in messages), messages


@pytest.mark.parametrize("digits", UNICODE_DIGITS)
def test_a_test_entry_with_a_unicode_port_is_answered_without_a_traceback(digits: str) -> None:
    rule = {"action": "accept", "src": ["*"], "dst": ["*:*"]}
    test = {"src": "a@example.com", "accept": [f"100.64.0.1:{digits}"]}
    text = json.dumps({"acls": [rule], "tests": [test]})
    problems = validate(text, {}, file="policy.hujson")
    assert any(p.is_error for p in problems)


LISTENER_LINES = [
    "LISTEN 0 4096 100.64.0.1:²  0.0.0.0:*",  # ss
    "tcp 0 0 100.64.0.1.١٢ *.* LISTEN",  # macOS netstat
    "  TCP    100.64.0.1:１２  0.0.0.0:0  LISTENING  ٣",  # Windows netstat, pid in Arabic-Indic
]


@pytest.mark.parametrize("line", LISTENER_LINES)
def test_audit_reads_unicode_digits_as_junk_not_as_numbers(line: str) -> None:
    from compiler import audit

    try:
        table = audit.parse(line)
    except ValueError as err:  # audit's "unrecognised listener table", said by the CLI
        assert "unrecognised" in str(err)
        return
    assert all(listener.port in range(65536) for listener in table.listeners)
    assert not any(listener.port == 12 for listener in table.listeners)
