"""A policy file read into plain rule values, each remembering where it was written.

Reading is lenient on purpose: malformed entries are skipped here and reported by
`compiler.evaluate.checks`, so `allowed()` can still answer questions about the valid part of
a policy a person is in the middle of editing. Keys match case-insensitively, as the control
plane's Go decoder does, and the legacy spellings (`users`/`ports` in acls, `user`/`allow` in
tests) are read as their modern equivalents.
"""

from __future__ import annotations

import functools
import marshal
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from compiler.evaluate.addrs import Interval, prefix_interval
from compiler.evaluate.ports import IpSpec, PortError, parse_grant_ip, parse_ports, parse_proto
from compiler.evaluate.positions import Path, Positions, find_positions


def field_of(obj: Any, *names: str) -> tuple[str, Any]:
    """(actual key, value) of the first of `names` present in `obj` (an object, or its
    `Fields` when they are made already), matched case-insensitively."""
    return (obj if isinstance(obj, Fields) else Fields(obj)).field(*names)


class Fields:
    """An object's keys by their lower-case spelling (the last spelling wins), made once for
    an entry whose several fields are read: once per field was a tenth of reading a policy."""

    def __init__(self, obj: Any) -> None:
        self.obj: Mapping[Any, Any] = obj if isinstance(obj, Mapping) else {}
        self.lowered = {str(k).lower(): k for k in self.obj}

    def field(self, *names: str) -> tuple[str, Any]:
        """(actual key, value) of the first of `names` present, matched case-insensitively."""
        for name in names:
            key = self.lowered.get(name.lower())
            if key is not None:
                return key, self.obj[key]
        return names[0], None


def str_list(value: Any) -> list[str]:
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def str_items(value: Any) -> Iterator[tuple[int, str]]:
    """Each string of a list with its index in the whole list: a problem's path must count
    the numbers and objects before the string, or its line:col points at another item."""
    if isinstance(value, list):
        for i, item in enumerate(value):
            if isinstance(item, str):
                yield i, item


@dataclass(frozen=True)
class Ref:
    """A selector string and where it was written."""

    text: str
    path: Path


@dataclass(frozen=True)
class DstRef:
    ref: Ref
    specs: tuple[IpSpec, ...]


@dataclass(frozen=True)
class NetRule:
    """One acls or grants entry, normalised to grant form (ACL ≡ grant, reference §5.3)."""

    section: str
    index: int
    path: Path
    srcs: tuple[Ref, ...]
    dsts: tuple[DstRef, ...]
    via: tuple[str, ...] = ()
    src_posture: tuple[str, ...] | None = None
    has_app: bool = False

    @property
    def name(self) -> str:
        return f"{self.section}[{self.index}]"


@dataclass(frozen=True)
class SshRule:
    index: int
    path: Path
    action: str
    srcs: tuple[Ref, ...]
    dsts: tuple[Ref, ...]
    users: tuple[str, ...]
    src_posture: tuple[str, ...] | None = None

    @property
    def name(self) -> str:
        return f"ssh[{self.index}]"


@dataclass(frozen=True)
class Entries:
    """The strings of one list in the policy, each at `(*base, i)`: a test's accept or deny
    entries. Paths are made only for the entries asked about (a problem to place); the
    generated tests of a large tailnet hold ~10 entries per device, and a `Ref` apiece was
    most of reading the policy."""

    base: Path = ()
    texts: tuple[str, ...] = ()
    indexes: tuple[int, ...] | None = None
    """Each text's index in the list; None when the list held nothing but strings."""

    @classmethod
    def of(cls, base: Path, value: Any) -> Entries:
        if not isinstance(value, list):
            return cls(base)
        texts = tuple(v for v in value if isinstance(v, str))
        if len(texts) == len(value):
            return cls(base, texts)
        return cls(base, texts, tuple(i for i, v in enumerate(value) if isinstance(v, str)))

    def path(self, n: int) -> Path:
        """Where the `n`th text is written."""
        return (*self.base, n if self.indexes is None else self.indexes[n])

    def __len__(self) -> int:
        return len(self.texts)

    def __iter__(self) -> Iterator[Ref]:
        return (Ref(text, self.path(n)) for n, text in enumerate(self.texts))


