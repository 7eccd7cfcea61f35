"""The policy's own `tests` and `sshTests`, evaluated as the control plane does (reference §6).

A test runs "from a device authenticated as src": a user means each of that user's devices, a
tag each device carrying it, an IP the device that has it. When the inventory has no such
device, a stand-in device is added for the identity, so a test about a user who has not
joined yet still means something. Every test entry names exactly one port; lists, ranges,
wildcards, CIDRs and `autogroup:internet` make the test fail, as on the control plane.
Failures come back in the API's `test(s) failed` shape.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from compiler.evaluate.addrs import V6_BASE, addr_key, is_ip_or_cidr
from compiler.evaluate.inventory import Device, Inventory
from compiler.evaluate.model import NetTest, Policy, SshTest
from compiler.evaluate.ports import TCP, UDP, PortError, parse_proto
from compiler.evaluate.rules import Admitted, Evaluator
from compiler.evaluate.ssh import compile_node_ssh, ssh_verdict
from compiler.numerals import is_decimal

NAMED_SOURCES = ("autogroup:member", "autogroup:tagged")
FEW_SOURCES = 16
MANY_INTERVALS = 256


@dataclass
class TestFailure:
    """One failing test, in the API's `data[]` shape plus where the test is written."""

    user: str
    errors: list[str]
    path: tuple[str | int, ...] = ()
    kind: str = "tests"

    def to_dict(self) -> dict[str, Any]:
        return {"user": self.user, "errors": list(self.errors)}


@dataclass
class Source:
    """One device (or bare address) a test runs from."""

    keys: tuple[int, ...]


@dataclass(frozen=True)
class FamilyKeys:
    """A test source's devices as the address each has in either family: a flow to an IPv4
    destination is asked from each device's first IPv4 address (devices with none are left
    out), one to an IPv6 destination from its first IPv6 address."""

    v4: frozenset[int]
    v6: frozenset[int]

    @classmethod
    def of(cls, sources: list[Source]) -> FamilyKeys:
        v4 = (next((k for k in s.keys if k < V6_BASE), None) for s in sources)
        v6 = (next((k for k in s.keys if k >= V6_BASE), None) for s in sources)
        return cls(
            frozenset(k for k in v4 if k is not None), frozenset(k for k in v6 if k is not None)
        )


@dataclass(eq=False)
class Question:
    """Does a test's source reach this address and port on one of these protocols?

    Made once per entry and protocols by a run (`TestRunner.questions`), which notes on it
    whether it is asked source by source (`wide`, see `TestRunner._by_source`) and, once
    asked otherwise, the evaluator's union of its admitted sources: a principal's entries
    are then answered by a set comparison each instead of the same lookups again."""

    d: int
    port: int
    protos: tuple[int, ...]
    v6: bool
    wide: bool = False
    admitted: Admitted | None = None


