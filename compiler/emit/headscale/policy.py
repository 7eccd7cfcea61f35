"""The compiled Tailscale policy, restated in the subset headscale accepts (pure).

The rules are not compiled twice: this takes the policy data `compiler.emit.policy` built (the
one the evaluator checks) and rewrites only what headscale spells differently or lacks:

- user tokens: `emory@github` → `emory@` (`users.headscale_user` says why);
- `autogroup:admin` / `autogroup:owner`: headscale has no roles, so they become the users the
  site gives that role;
- the `mullvad` node attribute: headscale has no Mullvad integration, so it is dropped (the
  compatibility lint says so at the device's line).

Everything else our compiler writes (groups, tagOwners, hosts, grants, ssh, autoApprovers,
tests) is in headscale's policy v2 as it is.
"""

from __future__ import annotations

import copy
from typing import Any

from compiler.emit.headscale.users import role_members, user_tokens
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


def _without_unsupported_attrs(ir: PolicyIR) -> None:
    """Drop unsupported node attributes (and entries left with none), re-keying comments."""
    entries = ir.sections.get("nodeAttrs")
    if entries is None:
        return
    kept: list[tuple[dict[str, Any], str | None]] = []
    for i, entry in enumerate(entries):
        attrs = [a for a in entry.get("attr", []) if a not in UNSUPPORTED_ATTRS]
        comment = ir.comments.pop(_pointer("nodeAttrs", i), None)
        if attrs or entry.get("ipPool"):
            kept.append(({**entry, "attr": attrs}, comment))
    ir.sections["nodeAttrs"] = [entry for entry, _ in kept]
    for i, (_, comment) in enumerate(kept):
        if comment is not None:
            ir.comments[_pointer("nodeAttrs", i)] = comment
    if not kept:
        del ir.sections["nodeAttrs"]


def headscale_policy(ir: PolicyIR, site: Site) -> PolicyIR:
    """A copy of the compiled policy in headscale's dialect (the original is left alone)."""
    sections = _rename(copy.deepcopy(ir.sections), user_tokens(site), role_members(site))
    out = PolicyIR(sections=sections, comments=dict(ir.comments), inlined=set(ir.inlined))
    _without_unsupported_attrs(out)
    return out


def render(ir: PolicyIR, site: Site) -> str:
    from compiler import hujson

    header = HEADER.format(src=site.source_label) + " For headscale (policy v2)."
    return hujson.dumps(ir.document(), comments={"": header, **ir.comments})
