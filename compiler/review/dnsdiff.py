"""DNS changes: the tailnet's DNS settings (`dns.json`) and each zone's records (pure).

Settings are compared the way the control plane treats them: split DNS is a map of domain →
resolvers; nameservers and search paths are ordered preferences (a reorder is reported, once).
Records are read from the zone files (`dns/<zone>.zone`), ignoring comments, `$` directives and
the SOA record, whose serial only mirrors the records. The dnsmasq files carry the same records
for another resolver, so they appear in the text diff only.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from compiler.numerals import is_decimal
from compiler.review.canonical import show

KINDS = ("split-dns", "nameserver", "search-path", "preference", "record", "setting")
_RANK = {"removed": 0, "added": 1, "changed": 2, "reordered": 3}
ZONE_DIR, ZONE_SUFFIX = "dns/", ".zone"


@dataclass(frozen=True)
class DnsChange:
    kind: str  # one of KINDS
    change: str  # removed | added | changed | reordered
    key: str  # the domain, address, search path, preference, or "name TYPE" of a record
    old: str = ""
    new: str = ""
    zone: str = ""

    def sort_key(self) -> tuple[int, str, int, str]:
        return (KINDS.index(self.kind), self.zone, _RANK[self.change], self.key)


def dns_changes(
    desired: Mapping[str, str],
    current: Mapping[str, str],
    new_settings: Mapping[str, Any] | None = None,
    old_settings: Mapping[str, Any] | None = None,
) -> list[DnsChange]:
    """Changes between two sets of DNS artifacts (zone path → text), settings first, then
    records. The settings come parsed (each side's `Snapshot.dns`, None: not compared), so
    `dns.json` is read once, by the one reader that reports where it is broken."""
    changes = list(settings_changes(dict(new_settings or {}), dict(old_settings or {})))
    for path in sorted(p for p in desired.keys() | current.keys() if is_zone(p)):
        zone = path.removeprefix(ZONE_DIR).removesuffix(ZONE_SUFFIX)
        changes.extend(record_changes(zone, desired.get(path, ""), current.get(path, "")))
    return sorted(changes, key=DnsChange.sort_key)


def is_zone(path: str) -> bool:
    return path.startswith(ZONE_DIR) and path.endswith(ZONE_SUFFIX)


# ---------------------------------------------------------------------------------------------
# settings


def settings_changes(new: dict[str, Any], old: dict[str, Any]) -> Iterator[DnsChange]:
    yield from _map_changes("split-dns", _split(new), _split(old))
    yield from _ordered_changes("nameserver", _nameservers(new), _nameservers(old))
    yield from _ordered_changes("search-path", _search_paths(new), _search_paths(old))
    yield from _map_changes(
        "preference", _scalars(new.get("preferences")), _scalars(old.get("preferences"))
    )
    known = {"splitDNS", "nameservers", "searchPaths", "preferences"}
    rest_new = {k: show(v) for k, v in new.items() if k not in known}
    rest_old = {k: show(v) for k, v in old.items() if k not in known}
    yield from _map_changes("setting", rest_new, rest_old)


def _resolver(entry: Any) -> str:
    if not isinstance(entry, dict):
        return str(entry)
    suffix = " (also with an exit node)" if entry.get("useWithExitNode") else ""
    return f"{entry.get('address', '?')}{suffix}"


def _split(settings: dict[str, Any]) -> dict[str, str]:
    """domain → its resolvers as one string (their order is the order clients try them)."""
    split = settings.get("splitDNS") or {}
    return {
        domain: ", ".join(map(_resolver, resolvers or [])) for domain, resolvers in split.items()
    }


def _nameservers(settings: dict[str, Any]) -> dict[str, str]:
    """address → how it is used, in preference order."""
    entries = settings.get("nameservers") or []
    return {str(e.get("address") if isinstance(e, dict) else e): _resolver(e) for e in entries}


def _search_paths(settings: dict[str, Any]) -> dict[str, str]:
    return {str(p): str(p) for p in settings.get("searchPaths") or []}


def _scalars(value: Any) -> dict[str, str]:
    return {k: show(v) for k, v in value.items()} if isinstance(value, dict) else {}


def _map_changes(kind: str, new: dict[str, str], old: dict[str, str]) -> Iterator[DnsChange]:
    for name in old.keys() - new.keys():
        yield DnsChange(kind, "removed", name, old=old[name])
    for name in new.keys() - old.keys():
        yield DnsChange(kind, "added", name, new=new[name])
    for name in new.keys() & old.keys():
        if new[name] != old[name]:
            yield DnsChange(kind, "changed", name, old=old[name], new=new[name])


def _ordered_changes(kind: str, new: dict[str, str], old: dict[str, str]) -> Iterator[DnsChange]:
    """Additions, removals and changes by key; then one `reordered` if the kept keys moved."""
    yield from _map_changes(kind, new, old)
    kept_new = [k for k in new if k in old]
    kept_old = [k for k in old if k in new]
    if kept_new != kept_old:
        yield DnsChange(kind, "reordered", "order", ", ".join(kept_old), ", ".join(kept_new))


# ---------------------------------------------------------------------------------------------
# records


def record_changes(zone: str, new_text: str, old_text: str) -> Iterator[DnsChange]:
    """Records by (name, type): added, removed, or a changed value set."""
    new, old = parse_zone(new_text, zone), parse_zone(old_text, zone)
    for name in new.keys() | old.keys():
        before, after = ", ".join(old.get(name, [])), ", ".join(new.get(name, []))
        if before == after:
            continue
        change = "added" if not before else "removed" if not after else "changed"
        yield DnsChange("record", change, name, before, after, zone)


def parse_zone(text: str, zone: str) -> dict[str, list[str]]:
    """ "fqdn TYPE" → sorted values, from a master file as tailgen writes it (one record per
    line, `;` comments, `$ORIGIN`/`$TTL` directives, optional TTL and class)."""
    origin = zone.rstrip(".")
    records: dict[str, set[str]] = {}
    for raw in text.splitlines():
        line = raw.split(";", 1)[0].strip()
        if not line:
            continue
        fields = line.split()
        if fields[0] == "$ORIGIN" and len(fields) > 1:
            origin = fields[1].rstrip(".")
            continue
        if fields[0].startswith("$"):
            continue
        parsed = _record(fields, origin)
        if parsed is not None and parsed[1] != "SOA":
            records.setdefault(f"{parsed[0]} {parsed[1]}", set()).add(parsed[2])
    return {name: sorted(values) for name, values in records.items()}


def _record(fields: list[str], origin: str) -> tuple[str, str, str] | None:
    owner, rest = fields[0], fields[1:]
    while rest and (is_decimal(rest[0]) or rest[0] in ("IN", "CH", "HS")):
        rest = rest[1:]
    if len(rest) < 2:
        return None
    return _fqdn(owner, origin), rest[0].upper(), " ".join(rest[1:])


def _fqdn(owner: str, origin: str) -> str:
    if owner == "@":
        return origin
    return owner.rstrip(".") if owner.endswith(".") else f"{owner}.{origin}"