@dataclass
class TestRunner:
    ev: Evaluator
    _ssh_cache: dict[str, Any] = field(default_factory=dict)
    _dst_cache: dict[str, list[int] | None] = field(default_factory=dict)
    _family_cache: dict[str, FamilyKeys | None] = field(default_factory=dict)
    _questions: dict[tuple[str, tuple[int, ...]], tuple[Question, ...] | None] = field(
        default_factory=dict
    )
    few_sources: int = FEW_SOURCES
    """At most this many test sources may be asked source by source (`_by_source`)..."""
    many_intervals: int = MANY_INTERVALS
    """... when a reaching atom's sources are more than this many intervals."""

    @property
    def policy(self) -> Policy:
        return self.ev.policy

    @property
    def inventory(self) -> Inventory:
        return self.ev.inventory

    def sources(self, src: str) -> list[Source] | None:
        """The devices a test `src` stands for (None: it names nothing, the test fails)."""
        devices = self._identity_devices(src)
        if devices is not None:
            return [Source(d.keys) for d in devices] or None
        target = self.policy.hosts.get(src, src)
        if not is_ip_or_cidr(target) or "/" in target:
            return None
        key = addr_key(target)
        device = self.inventory.device_by_key.get(key)
        return [Source(device.keys if device else (key,))]

    def _identity_devices(self, src: str) -> list[Device] | None:
        inv, res = self.inventory, self.ev.resolver
        if src.startswith("tag:"):
            return res.devices(src) if src in self.policy.tag_owners else None
        if src.startswith("group:"):
            logins = res.logins(src) if src in self.policy.groups else []
            return [d for u in logins for d in inv.devices_of.get(u, ())] if logins else None
        if src in NAMED_SOURCES:
            return res.devices(src)
        if "@" in src and not src.startswith("autogroup:"):
            login = res.logins(src)[0]
            return list(inv.devices_of.get(login, ())) if login in inv.user_by_login else None
        return None

    def destinations(self, host: str) -> list[int] | None:
        """Addresses a test destination names (None: not a valid test destination).

        Remembered per host for this run: the generated tests name each service's device
        from every principal's test, and parsing its address each time was 7 % of a build.
        """
        if host not in self._dst_cache:
            self._dst_cache[host] = self._destinations(host)
        return self._dst_cache[host]

    def _destinations(self, host: str) -> list[int] | None:
        interval = self.policy.target_interval(host)
        if interval is not None:
            return None if "/" in self.policy.hosts.get(host, host) else [interval[0]]
        if host == "autogroup:self":
            return None
        devices = self._identity_devices(host)
        if host in NAMED_SOURCES or not devices:
            return None
        return [k for d in devices for k in d.keys]

    def family_keys(self, src: str) -> FamilyKeys | None:
        """Each source device's address per family (None: `src` names nothing), kept per
        `src` for this run: a principal's tests (one per protocol) share their sources."""
        if src not in self._family_cache:
            sources = self.sources(src) if src else None
            self._family_cache[src] = None if sources is None else FamilyKeys.of(sources)
        return self._family_cache[src]

    def run_net(self, test: NetTest) -> TestFailure | None:
        errors = self._net_errors(test)
        return TestFailure(test.src, errors, test.path) if errors else None

    def _net_errors(self, test: NetTest) -> list[str]:
        keys = self.family_keys(test.src)
        if keys is None:
            return [f'src "{test.src}": unknown or invalid test source']
        if not test.accept and not test.deny:
            return ["test has neither accept nor deny"]
        try:
            protos = (parse_proto(test.proto),) if test.proto else (TCP, UDP)
        except PortError as err:
            return [str(err)]
        errors = [e for t in test.accept.texts if (e := self._entry(t, keys, protos, True))]
        errors += [e for t in test.deny.texts if (e := self._entry(t, keys, protos, False))]
        return errors

    def _entry(self, text: str, keys: FamilyKeys, protos: tuple[int, ...], want: bool) -> str:
        """The entry's error ("" when it holds): with `want`, every source must reach every
        destination address (on any of `protos`); without, none may reach any."""
        questions = self._questions.get((text, protos)) or self.questions(text, protos)
        if questions is None:
            return f'address "{text}": invalid test destination'
        if want:
            for q in questions:
                if not self._covers(keys.v6 if q.v6 else keys.v4, q):
                    break
            else:
                return ""
        elif not any(self._meets(keys.v6 if q.v6 else keys.v4, q) for q in questions):
            return ""
        wanted, got = ("Accept", "Drop") if want else ("Drop", "Accept")
        return f'address "{text}": want: {wanted}, got: {got}'

    def questions(self, text: str, protos: tuple[int, ...]) -> tuple[Question, ...] | None:
        """One question per address an entry names (None: not a valid test destination).
        Kept per entry and protocols for this run: every principal's tests name the same
        services."""
        key = (text, protos)
        if key not in self._questions:
            target = self.entry_target(text)
            self._questions[key] = (
                None
                if target is None
                else tuple(self._question(d, target[1], protos) for d in target[0])
            )
        return self._questions[key]

    def _question(self, d: int, port: int, protos: tuple[int, ...]) -> Question:
        reaching = (self.ev.reaching(d, port, p) for p in protos)
        many = self.many_intervals
        wide = any(a.sources.more_intervals_than(many) for atoms in reaching for a in atoms)
        return Question(d, port, protos, d >= V6_BASE, wide)

    def _covers(self, sources: frozenset[int], q: Question) -> bool:
        """Every one of `sources` reaches the question's address (see `_by_source`)."""
        if self._by_source(sources, q):
            return all(self._reached(s, q) for s in sources)
        return self._admitted(q).covers(sources)

    def _meets(self, sources: frozenset[int], q: Question) -> bool:
        """At least one of `sources` reaches the question's address (see `_by_source`)."""
        if self._by_source(sources, q):
            return any(self._reached(s, q) for s in sources)
        return self._admitted(q).meets(sources)

    def _admitted(self, q: Question) -> Admitted:
        if q.admitted is None:
            q.admitted = self.ev.admitted(q.d, q.port, q.protos)
        return q.admitted

    def _by_source(self, sources: frozenset[int], q: Question) -> bool:
        """Ask source by source instead of through the evaluator's union of admitted sources?

        The union is built once per question and then answers any sources with set lookups,
        which is what most questions want (many test sources name the same service). But its
        cost grows with the reaching atoms' intervals, and a grant to everybody (split DNS)
        has one per device of the tailnet, at each resolver: for a few sources, looking each
        up in the atoms (a bisection apiece) is then far cheaper. Whether the atoms are that
        wide is found once per question (`Question.wide`)."""
        return q.wide and len(sources) <= self.few_sources

    def _reached(self, s: int, q: Question) -> bool:
        """`s in ev.admitted(d, port, protos)`, read off the reaching atoms themselves."""
        ev = self.ev
        return any(a.admits_from(ev, s, q.d) for p in q.protos for a in ev.reaching(q.d, q.port, p))

    def entry_target(self, text: str) -> tuple[list[int], int] | None:
        """An entry's destination addresses and port (None: not a valid test destination)."""
        host, sep, port_text = text.rpartition(":")
        host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
        dsts = self.destinations(host) if sep else None
        if dsts is None or not is_decimal(port_text) or int(port_text) > 65535:
            return None
        return dsts, int(port_text)

    def run_ssh(self, test: SshTest) -> TestFailure | None:
        errors = self._ssh_errors(test)
        return TestFailure(test.src, errors, test.path, "sshTests") if errors else None

    def _ssh_errors(self, test: SshTest) -> list[str]:
        sources = self.sources(test.src) if test.src else None
        if sources is None:
            return [f'src "{test.src}": unknown or invalid test source']
        if (
            not (test.accept or test.check or test.deny)
            or "" in test.accept + test.check + test.deny
        ):
            return ["test needs non-empty accept, check or deny logins"]
        errors = []
        for ref in test.dsts:
            devices = self._ssh_destinations(ref.text)
            if not devices:
                errors.append(f'dst "{ref.text}": invalid ssh test destination')
                continue
            errors += self._ssh_dst_errors(test, ref.text, devices, sources)
        return errors

    def _ssh_destinations(self, text: str) -> list[Device]:
        target = self.policy.hosts.get(text, text)
        if is_ip_or_cidr(target):
            if "/" in target or ":" in target:
                return []
            device = self.inventory.device_by_key.get(addr_key(target))
            return [device] if device else []
        return self._identity_devices(text) or []

    def _ssh_dst_errors(
        self, test: SshTest, dst: str, devices: list[Device], sources: list[Source]
    ) -> list[str]:
        errors = []
        for device in devices:
            grants = compile_node_ssh(self.ev, device)
            for login, want in self._ssh_expectations(test):
                verdicts = {
                    ssh_verdict(grants, k, login).action for s in sources for k in s.keys[:1]
                }
                if not all(_ssh_ok(v, want) for v in verdicts):
                    got = sorted(verdicts)[0].capitalize()
                    errors.append(f'ssh "{login}@{dst}": want: {want.capitalize()}, got: {got}')
        return list(dict.fromkeys(errors))

    @staticmethod
    def _ssh_expectations(test: SshTest) -> list[tuple[str, str]]:
        return (
            [(u, "accept") for u in test.accept]
            + [(u, "check") for u in test.check]
            + [(u, "deny") for u in test.deny]
        )


