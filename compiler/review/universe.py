"""What the access review asks about: the targets (ports something listens on) and the
break-glass paths, gathered from both sides of a review (pure).

The evaluator answers "may X reach Y"; this module decides which Y are worth asking about:

- every service endpoint of the access model (`compiler.site.access`): the port clients
  connect to (443 for an HTTPS serve), on the device's tailnet address or, for subnet reach
  and LAN exposure, its LAN address;
- every break-glass SSH port;
- port 53 on every split-DNS resolver (clients lose name resolution if that is lost);
- the internet through exit nodes, when the site has one.

Both sides contribute, so a removed service is still asked about (its pairs are "lost") and a
new one is asked about on the old policy too (a wide old rule may already have allowed it).
The evaluator adds the device ports either policy's rules name (`compiler.review.evaluation`),
which is how a rule that widens to an undeclared port shows up.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from compiler.site import access as access_model
from compiler.site.dns import zones
from compiler.site.inventory import inventory_from_site
from compiler.site.model import Site

INTERNET = "internet"


@dataclass(frozen=True, order=True)
class Target:
    """A port to ask about. `host` names it for people (a device, a resolver address, or
    `internet`); `address` is what the evaluator is asked about on one side. A pinned device
    that loses its pin keeps its name, so its ports compare equal across the sides."""

    host: str
    address: str = field(compare=False)  # may differ between the sides: not the identity
    proto: str = "tcp"  # tcp | udp
    port: int = 0
    _hash: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # A review hashes each target once per pair it is in, in every set of pairs it
        # builds and compares (tens of thousands of pairs at 5,000 devices); the generated
        # __hash__ rebuilt the tuple of fields each time.
        object.__setattr__(self, "_hash", hash((self.host, self.proto, self.port)))

    def __hash__(self) -> int:
        return self._hash

    def __reduce__(self) -> tuple[type[Target], tuple[str, str, str, int]]:
        """Pickled by its fields: the hash is remade where it is unpickled (string hashes
        differ between processes)."""
        return (Target, (self.host, self.address, self.proto, self.port))

    def __str__(self) -> str:
        if self.host == INTERNET:
            return "internet via exit nodes"
        return f"{self.host}:{self.port}/{self.proto}"


# A public address and port stand for "the internet": an exit-node grant covers all of them.
INTERNET_TARGET = Target(INTERNET, "1.1.1.1", "tcp", 443)


@dataclass(frozen=True, order=True)
class BreakGlassPath:
    """Someone who must keep a way in: `login` to `target` (a device's SSH port)."""

    login: str
    target: Target

    def __str__(self) -> str:
        return f"{self.login} → {self.target}"


class SiteFacts:
    """What the review asks of one site, each found once: its device addresses, declared
    targets and break-glass paths. A diff asks them of both sides several times over, and
    listing the addresses of 5,000 devices took a tenth of a second each time."""

    def __init__(self, site: Site, twin: SiteFacts | None = None) -> None:
        self.site = site
        self.twin = twin  # facts of a site with the same users and devices, if known

    @cached_property
    def inventory(self) -> dict[str, Any]:
        """The tailnet as the evaluator sees it (`inventory_from_site`, which reads only the
        site's users and devices: a twin's is the same)."""
        return self.twin.inventory if self.twin is not None else inventory_from_site(self.site)

    @cached_property
    def addresses(self) -> dict[str, str]:
        """Each device's tailnet address (`device_addresses`), as the inventory holds it."""
        return {name: node["ipv4"] for name, node in self.inventory["nodes"].items()}

    @cached_property
    def targets(self) -> dict[Target, set[str]]:
        """Each target the site declares, with what declares it ("service ollama-icon", …)."""
        found: dict[Target, set[str]] = {}
        for target, label in self._declared():
            found.setdefault(target, set()).add(label)
        return found

    def _declared(self) -> Iterator[tuple[Target, str]]:
        site, addresses = self.site, self.addresses
        for ep in access_model.access(site).endpoints():
            address = ep.address or addresses[ep.device]
            yield Target(ep.device, address, ep.proto, ep.port), f"service {ep.service}"
        for path in access_model.break_glass_paths(site):
            yield Target(path.device, addresses[path.device], "tcp", path.port), "break-glass"
        for zname, zone in sorted(zones(site).items()):
            for resolver in zone.resolvers:
                for proto in ("udp", "tcp"):
                    yield Target(str(resolver), str(resolver), proto, 53), f"resolver for {zname}"
        if any(dev.exit_node for dev in site.devices.values()):
            yield INTERNET_TARGET, "exit nodes"

    @cached_property
    def break_glass(self) -> set[BreakGlassPath]:
        """Every (person, device SSH port) the site says must never be lost."""
        site, addresses = self.site, self.addresses
        return {
            BreakGlassPath(
                site.users[p.user].login, Target(p.device, addresses[p.device], "tcp", p.port)
            )
            for p in access_model.break_glass_paths(site)
        }

    def for_targets(self, targets: Iterable[Target]) -> list[Target]:
        """The targets with the addresses this site gives them: its own declaration where
        it has one, its device's tailnet address where it has the device, else as given."""
        own = {t: t for t in self.targets}
        addresses = self.addresses
        out = []
        for target in targets:
            if target in own:
                out.append(own[target])
            elif target.host in addresses:
                out.append(replace(target, address=addresses[target.host]))
            else:
                out.append(target)
        return out


class FactsOf:
    """`SiteFacts` by site, each made once for one diff (a side without a site borrows the
    other's, so both sides may hold the same site)."""

    def __init__(self) -> None:
        self._held: dict[int, SiteFacts] = {}

    def __call__(self, site: Site) -> SiteFacts:
        found = self._held.get(id(site))
        if found is None or found.site is not site:
            found = self._held[id(site)] = SiteFacts(site, self._twin(site))
        return found

    def _twin(self, site: Site) -> SiteFacts | None:
        """Facts already made of a site with the same users and devices: most reviews change
        services or rules, and comparing the models is a fraction of listing the tailnet."""
        return next(
            (
                facts
                for facts in self._held.values()
                if facts.site.users == site.users and facts.site.devices == site.devices
            ),
            None,
        )


def site_targets(site: Site) -> dict[Target, set[str]]:
    """Each target the site declares, with what declares it (see `SiteFacts.targets`)."""
    return SiteFacts(site).targets


def break_glass_paths(site: Site) -> set[BreakGlassPath]:
    """Every (person, device SSH port) the site says must never be lost."""
    return SiteFacts(site).break_glass


def for_site(targets: Iterable[Target], site: Site) -> list[Target]:
    """The targets with the addresses `site` gives them (see `SiteFacts.for_targets`)."""
    return SiteFacts(site).for_targets(targets)


def union(*maps: Mapping[Target, Iterable[str]]) -> dict[Target, tuple[str, ...]]:
    """Targets of several sides, each with the sorted labels any side gave it."""
    labels: dict[Target, set[str]] = {}
    for found in maps:
        for target, names in found.items():
            labels.setdefault(target, set()).update(names)
    return {t: tuple(sorted(labels[t])) for t in sorted(labels)}
