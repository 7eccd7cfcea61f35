"""Property tests for the build's short cuts in the site model, planner and guard (hypothesis).

Each short cut answers sooner what a slower, obvious computation answers; the oracles are
written here and borrow nothing from the code they check:
- `split_command` without quotes or backslashes: `shlex.split` itself, on any text;
- the guard's address test: `ipaddress.ip_address` on every word (refusing what raises);
- the unions of bind keys: every kind's tuples, joined here;
- `Site.derived`: a fresh computation on every copy of a site;
- DNS names: IDNA-encoding and checking label by label, written here;
- a node's ULA address: `ipaddress` arithmetic and formatting.
"""

from __future__ import annotations

import copy
import ipaddress
import re
import shlex

from hypothesis import example, given, settings
from hypothesis import strategies as st

from compiler.emit import services
from compiler.emit.launch.guard import _bind
from compiler.emit.launch.hosts import _ip, classify, hosts_of
from compiler.emit.services.base import split_command
from compiler.site.dns import to_ascii
from compiler.site.inventory import ipv4_text, ipv6_for
from compiler.site.model import OS, Site, _dotted_quad

SETTINGS = settings(max_examples=150, deadline=None)

# Every kind of character shlex treats differently: its whitespace, other Unicode spaces it
# does not split at, quotes, the escape, comment and punctuation look-alikes, placeholders.
PIECES = [" ", "  ", "\t", "\r", "\n", "\x0b", "\x0c", "\xa0", "\u2003", "\x1f", "\x85"]
PIECES += ["'", '"', "\\", "#", ";", "|", "&", "(", ")", "{host}", "{port}", "--host", "="]
PIECES += ["serve", "-p", "8000", "é", "$HOME", "C:\\x", "a b", ""]
commands = st.lists(st.sampled_from(PIECES) | st.text(max_size=4), max_size=12).map("".join)


def _windows_oracle(command: str) -> list[str]:
    words = shlex.split(command, posix=False)
    return [w[1:-1] if len(w) > 1 and w[0] == w[-1] and w[0] in "\"'" else w for w in words]


def _oracle(command: str, os: OS) -> list[str] | None:
    """shlex's words, or None where shlex refuses the line (an unclosed quote)."""
    try:
        return _windows_oracle(command) if os is OS.WINDOWS else shlex.split(command)
    except ValueError:
        return None


@SETTINGS
@given(commands, st.sampled_from([OS.LINUX, OS.MACOS, OS.WINDOWS]))
def test_split_command_matches_shlex(command: str, os: OS) -> None:
    expected = _oracle(command, os)
    if expected is None:
        return
    assert split_command(command, os) == expected


