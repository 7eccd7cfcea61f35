"""site.yaml → `Site`, with a source map so every problem names file:line:column.

This is the only place that reads site files. YAML is composed into a node tree first (PyYAML
keeps marks on nodes), then turned into plain data while recording where each key and value
was written. Duplicate keys are errors (YAML silently keeps the last one). Schema problems are
all collected, not just the first, and each unknown key gets a "did you mean" hint.

A site file may be hostile or broken, and the answer is always an error at file:line:col, in
bounded time, never a traceback: the size is capped before parsing, bytes that are not UTF-8
and control characters are found and placed before YAML sees them, nesting is capped, and
aliases may not expand the document beyond a small multiple of its own size (a "billion
laughs" file is refused, not expanded). Only YAML's plain types are accepted: `!!python/…` and
other tags, and merge keys (`<<`), are errors.
"""

from __future__ import annotations

import ipaddress
import re
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

from compiler.collector import paused_gc
from compiler.errors import InputError, Problem, SiteError, Span, did_you_mean
from compiler.site.model import Site
from compiler.site.source import MERGE_TAG, PLAIN_TAGS, YAML_TAG, Path_, SourceMap

try:  # the C loader is ~10x faster on large sites; marks are the same
    _Loader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment]
except AttributeError:  # pragma: no cover - libyaml missing
    _Loader = yaml.SafeLoader


MAX_SITE_BYTES = 16 << 20
"""A site is a few kilobytes; a generated one for thousands of devices a few megabytes."""
MAX_DEPTH = 64
"""A site nests five or six levels; anything deeper is not a site."""
MAX_PLAIN_KEY = 1024
"""YAML's limit on the length of a key written without `? `."""
ALIAS_BUDGET = 1000
"""Nodes an alias may add beyond the document's size before the file is refused."""

_YAML = YAML_TAG
_PLAIN_TAGS = PLAIN_TAGS
_BOOL_WORDS = {"true", "false"}


class _Refused(Exception):
    """The document is refused as a whole (too deep, aliases expand too far)."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


class _SiteLoader(_Loader):  # type: ignore[misc, valid-type]
    """The C loader, answering the composer's questions for every node of the document
    itself, as `BaseResolver` would (no path resolvers, no wildcard implicit resolvers are
    registered: checked below), only sooner: a plain scalar whose first character starts no
    YAML 1.1 type (`u0@example.com`, `linux`, `d17`) is a string at once, one that may be
    typed (`8000`, `100.64.0.1`, `true`) runs the resolvers for its first character in
    their order, without the generic method's list building and path checks."""

    def resolve(self, kind: type[yaml.Node], value: Any, implicit: tuple[bool, bool]) -> str:
        if kind is _SCALAR:
            if not implicit[0]:  # quoted, or tagged `!`: the default scalar tag
                return _STR
            for tag, expression in _IMPLICIT.get(value[:1], ()):
                if expression.match(value):
                    return tag
            return _STR
        return _SEQ if kind is yaml.SequenceNode else _MAP  # untagged: no path resolvers

    # Without path resolvers, descending into and ascending out of a node change nothing,
    # but the composer calls both for every node (two Python calls each, 180,000 on a large
    # site): builtins taking the same arguments and doing nothing stand in for them.
    descend_resolver = staticmethod(dict[object, None]().get)  # (parent, index) -> None
    ascend_resolver = staticmethod(tuple)  # () -> ()


_STR, _SEQ, _MAP = f"{_YAML}str", f"{_YAML}seq", f"{_YAML}map"
_SCALAR = yaml.ScalarNode
_IMPLICIT = _Loader.yaml_implicit_resolvers
"""First character (`""` for the empty scalar) → the implicit resolvers (tag, expression) to
try in order: PyYAML's own table, compiled when yaml is imported."""
assert None not in _IMPLICIT and not _Loader.yaml_path_resolvers  # what `resolve` relies on


