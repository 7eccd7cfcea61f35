"""The review's only door to the evaluator (`compiler.evaluate`): which pairs a policy allows,
and which rules allow one pair.

Nothing here decides what a rule means. This module chooses what to ask:

- principals are the users (by login), the tags on devices, and each location's LAN (clients
  behind its subnet router, asked about as one address inside the subnet);
- a user with no device yet gets a stand-in device (`evaluate.policytests.with_stand_ins`), so
  the review says what their identity may reach (the evaluator answers per device, and a
  person with no device reaches nothing);
- besides the ports the sites declare, the device ports either policy's rules name are asked
  about (`rule_targets`), so a rule that reaches further than any declaration shows up;
- device ports go through `evaluate.matrix` (indexed, shared across principals); addresses
  that are not tailnet devices (LAN resolvers, subnet-reached services, the internet) and LAN
  principals are asked the same question `evaluate.allowed` answers (see `_allowed`).
"""

from __future__ import annotations

import ipaddress
import re
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from compiler import evaluate
from compiler.evaluate.addrs import V6_BASE, AddrSet, addr_key
from compiler.evaluate.decision import resolve_sources
from compiler.evaluate.inventory import Inventory
from compiler.evaluate.matrix import Service, SortedKeys, allowed_cells, default_services
from compiler.evaluate.model import Policy, policy_from_data
from compiler.evaluate.policytests import STAND_IN, with_stand_ins
from compiler.evaluate.ports import proto_number
from compiler.evaluate.rules import Atom
from compiler.review.canonical import Keys
from compiler.review.universe import Target
from compiler.site.model import Site

Pair = tuple[str, Target]
_RULE = re.compile(r"(\w+)\[(\d+)\]")


def review_inventory(policy: Policy, inventory: Inventory | Mapping[str, Any]) -> Inventory:
    """The tailnet as the review asks about it: `inventory` plus a stand-in device for each
    user who has none (`with_stand_ins`, the evaluator's own), made once for all questions."""
    inv = evaluate.as_inventory(inventory)
    return with_stand_ins(policy, inv, {user.login for user in inv.users})


def principals(*sites: Site) -> dict[str, str]:
    """label → what the evaluator is asked about as the source, over every given site."""
    found: dict[str, str] = {}
    for site in sites:
        for user in site.users.values():
            found.setdefault(user.login, user.login)
        for dev in site.devices.values():
            found.update({f"tag:{t}": f"tag:{t}" for t in dev.tags})
        for name, loc in site.locations.items():
            if loc.subnets and loc.router:
                found.setdefault(f"location:{name}", _lan_client(loc.subnets[0]))
    return dict(
        sorted(
            found.items(), key=lambda kv: (kv[0].partition(":")[0] in ("tag", "location"), kv[0])
        )
    )


def _lan_client(subnet: ipaddress.IPv4Network | ipaddress.IPv6Network) -> str:
    """An address that stands for any client on a LAN: the subnet's last host address."""
    return str(subnet.broadcast_address - 1) if subnet.num_addresses > 2 else str(subnet[0])


@dataclass(frozen=True)
class Evaluated:
    """One side's policy, ready to answer questions against its tailnet."""

    evaluator: evaluate.Evaluator
    doc: Mapping[str, Any]
    inventory: Mapping[str, Any]


def prepare(
    policy_text: str,
    doc: Mapping[str, Any],
    inventory: Mapping[str, Any],
    like: Evaluated | None = None,
) -> Evaluated:
    """The side's one Evaluator, built from its parsed document (the text is kept only for
    line numbers and provenance comments, read when an explanation needs them). `like`, the
    other side: the entries both policies hold as written are read once; when the two
    tailnets are equal they share one inventory, and the selectors both policies define
    alike are resolved once (see `evaluate.Evaluator`'s `basis`)."""
    policy = policy_from_data(dict(doc), policy_text, like.evaluator.policy if like else None)
    if like is not None and like.inventory == inventory:
        ev = evaluate.Evaluator(policy, like.evaluator.inventory, like.evaluator)
        return Evaluated(ev, doc, like.inventory)
    ev = evaluate.Evaluator(policy, review_inventory(policy, inventory))
    return Evaluated(ev, doc, inventory)


def rule_targets(side: Evaluated) -> set[Target]:
    """The device ports the policy's rules name (a `tag:ai` grant names that port on every
    `tag:ai` device), found by the evaluator. Asked as TCP: it reports ports, not protocols."""
    devices = side.evaluator.inventory.device_by_name
    found = set()
    for svc in default_services(side.evaluator):
        if svc.device.startswith(STAND_IN):
            continue
        address = next((a for a in devices[svc.device].addresses if ":" not in a), "")
        if address:
            found.add(Target(svc.device, address, "tcp", svc.port))
    return found


