"""Rewriting the store file: forgetting for good, and locking or unlocking it with a passphrase.

DuckDB keeps deleted rows' bytes in the file, so ``forget`` copies the live rows into a fresh private
file that atomically replaces the old one; ``lock``/``unlock`` are the same copy, encrypted or plain.
A marker makes an interrupted forget complete on the next open.
"""

from __future__ import annotations

import os
import shutil

import duckdb

from ebbtide.errors import StoreError
from ebbtide.store.connection import sql_quote
from ebbtide.store.core import StoreCore
from ebbtide.store.crypto import KeyParams, load_encryption, salt_path, write_params
from ebbtide.store.files import COMPACT_SUFFIX, fsync_dir, fsync_file, remove_leftovers
from ebbtide.store.paths import wal_path
from ebbtide.store.people import prune_people


class RewriteMixin(StoreCore):
    """``forget``, ``forget_all``, ``compact``, ``lock`` and ``unlock``."""

    def _after_open(self) -> None:
        """An interrupted forget is finished before anything else."""
        if self.pending_path.exists():
            try:
                self._compact()
            except (OSError, duckdb.Error, StoreError):
                if self._con is None:  # still usable; the next open tries again (forget_pending says so)
                    self._reopen()

    def forget(self, conversation_id: str) -> None:
        """Delete one conversation for good: its rows in every table, and their bytes on disk.

        Every table with a ``conversation_id`` column is cleared of it (messages, imports, and
        whatever later migrations add, such as journal events), so nothing about it is left behind.
        Crash-safe: free space is checked first, a marker file records the pending deletion before
        anything is deleted, and the file is then rewritten (``_compact``); if that is interrupted
        the next ``Store.open`` finishes it, so the text cannot stay behind unlisted.
        """
        self._require(conversation_id)
        if self._depth:
            raise RuntimeError("forget cannot run inside a transaction (it rewrites the file)")
        self._check_space()
        tables = [r[0] for r in self._rows(
            "SELECT DISTINCT table_name FROM duckdb_columns() WHERE column_name = 'conversation_id' "
            "AND database_name = current_database() AND schema_name = 'main' ORDER BY 1")]
        self._mark_pending()
        with self.transaction():
            for table in tables:
                self._rows(f'DELETE FROM "{table}" WHERE conversation_id = $1', [conversation_id])
            self._rows("DELETE FROM conversations WHERE id = $1", [conversation_id])
            if self._has_people_tables():
                prune_people(self)
        self._compact()

    def compact(self) -> None:
        """Rewrite the file so rows deleted earlier leave no bytes behind (call after deleting data)."""
        self._check_space()
        self._mark_pending()
        self._compact()

    def lock(self, passphrase: str) -> None:
        """Encrypt the store with a passphrase: the file is rewritten encrypted and replaces the plain one.

        Atomic: the key settings are written first, then an encrypted copy, which replaces the file in
        one rename. Interrupted or refused anywhere, the plain store is whole and stays in use (the
        next open drops the unused key settings and the partial copy).
        """
        if self.in_memory:
            raise StoreError("a store in memory cannot be locked", where="memory")
        if self.encrypted:
            raise StoreError("the store is already locked with a passphrase", where=str(self._path),
                             fix="To change the passphrase: ebbtide unlock, then ebbtide lock.")
        if not passphrase:
            raise StoreError("the passphrase is empty", where=str(self._path), fix="Choose a passphrase.")
        load_encryption(self._db, self._path)  # a clear error before anything is written
        self._check_space()
        params = KeyParams.new()
        key = params.key(passphrase)
        write_params(self._path, params)
        fsync_dir(self._path.parent)
        try:
            self._rewrite(key)
        except BaseException:
            if self._key is None:  # still the plain store: its key settings must not stay beside it
                salt_path(self._path).unlink(missing_ok=True)
            raise
        self._params = params

    def unlock(self) -> None:
        """Decrypt the store (rewritten plain, replacing the encrypted file atomically); the passphrase goes."""
        if not self.encrypted:
            raise StoreError("the store is not locked", where=str(self._path),
                             fix="Nothing to do. To lock it: ebbtide lock")
        self._check_space()
        self._rewrite(None)
        self._params = None
        salt_path(self._path).unlink(missing_ok=True)
        fsync_dir(self._path.parent)

    def forget_all(self) -> None:
        """Delete everything: the file (and its log) is removed and an empty store takes its place."""
        self.close()
        for victim in (self._path, wal_path(self._path)):
            victim.unlink(missing_ok=True)
        remove_leftovers(self._path)
        self.pending_path.unlink(missing_ok=True)
        if self._params is not None:  # the empty store stays locked with the same passphrase
            write_params(self._path, self._params)
        self._reopen()

    def _check_space(self) -> None:
        """Refuse before deleting anything when the rewritten copy might not fit on the disk."""
        if self.in_memory:
            return
        size = sum(p.stat().st_size for p in (self._path, wal_path(self._path)) if p.exists())
        need = size + (16 << 20)
        try:
            free = shutil.disk_usage(self._path.parent).free
        except OSError:
            return
        if free < need:
            raise StoreError(
                f"not enough free space to forget safely (about {need / 1e6:,.0f} MB needed, "
                f"{free / 1e6:,.0f} MB free)", where=str(self._path.parent),
                fix="Free some disk space and try again. Nothing was deleted.")

    def _mark_pending(self) -> None:
        """Record, durably and before deleting, that the file must be rewritten."""
        if self.in_memory:
            return
        fd = os.open(self.pending_path, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        fsync_dir(self._path.parent)

    def _compact(self) -> None:
        """Rewrite the file with only the live rows, then drop the pending marker.

        DuckDB keeps deleted rows' bytes in the file (a checkpoint or VACUUM does not clear them),
        so the database is copied into a fresh private file that atomically replaces the old one.
        Interrupted anywhere, the old file is whole (the deletion is committed in it) and the marker
        remains: the next open removes the leftover copy and runs this again.
        """
        if self.in_memory:
            return
        self._rewrite(self._key)
        self.pending_path.unlink(missing_ok=True)

    def _rewrite(self, key: str | None) -> None:
        """Copy the live rows into a fresh private file (encrypted with ``key`` if given) that then
        atomically replaces the store; the store is reopened with ``key``."""
        if self._depth:
            raise RuntimeError("the store cannot be rewritten inside a transaction")
        if self.in_memory:
            return
        target = self._path.with_name(self._path.name + COMPACT_SUFFIX)
        remove_leftovers(self._path)
        db = self._db
        self._rows("CHECKPOINT")  # the deletion into the main file: the old log never outlives it
        source = self._rows("SELECT current_database()")[0][0]
        encryption = f" (ENCRYPTION_KEY '{key}')" if key else ""
        try:
            if key:
                load_encryption(db, self._path)
            self._rows(f"ATTACH {sql_quote(str(target))} AS ebbtide_compact{encryption}")
            try:
                self._rows(f'COPY FROM DATABASE "{source}" TO ebbtide_compact')
            finally:
                self._rows("DETACH ebbtide_compact")
        except (duckdb.Error, OSError) as exc:
            remove_leftovers(self._path)
            text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise StoreError(
                f"the store could not be rewritten ({text})", where=str(self._path),
                fix="Free some disk space. The deletion is kept and is completed the next time ebbtide "
                    "opens this store.") from None
        self.close()
        fsync_file(target)
        wal_path(self._path).unlink(missing_ok=True)  # checkpointed above; the copy holds everything
        os.replace(target, self._path)
        fsync_dir(self._path.parent)
        remove_leftovers(self._path)
        self._key = key
        self._reopen()