@dataclass
class _Builder:
    """Turns composed YAML nodes into plain data in one walk, recording each container it
    builds in a SourceMap (whose marks are looked up only when asked) and collecting problems.
    `budget` bounds how many nodes may be built (aliases re-visit shared nodes)."""

    loader: yaml.SafeLoader
    source: SourceMap
    budget: int
    problems: list[Problem] = field(default_factory=list)
    yaml11_words: dict[Path_, str] = field(default_factory=dict)

    def span(self, node: yaml.Node) -> Span:
        mark = node.start_mark
        return Span(self.source.file, mark.line + 1, mark.column + 1)

    def build(self, node: yaml.Node, path: Path_) -> Any:
        self.budget -= 1
        if self.budget < 0 or len(path) > MAX_DEPTH:
            raise self._refused(node, path)
        tag = node.tag
        if tag not in _PLAIN_TAGS:
            self.problems.append(Problem("yaml", _tag_message(tag), self.span(node)))
            return None
        if isinstance(node, yaml.MappingNode):
            return self.mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return self.sequence(node, path)
        if tag == _STR:
            return node.value
        if tag == _BOOL and node.value.lower() not in _BOOL_WORDS:
            self.yaml11_words[path] = node.value
        return self.loader.yaml_constructors[tag](self.loader, node)

    def _refused(self, node: yaml.Node, path: Path_) -> _Refused:
        if self.budget < 0:
            message = "aliases expand this document too far (an alias bomb?): refusing it"
            where = self.source.at(path[:1]) if path else self.span(node)
            return _Refused(Problem("yaml-alias-bomb", message, where))
        message = f"nesting deeper than {MAX_DEPTH} levels: not a site file"
        return _Refused(Problem("yaml-too-deep", message, self.span(node)))

    def sequence(self, node: yaml.SequenceNode, path: Path_) -> list[Any]:
        self.source.containers[path] = node
        build, plain = self.build, self.plain
        return [
            item.value if plain(item, path) else build(item, (*path, i))
            for i, item in enumerate(node.value)
        ]

    def mapping(self, node: yaml.MappingNode, path: Path_) -> dict[str, Any]:
        self.source.containers[path] = node
        result: dict[str, Any] = {}
        build, plain = self.build, self.plain
        for key_node, value_node in node.value:
            if type(key_node) is not _SCALAR:
                self.problems.append(
                    Problem("yaml", "keys must be plain names", self.span(key_node))
                )
                continue
            key = str(key_node.value)  # `on:`/`yes:` stay names, not booleans
            if key in result or key_node.tag == _MERGE:
                self._bad_key(key_node, key, path)
                continue
            result[key] = (
                value_node.value if plain(value_node, path) else build(value_node, (*path, key))
            )
        return result

    def plain(self, node: yaml.Node, parent: Path_) -> bool:
        """Whether a child of the container at `parent` is a plain string that `build` would
        return as it is (most of a site's nodes): then it is counted against the budget here,
        and its path is never built."""
        if (
            node.tag is _STR
            and type(node) is _SCALAR
            and len(parent) < MAX_DEPTH
            and self.budget > 0
        ):
            self.budget -= 1
            return True
        return False

    def _bad_key(self, key_node: yaml.ScalarNode, key: str, path: Path_) -> None:
        """A merge key (`<<`), or a key written twice."""
        if key_node.tag == _MERGE:
            message = "merge keys (<<) are not supported in a site file: write the keys out"
            self.problems.append(Problem("yaml-merge", message, self.span(key_node)))
            return
        first = self.source.at((*path, key))
        message = f"duplicate key {key!r} (first defined on line {first.line})"
        self.problems.append(
            Problem("duplicate-key", message, self.span(key_node), path=(*path, key))
        )


_BOOL = f"{_YAML}bool"
_MERGE = MERGE_TAG


def _tag_message(tag: str) -> str:
    shown = tag.replace(_YAML, "!!")
    return f"the YAML tag {shown} is not allowed in a site file (only plain values)"


def parse_yaml(text: str, filename: str) -> tuple[Any, SourceMap, list[Problem]]:
    """Parse YAML text into plain data and a source map; syntax errors become problems."""
    data, source, problems, _ = _parse(text, filename)
    return data, source, problems


def _parse(text: str, filename: str) -> tuple[Any, SourceMap, list[Problem], dict[Path_, str]]:
    source = SourceMap(filename)
    bad = first_forbidden_character(text, filename)
    if bad is not None:
        return None, source, [bad], {}
    loader = _SiteLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return {}, source, [], {}
        builder = _Builder(loader, source, 2 * len(text) + ALIAS_BUDGET)
        return builder.build(node, ()), source, builder.problems, builder.yaml11_words
    except _Refused as exc:
        return None, source, [exc.problem], {}
    except yaml.MarkedYAMLError as exc:
        return None, source, [_syntax_problem(exc, text, filename)], {}
    except yaml.YAMLError as exc:  # a reader error the scan above did not foresee
        return None, source, [Problem("yaml", f"YAML error: {exc}", Span(filename, 1, 1))], {}
    finally:
        loader.dispose()


