"""Property test: the evaluator's own reading of IPv4 addresses agrees with `ipaddress`."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler.evaluate.addrs import V6_BASE, addr_key, is_ip_or_cidr, prefix_interval

OCTETS = st.one_of(
    st.integers(0, 300).map(str),
    st.sampled_from(["", "00", "01", "007", "0x1", "+1", "-1", " 1", "1 ", "٣", "²", "1e2"]),
)
ADDRESSES = st.one_of(
    st.lists(OCTETS, min_size=1, max_size=6).map(".".join),
    st.ip_addresses().map(str),
    st.text(st.sampled_from("0123456789.:abcdef%/"), max_size=12),
)


def ipaddress_key(text: str) -> int | None:
    """The plain reading: `ipaddress` parses it, IPv6 placed above every IPv4 address."""
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return None
    return int(ip) if ip.version == 4 else V6_BASE + int(ip)


@settings(max_examples=400, deadline=None)
@given(text=ADDRESSES)
def test_addr_key_reads_addresses_as_ipaddress_does(text: str) -> None:
    want = ipaddress_key(text)
    if want is None:
        with pytest.raises(ValueError):
            addr_key(text)
    else:
        assert addr_key(text) == want


def ipaddress_interval(text: str) -> tuple[int, int] | None:
    """The plain reading of an address or CIDR as the first and last key it covers."""
    try:
        if "/" in text:
            net = ipaddress.ip_network(text, strict=False)
        else:
            net = ipaddress.ip_network(ipaddress.ip_address(text))
    except ValueError:
        return None
    base = 0 if net.version == 4 else V6_BASE
    return base + int(net.network_address), base + int(net.broadcast_address)


PREFIXES = st.one_of(
    ADDRESSES,
    st.builds(lambda a, n: f"{a}/{n}", ADDRESSES, st.integers(-1, 130)),
    st.builds(lambda a, n: f"{a}/{n}", st.ip_addresses().map(str), st.integers(0, 128)),
)


@settings(max_examples=400, deadline=None)
@given(text=PREFIXES)
def test_prefix_interval_reads_prefixes_as_ipaddress_does(text: str) -> None:
    assert prefix_interval(text) == ipaddress_interval(text)
    assert is_ip_or_cidr(text) == (ipaddress_interval(text) is not None)
