"""`import_policy`: a policy (+ devices, DNS) → a site file that provably grants the same access.

The importer drafts the site with every model reading on, builds it with the ordinary build
pipeline, and runs the proof against the original. If the build refuses the draft or the proof
finds a difference, it drafts again with fewer readings (services, then routes and exit nodes,
then SSH, then groups and tags in the model, then carried tests as live tests) until a draft
proves equal; the last resort keeps everything verbatim under `policy:`. A policy the control
plane itself would reject is refused, naming the problem.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from compiler.adopt.devices import DevicePlan, from_topology, made_up
from compiler.adopt.inputs import DnsSettings, PolicySource, read_policy, topology
from compiler.adopt.names import Names
from compiler.adopt.proof import Proof, failing_tests, prove
from compiler.adopt.site_draft import RULE_SECTIONS, Draft, Options, collect_logins, draft_site
from compiler.adopt.yaml_text import render
from compiler.errors import PolicyError, Problem, Span, TailgenError
from compiler.evaluate import Inventory, Policy, inventory_from_dict, parse_policy
from compiler.evaluate.checks import policy_problems
from compiler.evaluate.model import policy_from_data
from compiler.evaluate.positions import find_positions
from compiler.site.model import POLICY_SECTIONS

_STEPS: tuple[dict[str, bool], ...] = (
    {},
    # SSH first on its own: the model gives every ssh rule its tcp:22 grant (to the rule's
    # destinations at all their addresses), which a hand-written policy often lacks, so an
    # ssh rule is the likeliest to change access when read into the model.
    {"ssh": False},
    {"services": False},
    {"services": False, "routes": False},
    {"services": False, "routes": False, "ssh": False},
    {"services": False, "routes": False, "ssh": False, "identities": False},
)
SITE_ROLES = ("owner", "admin", "network-admin")
STAND_IN = "tailgen-stand-in"
LADDER = tuple(Options(**step, live_tests=live) for step in _STEPS for live in (True, False))
"""Drafts to try, most model first (each structural step with carried tests live, then not)."""


@dataclass
class Share:
    """How many of the policy's rules the model holds, and how many stay under `policy:`."""

    modelled: Counter[str] = field(default_factory=Counter)
    verbatim: Counter[str] = field(default_factory=Counter)

    def rules(self) -> tuple[int, int]:
        """(modelled, verbatim) over acls, grants and ssh entries."""
        return (
            sum(self.modelled[s] for s in RULE_SECTIONS),
            sum(self.verbatim[s] for s in RULE_SECTIONS),
        )

    @property
    def percent(self) -> float:
        modelled, verbatim = self.rules()
        total = modelled + verbatim
        return 100.0 * modelled / total if total else 100.0


@dataclass
class Adoption:
    """The imported site, its proof, and what was kept verbatim (and why)."""

    site_text: str
    proof: Proof
    share: Share
    notes: list[str]
    attempt: str
    policy_text: str
    inventory: Inventory  # what the proof evaluated both policies on

    def summary(self) -> list[str]:
        modelled, verbatim = self.share.rules()
        lines = [
            f"import: {modelled} of {modelled + verbatim} rules in the model "
            f"({self.share.percent:.0f} %), {verbatim} under policy: ({self.attempt})"
        ]
        kept = ", ".join(f"{s} {n}" for s, n in sorted(self.share.verbatim.items()))
        if kept:
            lines.append(f"kept verbatim under policy: (the model has no words for them): {kept}")
        lines += [f"note: {n}" for n in self.notes]
        return lines + self.proof.lines()


@dataclass
class Inputs:
    """What every draft starts from: the policy, its names, devices and the proof's inventory."""

    src: PolicySource
    names: Names
    plan: DevicePlan
    inventory: Inventory
    old: Policy


