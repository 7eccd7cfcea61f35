"""The compiled site as data (`Artifacts`), and rendering it to bytes — two separate steps.

`compile_site(site)` runs each artifact kind's compiler with plain imports (no registry): the
policy document (with a comment per entry), the DNS configuration (settings and zone
records), and the launch specs. Self-check, lint and diff read these values; only
`policy_file` and `render_beside_policy` turn them into bytes (the build runs the two side by
side, `compiler.build`), so nothing downstream parses output tailgen itself just produced.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from compiler.collector import paused_gc
from compiler.emit import dns as dns_emit
from compiler.emit import headscale as headscale_emit
from compiler.emit import launch as launch_emit
from compiler.emit import policy as policy_emit
from compiler.emit.dns import DnsConfig
from compiler.emit.launch.plan import Plan
from compiler.emit.policy import PolicyIR
from compiler.errors import Problem, errors_only
from compiler.site.model import Site

POLICY_FILE = "policy.hujson"


@dataclass
class Artifacts:
    """Everything a site compiles to, as data (see the module docstring)."""

    site: Site
    policy: PolicyIR
    dns: DnsConfig
    launch: Plan
    problems: list[Problem] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)  # filled when rendered

    @property
    def policy_document(self) -> dict[str, Any]:
        """The policy file's value (what `hujson.loads` of the rendered file would give)."""
        return self.policy.document()


@paused_gc()
def compile_site(site: Site, policy: PolicyIR | None = None) -> Artifacts:
    """Compile every artifact kind (the policy unless already compiled, as `policy`); launch
    problems that are errors leave no launch files."""
    if policy is None:
        policy = policy_emit.compile_policy(site)
    dns = dns_emit.compile_dns(site)
    launch, launch_problems = launch_emit.compile_launch(site)
    summary = [
        policy_emit.summary(policy),
        *policy.summary,
        *dns_emit.summary(site, dns.records),
        *([] if errors_only(launch_problems) else launch_emit.summary(launch)),
        *headscale_emit.summary(site),
    ]
    problems = policy.problems + launch_problems + headscale_emit.problems(site)
    return Artifacts(site, policy, dns, launch, problems, summary)


def policy_rendered(artifacts: Artifacts) -> Artifacts:
    """The same artifacts with only the policy file's bytes attached: all that the evaluating
    commands read (the launch and DNS files are left unrendered)."""
    return replace(artifacts, files={POLICY_FILE: policy_file(artifacts.policy, artifacts.site)})


@paused_gc()
def policy_file(policy: PolicyIR, site: Site) -> bytes:
    """The bytes of out/policy.hujson."""
    return policy_emit.render(policy, site).encode()


@paused_gc()
def render_beside_policy(artifacts: Artifacts) -> dict[str, bytes]:
    """Every artifact's bytes but the policy's: what a build renders while the policy is
    rendered and self-checked beside it (`compiler.build`)."""
    site = artifacts.site
    files: dict[str, bytes] = {}
    parts = [
        dns_emit.render(site, artifacts.dns),
        launch_emit.render(site, artifacts.launch),
        headscale_emit.render(site, artifacts.policy),
    ]
    for part in parts:
        clash = (files.keys() | {POLICY_FILE}) & part.keys()
        if clash:  # a programming error, not a user one
            raise RuntimeError(f"artifact paths written twice: {sorted(clash)}")
        files.update(part)
    return files