def allowed_pairs(side: Evaluated, who: Mapping[str, str], targets: list[Target]) -> set[Pair]:
    """Every (principal, target) the side's policy allows."""
    devices = side.evaluator.inventory.device_by_name
    on_devices = [
        t for t in targets if t.host in devices and t.address in devices[t.host].addresses
    ]
    identities = [p for p, src in who.items() if p == src]
    pairs = set(_matrix_pairs(side, identities, on_devices))
    asked = set(on_devices)
    others = {p: src for p, src in who.items() if p != src}
    pairs.update(_allowed(side, others, targets))
    pairs.update(_allowed(side, who, [t for t in targets if t not in asked], set(others)))
    return pairs


def _matrix_pairs(side: Evaluated, identities: list[str], targets: list[Target]) -> Iterator[Pair]:
    services = {str(t): Service(str(t), t.host, t.port, proto_number(t.proto)) for t in targets}
    by_label: dict[str, list[Target]] = {}
    for t in targets:
        by_label.setdefault(str(t), []).append(t)
    for principal, svc in allowed_cells(side.evaluator, None, identities, list(services.values())):
        yield from ((principal, t) for t in by_label[svc.label])


def _allowed(
    side: Evaluated, who: Mapping[str, str], targets: list[Target], skip: set[str] | None = None
) -> Iterator[Pair]:
    """The (principal, target) pairs of `who` (but `skip`) × `targets` the policy allows:
    what `evaluate.allowed` answers (every device the source stands for must be allowed),
    asked through the evaluator's own `resolve_sources`, `reaching` and `admits_from`
    without collecting and locating each matching rule, which is what makes `allowed()` too
    slow for thousands of cells. Target by target: its rules are looked up once, and the
    source addresses each rule admits are listed once per rule (see `_Sources`).
    tests/test_diff_props.py checks the two agree."""
    ev = side.evaluator
    sources = _Sources(ev, {p: src for p, src in who.items() if p not in (skip or ())})
    for target in targets:
        d = addr_key(target.address)
        atoms = ev.reaching(d, target.port, proto_number(target.proto))
        if atoms:
            yield from ((p, target) for p in sources.admitted(atoms, d))


class _Sources:
    """The principals' source addresses (each device's first address of a family, as
    `allowed` picks it), and per atom the ones its sources hold."""

    def __init__(self, ev: evaluate.Evaluator, who: Mapping[str, str]) -> None:
        self.ev = ev
        self.keys: dict[bool, dict[str, frozenset[int] | None]] = {False: {}, True: {}}
        for principal, src in who.items():
            devices = [keys for _, keys in resolve_sources(ev, src)]
            if not devices:
                continue  # stands for nothing: reaches nothing
            for v6 in (False, True):
                chosen = [next((k for k in keys if (k >= V6_BASE) == v6), None) for keys in devices]
                self.keys[v6][principal] = None if None in chosen else frozenset(chosen)  # type: ignore[arg-type]
        self.sorted = {
            v6: SortedKeys(k for keys in self.keys[v6].values() if keys for k in keys)
            for v6 in (False, True)
        }
        # by id() of the address sets, each stored with its value: the sets stay alive here,
        # so their ids are not reused while these are kept
        self._inside: dict[tuple[int, bool], tuple[AddrSet, frozenset[int]]] = {}
        self._by_sources: dict[tuple[bool, frozenset[int]], tuple[list[AddrSet], list[str]]] = {}

    def admitted(self, atoms: tuple[Atom, ...], d: int) -> list[str]:
        """The principals every one of whose addresses some atom admits towards `d`. Without
        `autogroup:self` atoms the answer depends only on the atoms' source sets, which many
        atoms share (each split-DNS zone's grant to every member): it is found once per
        distinct group of source sets, not once per target (2,500 principals were checked
        against the same sources for each of a hundred resolvers)."""
        v6 = d >= V6_BASE
        selfish = [a for a in atoms if a.kind == "self"]
        sources = {id(a.src): a.src for a in atoms if a.kind != "self"}
        if selfish:
            return list(self._admitted(list(sources.values()), selfish, d, v6))
        key = (v6, frozenset(sources))
        found = self._by_sources.get(key)
        if found is None:
            held = list(sources.values())
            found = self._by_sources[key] = (held, list(self._admitted(held, [], d, v6)))
        return found[1]

    def _admitted(
        self, sources: list[AddrSet], selfish: list[Atom], d: int, v6: bool
    ) -> Iterator[str]:
        covered = frozenset().union(*(self._in(src, v6) for src in sources))
        for principal, keys in self.keys[v6].items():
            if keys is None:
                continue
            if keys <= covered or (
                selfish and all(self._self(selfish, k, d, covered) for k in keys)
            ):
                yield principal

    def _self(self, selfish: list[Atom], k: int, d: int, covered: frozenset[int]) -> bool:
        return k in covered or any(a.admits_from(self.ev, k, d) for a in selfish)

    def _in(self, src: AddrSet, v6: bool) -> frozenset[int]:
        """The principals' addresses of one family that `src` holds."""
        found = self._inside.get((id(src), v6))
        if found is None:
            found = self._inside[(id(src), v6)] = (src, frozenset(self.sorted[v6].within(src)))
        return found[1]