def import_policy(
    text: str,
    file: str = "policy.hujson",
    devices: dict[str, Any] | None = None,
    dns: DnsSettings | None = None,
    site_name: str = "site.yaml",
) -> Adoption:
    """Import a policy text; raises TailgenError (InputError/PolicyError) when it cannot."""
    inputs = _inputs(text, file, devices)
    failing = set(failing_tests(inputs.old, inputs.inventory))
    text = inputs.src.text
    comments = find_positions(text).comments if "/" in text else {}  # a comment needs a "/"
    best: Adoption | None = None
    error: TailgenError | None = None
    for options in LADDER:
        draft = draft_site(inputs.src, inputs.names, inputs.plan, options, failing, comments, dns)
        try:
            adoption = _attempt(draft, inputs, options, site_name)
        except TailgenError as exc:
            error = error or exc
            continue
        if adoption.proof.zero:
            return adoption
        best = best or adoption
    if best is not None:
        return best
    raise error or PolicyError("import found no site that builds")


def _inputs(text: str, file: str, devices: dict[str, Any] | None) -> Inputs:
    src = read_policy(text, file)
    devices = topology(devices) if devices is not None else None  # any accepted shape, checked
    names = Names()
    collect_logins(src.data, names)
    plan = from_topology(devices, names) if devices is not None else made_up(src.data, names)
    inventory = _inventory(devices, plan, names)
    if devices is not None:
        roles = {u.login: u.role for u in inventory.users if u.role in SITE_ROLES}
        plan.roles = {names.users[k]: r for k, r in roles.items() if k in names.users}
    old = policy_from_data(src.data, src.text)
    _refuse_invalid(old, inventory, file)
    return Inputs(src, names, plan, inventory, old)


def _inventory(devices: dict[str, Any] | None, plan: DevicePlan, names: Names) -> Inventory:
    """The proof's inventory: the given device list, or the one the made-up devices make."""
    if devices is not None:
        return inventory_from_dict(devices)
    from compiler.site.inventory import inventory_from_site
    from compiler.site.model import Site

    users = {key: {"login": login} for login, key in names.users.items()}
    for key, role in plan.roles.items():
        users[key]["role"] = role
    tags: dict[str, dict[str, Any]] = {
        t: {} for d in plan.devices.values() for t in d.get("tags", [])
    }
    # A member nobody named, with two devices, so `autogroup:member`, `*` and `autogroup:self`
    # always stand for someone in the proof (this user is not written to the site).
    users[STAND_IN] = {"login": f"{STAND_IN}@example.invalid"}
    devices = dict(plan.devices)
    devices.update({f"{STAND_IN}-{i}": {"os": "linux", "owner": STAND_IN} for i in (1, 2)})
    site = Site.model_validate({"users": users, "tags": tags, "devices": devices})
    return inventory_from_dict(inventory_from_site(site))


def _refuse_invalid(policy: Policy, inventory: Inventory, file: str) -> None:
    """Refuse what the control plane would refuse, and sections of the wrong shape (the
    site's `policy:` could not carry them), naming each at its place in the policy file."""
    problems = [p for p in policy_problems(policy, inventory, file) if p.is_error]
    reasons = [(p.message, p.span) for p in problems]
    kinds = {name.lower(): kind for name, kind in POLICY_SECTIONS.items()}
    for key, value in policy.raw.items():
        kind = kinds.get(str(key).lower(), object)
        if kind is not object and not isinstance(value, kind):
            line, column = policy.where((key,))
            reasons.append((f"{key!r} must be a JSON {_JSON_KIND[kind]}", Span(file, line, column)))
    if reasons:
        message = "the control plane would reject this policy: {}"
        raise PolicyError([Problem("import-refused", message.format(m), at) for m, at in reasons])


_JSON_KIND: dict[type, str] = {list: "array", dict: "object"}


def _attempt(draft: Draft, inputs: Inputs, options: Options, site_name: str) -> Adoption:
    from compiler.build import compile_text

    site_text = render(draft.data, draft.comments)
    result = compile_text(site_text, site_name)
    policy_text = result.files["policy.hujson"].decode()
    proof = prove(inputs.old, parse_policy(policy_text), inputs.inventory)
    share = Share(draft.modelled, draft.verbatim)
    notes = list(draft.notes)
    return Adoption(site_text, proof, share, notes, options.label, policy_text, inputs.inventory)