@dataclass(frozen=True)
class NetTest:
    index: int
    path: Path
    src: str
    proto: str
    accept: Entries
    deny: Entries
    posture_attrs: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SshTest:
    index: int
    path: Path
    src: str
    dsts: tuple[Ref, ...]
    accept: tuple[str, ...]
    check: tuple[str, ...]
    deny: tuple[str, ...]
    posture_attrs: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class Policy:
    """The evaluator's view of a policy file."""

    raw: dict[str, Any]
    text: str
    keys: dict[str, str]
    groups: dict[str, list[str]]
    hosts: dict[str, str]
    tag_owners: dict[str, list[str]]
    ipsets: dict[str, list[str]]
    postures: dict[str, list[str]]
    default_src_posture: tuple[str, ...]
    rules: list[NetRule]
    has_rule_sections: bool
    ssh: list[SshRule]
    tests: list[NetTest]
    ssh_tests: list[SshTest]

    def key(self, name: str) -> str:
        """The spelling the file uses for a top-level key (for paths and messages)."""
        return self.keys.get(name.lower(), name)

    @functools.cached_property
    def positions(self) -> Positions:
        """Found only when a problem or an explanation needs a line: most policies are
        checked and pass, and finding positions costs as much as parsing."""
        return find_positions(self.text) if self.text else Positions()

    @functools.cached_property
    def host_intervals(self) -> dict[str, Interval | None]:
        """Each host's address or prefix as an interval (None: its value is neither), read
        once: the checks, the resolver and the tests each ask about every host, and a large
        tailnet has a host per service device."""
        return {name: prefix_interval(value) for name, value in self.hosts.items()}

    def target_interval(self, name: str) -> Interval | None:
        """The interval of the address or prefix `name` stands for: a host's value, else
        `name` itself (None: it is neither)."""
        if name in self.hosts:
            return self.host_intervals[name]
        return prefix_interval(name)

    def where(self, path: Path) -> tuple[int, int]:
        return self.positions.of(path)

    @functools.cached_property
    def entry_positions(self) -> Positions:
        """`positions` of the sections and their entries only (two keys deep, what a rule's
        line and the provenance comment above it need), found without walking every value
        inside the entries: explaining a few flows of a large policy needs nothing else."""
        if "positions" in self.__dict__ or not self.text:
            return self.positions
        return find_positions(self.text, depth=2)


def parse_policy(text: str) -> Policy:
    """Read policy text with `compiler.hujson` (raises its error on malformed HuJSON)."""
    from compiler import hujson

    data = hujson.loads(text)
    if not isinstance(data, dict):
        data = {}
    return policy_from_data(data, text)


def policy_from_data(data: dict[str, Any], text: str = "", like: Policy | None = None) -> Policy:
    """The policy `data` holds. `like`: a policy read before, whose rules and tests written
    identically at the same place are taken as read (a review reads two mostly equal ones)."""
    keys = {str(k).lower(): str(k) for k in data}
    known = _Known(like)
    specs: dict[str, IpSpec | None] = {}

    def grant(i: int, path: Path, entry: Fields) -> NetRule:
        return _grant(i, path, entry, specs)

    def section(name: str) -> tuple[str, Any]:
        return field_of(data, name)

    return Policy(
        raw=data,
        text=text,
        keys=keys,
        groups=_str_map(section("groups")[1]),
        hosts={k: v for k, v in (_mapping(section("hosts")[1])).items() if isinstance(v, str)},
        tag_owners=_str_map(section("tagOwners")[1]),
        ipsets=_str_map(section("ipsets")[1]),
        postures=_str_map(section("postures")[1]),
        default_src_posture=tuple(str_list(section("defaultSrcPosture")[1])),
        rules=_parsed(*section("acls"), _acl, known) + _parsed(*section("grants"), grant, known),
        has_rule_sections="acls" in keys or "grants" in keys,
        ssh=_parsed(*section("ssh"), _ssh_rule),
        tests=_parsed(*section("tests"), _test, known),
        ssh_tests=_parsed(*section("sshTests"), _ssh_test),
    )


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _str_map(value: Any) -> dict[str, list[str]]:
    return {str(k): str_list(v) for k, v in _mapping(value).items()}


T = TypeVar("T")


def _parsed(
    key: str,
    value: Any,
    one: Callable[[int, Path, Fields], T | None],
    known: _Known | None = None,
) -> list[T]:
    """Each object entry of a section list read by `one` (None: skipped), or taken from
    `known` when it has that entry as written."""
    if not isinstance(value, list):
        return []
    out: list[T] = []
    for i, entry in enumerate(value):
        if not isinstance(entry, Mapping):
            continue
        path = (key, i)
        item = known.get(path, entry) if known is not None else None
        if item is None:
            item = one(i, path, Fields(entry))
        if item is not None:
            out.append(item)
    return out


class _Known:
    """The rules and tests another policy read, by path: an entry written identically at
    the same path reads the same (the same marshalled bytes are the same value)."""

    def __init__(self, like: Policy | None) -> None:
        self.raw: Mapping[str, Any] = like.raw if like is not None else {}
        items: list[NetRule | NetTest] = [*like.rules, *like.tests] if like is not None else []
        self.items: dict[Path, Any] = {item.path: item for item in items}

    def get(self, path: Path, entry: Any) -> Any:
        item = self.items.get(path)
        if item is None:
            return None
        key, index = path
        section = self.raw.get(str(key))
        if not isinstance(section, list) or not isinstance(index, int) or index >= len(section):
            return None
        return item if _identical(entry, section[index]) else None