def _ip_oracle(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        ip = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


hosts = st.lists(
    st.sampled_from(["1", "0", "255", "8000", ".", ":", "::", "a", "f", "%eth0", "ffff", "x"]),
    max_size=9,
).map("".join) | st.ip_addresses().map(str)


@SETTINGS
@given(hosts)
def test_address_literal_test_matches_ipaddress(host: str) -> None:
    assert _ip(host) == _ip_oracle(host)


def test_bind_key_unions_are_every_kinds_keys() -> None:
    env: set[str] = set(services.EXTRA_BIND_ENV)
    flags: set[str] = set(services.EXTRA_BIND_FLAGS)
    config: set[tuple[str, ...]] = set()
    for kind in services.KINDS.values():
        env.update(kind.bind_env)
        flags.update(kind.bind_flags)
        config.update(kind.bind_config)
    assert services.bind_env() == env
    assert services.bind_flags() == flags
    assert services.bind_config() == config


def _by_device(site: Site) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name, svc in site.services.items():
        found.setdefault(svc.device, []).append(name)
    return found


devices = st.sampled_from(["a", "b", "c"])
service_names = st.sampled_from(["s1", "s2", "s3"])


@SETTINGS
@given(st.dictionaries(service_names, devices, max_size=3), service_names, devices)
def test_derived_index_is_fresh_on_every_copy(placed: dict[str, str], svc: str, to: str) -> None:
    """Every way of copying a site answers `services_on` from its own services."""
    declared = {d: {"os": "linux"} for d in ("a", "b", "c")}
    services_ = {s: {"device": d, "port": 8000} for s, d in placed.items()}
    site = Site.model_validate({"devices": declared, "services": services_})
    for device in "abc":  # asked first, so a copy could answer from a stale index
        assert site.services_on(device) == _by_device(site).get(device, [])
    moved = dict(site.services)
    if svc in moved:
        moved[svc] = moved[svc].model_copy(update={"device": to})
    copies = [
        site.model_copy(),
        site.model_copy(update={"services": moved}),
        copy.deepcopy(site),
        copy.copy(site),
    ]
    for other in copies:
        for device in "abc":
            assert other.services_on(device) == _by_device(other).get(device, [])


def _name_oracle(name: str) -> str | None:
    """A name as resolvers compare it, label by label; None where it is not a valid name."""
    text = name.removesuffix(".")
    labels = []
    for label in text.split("."):
        try:
            encoded = label if label.isascii() else label.encode("idna").decode("ascii")
        except UnicodeError:
            return None
        encoded = encoded.lower()
        if not re.fullmatch(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?", encoded) or len(encoded) > 63:
            return None
        labels.append(encoded)
    full = ".".join(labels)
    return full if text and len(full) <= 253 else None


LABELS = ["a", "A", "z9", "-", "a-", "-a", "a-b", "", "x" * 63, "y" * 64, "café", "ß", "_"]
some_labels = st.lists(st.sampled_from(LABELS) | st.text(max_size=5), min_size=1, max_size=6)
long_labels = st.lists(st.sampled_from(["x" * 63, "b" * 60]), max_size=5)
dns_names = some_labels.map(".".join) | long_labels.map(lambda ls: ".".join(ls) + ".")


@SETTINGS
@given(dns_names)
def test_dns_name_short_cut_matches_label_by_label(name: str) -> None:
    expected = _name_oracle(name)
    try:
        got: str | None = to_ascii(name)
    except ValueError:
        got = None
    assert got == expected


@SETTINGS
@given(st.ip_addresses(v=4))
def test_ula_address_matches_ipaddress(ip: ipaddress.IPv4Address) -> None:
    ula = ipaddress.IPv6Network("fd7a:115c:a1e0::/48").network_address
    assert ipv6_for(int(ip)) == (str(ula + int(ip)), int(ula + int(ip)))
    assert ipv4_text(int(ip)) == str(ip)


@SETTINGS
@given(
    st.dictionaries(devices, st.none() | st.integers(0, 2**22 - 1), min_size=1),
    devices,
    st.integers(0, 2**22 - 1),
)
def test_pinned_text_is_each_copys_own_address(
    placed: dict[str, int | None], moved: str, offset: int
) -> None:
    """`Site.pinned` is `str` of the device's address (None when unpinned or undeclared), on
    the site and on every copy that pins another address."""
    base = ipaddress.IPv4Address("100.64.0.0")
    declared = {
        d: {"tailscale_ip": None if n is None else str(base + n)} for d, n in placed.items()
    }
    site = Site.model_validate({"devices": declared})
    others = dict(site.devices)
    if moved in others:
        others[moved] = others[moved].model_copy(update={"tailscale_ip": base + offset})
    for one in (site, site.model_copy(update={"devices": others}), copy.deepcopy(site)):
        for device in "abcd":
            dev = one.devices.get(device)
            pinned = dev.tailscale_ip if dev is not None else None
            assert one.pinned(device) == (None if pinned is None else str(pinned))


def _hosts_oracle(value: str) -> list[str]:
    """The host part(s) of a bind value, asking `ipaddress` about every candidate."""
    value = value.strip().strip("'\"").strip()
    if "," in value:
        return [h for part in value.split(",") for h in _hosts_oracle(part)]
    if "://" in value:
        value = value.split("://", 1)[1].split("/", 1)[0]
    if value.startswith("["):
        return [value[1 : value.find("]")] if "]" in value else value[1:]]
    if _ip_oracle(value) is not None or value.count(":") != 1:
        return [value]
    return [value.rpartition(":")[0]]


bind_values = st.lists(
    hosts
    | st.sampled_from(
        [":", ":8000", "http://", "/x", ",", "[", "]", "%", "'", " ", "10.0.0.1%a:b"]
    ),
    max_size=5,
).map("".join)


@SETTINGS
@given(bind_values)
@example("10.0.0.1%a:b")  # one colon, but in the zone of an address literal
def test_hosts_of_matches_asking_ipaddress(value: str) -> None:
    assert hosts_of(value) == _hosts_oracle(value)


@SETTINGS
@given(st.integers(0, 2**22 - 1), st.lists(bind_values | st.just("{pinned}"), max_size=3))
def test_guard_classes_each_host_as_ipaddress_does(offset: int, parts: list[str]) -> None:
    """A bind value naming the node's own pinned address, other addresses or anything else:
    the guard classes every host as `classify` does when it parses each one (its address
    test is checked against `ipaddress` above)."""
    pinned = str(ipaddress.IPv4Address("100.64.0.0") + offset)
    value = ":".join(parts).replace("{pinned}", pinned)
    binds = list(_bind("where", value, {pinned}, "KEY"))
    assert [b.host for b in binds] == _hosts_oracle(value)
    assert [b.cls for b in binds] == [classify(b.host, {pinned}) for b in binds]


quads = st.lists(
    st.sampled_from(["0", "1", "01", "255", "256", "100", "64", "0x1", " ", "", "é", "\x00"]),
    min_size=1,
    max_size=5,
).map(".".join)


@SETTINGS
@given(quads | st.ip_addresses(v=4).map(str) | st.text(max_size=16))
def test_pinned_address_parse_matches_ipaddress(text: str) -> None:
    """The C library's parse of a pinned address gives `IPv4Address`'s answer, and leaves
    every string it refuses to pydantic (which then refuses it with its own message)."""
    try:
        expected: ipaddress.IPv4Address | None = ipaddress.IPv4Address(text)
    except ValueError:
        expected = None
    got = _dotted_quad(text)
    assert got == (text if expected is None else expected)
    assert type(got) is (str if expected is None else ipaddress.IPv4Address)