def _syntax_problem(exc: yaml.MarkedYAMLError, text: str, filename: str) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    span = Span(filename, mark.line + 1, mark.column + 1) if mark else Span(filename)
    reason = exc.problem or exc.context or "invalid YAML"
    hint = ""
    if mark and text[mark.index : mark.index + 1] == "\t":
        reason = "a tab cannot indent YAML; use spaces"
    elif mark and mark.column > MAX_PLAIN_KEY and "mapping values" in reason:
        hint = f"a YAML key is at most {MAX_PLAIN_KEY} characters long"
    elif "undefined alias" in reason and mark:
        name = re.match(r"\*([^\s,\[\]{}]*)", text[mark.index :])
        if name:
            reason = f"alias *{name[1]} has no anchor &{name[1]} before it"
    return Problem("yaml", f"YAML syntax error: {reason}", span, hint=hint)


# What YAML refuses in a document: the complement of c-printable (tab, newlines, printable
# text, no BOM inside), written as the positive set because the negated class with its
# supplementary-plane range took ~10 ms to compile at every start (the two are equal on every
# code point: tests/test_loader_props.py).
_FORBIDDEN = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufeff\ufffe\uffff]"
)


def first_forbidden_character(text: str, filename: str) -> Problem | None:
    """The first character YAML refuses (NUL, other control characters, a stray BOM), placed
    at its line and column, or None."""
    found = _FORBIDDEN.search(text)
    if found is None:
        return None
    line, column = position(text, found.start())
    message = f"control character U+{ord(found.group()):04X} is not allowed in a site file"
    return Problem("bad-character", message, Span(filename, line, column), hint="remove it")


def position(text: str, index: int) -> tuple[int, int]:
    """1-based (line, column) of `index` in `text` (CRLF counts as one line break)."""
    line = text.count("\n", 0, index) + 1
    start = text.rfind("\n", 0, index) + 1
    return line, index - start + 1


@paused_gc()
def load_text(text: str, filename: str = "site.yaml") -> Site:
    """Validate site.yaml text into a Site; raises SiteError with every problem found."""
    text = text.removeprefix("\ufeff")  # a UTF-8 byte-order mark is not part of the YAML
    data, source, problems, words = _parse(text, filename)
    if data is None and not problems:  # `---` alone, or `~`: an empty document
        data = {}
    if data is not None and not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else "a single value"
        message = f"the site file must be a mapping of sections (tailnet:, users:, …), not {kind}"
        problems.append(Problem("schema", message, Span(filename, 1, 1)))
    if problems:
        raise SiteError(sorted(problems, key=Problem.sort_key))
    try:
        site = Site.model_validate(data)
    except ValidationError as exc:
        raise SiteError(schema_problems(exc, data, source, words)) from None
    site.attach_source(source)
    return site


def read_text(path: str | Path) -> str:
    """The text of a site file; an unreadable, oversized or non-UTF-8 file is the user's error
    (with the line and column of the first bad byte), not a crash."""
    path = Path(path)
    name = display_name(path)
    try:
        with path.open("rb") as f:
            data = f.read(MAX_SITE_BYTES + 1)
    except OSError as exc:
        raise InputError(f"{name}: cannot read site file: {exc.strerror or exc}") from None
    if len(data) > MAX_SITE_BYTES:
        limit = MAX_SITE_BYTES >> 20
        raise InputError(f"{name}: larger than {limit} MiB: not a site file")
    return decode(data, name)


def decode(data: bytes, name: str) -> str:
    """UTF-8 (a byte-order mark is dropped); anything else is an error at file:line:col."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(
            [Problem("encoding", "the site file is UTF-16: save it as UTF-8", Span(name, 1, 1))]
        )
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        good = data[: exc.start].decode("utf-8")
        line, column = position(good, len(good))
        byte = data[exc.start]
        message = f"invalid UTF-8 (byte 0x{byte:02x}): save the site file as UTF-8"
        raise InputError([Problem("encoding", message, Span(name, line, column))]) from None


def display_name(path: Path) -> str:
    """How errors name the site file: as the user typed it, without a leading './'."""
    return path.as_posix().removeprefix("./")


def load(path: str | Path) -> tuple[Site, str]:
    """Read and validate a site file; returns the Site and its text (for excerpts in errors)."""
    text = read_text(path)
    return load_text(text, display_name(Path(path))), text


# ---------------------------------------------------------------------------------------------
# pydantic errors → problems with places and hints


def schema_problems(
    exc: ValidationError, data: Any, source: SourceMap, words: dict[Path_, str] | None = None
) -> list[Problem]:
    """pydantic's errors as problems; `words` are the YAML 1.1 booleans (`no`, `on`, …) as
    written, so a "valid string" error can say to quote them."""
    problems = {_problem(err, data, source, words or {}) for err in exc.errors(include_url=False)}
    return sorted(problems, key=Problem.sort_key)


def _data_path(loc: tuple[Any, ...], data: Any) -> Path_:
    """The part of pydantic's `loc` that exists in the data (drops union-member labels)."""
    path: list[str | int] = []
    node = data
    for part in loc:
        if (isinstance(node, dict) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and part < len(node)
        ):
            node = node[part]
        else:
            break
        path.append(part)
    return tuple(path)


