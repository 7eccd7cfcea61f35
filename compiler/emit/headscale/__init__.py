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

from compiler.emit import Emitted
from compiler.emit.headscale import dns, policy
from compiler.emit.headscale.compat import compatibility
from compiler.emit.headscale.users import user_tokens
from compiler.emit.policy import compile_policy
from compiler.site.model import Site

__all__ = ["compatibility", "emit", "headscale_text"]

POLICY = "headscale/policy.hujson"
DNS = "headscale/dns.yaml"


def headscale_text(site: Site) -> str:
    """The headscale policy for `site`, whatever its target (for checks and pushes)."""
    return policy.render(policy.headscale_policy(compile_policy(site), site), site)


def emit(site: Site) -> Emitted:
    if site.target != "headscale":
        return Emitted()
    files = {POLICY: headscale_text(site).encode(), DNS: dns.render(site)}
    users = ", ".join(sorted(set(user_tokens(site).values())))
    summary = [f"headscale: {POLICY}, {DNS} (users {users})"]
    return Emitted(files, compatibility(site), summary)
