"""The store's core: one open connection, its transactions and the smallest SQL helpers.

Everything else in the store (importing, reading, rewriting, the people) is built on ``StoreCore``;
this module imports none of it, so they depend on it one way.
"""

from __future__ import annotations

import contextlib
import hmac
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import duckdb
import polars as pl

from ebbtide.errors import StoreError
from ebbtide.store.connection import NO_EXTENSIONS, connect, connect_memory, open_existing
from ebbtide.store.crypto import KeyParams, load_encryption, passphrase_for_new, salt_path, write_params
from ebbtide.store.files import (
    PENDING_SUFFIX,
    chmod_private,
    make_private_parent,
    private_umask,
    remove_leftovers,
)
from ebbtide.store.migrations import MIGRATIONS, Migration, apply_migrations, latest_version
from ebbtide.store.paths import resolve_db_path


def write_failure(exc: duckdb.Error, path: Path) -> StoreError | None:
    """A write the disk refused (full, over a size limit, failing) in words; None for other errors.

    Found by the fault run (issue 16): a full disk during ``import`` ended in DuckDB's traceback.
    The transaction is rolled back, so the store is as it was and the next command works.
    """
    text = str(exc)
    folded = text.casefold()
    if not (isinstance(exc, duckdb.IOException) or "could not write" in folded or "no space left" in folded):
        return None
    if "no space left" in folded or "disk quota" in folded:
        why = "the disk is full"
    elif "file too large" in folded:
        why = "the file system refused a larger file"
    else:
        why = "the disk refused the write"
    return StoreError(
        f"the store could not be written: {why}; nothing of this change was stored",
        where=str(path),
        fix="Free some space on the disk that holds the store (or choose another place with --db) and "
            "run the command again; the store is as it was before.",
    )


def _remove_new(path: Path) -> None:
    """The files of a store whose creation failed (a full disk): an empty file left there could not be
    opened by the next command."""
    for leftover in (path, path.with_name(path.name + ".wal"), salt_path(path)):
        with contextlib.suppress(OSError):
            leftover.unlink()


