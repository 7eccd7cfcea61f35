"""Network rules resolved to address sets, and an index that finds them by destination.

Each acls/grants entry becomes one `Atom` per (destination, protocol/port entry): "these
sources may reach these destinations on these ports". Queries look atoms up by destination
address first — an exact-address table for the usual device destinations plus a short list of
wide ones (CIDRs, `*`, `autogroup:internet`) — so a question costs a handful of set lookups
instead of a scan over every rule; that is what keeps a 1,000-device matrix under two seconds.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import InitVar, dataclass, field

from compiler.evaluate.addrs import INTERNET, AddrSet
from compiler.evaluate.inventory import Device, Inventory
from compiler.evaluate.model import DstRef, NetRule, Policy, Ref
from compiler.evaluate.ports import ALL_PORTS, IpSpec
from compiler.evaluate.resolve import INTERNET_GROUP, SELF, Resolver, Sources

EXACT_LIMIT = 256
"""Destinations with at most this many addresses are indexed address by address."""

ALLOW_ALL = NetRule(
    "default",
    0,
    (),
    (Ref("*", ()),),
    (DstRef(Ref("*", ()), (IpSpec(None, ALL_PORTS),)),),
)
"""What a policy with neither `acls` nor `grants` means: everything may reach everything."""


@dataclass(frozen=True)
class Atom:
    """Sources × one destination × one protocol/port entry of one rule."""

    rule: NetRule
    dst_ref: Ref
    spec: IpSpec
    sources: Sources
    dst: AddrSet
    kind: str  # "addr", "self" or "internet"
    via: frozenset[str]
    order: int = 0

    @property
    def src(self) -> AddrSet:
        """The rule's source addresses (its `sources` as one set, made when first asked)."""
        return self.sources.addrs

    def admits(self, evaluator: Evaluator, s: int, d: int, port: int, proto: int) -> bool:
        """Does the policy allow this flow through this atom (wherever it is enforced)?"""
        return self.reaches(d, port, proto) and self.admits_from(evaluator, s, d)

    def reaches(self, d: int, port: int, proto: int) -> bool:
        """The destination half: `d` is a destination and `port`/`proto` an allowed port."""
        return self.spec.admits(port, proto) and d in self.dst

    def admits_from(self, evaluator: Evaluator, s: int, d: int) -> bool:
        """The source half, for an atom that `reaches` `d`."""
        return s in self.src and (self.kind != "self" or evaluator.same_owner(s, d))

    def admits_at(
        self, evaluator: Evaluator, node: Device, s: int, d: int, port: int, proto: int
    ) -> bool:
        """Does `node`'s packet filter admit this flow through this atom?"""
        if self.via and not self.via & set(node.tags):
            return False
        if (self.kind == "internet" or self.via) and not self._routes_via(node, d):
            return False
        return self.admits(evaluator, s, d, port, proto)

    def _routes_via(self, node: Device, d: int) -> bool:
        if d in node.routed:
            return self.kind != "internet"
        return node.is_exit_node and d in INTERNET


@dataclass(frozen=True)
class Admitted:
    """Every source address one (destination, port, protocols) question admits: the union of
    the reaching atoms' sources, so asking it for many sources costs a set operation instead
    of a pass over the atoms per source. Small unions are exact keys, large ones intervals."""

    keys: frozenset[int]
    wide: AddrSet
    _covered: dict[frozenset[int], bool] = field(default_factory=dict, compare=False, repr=False)

    def __contains__(self, s: int) -> bool:
        return s in self.keys or (bool(self.wide) and s in self.wide)

    def covers(self, sources: frozenset[int]) -> bool:
        """Every one of `sources` is admitted. Answers against the intervals are kept: the
        evaluator hands out one Admitted per distinct union, and a principal's tests ask the
        same union about the same devices once per destination sharing it (e.g. DNS)."""
        if sources <= self.keys:
            return True
        found = self._covered.get(sources)
        if found is None:
            found = self._covered[sources] = all(s in self for s in sources)
        return found

    def meets(self, sources: frozenset[int]) -> bool:
        """At least one of `sources` is admitted."""
        if not self.keys.isdisjoint(sources):
            return True
        return bool(self.wide) and any(s in self.wide for s in sources)