def _dotted(path: Path_) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "the site file"


def _problem(err: Any, data: Any, source: SourceMap, words: dict[Path_, str]) -> Problem:
    kind = err["type"]
    path = _data_path(tuple(err["loc"]), data)
    if kind == "extra_forbidden":
        key = str(path[-1])
        allowed = _fields_at(path[:-1])
        where = _dotted(path[:-1])
        return Problem(
            "unknown-key",
            f"unknown key {key!r} in {where}",
            source.at(path),
            hint=did_you_mean(key, allowed),
            path=path,
        )
    if kind == "missing":
        missing = str(err["loc"][-1])
        where = _dotted(path)
        return Problem(
            "missing-key", f"{where}: missing required key {missing!r}", source.at(path), path=path
        )
    message = _clean(err["msg"])
    if kind.startswith("ip_") and isinstance(err.get("input"), str):
        message, ip_hint = _ip_reason(err["input"], message)
        return Problem(
            "schema",
            f"{_dotted(path)}: {message}",
            source.at(path, key=False),
            hint=ip_hint,
            path=path,
        )
    hint = _enum_hint(err) or _quote_hint(path, words)
    return Problem(
        "schema", f"{_dotted(path)}: {message}", source.at(path, key=False), hint=hint, path=path
    )


def _clean(message: str) -> str:
    return re.sub(r"^Value error, ", "", message)


def _ip_reason(text: str, message: str) -> tuple[str, str]:
    """Why an address or network was refused (host bits set, a part out of range…), and the
    network meant when host bits are set."""
    try:
        ipaddress.ip_network(text, strict=True) if "/" in text else ipaddress.ip_address(text)
    except ValueError as exc:
        reason = str(exc).replace("does not appear to be an IPv4 or IPv6", "is not an IPv4 or IPv6")
        if "has host bits set" in reason:
            meant = ipaddress.ip_network(text, strict=False)
            return (
                f"{text} has host bits set: the bits after the /{meant.prefixlen} prefix must be zero",
                f"did you mean {meant}?",
            )
        return f"{message}: {reason}", ""
    return message, ""


def _quote_hint(path: Path_, words: dict[Path_, str]) -> str:
    word = words.get(path)
    if word is None:
        return ""
    return f'YAML reads {word} as a boolean: write "{word}" in quotes to mean the word'


def _enum_hint(err: Any) -> str:
    expected = (err.get("ctx") or {}).get("expected")
    if not expected or not isinstance(err.get("input"), str):
        return ""
    return did_you_mean(err["input"], re.findall(r"'([^']*)'", str(expected)))


def _fields_at(path: Path_) -> list[str]:
    """Names allowed at `path` in the Site model, for "did you mean" on unknown keys."""
    annotation: Any = Site
    for part in path:
        annotation = _step(annotation, part)
        if annotation is None:
            return []
    model = _model_of(annotation)
    if model is None:
        return []
    return [f.alias or name for name, f in model.model_fields.items()]


def _step(annotation: Any, part: str | int) -> Any:
    model = _model_of(annotation)
    if model is not None:
        fields = {f.alias or name: f for name, f in model.model_fields.items()}
        found = fields.get(str(part))
        return found.annotation if found else None
    args = [a for a in get_args(_unwrap(annotation)) if a is not type(None)]
    return args[-1] if args else None


def _unwrap(annotation: Any) -> Any:
    while get_origin(annotation) is typing.Annotated:
        annotation = get_args(annotation)[0]
    return annotation


def _model_of(annotation: Any) -> type[BaseModel] | None:
    annotation = _unwrap(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if get_origin(annotation) in (typing.Union, types.UnionType):
        for arg in get_args(annotation):
            model = _model_of(arg)
            if model is not None:
                return model
    return None