# ---------------------------------------------------------------------------------------------
# reusing one side's answers: most reviews change a few rules in a large policy


RULE_SECTIONS = ("grants", "acls")
NOT_ACCESS = frozenset({"grants", "acls", "ssh", "tests", "sshtests"})


def reused_pairs(
    new: Evaluated,
    old: Evaluated,
    old_pairs: frozenset[Pair],
    targets: list[tuple[Target, Target]],
    keys: Keys | None = None,
) -> tuple[set[Pair], list[Target]]:
    """The old side's pairs that must hold on the new side unchanged, and the targets the new
    side still has to be asked about. `targets` pairs each target as the new side addresses it
    with the same target as the old side does.

    A column (one target, every principal) is decided by the rules whose destination holds
    the target's address, resolved in the same tailnet with the same groups, hosts, tags and
    postures. So when both sides share all of that and differ only in some grants/acls
    entries, a column can change only if a changed entry's destination holds the address (or
    the target's address itself differs). Anything else differing: nothing is reused.
    `keys`: the canonical keys of the caller's comparison, if it holds one."""
    changed = _changed_destinations(new, old, keys or Keys())
    if changed is None:
        return set(), [t for t, _ in targets]
    held = AddrSet.union(changed)  # held by some changed destination
    ask = [t for t, before in targets if before.address != t.address or addr_key(t.address) in held]
    asked = set(ask)
    return {pair for pair in old_pairs if pair[1] not in asked}, ask


def _changed_destinations(new: Evaluated, old: Evaluated, keys: Keys) -> list[AddrSet] | None:
    """The destination address sets of the rules only one side has, or None when the sides
    differ in anything else that decides access (each rule's key found once, though both
    directions ask for it)."""
    if new.inventory != old.inventory or not _same_context(new.doc, old.doc, keys):
        return None
    if not (new.evaluator.policy.has_rule_sections and old.evaluator.policy.has_rule_sections):
        return None
    dsts = []
    for side, other in ((new, old), (old, new)):
        paths = _unmatched_rules(side.doc, other.doc, keys)
        dsts += [a.dst for a in side.evaluator.atoms if tuple(a.rule.path[:2]) in paths]
    return dsts


def _same_context(new: Mapping[str, Any], old: Mapping[str, Any], keys: Keys) -> bool:
    """Both documents say the same outside the rules and tests (usually identically)."""
    mine, theirs = _context(new), _context(old)
    return keys.identical(mine, theirs) or keys(mine) == keys(theirs)


def _context(doc: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if str(k).lower() not in NOT_ACCESS}


def _unmatched_rules(
    doc: Mapping[str, Any], other: Mapping[str, Any], keys: Keys
) -> set[tuple[str, int]]:
    """(section, index) of each grants/acls entry of `doc` that `other` does not have."""
    found: set[tuple[str, int]] = set()
    for name in RULE_SECTIONS:
        mine, theirs = _section(doc, name), _section(other, name)
        left = Counter(keys(rule) for _, rule in theirs)
        for (actual, index), rule in mine:
            k = keys(rule)
            if left[k] > 0:
                left[k] -= 1
            else:
                found.add((actual, index))
    return found


def _section(doc: Mapping[str, Any], name: str) -> list[tuple[tuple[str, int], Any]]:
    actual = next((k for k in doc if str(k).lower() == name), name)
    rules = doc.get(actual)
    return [((actual, i), r) for i, r in enumerate(rules)] if isinstance(rules, list) else []


def explain(side: Evaluated, src: str, target: Target) -> tuple[tuple[str, ...], bool]:
    """The rules that allow `src` to reach `target` (with the site.yaml line they came from,
    when the policy says), and whether each of them has a `*` source or destination."""
    decision = evaluate.allowed(
        side.evaluator, None, src, target.address, target.port, target.proto
    )
    rules = tuple(
        f"{m.rule} ({m.provenance})" if m.provenance else m.rule for m in decision.matches
    )
    stars = [
        m.dst in ("*",) or m.dst.startswith("*:") or _star_source(side.doc, m.rule)
        for m in decision.matches
    ]
    return rules, bool(stars) and all(stars)


def _star_source(doc: Mapping[str, Any], rule: str) -> bool:
    found = _RULE.fullmatch(rule)
    if found is None:
        return rule.startswith("default")  # no acls or grants: allow-all, a wildcard
    entries = doc.get(found.group(1))
    index = int(found.group(2))
    if (
        not isinstance(entries, list)
        or index >= len(entries)
        or not isinstance(entries[index], dict)
    ):
        return False
    entry = entries[index]
    sources = entry.get("src", entry.get("users", []))
    return isinstance(sources, list) and "*" in sources