@dataclass
class Evaluator:
    """A policy and an inventory, resolved once and indexed for fast questions. `basis`: an
    evaluator over the same inventory object whose resolved selectors and rule sources may
    be shared (when the policies define their names alike: see `Resolver.like`)."""

    policy: Policy
    inventory: Inventory
    basis: InitVar[Evaluator | None] = None
    resolver: Resolver = field(init=False)
    atoms: list[Atom] = field(init=False)
    exact: dict[int, list[int]] = field(init=False)
    wide: list[int] = field(init=False)
    _reaching: dict[tuple[int, int, int], tuple[Atom, ...]] = field(init=False, repr=False)
    _admitted: dict[tuple[int, int, tuple[int, ...]], Admitted] = field(init=False, repr=False)
    _distinct: dict[Admitted, Admitted] = field(init=False, repr=False)

    def __post_init__(self, basis: Evaluator | None) -> None:
        if basis is not None and basis.inventory is self.inventory:
            self.resolver = basis.resolver.like(self.policy)
        else:
            self.resolver = Resolver(self.policy, self.inventory)
        self.atoms = list(self._build_atoms())
        self.exact, self.wide, self._reaching, self._admitted = {}, [], {}, {}
        self._distinct = {}
        for i, atom in enumerate(self.atoms):
            self._index(i, atom)

    @property
    def rules(self) -> list[NetRule]:
        return self.policy.rules if self.policy.has_rule_sections else [ALLOW_ALL]

    def _build_atoms(self) -> Iterator[Atom]:
        order = 0
        for rule in self.rules:
            src = self._rule_sources(rule)
            via = frozenset(rule.via)
            for dst in rule.dsts:
                kind, dst_set = self._destination(dst.ref.text)
                for spec in dst.specs:
                    yield Atom(rule, dst.ref, spec, src, dst_set, kind, via, order)
                    order += 1

    def _rule_sources(self, rule: NetRule) -> Sources:
        posture = rule.src_posture if rule.src_posture is not None else ()
        posture = posture or self.policy.default_src_posture
        return self.resolver.sources(tuple(r.text for r in rule.srcs), posture)

    def _destination(self, selector: str) -> tuple[str, AddrSet]:
        if selector == SELF:
            return "self", self.resolver.dst("autogroup:member")
        if selector == INTERNET_GROUP:
            return "internet", INTERNET
        return "addr", self.resolver.dst(selector)

    def _index(self, i: int, atom: Atom) -> None:
        if not atom.dst.size_at_most(EXACT_LIMIT):
            self.wide.append(i)
            return
        for lo, hi in atom.dst.intervals:
            for key in range(lo, hi + 1):
                self.exact.setdefault(key, []).append(i)

    def candidates(self, d: int) -> Iterator[Atom]:
        """Atoms whose destination contains `d` (exact hits, then the wide ones)."""
        for i in self.exact.get(d, ()):
            yield self.atoms[i]
        for i in self.wide:
            atom = self.atoms[i]
            if d in atom.dst:
                yield atom

    def same_owner(self, s: int, d: int) -> bool:
        owner_by_key = self.inventory.owner_by_key
        owner = owner_by_key.get(d)
        return owner is not None and owner_by_key.get(s) == owner

    def reaching(self, d: int, port: int, proto: int) -> tuple[Atom, ...]:
        """Atoms that reach `d` on `port`/`proto`, in policy order, whatever the source.

        Kept per destination and port for this evaluator's life: policy tests, the matrix
        and diffs ask about the same few destinations from many sources, so each source then
        costs a set lookup per atom instead of a pass over the destination's candidates.
        """
        key = (d, port, proto)
        found = self._reaching.get(key)
        if found is None:
            found = self._reaching[key] = self._reaching_for(d, port, proto)
        return found

    def _reaching_for(self, d: int, port: int, proto: int) -> tuple[Atom, ...]:
        """`candidates(d)` admitting the port, in policy order. An atom's order is its index
        and both index lists are in index order, so only a mix of the two is sorted; and an
        exact hit's destination holds `d` by construction, so only the port is asked."""
        atoms = self.atoms
        hits = [i for i in self.exact.get(d, ()) if atoms[i].spec.admits(port, proto)]
        wide = [i for i in self.wide if atoms[i].spec.admits(port, proto) and d in atoms[i].dst]
        ordered = sorted(hits + wide) if hits and wide else hits or wide
        return tuple(atoms[i] for i in ordered)

    def matching(self, s: int, d: int, port: int, proto: int) -> list[Atom]:
        """Every atom that allows the flow, in policy order (policy-level view)."""
        return [a for a in self.reaching(d, port, proto) if a.admits_from(self, s, d)]

    def admitted(self, d: int, port: int, protos: tuple[int, ...]) -> Admitted:
        """The sources `matching` finds an atom for on any of `protos` to `d`:`port`
        (`s in admitted(d, port, (p,))` ⇔ `bool(matching(s, d, port, p))`), kept per question
        for this evaluator's life: the policy tests ask each one from many sources."""
        key = (d, port, protos)
        found = self._admitted.get(key)
        if found is None:
            union = self._admitted_for(d, port, protos)
            found = self._admitted[key] = self._distinct.setdefault(union, union)
        return found

    def _admitted_for(self, d: int, port: int, protos: tuple[int, ...]) -> Admitted:
        plain: list[Sources] = []
        own: list[Sources] = []
        for proto in protos:
            for atom in self.reaching(d, port, proto):
                (own if atom.kind == "self" else plain).append(atom.sources)
        keys, wide = _plain_admitted(plain)
        owner = self.inventory.owner_by_key.get(d)
        if own and owner is not None:
            mine = self.inventory.keys_by_owner[owner]
            keys = keys | {k for k in mine if any(k in src.addrs for src in own)}
        return Admitted(keys, wide)

    def matching_pair(self, s: int, d: int) -> list[Atom]:
        """Every atom that admits the address pair at all, any protocol or port (what the
        data plane accepts an ICMP echo request on)."""
        found = [
            a
            for a in self.candidates(d)
            if s in a.src and (a.kind != "self" or self.same_owner(s, d))
        ]
        return sorted(found, key=lambda a: a.order)

    def matching_at(self, node: Device, s: int, d: int, port: int, proto: int) -> list[Atom]:
        """Every atom `node`'s packet filter admits the flow through."""
        found = [a for a in self.candidates(d) if a.admits_at(self, node, s, d, port, proto)]
        return sorted(found, key=lambda a: a.order)


def _plain_admitted(plain: list[Sources]) -> tuple[frozenset[int], AddrSet]:
    """The union of `plain` as (keys, intervals): keys when it has at most `EXACT_LIMIT`
    addresses, else intervals. Sources that are few keys each are joined as keys (a set
    union), the others merged as intervals."""
    points = [p for src in plain if (p := src.points) is not None]
    if len(points) == len(plain):
        keys = points[0] if len(points) == 1 else frozenset().union(*points)
        if len(keys) <= EXACT_LIMIT:
            return keys, AddrSet()
    wide = AddrSet.union(src.addrs for src in plain)
    if wide.size_at_most(EXACT_LIMIT):
        return frozenset(k for lo, hi in wide.intervals for k in range(lo, hi + 1)), AddrSet()
    return frozenset(), wide
