"""The pipeline: load → check → compile → self-check → render → (write). Library API behind
`tailgen build`.

`compile_text` is pure (text in, data and files out) so tests and benchmarks can call it
without disk; `build` adds reading the site file and `write` the atomic replacement of out/.
The result keeps the compiled data (`artifacts`: policy document, DNS configuration, launch
specs) beside the bytes, so the self-check, lint and diff work on values, never on a re-parse
of the files just rendered.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from compiler.collector import paused_gc
from compiler.emit import policy as policy_emit
from compiler.emit.artifacts import (
    POLICY_FILE,
    Artifacts,
    compile_site,
    policy_file,
    policy_rendered,
    render_beside_policy,
)
from compiler.emit.policy import PolicyIR
from compiler.errors import Problem, TailgenError, errors_only
from compiler.output import MANIFEST, manifest, read_tree, write_tree
from compiler.parallel import beside
from compiler.site import check, loader
from compiler.site.model import Site

if TYPE_CHECKING:
    from compiler.evaluate import Evaluator, Inventory


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


FORK_FROM_DEVICES = 200
"""Sites with at least this many devices run the self-check in a forked child beside the
rest of the build (`compiler.parallel`). Below it the self-check takes a few hundredths of a
second, about what starting the child and copying the pages it touches cost."""


@paused_gc()
def compile_text(text: str, filename: str = "site.yaml", target: str | None = None) -> BuildResult:
    """Site text → every artifact (and the manifest). Raises TailgenError on any error.
    `target` (tailscale | headscale) overrides the site's `target:` (`build --target`).

    The self-check needs only the site and the policy, so once the policy is compiled, its
    rendering and self-check run beside the DNS and launch compilers and renderers (in a
    forked child on a large site, `compiler.parallel`). The errors are those of one step
    after the other: the compilers' errors are raised first (and the child stopped), the
    self-check's only after them."""
    site, problems = checked_site(text, filename, target)
    policy = policy_emit.compile_policy(site)
    worth_forking = len(site.devices) >= FORK_FROM_DEVICES
    with beside(lambda: policy_checked(site, policy), worth_forking) as checked:
        artifacts, problems = compiled(site, problems, policy)
        others = render_beside_policy(artifacts)
        policy_bytes, found = checked()
        problems = with_self_check(problems, found)
    artifacts = replace(artifacts, files={POLICY_FILE: policy_bytes, **others})
    files = dict(artifacts.files)
    files[MANIFEST] = manifest(files, Path(filename).name, text.encode())
    return BuildResult(
        artifacts.site, dict(sorted(files.items())), problems, artifacts.summary, artifacts
    )


@dataclass(frozen=True)
class CheckedPolicy:
    """What `compile_policy` gives the evaluating commands: the artifacts, and the self-check
    they passed kept, so a command asking about the site's own policy reads the answers
    already computed instead of parsing the rendered text and indexing it again (at 10,000
    devices that second pass was a third of `tailgen validate` and `explain`)."""

    artifacts: Artifacts
    inventory: Inventory  # the site's tailnet (`site_inventory`): what the commands ask about
    evaluator: Evaluator  # the self-check's: the policy on `inventory` plus test stand-ins
    problems: list[Problem]  # what validate says of the policy (warnings: errors raised)

    def site_evaluator(self) -> Evaluator:
        """The policy evaluated on the site's tailnet alone, as explain, matrix and lint ask
        about it: the self-check's evaluator when its tests needed no stand-in device, else
        one on the same parsed policy (no second parse)."""
        if self.evaluator.inventory is self.inventory:
            return self.evaluator
        from compiler.evaluate import Evaluator

        return Evaluator(self.evaluator.policy, self.inventory)


@paused_gc()
def compile_policy(
    text: str, filename: str = "site.yaml", policy_name: str = POLICY_FILE
) -> CheckedPolicy:
    """`compile_text` for the evaluating commands: the same steps and the same errors, but of
    the files only the policy is rendered (they read nothing else), there is no manifest, and
    the self-check stops at its errors: its lints give warnings only, which these commands
    never show (`tailgen lint` is where they are asked for). The self-check's problems name
    the policy `policy_name`, as the commands report it."""
    artifacts, problems = compile_checked(text, filename)
    artifacts = policy_rendered(artifacts)
    document = artifacts.policy_document
    policy_bytes = artifacts.files[POLICY_FILE]
    inventory, ev, found = self_validated(artifacts.site, document, policy_bytes, policy_name)
    with_self_check(problems, found)
    return CheckedPolicy(artifacts, inventory, ev, found)


