"""The store's files on disk: private permissions, durable writes, and leftovers of a rewrite.

Everything ebbtide (and DuckDB on its behalf) creates for the store is owner-only: the file, its
write-ahead log, the key settings of a locked store, the copies a rewrite makes.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from ebbtide.errors import StoreError
from ebbtide.store.crypto import salt_path
from ebbtide.store.paths import wal_path

COMPACT_SUFFIX = ".compacting"  # the copy a rewrite writes before it replaces the store
PENDING_SUFFIX = ".forget-pending"  # marker: a deletion is committed but its bytes may still be in the file


def private_umask() -> None:
    """Files ebbtide (and DuckDB on its behalf: the store, its WAL, copies) creates: owner only."""
    old = os.umask(0o077)
    os.umask(old | 0o077)


def _leftovers(path: Path) -> list[Path]:
    return [p for p in path.parent.glob(f"{glob_escape(path.name)}{COMPACT_SUFFIX}*")]


def glob_escape(name: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)


def remove_leftovers(path: Path) -> None:
    """Delete copies an interrupted rewrite left (``*.compacting``, ``*.compacting.wal``)."""
    for leftover in _leftovers(path):
        with contextlib.suppress(OSError):
            leftover.unlink()


def chmod_private(path: Path) -> None:
    """The store, its log and key settings: owner only (also for stores made by an older ebbtide)."""
    for p in (path, wal_path(path), salt_path(path)):
        with contextlib.suppress(OSError):
            if p.exists():
                os.chmod(p, 0o600)


def fsync_file(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def make_private_parent(folder: Path) -> None:
    if folder.exists():
        return
    try:
        folder.mkdir(parents=True, mode=0o700)
    except OSError as exc:
        raise StoreError(f"cannot create the folder for the store ({exc.strerror})", where=str(folder),
                         fix="Choose another place with --db or the EBBTIDE_DB variable.") from None