def _ssh_ok(verdict: str, want: str) -> bool:
    """`accept` is satisfied by accept or check rules (headscale and §6.3 agree on this)."""
    if want == "accept":
        return verdict in ("accept", "check")
    return verdict == want


STAND_IN = "(stand-in for "
"""How a stand-in device's name starts: no real hostname can (Tailscale's are DNS labels)."""


def with_stand_ins(
    policy: Policy, inventory: Inventory, wanted: set[str] | None = None
) -> Inventory:
    """`inventory` plus a stand-in device for each identity (default: test sources) with none:
    the evaluator answers per device, and a user or tag with no device yet would otherwise
    reach nothing. The only place stand-ins are made (tests, explain, matrix, the review)."""
    if wanted is None:
        wanted = {t.src for t in policy.tests} | {t.src for t in policy.ssh_tests}
    extra: list[Device] = []
    used = set(inventory.device_by_key)
    for src in sorted(wanted):
        device = _stand_in(src, policy, inventory, used)
        if device is not None:
            extra.append(device)
            used.update(device.keys)
    return replace(inventory, devices=inventory.devices + tuple(extra)) if extra else inventory


def _stand_in(src: str, policy: Policy, inv: Inventory, used: set[int]) -> Device | None:
    if src.startswith("tag:") and src in policy.tag_owners:
        if any(src in d.tags for d in inv.devices):
            return None
        return _device(f"{STAND_IN}{src})", used, tags=(src,))
    if src in inv.user_by_login and not inv.devices_of.get(src):
        return _device(f"{STAND_IN}{src})", used, owner=src)
    return None


def _device(name: str, used: set[int], owner: str = "", tags: tuple[str, ...] = ()) -> Device:
    n = 1
    while addr_key(f"100.127.255.{255 - n}") in used:
        n += 1
    v4, v6 = f"100.127.255.{255 - n}", f"fd7a:115c:a1e0:ffff::{n:x}"
    return Device(name=name, addresses=(v4, v6), owner=owner, tags=tags)


def run_tests(
    policy: Policy, inventory: Inventory, evaluator: Evaluator | None = None
) -> list[TestFailure]:
    """Every failing `tests` and `sshTests` entry (empty: all pass).

    `evaluator`, when the caller has one for this policy and inventory, runs the tests on
    its indexes (no second resolution of every rule) unless stand-ins must be added.
    """
    if not policy.tests and not policy.ssh_tests:
        return []
    inv = with_stand_ins(policy, inventory)
    if evaluator is None or evaluator.policy is not policy or evaluator.inventory is not inv:
        evaluator = Evaluator(policy, inv)
    runner = TestRunner(evaluator)
    failures = [f for t in policy.tests if (f := runner.run_net(t))]
    failures += [f for t in policy.ssh_tests if (f := runner.run_ssh(t))]
    return failures