class StoreCore:
    """An open store's connection. Use ``Store`` (``ebbtide.store``), which adds the operations."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path, migrations: Sequence[Migration],
                 params: KeyParams | None = None, key: str | None = None) -> None:
        self._con: duckdb.DuckDBPyConnection | None = con
        self._path = path
        self._migrations = tuple(migrations)
        self._depth = 0  # open transactions (see ``transaction``)
        self._params = params  # an encrypted store's key settings and key (in memory only)
        self._key = key

    @classmethod
    def open(
        cls,
        path: str | Path | None = None,
        *,
        create: bool = True,
        migrations: Sequence[Migration] = MIGRATIONS,
        passphrase: str | None = None,
    ) -> Self:
        """Open (and if needed create and upgrade) the store at ``path`` or the default place.

        ``create=False`` refuses to make a new file: listing or forgetting should not leave an
        empty store behind where there was none. A locked store needs its passphrase: ``passphrase``,
        or what ``ebbtide.store.crypto`` finds (variable, file, a prompt); a new store is locked when
        one is given there (see ``crypto.passphrase_for_new``).
        """
        path = resolve_db_path(path)
        private_umask()
        if path.is_dir():
            raise StoreError("this is a folder, not a store file", where=str(path),
                             fix="Give a file name, e.g. --db ~/ebbtide.duckdb.")
        with contextlib.suppress(OSError):
            if path.is_file() and path.stat().st_size == 0 and create:
                path.unlink()  # an empty file (a creation cut short, e.g. by a full disk) holds nothing: start anew
        if not path.exists():
            if not create:
                raise StoreError("there is no store here yet", where=str(path),
                                 fix="Import a chat first: ebbtide import EXPORT.txt")
            chosen = passphrase if passphrase is not None else passphrase_for_new(path)  # before any file
            make_private_parent(path.parent)
            salt_path(path).unlink(missing_ok=True)  # settings of a store that is gone
            params = key = None
            if chosen:
                params = KeyParams.new()
                key = params.key(chosen)
                probe = duckdb.connect(":memory:", config=NO_EXTENSIONS)
                try:
                    load_encryption(probe, path)  # a clear error before anything is written
                finally:
                    probe.close()
                write_params(path, params)
            try:
                con = connect(path, key)
            except BaseException:
                _remove_new(path)
                raise
            created = True
        else:
            con, params, key = open_existing(path, passphrase)
            created = False
        # The connection holds the file lock from here: leftovers are no other process's work.
        chmod_private(path)
        remove_leftovers(path)
        try:
            apply_migrations(con, migrations, where=str(path))
        except BaseException as exc:
            con.close()
            if created:
                _remove_new(path)
            if isinstance(exc, duckdb.Error) and (failed := write_failure(exc, path)) is not None:
                raise failed from None
            raise
        store = cls(con, path, migrations, params, key)
        store._after_open()
        return store

    @classmethod
    def open_memory(cls, migrations: Sequence[Migration] = MIGRATIONS) -> Self:
        """A store that lives in memory only and vanishes on close (``analyze --no-store``).

        Spilling to a temporary folder is switched off, so nothing of the chat touches the disk.
        """
        con = connect_memory()
        apply_migrations(con, migrations, where="memory")
        return cls(con, Path(":memory:"), migrations)

    @property
    def in_memory(self) -> bool:
        return str(self._path) == ":memory:"

    @property
    def encrypted(self) -> bool:
        """Whether the store file is locked with a passphrase (encrypted at rest)."""
        return self._key is not None

    def is_passphrase(self, passphrase: str) -> bool:
        """Whether ``passphrase`` is this locked store's (to confirm removing it); False if not locked."""
        if self._params is None or self._key is None or not passphrase:
            return False
        return hmac.compare_digest(self._params.key(passphrase), self._key)

    @property
    def pending_path(self) -> Path:
        """The marker of a deletion whose bytes may still be in the file (see ``forget``)."""
        return self._path.with_name(self._path.name + PENDING_SUFFIX)

    @property
    def forget_pending(self) -> bool:
        """True when an earlier forget could not rewrite the file yet (e.g. the disk was full)."""
        return self.pending_path.exists()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Self]:
        """All-or-nothing over several steps: commit at the end, roll back on any exception.

        Nested uses join the outermost one (so an import, remembering who you are and counting a
        run can be one unit that a refusal, Ctrl-C or a crash undoes entirely).
        """
        if self._depth:
            self._depth += 1
            try:
                yield self
            finally:
                self._depth -= 1
            return
        db = self._db
        db.begin()
        self._depth = 1
        try:
            yield self
        except BaseException as exc:
            self._depth = 0
            with contextlib.suppress(duckdb.Error):
                db.rollback()
            if isinstance(exc, duckdb.Error) and (failed := write_failure(exc, self._path)) is not None:
                raise failed from None
            raise
        self._depth = 0
        try:
            db.commit()
        except duckdb.Error as exc:
            with contextlib.suppress(duckdb.Error):
                db.rollback()
            raise write_failure(exc, self._path) or exc from None

    @property
    def path(self) -> Path:
        return self._path

    @property
    def _db(self) -> duckdb.DuckDBPyConnection:
        if self._con is None:
            raise StoreError("the store has been closed", where=str(self._path))
        return self._con

    def close(self) -> None:
        if self._con is not None:
            if self._depth:  # closed inside a transaction: nothing of it is kept
                with contextlib.suppress(duckdb.Error):
                    self._con.rollback()
                self._depth = 0
            with contextlib.suppress(duckdb.Error):
                self._con.checkpoint()
            self._con.close()
            self._con = None
            if not self.in_memory:
                chmod_private(self._path)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _rows(self, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
        """Run a statement to its end and return its rows (DuckDB 2 wants results drained)."""
        return self._db.execute(sql, params).fetchall()

    def _frame(self, sql: str, params: Any = None) -> pl.DataFrame:
        """A query's result as a Polars frame, in the query's ORDER BY order.

        Through ``execute`` (a materialised result), not the relation API: with DuckDB 1.4.4,
        ``sql(...).pl()`` of an ordered query over a million stored messages took 3-5 s instead of
        0.4 s and returned the rows out of order (batches interleaved)."""
        return self._db.execute(sql, params).pl()

    def has_conversation(self, conversation_id: str) -> bool:
        return bool(self._rows("SELECT 1 FROM conversations WHERE id = $1", [conversation_id]))

    def _require(self, conversation_id: str) -> None:
        if not self.has_conversation(conversation_id):
            raise StoreError(f"no conversation '{conversation_id}' in the store", where=str(self._path),
                             fix="See what is stored with: ebbtide conversations")

    def _has_people_tables(self) -> bool:
        """Whether the schema has migration 3 (tests may open a store with fewer migrations)."""
        return latest_version(self._migrations) >= 3

    def _after_open(self) -> None:
        """Work to finish before anything else once the store is open (see ``RewriteMixin``)."""

    def _reopen(self) -> None:
        if self.in_memory:
            self._con = type(self).open_memory(self._migrations)._con
            return
        self._con = connect(self._path, self._key)
        chmod_private(self._path)
        apply_migrations(self._con, self._migrations, where=str(self._path))
