"""One way to get a site and its policy: load and check the site, compile its policy in memory.

The evaluating commands (explain, matrix, lint, validate, test) used to pair the current
site.yaml with whatever `out/policy.hujson` happened to hold, and ignored a site file that was
missing or wrong. They now start here: the site is loaded and checked (its problems are
errors), its policy is compiled by the build pipeline (never re-derived here), and a policy
file is read only when the user asks for one (`--policy FILE` or `--out DIR`) — and then the
caller is told when that file is not what the site builds.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from compiler.errors import InputError, Problem, Severity, Span, TailgenError

if TYPE_CHECKING:
    from compiler.build import CheckedPolicy
    from compiler.emit.artifacts import Artifacts
    from compiler.site.model import Site

DEFAULT_SITE = Path("site.yaml")
POLICY_FILE = "policy.hujson"


@dataclass(frozen=True)
class Workspace:
    """A loaded, checked and compiled site: what every evaluating command starts from, with
    the self-check its policy passed (`checked`: the evaluator and what validate said)."""

    path: Path
    text: str
    checked: CheckedPolicy

    @property
    def artifacts(self) -> Artifacts:
        return self.checked.artifacts

    @property
    def site(self) -> Site:
        return self.artifacts.site

    @property
    def name(self) -> str:
        from compiler.site.loader import display_name

        return display_name(self.path)

    @property
    def policy_text(self) -> str:
        """The policy the site builds (the bytes `tailgen build` would write)."""
        return self.artifacts.files[POLICY_FILE].decode("utf-8")


@dataclass(frozen=True)
class PolicyInput:
    """A policy to evaluate: its name for messages, its text, and a note when it is a file
    that differs from what the site builds (empty otherwise)."""

    name: str
    text: str
    note: Problem | None = None


def load_workspace(site: Path) -> Workspace:
    """Load, check and compile `site` in memory; any problem with it is an error."""
    from compiler import build as pipeline
    from compiler.site.loader import display_name, read_text

    if site.is_dir():
        raise InputError(f"{display_name(site)}: is a directory, not a site file")
    if not site.exists():
        raise InputError(f"{display_name(site)}: no such site file")
    text = read_text(site)
    return Workspace(site, text, pipeline.compile_policy(text, display_name(site), POLICY_FILE))


def find_workspace(site: Path | None, needed: bool) -> Workspace | None:
    """The workspace for `--site` (None = the default site.yaml). A site named on the command
    line must load; the default one must too when `needed` (nothing else gives a policy), and
    is otherwise used only when it exists."""
    if site is None and not needed and not DEFAULT_SITE.exists():
        return None
    if site is None and not DEFAULT_SITE.exists():
        raise InputError(
            f"{DEFAULT_SITE}: no such site file "
            "(give --site FILE, or --policy FILE to evaluate a policy on its own)"
        )
    return load_workspace(site or DEFAULT_SITE)


def choose_policy(ws: Workspace | None, policy: Path | None, out: Path | None) -> PolicyInput:
    """The policy to evaluate: the file asked for (`--policy FILE`, or `--out DIR`'s
    policy.hujson), else the one the site builds in memory."""
    if policy is not None and out is not None:
        raise TailgenError("give at most one of --policy FILE and --out DIR")
    path = policy if policy is not None else (out / POLICY_FILE if out is not None else None)
    if path is None:
        if ws is None:
            raise InputError("no policy: give --site FILE or --policy FILE")
        return PolicyInput(POLICY_FILE, ws.policy_text)
    text = read_policy(path)
    return PolicyInput(path.name, text, _stale_note(ws, path, text))


def read_policy(path: Path) -> str:
    """A policy file's text; unreadable or missing is the user's error, said in one line."""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise _unreadable(path, exc) from None


def _unreadable(path: Path, exc: OSError | UnicodeDecodeError) -> InputError:
    # Imported here: a policy read on its own (no site) loads none of the site code.
    from compiler.site.loader import display_name

    name = display_name(path)
    if isinstance(exc, IsADirectoryError):
        return InputError(f"{name}: is a directory, not a policy file")
    if isinstance(exc, FileNotFoundError):
        hint = " (run `tailgen build`)" if path.name == POLICY_FILE else ""
        return InputError(f"{name}: no such policy file{hint}")
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return InputError(f"{name}: cannot read the policy: {reason}")


def _stale_note(ws: Workspace | None, path: Path, text: str) -> Problem | None:
    if ws is None or text == ws.policy_text:
        return None
    from compiler.site.loader import display_name

    message = (
        f"not what {ws.name} builds: evaluating this file as asked "
        f"(run `tailgen build` to refresh it, or drop --policy/--out to use the site)"
    )
    return Problem("stale-policy", message, Span(display_name(path)), Severity.WARNING)
