"""Connections to the store file: plain, or encrypted (attached with its key in a memory session).

Every connection has automatic install and load of DuckDB extensions off; DuckDB's errors on opening
become ``StoreError``s that say what happened (in use, wrong passphrase, damaged, too new...).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from ebbtide.askpass import given_passphrase
from ebbtide.errors import StoreError
from ebbtide.store.crypto import KeyParams, load_encryption, passphrase_for, read_params, salt_path

# No extension is ever downloaded or loaded behind our back (ebbtide makes no network connection).
DuckConfig = dict[str, str | bool | int | float | list[str]]  # what duckdb.connect(config=...) takes
NO_EXTENSIONS: DuckConfig = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}
#: DuckDB's allocator hands memory it freed back to the system in the background. WHY: reading a stored
#: million-message chat into Polars left about 190 MB of DuckDB's freed pages resident for the whole
#: analysis (the store stays open in its transaction), a sixth of the peak (docs/benchmarks.md).
MEMORY: DuckConfig = {"allocator_background_threads": True}


def sql_quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


_STORE_DB = "ebbtide_store"  # the name an encrypted store is attached under (in an in-memory session)


def connect(path: Path, key: str | None = None) -> duckdb.DuckDBPyConnection:
    """A connection to the store file; with ``key``, to the encrypted file attached in a memory session."""
    # Row order on disk does not matter (``seq`` carries it), and not keeping it lowers the
    # memory of large inserts.
    config: DuckConfig = {"preserve_insertion_order": False, **NO_EXTENSIONS, **MEMORY}
    try:
        if key is None:
            return duckdb.connect(str(path), config=config)
        con = duckdb.connect(":memory:", config=config)
        try:
            load_encryption(con, path)
            # Spill files beside the store (not the working folder), encrypted like the store.
            con.execute("SET temp_directory = " + sql_quote(str(path) + ".tmp")).fetchall()
            con.execute("SET temp_file_encryption = true").fetchall()
            con.execute(f"ATTACH {sql_quote(str(path))} AS {_STORE_DB} (ENCRYPTION_KEY '{key}')").fetchall()
            con.execute(f"USE {_STORE_DB}").fetchall()
        except BaseException:
            con.close()
            raise
        return con
    except duckdb.Error as exc:
        text = str(exc)
        folded = text.casefold()
        if "wrong encryption key" in folded:
            raise StoreError("the passphrase is wrong for this store", where=str(path),
                             fix="Try again; nothing was read or changed. A forgotten passphrase cannot be "
                                 "recovered.") from None
        if "encrypted database" in folded and "without a key" in folded:
            raise StoreError("the store is locked with a passphrase, but the file with its key settings is "
                             "missing", where=str(salt_path(path)),
                             fix="Copy the store's .salt file back next to it (they belong together).") from None
        if "created with an newer version of duckdb" in folded or "created with a newer version" in folded:
            raise StoreError(
                f"the store was written by a newer DuckDB than this ebbtide's ({duckdb.__version__})",
                where=str(path),
                fix="Use the ebbtide (and DuckDB) that made it, or import your exports again into a new store "
                    "(--db NEW_FILE). Nothing was changed.") from None
        if "no space left" in folded or "disk quota" in folded or "file too large" in folded:
            why = "the disk is full" if "file too large" not in folded else "the file system refused a larger file"
            raise StoreError(f"the store cannot be opened: {why}", where=str(path),
                             fix="Free some space on that disk (or choose another place with --db) and run the "
                                 "command again; nothing was changed.") from None
        if "lock on file" in folded or "conflicting lock" in folded:  # not "block": a damaged file
            raise StoreError(
                "the store is in use by another ebbtide program",
                where=str(path),
                fix="Close the other ebbtide command or window and try again.",
            ) from None
        raise StoreError(
            f"the store cannot be opened ({text.splitlines()[0] if text else type(exc).__name__})",
            where=str(path),
            fix="If this file is not an ebbtide store, choose another file with --db.",
        ) from None


def open_existing(path: Path, passphrase: str | None,
                  ) -> tuple[duckdb.DuckDBPyConnection, KeyParams | None, str | None]:
    """Connect to an existing store, asking for its passphrase only when it is locked."""
    params = read_params(path)
    if params is not None:
        # A .salt file next to a plain store is what an interrupted lock or unlock leaves: the plain
        # file is the store as it was (or as it became), and the key settings no longer apply.
        try:
            con = duckdb.connect(str(path), config={"preserve_insertion_order": False, **NO_EXTENSIONS})
        except duckdb.Error as exc:
            folded = str(exc).casefold()
            if not ("encrypted" in folded and "key" in folded):
                return connect(path), None, None  # explained there (in use, damaged...)
        else:
            salt_path(path).unlink(missing_ok=True)
            return con, None, None
        remembered = (str(path.resolve()), params.salt)
        given = passphrase or given_passphrase()  # what the caller or a script gave always counts
        key = params.key(given) if given else _KEYS.get(remembered) or params.key(passphrase_for(path))
        con = connect(path, key)
        _KEYS[remembered] = key  # a second open in the same command does not ask again
        return con, params, key
    return connect(path), None, None


# Keys (never passphrases) of stores opened in this process, by file and salt: one command that opens
# the store twice asks once (the cache stands in for the prompt only). Only a key that opened the store is kept, and only in memory.
_KEYS: dict[tuple[str, bytes], str] = {}


def connect_memory() -> duckdb.DuckDBPyConnection:
    """A session that lives in memory only; spilling to a temporary folder is off (nothing on disk)."""
    con = duckdb.connect(":memory:", config={"preserve_insertion_order": False, **NO_EXTENSIONS, **MEMORY})
    con.execute("SET temp_directory = ''").fetchall()
    return con
