"""The compiled Tailscale policy, restated in the subset headscale accepts (pure).

The rules are not compiled twice: this takes the policy data `compiler.emit.policy` built (the
one the evaluator checks) and rewrites only what headscale spells differently or lacks:

- user tokens: `emory@github` → `emory@` (`users.headscale_user` says why);
- `autogroup:admin` / `autogroup:owner`: headscale has no roles, so they become the users the
  site gives that role;
- the `mullvad` node attribute: headscale has no Mullvad integration, so it is dropped (the
  compatibility lint says so at the device's line);
- `tests` whose source is a user with no device in the site: headscale fails a test whose
  source has no node, so they are left out (and the lint says so at the user's line).

Everything else our compiler writes (groups, tagOwners, hosts, grants, ssh, autoApprovers,
tests) is in headscale's policy v2 as it is.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from compiler.emit.headscale.users import headscale_user, role_members, user_tokens
from compiler.emit.policy import HEADER, PolicyIR, _pointer
from compiler.site.model import Site

#: Node attributes Tailscale SaaS acts on and headscale cannot provide.
UNSUPPORTED_ATTRS = frozenset({"mullvad"})


def _rename(value: Any, tokens: dict[str, str], expand: dict[str, list[str]]) -> Any:
    """`value` with every login renamed and every role autogroup expanded (lists spliced)."""
    if isinstance(value, dict):
        return {key: _rename(item, tokens, expand) for key, item in value.items()}
    if isinstance(value, list):
        out: list[Any] = []
        for item in value:
            for new in expand.get(item, [item]) if isinstance(item, str) else [item]:
                renamed = _rename(new, tokens, expand)
                if renamed not in out or not isinstance(renamed, str):
                    out.append(renamed)
        return out
    if isinstance(value, str):
        return tokens.get(value, value)
    return value


def _filter_entries(ir: PolicyIR, section: str, keep: Callable[[Any], Any]) -> None:
    """Replace each entry of a list section by `keep(entry)` (falsy: drop it), re-keying the
    comments so each stays above its entry."""
    entries = ir.sections.get(section)
    if entries is None:
        return
    kept: list[tuple[Any, str | None]] = []
    for i, entry in enumerate(entries):
        comment = ir.comments.pop(_pointer(section, i), None)
        new = keep(entry)
        if new:
            kept.append((new, comment))
    ir.sections[section] = [entry for entry, _ in kept]
    for i, (_, comment) in enumerate(kept):
        if comment is not None:
            ir.comments[_pointer(section, i)] = comment
    if not kept:
        del ir.sections[section]


def _supported_attrs(entry: dict[str, Any]) -> dict[str, Any] | None:
    attrs = [a for a in entry.get("attr", []) if a not in UNSUPPORTED_ATTRS]
    return {**entry, "attr": attrs} if attrs or entry.get("ipPool") else None


def deviceless_users(site: Site) -> list[str]:
    """User keys with no device of their own in the site: headscale fails any test whose
    source resolves to no node ("resolved to no IP addresses"), where Tailscale evaluates
    the identity itself."""
    owners = {d.owner for d in site.devices.values() if d.owner and not d.tags}
    return [key for key in site.users if key not in owners]


def headscale_policy(ir: PolicyIR, site: Site) -> PolicyIR:
    """A copy of the compiled policy in headscale's dialect (the original is left alone)."""
    sections = _rename(copy.deepcopy(ir.sections), user_tokens(site), role_members(site))
    out = PolicyIR(sections=sections, comments=dict(ir.comments), inlined=set(ir.inlined))
    _filter_entries(out, "nodeAttrs", _supported_attrs)
    untestable = {headscale_user(site.users[key].login) for key in deviceless_users(site)}
    for section in ("tests", "sshTests"):
        _filter_entries(out, section, lambda t: None if t.get("src") in untestable else t)
    return out


def render(ir: PolicyIR, site: Site) -> str:
    from compiler import hujson

    header = HEADER.format(src=site.source_label) + " For headscale (policy v2)."
    return hujson.dumps(ir.document(), comments={"": header, **ir.comments})
