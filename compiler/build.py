"""The pipeline: load → check → emit → render → (write). Library API behind `tailgen build`.

`compile_text` is pure (text in, files out) so tests and benchmarks can call it without disk;
`build` adds reading the site file and `write` the atomic replacement of out/.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from compiler.emit import emit_all
from compiler.errors import Problem, TailgenError, errors_only
from compiler.output import MANIFEST, manifest, read_tree, write_tree
from compiler.site import check, loader
from compiler.site.model import Site


@dataclass
class BuildResult:
    site: Site
    files: dict[str, bytes]
    problems: list[Problem] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if not p.is_error]


@dataclass
class Changes:
    """Files added, removed and changed in out/ by a build."""

    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed)


def compile_text(text: str, filename: str = "site.yaml") -> BuildResult:
    """Site text → every artifact (and the manifest). Raises TailgenError on any error."""
    site = loader.load_text(text, filename)
    problems = check.check(site)
    if errors_only(problems):
        raise TailgenError(problems)
    emitted = emit_all(site)
    problems = sorted(problems + emitted.problems, key=Problem.sort_key)
    if errors_only(problems):
        raise TailgenError(problems)
    files = dict(emitted.files)
    files[MANIFEST] = manifest(files, Path(filename).name, text.encode())
    return BuildResult(site, dict(sorted(files.items())), problems, emitted.summary)


def build(site_path: str | Path) -> tuple[BuildResult, str]:
    """Read and compile a site file; returns the result and the site text (for excerpts)."""
    path = Path(site_path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise TailgenError(f"{path}: cannot read site file: {reason}") from None
    return compile_text(text, display_name(path)), text


def display_name(path: Path) -> str:
    """How errors name the site file: as the user typed it, without a leading './'."""
    return path.as_posix().removeprefix("./")


def compare(new: dict[str, bytes], old: dict[str, bytes]) -> Changes:
    return Changes(
        added=sorted(new.keys() - old.keys()),
        removed=sorted(old.keys() - new.keys()),
        changed=sorted(k for k in new.keys() & old.keys() if new[k] != old[k]),
    )


def write(result: BuildResult, out_dir: str | Path) -> Changes:
    """Replace out_dir with the build's files; returns what changed against the old out/."""
    out = Path(out_dir)
    changes = compare(result.files, read_tree(out))
    if changes or not out.is_dir():
        write_tree(out, result.files)
    return changes


def stale(result: BuildResult, out_dir: str | Path) -> Changes:
    """How out_dir differs from what the site builds (empty = up to date)."""
    return compare(result.files, read_tree(Path(out_dir)))
