"""Site → headscale artifacts (pure), written when the site says `target: headscale`.

Files (paths relative to out/):

- `headscale/policy.hujson`: the compiled policy in the subset headscale v0.29 accepts
  (`policy`): push it with `headscale policy set -f` or `tailgen push`;
- `headscale/dns.yaml`: the `dns:` section of headscale's config.yaml (`dns`).

`policy.hujson` and `dns.json` beside them stay the reference the evaluator, `explain`, `diff`
and the build's self-check read: the headscale policy is a restatement of the same rules, and
`compat` lists (as build warnings at their site.yaml lines) what the restatement cannot carry.
"""

from __future__ import annotations

from compiler.emit.headscale import dns, policy
from compiler.emit.headscale.compat import compatibility
from compiler.emit.headscale.users import user_tokens
from compiler.emit.policy import PolicyIR, compile_policy
from compiler.errors import Problem
from compiler.site.model import Site

__all__ = ["compatibility", "headscale_text", "problems", "render", "summary"]

POLICY = "headscale/policy.hujson"
DNS = "headscale/dns.yaml"


def headscale_text(site: Site, compiled: PolicyIR | None = None) -> str:
    """The headscale policy for `site`, whatever its target (for checks and pushes).

    `compiled` is the site's already-compiled policy when the caller has it (the build does).
    """
    compiled = compiled if compiled is not None else compile_policy(site)
    return policy.render(policy.headscale_policy(compiled, site), site)


def problems(site: Site) -> list[Problem]:
    """What headscale cannot express, as warnings at site lines (none unless targeted)."""
    return compatibility(site) if site.target == "headscale" else []


def summary(site: Site) -> list[str]:
    if site.target != "headscale":
        return []
    users = ", ".join(sorted(set(user_tokens(site).values())))
    return [f"headscale: {POLICY}, {DNS} (users {users})"]


def render(site: Site, compiled: PolicyIR) -> dict[str, bytes]:
    """out/headscale/ files when the site targets headscale, else nothing."""
    if site.target != "headscale":
        return {}
    return {POLICY: headscale_text(site, compiled).encode(), DNS: dns.render(site)}
