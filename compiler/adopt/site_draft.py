"""A policy (plus devices and DNS) → site data in the model's own words, and the rest verbatim.

`draft_site` is pure. It reads the policy's users, groups and tags into the model, subnet
routes and exit nodes into locations and router devices, port grants on tags into services
with `allow:` lists, exit-node grants into `exit_nodes`, and SSH rules into `ssh`; whatever
it cannot say exactly goes under `policy:` verbatim, in order, and is counted as such.
`Options` turns readings off one by one, so the importer can fall back when a reading makes
the build disagree with the original (for instance a generated deny test that an allow-all
rule kept verbatim contradicts).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from compiler.adopt.devices import DevicePlan
from compiler.adopt.inputs import DnsSettings, PolicySource
from compiler.adopt.names import Names, is_login, valid_tag_name
from compiler.adopt.rules import NetReading, ServicePorts, read_acl, read_grant, read_ssh
from compiler.evaluate.positions import Path
from compiler.numerals import is_decimal

RULE_SECTIONS = ("acls", "grants", "ssh")
HATCH = (
    "What the site model cannot say, kept verbatim: merged as is into the compiled policy\n"
    "after everything above (checked, evaluated, diffed and linted like the rest)."
)
MADE_UP = (
    "No device list was given, so these devices (and the user roles) are made up from the names\n"
    "the policy uses: one per user and per tag, and routers for its auto-approved routes. The\n"
    "import's proof ran on them. Replace them with your devices, or import with --devices."
)
ALLOW_ALL = {"src": ["*"], "dst": ["*"], "ip": ["*"]}


@dataclass(frozen=True)
class Options:
    """Which readings the draft uses (all on: the most model, the least verbatim)."""

    identities: bool = True
    routes: bool = True
    services: bool = True
    ssh: bool = True
    live_tests: bool = True

    @property
    def label(self) -> str:
        off = [k for k, v in self.__dict__.items() if not v]
        return "full model" if not off else "without " + ", ".join(off)


@dataclass
class Draft:
    """Site data, the comments to write above its entries, and how much the model held."""

    data: dict[str, Any] = field(default_factory=dict)
    comments: dict[Path, list[str]] = field(default_factory=dict)
    modelled: Counter[str] = field(default_factory=Counter)
    verbatim: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)

    def policy(self, section: str) -> Any:
        return self.data.setdefault("policy", {}).get(section)


def collect_logins(data: Any, names: Names) -> None:
    """Every login the policy names anywhere (rules, groups, owners, approvers, tests)."""
    if isinstance(data, Mapping):
        for key, value in data.items():
            collect_logins(key, names)
            collect_logins(value, names)
    elif isinstance(data, list):
        for value in data:
            collect_logins(value, names)
    elif isinstance(data, str):
        text = data
        head, sep, tail = text.rpartition(":")
        if sep and (tail == "*" or is_decimal(tail.replace(",", "").replace("-", ""))):
            text = head
        if is_login(text):
            names.add_login(text)


def model_groups(policy: Mapping[str, Any], names: Names) -> dict[str, list[str]]:
    """Groups whose members are all site users (the model's groups hold users only)."""
    groups = policy.get("groups")
    if not isinstance(groups, Mapping):
        return {}
    return {
        name: list(members)
        for name, members in groups.items()
        if name.startswith("group:")
        and isinstance(members, list)
        and all(isinstance(m, str) and m in names.users for m in members)
    }


def model_tags(policy: Mapping[str, Any], names: Names) -> dict[str, list[str]]:
    """Tags whose owners the model can name (owners may be tags: settled to a fixed point)."""
    owners = policy.get("tagOwners")
    if not isinstance(owners, Mapping):
        return {}
    held = {
        t: list(o)
        for t, o in owners.items()
        if t.startswith("tag:")
        and valid_tag_name(t[4:])
        and isinstance(o, list)
        and all(isinstance(x, str) for x in o)
    }
    while True:
        names.tags = set(held)
        bad = [t for t, o in held.items() if o and names.refs(o) is None]
        if not bad:
            return held
        for t in bad:
            del held[t]


@dataclass
class Context:
    src: PolicySource
    names: Names
    options: Options
    devices: dict[str, dict[str, Any]]
    exit_devices: bool
    failing_tests: set[tuple[str, int]]
    comments: dict[Path, list[str]]
    routed: frozenset[str]
    roles: dict[str, str] = field(default_factory=dict)
    used_hosts: set[str] = field(default_factory=set)
    draft: Draft = field(default_factory=Draft)

    @property
    def policy(self) -> dict[str, Any]:
        return self.src.data

    def keep(self, section: str, value: Any, path: Path, counted: bool = True) -> None:
        """Put an entry under `policy:` verbatim, with the comments written above it."""
        hatch = self.draft.data.setdefault("policy", {})
        if isinstance(path[-1], int) and len(path) == 2:
            entries = hatch.setdefault(section, [])
            self.comment(path, ("policy", section, len(entries)))
            entries.append(value)
        elif len(path) == 2:
            hatch.setdefault(section, {})[path[1]] = value
            self.comment(path, ("policy", section, str(path[1])))
        else:
            hatch[section] = value
        self.comment((section,), ("policy", section))
        if counted:
            self.draft.verbatim[section] += 1

    def comment(self, source: Path, target: Path) -> None:
        lines = self.comments.get(source)
        if lines and target not in self.draft.comments:
            self.draft.comments[target] = lines


# ---------------------------------------------------------------------------------------------
# the draft, section by section


def draft_site(
    src: PolicySource,
    names: Names,
    plan: DevicePlan,
    options: Options,
    failing_tests: set[tuple[str, int]],
    comments: dict[Path, list[str]],
    dns: DnsSettings | None = None,
) -> Draft:
    """The site for `src` under `options`, with `plan`'s devices and user roles (its routes
    and exit nodes reproduce the autoApprovers keys in `plan.routed`)."""
    names = Names(users=dict(names.users))
    routed = frozenset(plan.routed) if options.routes and options.identities else frozenset()
    exit_devices = "exitNode" in routed
    ctx = Context(src, names, options, plan.devices, exit_devices, failing_tests, comments, routed)
    ctx.roles = plan.roles
    ctx.draft.comments[("policy",)] = [HATCH]
    names.hosts = pinned_aliases(src.data, plan.devices)
    if plan.made_up:
        ctx.draft.comments[("devices",)] = [MADE_UP]
    ctx.draft.comments[()] = comments.get((), [])
    _identities(ctx)
    _devices(ctx)
    if dns is not None:
        _dns(ctx, dns)
    _net_rules(ctx)
    _ssh(ctx)
    _rest(ctx)
    return ctx.draft


def _identities(ctx: Context) -> None:
    data, names = ctx.draft.data, ctx.names
    groups = model_groups(ctx.policy, names) if ctx.options.identities else {}
    names.groups = set(groups)
    tags = model_tags(ctx.policy, names) if ctx.options.identities else {}
    names.tags = set(tags)
    data["users"] = {key: {"login": login} for login, key in names.users.items()}
    for key, role in ctx.roles.items():
        data["users"][key]["role"] = role
    if groups:
        data["groups"] = {g[6:]: [names.users[m] for m in ms] for g, ms in groups.items()}
        ctx.comment(("groups",), ("groups",))
        for g in groups:
            ctx.comment(("groups", g), ("groups", g[6:]))
    if tags:
        data["tags"] = {t[4:]: {"owners": names.refs(o) or []} for t, o in tags.items()}
        ctx.comment(("tagOwners",), ("tags",))
        for t in tags:
            ctx.comment(("tagOwners", t), ("tags", t[4:]))


def _devices(ctx: Context) -> None:
    """The site's devices: those whose tags the model holds (routes only when modelled)."""
    kept: dict[str, dict[str, Any]] = {}
    for name, device in ctx.devices.items():
        if any(f"tag:{t}" not in ctx.names.tags for t in device.get("tags", [])):
            continue
        entry = dict(device)
        if "routes" not in ctx.routed:
            entry.pop("routes", None)
            entry.pop("location", None)
        if "exitNode" not in ctx.routed:
            entry.pop("exit_node", None)
        kept[name] = entry
    if len(kept) < len(ctx.devices):
        ctx.draft.notes.append(
            f"{len(ctx.devices) - len(kept)} device(s) left out: their tags stay under policy:"
        )
    ctx.devices = kept
    if kept:
        ctx.draft.data["devices"] = kept
    locations = {
        d["location"]: {"subnets": list(d["routes"]), "router": name}
        for name, d in kept.items()
        if d.get("location")
    }
    if locations:
        ctx.draft.data["locations"] = locations


def _dns(ctx: Context, dns: DnsSettings) -> None:
    section: dict[str, Any] = {}
    if dns.magic_dns is not None:
        section["magic_dns"] = dns.magic_dns
    if dns.nameservers:
        section["nameservers"] = [{"address": a} for a in dns.nameservers]
    if dns.search_paths:
        section["search_paths"] = list(dns.search_paths)
    if section:
        ctx.draft.data["dns"] = section
    for zone, resolvers in dns.split_dns.items():
        ctx.draft.notes.append(
            f"split DNS {zone} → {', '.join(resolvers)} not imported: a location's zone adds "
            "port-53 grants, so declare it under locations: when those are wanted"
        )


ServiceKey = tuple[str, str, tuple[int, ...]]  # destination selector, protocol, ports


@dataclass
class Services:
    """The services being read: allow list and the policy entries each came from."""

    allow: dict[ServiceKey, list[str]] = field(default_factory=dict)
    sources: dict[ServiceKey, list[Path]] = field(default_factory=dict)

    def fits(self, svc: ServicePorts) -> bool:
        """No other service on the same destination shares one of its ports."""
        return not any(
            (dst, proto) == (svc.tag, svc.protocol) and ports != svc.ports
            and set(ports) & set(svc.ports)
            for dst, proto, ports in self.allow
        )  # fmt: skip

    def add(self, svc: ServicePorts, source: Path) -> None:
        key = (svc.tag, svc.protocol, svc.ports)
        allow = self.allow.setdefault(key, [])
        allow.extend(a for a in svc.allow if a not in allow)
        self.sources.setdefault(key, []).append(source)


def _net_rules(ctx: Context) -> None:
    services, exit_allow = Services(), list[str]()
    for section, reader in (("acls", read_acl), ("grants", read_grant)):
        entries = ctx.policy.get(section)
        if not isinstance(entries, list):
            if entries is not None:
                ctx.keep(section, entries, (section,))
            continue
        for i, entry in enumerate(entries):
            reading = reader(entry, ctx.names) if isinstance(entry, Mapping) else None
            if reading is not None and _take(ctx, reading, services, (section, i)):
                ctx.draft.modelled[section] += 1
                exit_allow.extend(reading.exit_allow)
            else:
                ctx.keep(section, entry, (section, i))
    if not {str(k).lower() for k in ctx.policy} & {"acls", "grants"}:
        ctx.keep("grants", dict(ALLOW_ALL), ("grants", 0), counted=False)
        ctx.draft.notes.append("no acls or grants: the policy allowed everything, said explicitly")
    _write_services(ctx, services)
    if exit_allow:
        ctx.draft.data["exit_nodes"] = {"allow": list(dict.fromkeys(exit_allow))}


def _take(ctx: Context, reading: NetReading, services: Services, source: Path) -> bool:
    """Use a reading if the site can hold it next to what it already holds."""
    if reading.exit_allow:
        if ctx.exit_devices:
            ctx.comment(source, ("exit_nodes",))
        return ctx.exit_devices
    usable = all(service_host(ctx, s.tag) and services.fits(s) for s in reading.services)
    if not ctx.options.services or not usable:
        return False
    for svc in reading.services:
        services.add(svc, source)
    return True


def pinned_aliases(policy: Mapping[str, Any], devices: Mapping[str, Any]) -> dict[str, str]:
    """Host aliases the model writes itself: a device's name for its pinned address."""
    hosts = policy.get("hosts")
    if not isinstance(hosts, Mapping):
        return {}
    return {
        alias: alias
        for alias, ip in hosts.items()
        if alias in devices and devices[alias].get("tailscale_ip") == ip
    }


def service_host(ctx: Context, tag: str) -> str | None:
    """The device a service destination stands for: the device a host alias pins, or the
    unpinned device whose first tag is `tag` (the policy then names the tag)."""
    if tag in ctx.names.hosts:
        return ctx.names.hosts[tag] if tag in ctx.devices else None
    for name, device in ctx.devices.items():
        if not device.get("tailscale_ip") and device.get("tags", [None])[0] == tag[4:]:
            return name
    return None


def _write_services(ctx: Context, services: Services) -> None:
    out: dict[str, Any] = {}
    for (dst, proto, ports), allow in services.allow.items():
        base = name = f"{dst.removeprefix('tag:')}-{proto}-{ports[0]}"
        n = 2
        while name in out:
            name, n = f"{base}-{n}", n + 1
        ctx.used_hosts.add(dst)
        for source in services.sources[(dst, proto, ports)]:
            ctx.comment(source, ("services", name))
        out[name] = {
            "device": service_host(ctx, dst),
            "port": list(ports),
            "protocol": proto,
            "allow": allow,
            "launch": "none",
        }
    if out:
        ctx.draft.data["services"] = out


def _ssh(ctx: Context) -> None:
    """SSH rules the model can say go to `ssh:`, the rest stay verbatim (after them). A node
    tries check rules before accept rules, so the verdict does not depend on which list a rule
    sits in; the proof compares every verdict, and a draft that changed one is not used."""
    entries = ctx.policy.get("ssh")
    if not isinstance(entries, list):
        if entries is not None:
            ctx.keep("ssh", entries, ("ssh",))
        return
    rules: list[dict[str, Any]] = []
    for i, entry in enumerate(entries):
        rule = read_ssh(entry, ctx.names) if isinstance(entry, Mapping) else None
        if rule is None or not ctx.options.ssh:
            ctx.keep("ssh", entry, ("ssh", i))
            continue
        ctx.comment(("ssh", i), ("ssh", len(rules)))
        rules.append(rule)
        ctx.draft.modelled["ssh"] += 1
    if rules:
        ctx.comment(("ssh",), ("ssh",))
        ctx.draft.data["ssh"] = rules


def _rest(ctx: Context) -> None:
    """Everything else verbatim: unmodelled groups and tags, hosts, nodeAttrs, postures…"""
    held = {
        "groups": ctx.names.groups,
        "tagOwners": ctx.names.tags,
        "autoApprovers": ctx.routed,
        "hosts": ctx.used_hosts,
    }
    for section, value in ctx.policy.items():
        if section in RULE_SECTIONS:
            continue
        if section in ("tests", "sshTests"):
            _tests(ctx, section, value)
        elif isinstance(value, Mapping):
            for key, body in value.items():
                if key not in held.get(section, ()):
                    ctx.keep(section, body, (section, key))
            if not value:
                ctx.keep(section, {}, (section,))
        elif isinstance(value, list):
            for i, entry in enumerate(value):
                ctx.keep(section, entry, (section, i))
            if not value:
                ctx.keep(section, [], (section,))
        else:
            ctx.keep(section, value, (section,))


def _tests(ctx: Context, section: str, value: Any) -> None:
    """The policy's own tests, carried over: those that pass on the original run in every
    build; one that already failed there is carried as a comment (it would fail the build)."""
    if not isinstance(value, list):
        ctx.keep(section, value, (section,))
        return
    for i, entry in enumerate(value):
        kind = "sshTests" if section.lower() == "sshtests" else "tests"
        if ctx.options.live_tests and (kind, i) not in ctx.failing_tests:
            ctx.keep(section, entry, (section, i))
            continue
        why = (
            "fails on the original policy too"
            if (kind, i) in ctx.failing_tests
            else ("does not hold for the site's devices")
        )
        note = f"{section}[{i}] {why}, carried as a comment: {_json(entry)}"
        ctx.draft.comments.setdefault(("policy",), []).append(note)
        ctx.draft.notes.append(f"{section}[{i}] {why}: kept as a comment in the site file")
    if not value:
        ctx.keep(section, [], (section,))


def _json(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)
