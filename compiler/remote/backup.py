"""Backups of the live state, written before every write (Tailscale keeps no policy history).

One directory per backup, `backups/<UTC time>-<etag prefix>/`, written to a temporary name
and renamed into place (a backup is complete or absent):

- `policy.hujson`: the live policy verbatim, as the API returned it (so a rollback restores
  it byte for byte);
- `dns.json`: the live DNS configuration (canonical form), when the control plane has one;
- `devices.json`: each device's id, hostname, tags, advertised and enabled routes;
- `backup.json`: version, time, target (tailscale | headscale), API, tailnet, the write guard,
  the policy's ETag (headscale: the quoted SHA-256 of its text), the DNS digest.

No credentials are ever part of it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from compiler import jsontext
from compiler.errors import InputError, IOFailure, TailgenError
from compiler.remote import dnsconfig
from compiler.remote.client import PolicyFile
from compiler.remote.live import LiveState
from compiler.remote.provider import Provider, control_plane, recorded_plane
from compiler.review.snapshot import DNS_SETTINGS, read_dns_settings

VERSION = 1
META = "backup.json"
DEVICE_FIELDS = ("id", "nodeId", "hostname", "tags", "advertisedRoutes", "enabledRoutes")


@dataclass(frozen=True)
class Backup:
    path: Path
    live: LiveState
    meta: dict[str, Any]


def write(live: LiveState, directory: Path, provider: Provider) -> Path:
    """Back `live` up under `directory`; returns the new backup's path. The meta names the
    control plane (`target`, API, tailnet) so `rollback` knows where it belongs, and the
    guard its writes had."""
    now = dt.datetime.now(dt.UTC)
    name = now.strftime("%Y%m%dT%H%M%S%fZ") + "-" + live.policy.etag.strip('"')[:12]
    meta = {
        "version": VERSION,
        "created": now.isoformat(timespec="seconds"),
        "target": provider.target,
        "api": provider.base_url,
        "tailnet": provider.tailnet,
        "guard": provider.guard,
        "etag": live.policy.etag,
        "dns_sha256": live.dns_digest,
    }
    devices = [{k: d[k] for k in DEVICE_FIELDS if k in d} for d in live.devices]
    files = {
        "policy.hujson": live.policy.text.encode(),
        "devices.json": (json.dumps(devices, indent=2) + "\n").encode(),
        META: (json.dumps(meta, indent=2) + "\n").encode(),
    }
    if live.dns is not None:
        files[DNS_SETTINGS] = dnsconfig.render(live.dns)
    return _write_dir(directory, name, files)


def _write_dir(directory: Path, name: str, files: dict[str, bytes]) -> Path:
    try:
        directory.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=directory, prefix=f".{name}."))
        for rel, data in files.items():
            with open(staging / rel, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
        target = directory / name
        os.replace(staging, target)
    except (OSError, ValueError) as exc:
        shutil.rmtree(locals().get("staging", directory / ".none"), ignore_errors=True)
        raise IOFailure(
            f"{directory}: cannot write the backup: {getattr(exc, 'strerror', None) or exc}"
        ) from None
    return target


def latest(directory: Path) -> Path:
    """The newest complete backup in `directory` (names sort by time)."""
    try:
        found = sorted(
            p for p in directory.glob("*") if (p / META).is_file() and not p.name.startswith(".")
        )
    except (OSError, ValueError) as exc:
        raise InputError(f"{directory}: cannot list backups: {exc}") from None
    if not found:
        raise InputError(f"{directory}: no backups (push writes one before every write)")
    return found[-1]


def _dns(path: Path) -> dict[str, Any]:
    """The backed-up DNS settings, read as every `dns.json` is (a broken one at file:line:col)."""
    return read_dns_settings(path.read_text(encoding="utf-8"), str(path))


def read(path: Path) -> Backup:
    try:
        meta = jsontext.loads((path / META).read_text(encoding="utf-8"))
        text = (path / "policy.hujson").read_bytes().decode("utf-8")
        dns_path = path / DNS_SETTINGS
        dns = _dns(dns_path) if dns_path.is_file() else None
        devices = jsontext.loads((path / "devices.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: not a readable tailgen backup: {exc}") from None
    if meta.get("version") != VERSION:
        raise InputError(f"{path}: backup version {meta.get('version')!r} is not {VERSION}")
    live = LiveState(PolicyFile(text, str(meta.get("etag", ""))), dns, list(devices))
    return Backup(path, live, meta)


def taken_of(saved: Backup) -> tuple[str, str, str]:
    """The control plane, API and tailnet `saved` was taken of, as its `backup.json` records
    them (`recorded_plane`'s defaults for a field it lacks): where rollback connects to."""
    meta = saved.meta
    return recorded_plane(meta.get("target"), meta.get("api"), meta.get("tailnet"))


def check_belongs(saved: Backup, provider: Provider) -> None:
    """Refuse to restore `saved` anywhere but the control plane and tailnet it was taken of
    (its `backup.json` records them): restoring one tailnet's policy over another's is never
    what a rollback means, so neither the dry run nor the write goes ahead."""
    taken = taken_of(saved)
    here = control_plane(provider)
    if taken != here:
        where = "point TAILSCALE_BASE_URL and TAILSCALE_TAILNET, or HEADSCALE_URL, there"
        if taken[2] == "-" and here[2] != "-":
            where = "it was taken of the API key's own tailnet ('-'): unset TAILSCALE_TAILNET"
        raise TailgenError(
            f"{saved.path} is a backup of {taken[0]} {taken[1]} tailnet {taken[2]!r}, not "
            f"{here[0]} {here[1]} tailnet {here[2]!r}: a backup is restored only where it "
            f"was taken ({where}, or drop --target)"
        )
