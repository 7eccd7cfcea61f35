"""The access-equivalence proof: the imported site grants exactly what the old policy did.

Both policies are evaluated by `compiler.evaluate` over one inventory. Sources are every
device of the inventory and, for every source range either policy names, its first and last
address and the address just after it; destinations likewise for destination ranges. Access
only changes at a range boundary, so every other address behaves like one of these. For each (source, destination) pair
and each node that enforces it (the destination itself, or the routers and exit nodes that
carry it: that is where `via` and routing decide), the allowed protocols and port ranges are
compared exactly, so no port needs sampling. SSH is compared per source device × destination
device × login either policy names, and the old policy's `tests` and `sshTests` must give the
same result on the new policy as on the old one.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace

from compiler.evaluate import Evaluator, Inventory, Policy, run_tests
from compiler.evaluate.addrs import V4_MAX, V6_BASE, V6_MAX, key_addr
from compiler.evaluate.inventory import Device
from compiler.evaluate.node_filter import node_domain
from compiler.evaluate.ports import ICMP, ICMPV6, PORTLESS, PROTOCOLS
from compiler.evaluate.rules import Atom
from compiler.evaluate.ssh import compile_node_ssh, ssh_verdict

Access = tuple[tuple[int, tuple[tuple[int, int], ...]], ...]
"""Allowed protocols, each with its merged port ranges (ICMP: the whole range)."""

NAMES = {v: k for k, v in reversed(PROTOCOLS.items())}
SAMPLE_LOGINS = ("root", "tailgen-nonroot")
"""Besides the logins the policies name: root, and one login only `autogroup:nonroot` covers."""


@dataclass
class Proof:
    """What differs between the old and the new policy (all empty: the same access)."""

    pairs: int = 0
    ssh_checks: int = 0
    access: list[str] = field(default_factory=list)
    ssh: list[str] = field(default_factory=list)
    tests: list[str] = field(default_factory=list)

    @property
    def zero(self) -> bool:
        return not (self.access or self.ssh or self.tests)

    def lines(self, limit: int = 20) -> list[str]:
        """A human summary: the verdict, then the first differences of each kind."""
        verdict = "no access difference" if self.zero else "ACCESS DIFFERS"
        out = [
            f"proof: {verdict} ({self.pairs} source × destination × enforcer checks, "
            f"{self.ssh_checks} ssh checks, tests compared: {'same' if not self.tests else 'differ'})"
        ]
        for title, items in (("access", self.access), ("ssh", self.ssh), ("tests", self.tests)):
            out += [f"  {title}: {item}" for item in items[:limit]]
            if len(items) > limit:
                out.append(f"  {title}: … and {len(items) - limit} more")
        return out


def prove(old: Policy, new: Policy, inventory: Inventory) -> Proof:
    """Compare `old` and `new` over `inventory` (see the module docstring for what is covered)."""
    ev_old, ev_new = Evaluator(old, inventory), Evaluator(new, inventory)
    proof = Proof()
    _compare_network(ev_old, ev_new, proof)
    _compare_ssh(ev_old, ev_new, proof)
    proof.tests = compare_tests(old, new, inventory)
    return proof


# ---------------------------------------------------------------------------------------------
# network access


def _points(evs: Iterable[Evaluator], side: str) -> list[int]:
    keys: set[int] = set()
    for ev in evs:
        for device in ev.inventory.devices:
            keys.update(device.keys)
        for atom in ev.atoms:
            for lo, hi in (atom.src if side == "src" else atom.dst).intervals:
                keys.update((lo, hi))
                if hi not in (V4_MAX, V6_MAX):
                    keys.add(hi + 1)  # the first address after a range: the next cell
    return sorted(keys)


def _compare_network(ev_old: Evaluator, ev_new: Evaluator, proof: Proof) -> None:
    sources = _points((ev_old, ev_new), "src")
    for d in _points((ev_old, ev_new), "dst"):
        enforcers: list[Device | None] = [
            n for n in ev_old.inventory.devices if d in node_domain(n)
        ] or [None]
        old_atoms, new_atoms = list(ev_old.candidates(d)), list(ev_new.candidates(d))
        for s in sources:
            if (s >= V6_BASE) != (d >= V6_BASE):
                continue
            for node in enforcers:
                proof.pairs += 1
                before = access(ev_old, old_atoms, node, s, d)
                after = access(ev_new, new_atoms, node, s, d)
                if before != after:
                    proof.access.append(_describe(ev_old, node, s, d, before, after))


def access(ev: Evaluator, atoms: list[Atom], node: Device | None, s: int, d: int) -> Access:
    """What `s` may send to `d` through `atoms`, as enforced at `node` (None: policy level)."""
    ports: dict[int, list[tuple[int, int]]] = {}
    for atom in atoms:
        port, proto = atom.spec.ports[0][0], min(atom.spec.effective_protos)
        ok = (
            atom.admits(ev, s, d, port, proto)
            if node is None
            else atom.admits_at(ev, node, s, d, port, proto)
        )
        if ok:
            for p in atom.spec.effective_protos:
                if (p == ICMPV6) == (d >= V6_BASE) or p not in (ICMP, ICMPV6):
                    ports.setdefault(p, []).extend(atom.spec.ports)
    return tuple(sorted((p, _merge(p, r)) for p, r in ports.items()))


def _merge(proto: int, ranges: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    if proto in PORTLESS:
        return ((0, 65535),)
    merged: list[tuple[int, int]] = []
    for lo, hi in sorted(ranges):
        if merged and lo <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(hi, merged[-1][1]))
        else:
            merged.append((lo, hi))
    return tuple(merged)


def _describe(
    ev: Evaluator, node: Device | None, s: int, d: int, before: Access, after: Access
) -> str:
    def name(key: int) -> str:
        device = ev.inventory.device_by_key.get(key)
        return f"{device.name} ({key_addr(key)})" if device else str(key_addr(key))

    where = f" at {node.name}" if node is not None and node.keys and d not in node.keys else ""
    return f"{name(s)} → {name(d)}{where}: before {_text(before)}, after {_text(after)}"


def _text(value: Access) -> str:
    if not value:
        return "nothing"
    parts = []
    for proto, ranges in value:
        ports = ",".join(str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in ranges)
        parts.append(f"{NAMES.get(proto, str(proto))}:{'*' if ranges == ((0, 65535),) else ports}")
    return " ".join(parts)


# ---------------------------------------------------------------------------------------------
# SSH and the policy's own tests


def _logins(inventory: Inventory, *policies: Policy) -> list[str]:
    named = {u for p in policies for rule in p.ssh for u in rule.users}
    plain = {u for u in named if not u.startswith(("autogroup:", "localpart:"))}
    localparts = {u.localpart for u in inventory.users if u.localpart}
    return sorted(plain | localparts | set(SAMPLE_LOGINS))


def _compare_ssh(ev_old: Evaluator, ev_new: Evaluator, proof: Proof) -> None:
    if not ev_old.policy.ssh and not ev_new.policy.ssh:
        return
    logins = _logins(ev_old.inventory, ev_old.policy, ev_new.policy)
    devices = [d for d in ev_old.inventory.devices if d.keys]
    for dst in devices:
        old_grants, new_grants = compile_node_ssh(ev_old, dst), compile_node_ssh(ev_new, dst)
        for src in devices:
            for login in logins:
                proof.ssh_checks += 1
                before = ssh_verdict(old_grants, src.keys[0], login).action
                after = ssh_verdict(new_grants, src.keys[0], login).action
                if before != after:
                    proof.ssh.append(f"{src.name} → {login}@{dst.name}: {before} → {after}")


def failing_tests(policy: Policy, inventory: Inventory) -> dict[tuple[str, int], list[str]]:
    """Each failing test of `policy` (by section and index) with its errors."""
    return {(f.kind, int(f.path[-1])): f.errors for f in run_tests(policy, inventory)}


def compare_tests(old: Policy, new: Policy, inventory: Inventory) -> list[str]:
    """The old policy's tests, run on both policies: any change in outcome is a difference."""
    carried = replace(new, tests=old.tests, ssh_tests=old.ssh_tests)
    before, after = failing_tests(old, inventory), failing_tests(carried, inventory)
    return list(_test_changes(before, after))


def _test_changes(
    before: dict[tuple[str, int], list[str]], after: dict[tuple[str, int], list[str]]
) -> Iterator[str]:
    for key in sorted(before.keys() | after.keys(), key=str):
        if before.get(key) != after.get(key):
            was = "; ".join(before.get(key, [])) or "pass"
            now = "; ".join(after.get(key, [])) or "pass"
            yield f"{key[0]}[{key[1]}]: before {was}; after {now}"
