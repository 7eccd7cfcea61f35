"""Reading and writing out/ (the only module that writes artifacts to disk).

A build is written next to out/ and swapped in with renames, so a failure at any point leaves
the previous out/ as it was. `manifest.json` records the sha256 of the input and of every
artifact, which is what `tailgen check` and a pinned plan compare.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

from compiler.errors import TailgenError

MANIFEST = "manifest.json"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def manifest(files: dict[str, bytes], input_name: str, input_bytes: bytes) -> bytes:
    """The manifest for a set of artifacts: deterministic, sorted, one trailing newline."""
    body = {
        "version": 1,
        "input": {input_name: sha256(input_bytes)},
        "files": {path: sha256(files[path]) for path in sorted(files)},
    }
    return (json.dumps(body, indent=2) + "\n").encode()


def read_tree(directory: Path) -> dict[str, bytes]:
    """Every file under `directory`, keyed by its POSIX path relative to it."""
    if not directory.is_dir():
        return {}
    return {
        path.relative_to(directory).as_posix(): path.read_bytes()
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


def _guard(out_dir: Path) -> None:
    """Refuse to replace a directory tailgen did not write (e.g. `--out .` by mistake)."""
    if out_dir.exists() and not out_dir.is_dir():
        raise TailgenError(f"{out_dir}: exists and is not a directory")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not (out_dir / MANIFEST).is_file():
        raise TailgenError(
            f"{out_dir}: not a tailgen output directory (no {MANIFEST}); refusing to replace it"
        )


def write_tree(out_dir: Path, files: dict[str, bytes]) -> None:
    """Replace out_dir with exactly `files`, atomically as far as the file system allows."""
    _guard(out_dir)
    parent = out_dir.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.new-", dir=parent))
    try:
        for rel, data in files.items():
            target = staging / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        _swap(staging, out_dir.resolve())
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def write_file(path: Path, data: bytes) -> None:
    """Write one file atomically (a temporary file beside it, then a rename): a failure leaves
    the old file, or none, never half of one. OSError is the caller's to report."""
    if path.is_dir():
        raise IsADirectoryError(21, "is a directory", str(path))
    fd, tmp = tempfile.mkstemp(
        prefix=f".{path.name}.", dir=path.parent if str(path.parent) else "."
    )
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _swap(staging: Path, out_dir: Path) -> None:
    if not out_dir.exists():
        os.replace(staging, out_dir)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=out_dir.parent))
    os.rmdir(old)
    os.replace(out_dir, old)
    try:
        os.replace(staging, out_dir)
    except BaseException:
        os.replace(old, out_dir)
        raise
    shutil.rmtree(old, ignore_errors=True)
