"""site.yaml → `Site`, with a source map so every problem names file:line:column.

This is the only place that reads site files. YAML is composed into a node tree first (PyYAML
keeps marks on nodes), then turned into plain data while recording where each key and value
was written. Duplicate keys are errors (YAML silently keeps the last one). Schema problems are
all collected, not just the first, and each unknown key gets a "did you mean" hint.
"""

from __future__ import annotations

import re
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

from compiler.errors import Problem, Span, TailgenError, did_you_mean
from compiler.site.model import Site
from compiler.site.source import Path_, SourceMap

try:  # the C loader is ~10x faster on large sites; marks are the same
    _Loader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment]
except AttributeError:  # pragma: no cover - libyaml missing
    _Loader = yaml.SafeLoader


@dataclass
class _Builder:
    """Turns composed YAML nodes into plain data, filling a SourceMap and collecting problems."""

    loader: yaml.SafeLoader
    source: SourceMap
    problems: list[Problem] = field(default_factory=list)

    def span(self, node: yaml.Node) -> Span:
        mark = node.start_mark
        return Span(self.source.file, mark.line + 1, mark.column + 1)

    def build(self, node: yaml.Node, path: Path_) -> Any:
        if isinstance(node, yaml.MappingNode):
            return self.mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.item(item, (*path, i)) for i, item in enumerate(node.value)]
        self.source.values[path] = self.span(node)  # scalars only: containers point at their key
        return self.loader.construct_object(node, deep=True)

    def item(self, node: yaml.Node, path: Path_) -> Any:
        """A list item has no key: its own start is where it was declared."""
        self.source.keys[path] = self.span(node)
        return self.build(node, path)

    def mapping(self, node: yaml.MappingNode, path: Path_) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self.problems.append(
                    Problem("yaml", "keys must be plain names", self.span(key_node))
                )
                continue
            key = str(key_node.value)  # `on:`/`yes:` stay names, not booleans
            if key in result:
                first = self.source.keys[(*path, key)]
                message = f"duplicate key {key!r} (first defined on line {first.line})"
                self.problems.append(
                    Problem("duplicate-key", message, self.span(key_node), path=(*path, key))
                )
                continue
            self.source.keys[(*path, key)] = self.span(key_node)
            result[key] = self.build(value_node, (*path, key))
        return result


def parse_yaml(text: str, filename: str) -> tuple[Any, SourceMap, list[Problem]]:
    """Parse YAML text into plain data and a source map; syntax errors become problems."""
    source = SourceMap(filename)
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return {}, source, []
        builder = _Builder(loader, source)
        return builder.build(node, ()), source, builder.problems
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        span = Span(filename, mark.line + 1, mark.column + 1) if mark else Span(filename)
        reason = exc.problem or exc.context or "invalid YAML"
        if mark and text[mark.index : mark.index + 1] == "\t":
            reason = "a tab cannot indent YAML; use spaces"
        return None, source, [Problem("yaml", f"YAML syntax error: {reason}", span)]
    finally:
        loader.dispose()


def load_text(text: str, filename: str = "site.yaml") -> Site:
    """Validate site.yaml text into a Site; raises TailgenError with every problem found."""
    data, source, problems = parse_yaml(text, filename)
    if data is not None and not isinstance(data, dict):
        problems.append(
            Problem("schema", "the site file must be a mapping of sections", Span(filename, 1, 1))
        )
    if problems:
        raise TailgenError(sorted(problems, key=Problem.sort_key))
    try:
        site = Site.model_validate(data)
    except ValidationError as exc:
        raise TailgenError(schema_problems(exc, data, source)) from None
    site.attach_source(source)
    return site


def read_text(path: str | Path) -> str:
    """The text of a site file; an unreadable file is the user's error, not a crash."""
    path = Path(path)
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise TailgenError(f"{display_name(path)}: cannot read site file: {reason}") from None


def display_name(path: Path) -> str:
    """How errors name the site file: as the user typed it, without a leading './'."""
    return path.as_posix().removeprefix("./")


def load(path: str | Path) -> tuple[Site, str]:
    """Read and validate a site file; returns the Site and its text (for excerpts in errors)."""
    text = read_text(path)
    return load_text(text, display_name(Path(path))), text


# ---------------------------------------------------------------------------------------------
# pydantic errors → problems with places and hints


def schema_problems(exc: ValidationError, data: Any, source: SourceMap) -> list[Problem]:
    problems = {_problem(err, data, source) for err in exc.errors(include_url=False)}
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


def _problem(err: Any, data: Any, source: SourceMap) -> Problem:
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
    hint = _enum_hint(err)
    return Problem(
        "schema", f"{_dotted(path)}: {message}", source.at(path, key=False), hint=hint, path=path
    )


def _clean(message: str) -> str:
    return re.sub(r"^Value error, ", "", message)


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