def policy_checked(site: Site, policy: PolicyIR) -> tuple[bytes, list[Problem]]:
    """The policy's bytes and the self-check's problems: the step of a build that needs only
    the site and the compiled policy."""
    policy_bytes = policy_file(policy, site)
    return policy_bytes, self_check(site, policy.document(), policy_bytes)


def compile_checked(
    text: str, filename: str = "site.yaml", target: str | None = None
) -> tuple[Artifacts, list[Problem]]:
    """Site text → the compiled artifacts as data (not yet rendered) and the warnings so far:
    the steps of `compile_text` up to rendering (`target` as there). Raises TailgenError on
    any error.

    The evaluating commands (`compiler.workspace`) stop here and render only the policy they
    read, so they fail on exactly the site errors a build fails on without paying for the
    launch templates and DNS files they never look at."""
    site, problems = checked_site(text, filename, target)
    return compiled(site, problems)


def checked_site(
    text: str, filename: str = "site.yaml", target: str | None = None
) -> tuple[Site, list[Problem]]:
    """Load and check the site (`target` as in `compile_text`); its warnings, or TailgenError."""
    site = loader.load_text(text, filename)
    if target is not None and target != site.target:
        site = site.model_copy(update={"target": target})
    problems = check.check(site)
    if errors_only(problems):
        raise TailgenError(problems)
    return site, problems


def compiled(
    site: Site, problems: list[Problem], policy: PolicyIR | None = None
) -> tuple[Artifacts, list[Problem]]:
    """Compile a checked site (its policy already compiled, if given as `policy`); the
    artifacts and every warning so far, or TailgenError on the compilers' errors."""
    artifacts = compile_site(site, policy)
    problems = sorted(problems + artifacts.problems, key=Problem.sort_key)
    if errors_only(problems):
        raise TailgenError(problems)
    return artifacts, problems


def with_self_check(problems: list[Problem], found: list[Problem]) -> list[Problem]:
    """`problems` with the self-check's `found` added, in file order; raises TailgenError
    on an error."""
    problems = sorted(problems + found, key=Problem.sort_key)
    if errors_only(problems):
        raise TailgenError(problems)
    return problems


def self_check(site: Site, document: dict[str, Any], policy_bytes: bytes) -> list[Problem]:
    """Evaluate the compiled policy offline before anything is written: the control plane's
    own checks and the policy's generated tests must pass (errors), and lint runs as warnings.
    A tailgen bug then fails the build here instead of at push time.

    The policy is the compiled document itself; the rendered text rides along only so that a
    problem can name its line (positions are found only when one is reported)."""
    from compiler.evaluate import lint
    from compiler.evaluate.site_view import site_must_keep

    ev, problems = self_validate(site, document, policy_bytes)
    if errors_only(problems):
        return problems
    # No service columns: "nobody can reach it" needs the whole matrix, and the generated
    # tests (just run by validate) already prove every allowed user reaches every service.
    return lint(ev, None, "out/policy.hujson", (), site_must_keep(site))


def self_validate(
    site: Site, document: dict[str, Any], policy_bytes: bytes
) -> tuple[Evaluator, list[Problem]]:
    """The self-check's errors (the control plane's checks and the generated tests, run on
    the compiled policy `document`, rendered as `policy_bytes`), with the Evaluator they ran
    on for the lints that follow."""
    _, ev, problems = self_validated(site, document, policy_bytes, "out/policy.hujson")
    return ev, problems


def self_validated(
    site: Site, document: dict[str, Any], policy_bytes: bytes, policy_name: str
) -> tuple[Inventory, Evaluator, list[Problem]]:
    """`self_validate` with the site's inventory it started from, its problems naming the
    policy `policy_name`."""
    from compiler.evaluate import Evaluator, validate
    from compiler.evaluate.model import policy_from_data
    from compiler.evaluate.policytests import with_stand_ins
    from compiler.evaluate.site_view import site_inventory

    policy = policy_from_data(document, policy_bytes.decode())
    inventory = site_inventory(site)
    # Stand-in devices for users who have none yet, added once: the tests and the lints then
    # share one Evaluator instead of building one per question about such a user.
    tested = with_stand_ins(policy, inventory)
    ev = Evaluator(policy, tested)
    return inventory, ev, validate(ev, tested, policy_name)


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
