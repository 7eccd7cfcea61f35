"""`ssh_allowed()`: may this source SSH into this device as this login, and under which rule?

The verdict is the destination node's own (its compiled SSH rules, first match wins), so
`check` rules outrank `accept` rules exactly as on a real node. Network access to port 22 is
reported alongside, because a real connection needs both (reference §5.10).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from compiler.evaluate.decision import evaluator, resolve_sources
from compiler.evaluate.inventory import Inventory
from compiler.evaluate.model import Policy
from compiler.evaluate.ports import TCP
from compiler.evaluate.rules import Evaluator
from compiler.evaluate.ssh import compile_node_ssh, ssh_verdict


@dataclass(frozen=True)
class SshDecision:
    action: str  # "accept", "check" or "deny"
    rule: str
    line: int
    network: bool
    reason: str

    @property
    def allowed(self) -> bool:
        return self.action != "deny"


def ssh_allowed(
    policy: str | Policy | Evaluator,
    inventory: Inventory | Mapping[str, Any] | None,
    src: str,
    dst_device: str,
    login: str,
) -> SshDecision:
    """The SSH verdict for `src` → `dst_device` as `login` (every source device must pass)."""
    ev = evaluator(policy, inventory)
    device = ev.inventory.device_by_name.get(dst_device)
    sources = resolve_sources(ev, src)
    if device is None or not sources:
        return SshDecision("deny", "", 0, False, "unknown source or destination")
    grants = compile_node_ssh(ev, device)
    verdicts = [ssh_verdict(grants, keys[0], login) for _, keys in sources if keys]
    worst = min(verdicts, key=lambda v: ("deny", "check", "accept").index(v.action))
    network = all(bool(ev.matching(keys[0], device.keys[0], 22, TCP)) for _, keys in sources)
    rule = worst.grant.rule if worst.grant else None
    line = ev.policy.where(rule.path)[0] if rule else 0
    name = rule.name if rule else ""
    reason = f"{worst.action} by {name} (line {line})" if rule else "no ssh rule matched"
    return SshDecision(worst.action, name, line, network, reason)