def _identical(a: Any, b: Any) -> bool:
    try:
        return marshal.dumps(a) == marshal.dumps(b)
    except ValueError:  # a type marshal does not know: read it
        return False


def _refs(entry: Fields, path: Path, *names: str) -> tuple[Ref, ...]:
    key, value = entry.field(*names)
    if not isinstance(value, list):
        return ()
    return tuple(Ref(v, (*path, key, i)) for i, v in enumerate(value) if isinstance(v, str))


def _entry_list(entry: Fields, path: Path, *names: str) -> Entries:
    key, value = entry.field(*names)
    return Entries.of((*path, key), value)


def _posture(entry: Fields) -> tuple[str, ...] | None:
    _, value = entry.field("srcPosture")
    return None if value is None else tuple(str_list(value))


def _acl(i: int, path: Path, entry: Fields) -> NetRule | None:
    proto_text = entry.field("proto")[1]
    try:
        protos = frozenset({parse_proto(str(proto_text))}) if proto_text else None
    except PortError:
        return None
    dsts = tuple(
        DstRef(Ref(host, ref.path), (IpSpec(protos, ports),))
        for ref in _refs(entry, path, "dst", "ports")
        for host, ports in [_split_acl_dst(ref.text)]
        if ports
    )
    srcs = _refs(entry, path, "src", "users")
    return NetRule("acls", i, path, srcs, dsts, src_posture=_posture(entry))


def _split_acl_dst(text: str) -> tuple[str, tuple[tuple[int, int], ...]]:
    """An ACL `dst` split at its last colon into selector and ports (empty ports if invalid)."""
    host, sep, ports = text.rpartition(":")
    if not sep:
        return text, ()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    try:
        return host, parse_ports(ports)
    except PortError:
        return host, ()


def _grant(i: int, path: Path, entry: Fields, read: dict[str, IpSpec | None]) -> NetRule:
    """A grant; `read` holds the `ip` items read so far (None: invalid), which the grants of
    a large policy share."""
    specs = []
    for item in str_list(entry.field("ip")[1]):
        if item not in read:
            read[item] = _grant_ip(item)
        spec = read[item]
        if spec is not None:
            specs.append(spec)
    dsts = tuple(DstRef(ref, tuple(specs)) for ref in _refs(entry, path, "dst"))
    via = tuple(str_list(entry.field("via")[1]))
    has_app = bool(entry.field("app")[1])
    srcs = _refs(entry, path, "src")
    return NetRule("grants", i, path, srcs, dsts, via, _posture(entry), has_app)


def _grant_ip(item: str) -> IpSpec | None:
    try:
        return parse_grant_ip(item)
    except PortError:
        return None


def _ssh_rule(i: int, path: Path, entry: Fields) -> SshRule:
    """An SSH rule; the control plane trims surrounding whitespace in every ssh field
    (observed)."""
    action = str(entry.field("action")[1] or "").strip()
    users = tuple(u.strip() for u in str_list(entry.field("users")[1]))
    srcs, dsts = _stripped(_refs(entry, path, "src")), _stripped(_refs(entry, path, "dst"))
    return SshRule(i, path, action, srcs, dsts, users, _posture(entry))


def _stripped(refs: tuple[Ref, ...]) -> tuple[Ref, ...]:
    return tuple(Ref(r.text.strip(), r.path) for r in refs)


def _test(i: int, path: Path, entry: Fields) -> NetTest:
    src = entry.field("src", "user")[1]
    proto = entry.field("proto")[1]
    return NetTest(
        index=i,
        path=path,
        src=src if isinstance(src, str) else "",
        proto=str(proto) if proto is not None else "",
        accept=_entry_list(entry, path, "accept", "allow"),
        deny=_entry_list(entry, path, "deny"),
        posture_attrs=dict(_mapping(entry.field("srcPostureAttrs")[1])),
    )


def _ssh_test(i: int, path: Path, entry: Fields) -> SshTest:
    src = entry.field("src", "user")[1]
    return SshTest(
        index=i,
        path=path,
        src=src if isinstance(src, str) else "",
        dsts=_refs(entry, path, "dst"),
        accept=tuple(str_list(entry.field("accept")[1])),
        check=tuple(str_list(entry.field("check")[1])),
        deny=tuple(str_list(entry.field("deny")[1])),
        posture_attrs=dict(_mapping(entry.field("srcPostureAttrs")[1])),
    )
