"""Disk for `tailgen import` and `tailgen init`: read the inputs, write the site atomically.

The only module of `compiler.adopt` that touches the file system; the rest is pure.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from compiler.adopt.inputs import DnsSettings, dns_settings, read_json, topology
from compiler.errors import IOFailure, Problem, Span


def read_text(path: Path, what: str) -> str:
    """A file's text (Go reads policies as UTF-8, CRLF kept); unreadable is the user's error."""
    try:
        return path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise IOFailure(
            [Problem("read", f"cannot read {what}: {reason}", Span(str(path)))]
        ) from None


def read_devices(path: Path) -> dict[str, Any]:
    return topology(read_json(read_text(path, "device list"), str(path), "devices"), str(path))


def read_dns(path: Path) -> DnsSettings:
    return dns_settings(read_json(read_text(path, "DNS settings"), str(path), "dns"), str(path))


def write_new(path: Path, text: str, overwrite: bool = False) -> None:
    """Write `text` to `path` all at once (a temporary file renamed into place), refusing to
    replace an existing file unless `overwrite`: a site file is the user's own work."""
    if path.exists() and not overwrite:
        message = f"{path} already exists (pass --force to replace it)"
        raise IOFailure([Problem("exists", message, Span(str(path)))])
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise _write_error(path, exc) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise _write_error(path, exc) from None


def _write_error(path: Path, exc: OSError) -> IOFailure:
    message = f"cannot write {path}: {exc.strerror or exc}"
    return IOFailure([Problem("write", message, Span(str(path)))])


def schema_text() -> str:
    """site.schema.json beside a new site file, so editors complete and check it."""
    from compiler.site.schema import site_schema

    return json.dumps(site_schema(), indent=2) + "\n"
