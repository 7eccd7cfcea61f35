"""The pipeline: load → check → compile → self-check → render → (write). Library API behind
`tailgen build`.

`compile_text` is pure (text in, data and files out) so tests and benchmarks can call it
without disk; `build` adds reading the site file and `write` the atomic replacement of out/.
The result keeps the compiled data (`artifacts`: policy document, DNS configuration, launch
specs) beside the bytes, so the self-check, lint and diff work on values, never on a re-parse
of the files just rendered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from compiler.collector import paused_gc
from compiler.emit.artifacts import (
    POLICY_FILE,
    Artifacts,
    compile_site,
    policy_rendered,
    rendered,
)
from compiler.errors import Problem, TailgenError, errors_only
from compiler.output import MANIFEST, manifest, read_tree, write_tree
from compiler.site import check, loader
from compiler.site.model import Site

if TYPE_CHECKING:
    from compiler.evaluate import Evaluator


@dataclass
class BuildResult:
    """A successful build: the compiled data, its rendered files (with the manifest), and
    the warnings and summary lines to show."""

    site: Site
    files: dict[str, bytes]
    problems: list[Problem] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)
    artifacts: Artifacts | None = None

    @property
    def policy_document(self) -> dict[str, Any] | None:
        """The policy as data (None only for a result built without artifacts)."""
        return self.artifacts.policy_document if self.artifacts is not None else None

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if not p.is_error]


@dataclass
class Changes:
    """Files added, removed and changed in out/ by a build."""

    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.added) + len(self.removed) + len(self.changed)

    def __bool__(self) -> bool:
        return bool(self.count)


@paused_gc()
def compile_text(text: str, filename: str = "site.yaml", target: str | None = None) -> BuildResult:
    """Site text → every artifact (and the manifest). Raises TailgenError on any error.
    `target` (tailscale | headscale) overrides the site's `target:` (`build --target`)."""
    artifacts, problems = compile_checked(text, filename, target)
    artifacts = rendered(artifacts)
    problems = verified(artifacts, problems)
    files = dict(artifacts.files)
    files[MANIFEST] = manifest(files, Path(filename).name, text.encode())
    return BuildResult(
        artifacts.site, dict(sorted(files.items())), problems, artifacts.summary, artifacts
    )


@paused_gc()
def compile_policy(text: str, filename: str = "site.yaml") -> Artifacts:
    """`compile_text` for the evaluating commands: the same steps and the same errors, but of
    the files only the policy is rendered (they read nothing else), there is no manifest, and
    the self-check stops at its errors: its lints give warnings only, which these commands
    never show (`tailgen lint` is where they are asked for)."""
    artifacts, problems = compile_checked(text, filename)
    artifacts = policy_rendered(artifacts)
    verified(artifacts, problems, lints=False)
    return artifacts


def compile_checked(
    text: str, filename: str = "site.yaml", target: str | None = None
) -> tuple[Artifacts, list[Problem]]:
    """Site text → the compiled artifacts as data (not yet rendered) and the warnings so far:
    the steps of `compile_text` up to rendering (`target` as there). Raises TailgenError on
    any error.

    The evaluating commands (`compiler.workspace`) stop here and render only the policy they
    read, so they fail on exactly the site errors a build fails on without paying for the
    launch templates and DNS files they never look at."""
    site = loader.load_text(text, filename)
    if target is not None and target != site.target:
        site = site.model_copy(update={"target": target})
    problems = check.check(site)
    if errors_only(problems):
        raise TailgenError(problems)
    artifacts = compile_site(site)
    problems = sorted(problems + artifacts.problems, key=Problem.sort_key)
    if errors_only(problems):
        raise TailgenError(problems)
    return artifacts, problems


def verified(artifacts: Artifacts, problems: list[Problem], lints: bool = True) -> list[Problem]:
    """`problems` with the self-check's added, in file order; raises TailgenError on an error.
    Without `lints`, the self-check stops at its errors (`self_validate`)."""
    site = artifacts.site
    found = self_check(site, artifacts) if lints else self_validate(site, artifacts)[1]
    problems = sorted(problems + found, key=Problem.sort_key)
    if errors_only(problems):
        raise TailgenError(problems)
    return problems


def self_check(site: Site, artifacts: Artifacts) -> list[Problem]:
    """Evaluate the compiled policy offline before anything is written: the control plane's
    own checks and the policy's generated tests must pass (errors), and lint runs as warnings.
    A tailgen bug then fails the build here instead of at push time.

    The policy is the compiled document itself; the rendered text rides along only so that a
    problem can name its line (positions are found only when one is reported)."""
    from compiler.evaluate import lint
    from compiler.evaluate.site_view import site_must_keep

    ev, problems = self_validate(site, artifacts)
    if errors_only(problems):
        return problems
    # No service columns: "nobody can reach it" needs the whole matrix, and the generated
    # tests (just run by validate) already prove every allowed user reaches every service.
    return lint(ev, None, "out/policy.hujson", (), site_must_keep(site))


def self_validate(site: Site, artifacts: Artifacts) -> tuple[Evaluator, list[Problem]]:
    """The self-check's errors (the control plane's checks and the generated tests, run on
    the compiled policy), with the Evaluator they ran on for the lints that follow."""
    from compiler.evaluate import Evaluator, validate
    from compiler.evaluate.model import policy_from_data
    from compiler.evaluate.policytests import with_stand_ins
    from compiler.evaluate.site_view import site_inventory

    text = artifacts.files[POLICY_FILE].decode()
    policy = policy_from_data(artifacts.policy_document, text)
    # Stand-in devices for users who have none yet, added once: the tests and the lints then
    # share one Evaluator instead of building one per question about such a user.
    inventory = with_stand_ins(policy, site_inventory(site))
    ev = Evaluator(policy, inventory)
    return ev, validate(ev, inventory, "out/policy.hujson")


def build(site_path: str | Path, target: str | None = None) -> tuple[BuildResult, str]:
    """Read and compile a site file; returns the result and the site text (for excerpts)."""
    text = loader.read_text(site_path)
    return compile_text(text, loader.display_name(Path(site_path)), target), text


def compare(new: dict[str, bytes], old: dict[str, bytes]) -> Changes:
    return Changes(
        added=sorted(new.keys() - old.keys()),
        removed=sorted(old.keys() - new.keys()),
        changed=sorted(k for k in new.keys() & old.keys() if new[k] != old[k]),
    )


def write(
    result: BuildResult, out_dir: str | Path, previous: dict[str, bytes] | None = None
) -> Changes:
    """Replace out_dir with the build's files; returns what changed against the old out/
    (`previous`, when the caller has already read it)."""
    out = Path(out_dir)
    changes = compare(result.files, read_tree(out) if previous is None else previous)
    if changes or not out.is_dir():
        write_tree(out, result.files)
    return changes


def stale(result: BuildResult, out_dir: str | Path) -> Changes:
    """How out_dir differs from what the site builds (empty = up to date)."""
    return compare(result.files, read_tree(Path(out_dir)))
