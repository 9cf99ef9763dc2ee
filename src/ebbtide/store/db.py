"""The local store: one DuckDB file holding every imported conversation (the only code that speaks SQL).

Why DuckDB: the analysis layers read whole conversations column by column, and an import is a
bulk, set-based merge; both are what a columnar embedded engine does well, with no server and no
network. Everything a caller needs goes through ``Store``'s small typed API.

Guarantees:
- An import is all-or-nothing (one transaction; any exception, Ctrl-C included, rolls back).
- Importing the same export twice, or overlapping exports of one chat, adds no message twice,
  while genuinely repeated messages ("ok", "ok" in the same minute) are kept (see ``_merge``).
- ``forget`` rewrites the file without the forgotten rows, because DuckDB otherwise leaves
  deleted rows' bytes in the file; ``forget_all`` removes the file.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

import duckdb
import polars as pl

from ebbtide.errors import StoreError
from ebbtide.importers.timezones import ZoneChoice, fill_offsets
from ebbtide.model import MESSAGE_COLUMNS, MESSAGE_SCHEMA, ParsedExport
from ebbtide.store.crypto import (
    KeyParams,
    load_encryption,
    passphrase_for,
    passphrase_for_new,
    read_params,
    salt_path,
    write_params,
)
from ebbtide.store.incoming import (
    derive_conversation_id,
    file_sha256,
    prepare_incoming,
    split_by_conversation,
)
from ebbtide.store.migrations import MIGRATIONS, Migration, apply_migrations, latest_version
from ebbtide.store.paths import resolve_db_path, wal_path
from ebbtide.store.records import ConversationInfo, ImportResult

_INCOMING = "_ebbtide_incoming"  # name of the registered (Arrow-backed) view of an import's rows
_COMPACT_SUFFIX = ".compacting"
_PENDING_SUFFIX = ".forget-pending"  # marker: a deletion is committed but its bytes may still be in the file
_SHIFT_LIMIT_MIN = 26 * 60  # the largest gap between two phones' clocks (time zones span UTC-12..UTC+14)
_SLICE_ROWS = 250_000  # incoming rows merged per statement (memory bound for big overlapping imports)
# The dedup key, besides conversation_id, is tolerant so that two exports of one chat from different
# phones or apps match: the minute of the export's wall clock (Android writes minutes, iOS seconds; the
# local minute, not UTC, so an import given a zone and one without still match), the sender and for
# text the words without case (importers already drop the iOS "~ " and direction marks), and the kind;
# media, deleted and call lines count by their kind only (their text is a placeholder in the export's
# language: "<Media omitted>" / "image omitted" / "Bild weggelassen").


def _key_columns(alias: str) -> str:
    """SQL computing the tolerant key columns (k_minute, k_sender, k_text) of rows named ``alias``.

    Only ``lower``: regular expressions or trimming a character set here made a re-import of a
    million messages several times slower.
    """
    a = alias
    return (
        f"date_trunc('minute', {a}.\"timestamp\") AS k_minute, lower({a}.sender) AS k_sender, "
        f"CASE WHEN {a}.kind IN ('media', 'deleted', 'call') THEN '' ELSE lower({a}.text) END AS k_text"
    )


_KEY = "k_minute, k_sender, kind, k_text"
# The moment a message was sent: the wall clock minus its UTC offset where known. Messages are
# ordered by it, so the repeated autumn hour and a trip across time zones keep their true order.
INSTANT = '("timestamp" - to_minutes(coalesce(utc_offset_min, 0)))'

_MERGE_SQL = f"""
INSERT INTO messages (conversation_id, seq, import_id, "timestamp", utc_offset_min, sender, text, kind,
                      edited, platform, source_file, source_line)
SELECT $cid, $base + inc.pos + 1, $import_id, inc."timestamp", inc.utc_offset_min, inc.sender, inc.text,
       inc.kind, inc.edited, inc.platform, inc.source_file, inc.source_line
FROM (
    SELECT *, row_number() OVER (PARTITION BY {_KEY} ORDER BY pos) AS occ
    FROM (SELECT i.*, {_key_columns("i")} FROM {_INCOMING} AS i WHERE i."timestamp" BETWEEN $lo AND $hi)
) AS inc
LEFT JOIN (
    SELECT {_KEY}, count(*) AS n
    FROM (SELECT m.kind, {_key_columns("m")} FROM messages AS m
          WHERE m.conversation_id = $cid
            AND m."timestamp" BETWEEN $lo AND $hi)
    GROUP BY ALL
) AS have USING ({_KEY})
WHERE inc.occ > coalesce(have.n, 0)
"""

# When the store holds nothing of this conversation in the export's time span (a first import, or
# an export of a new period) every row is new: a plain bulk insert, without the window and join.
_FRESH_SQL = f"""
INSERT INTO messages (conversation_id, seq, import_id, "timestamp", utc_offset_min, sender, text, kind,
                      edited, platform, source_file, source_line)
SELECT $cid, $base + pos + 1, $import_id, "timestamp", utc_offset_min, sender, text, kind,
       edited, platform, source_file, source_line
FROM {_INCOMING}
"""


# Evidence that an export and a stored conversation are the same chat: the same texts at the same
# instants. Only texts that are rare on both sides (at most 2 copies in the export, 4 in the store's
# window) are paired, so "ok" or "❤️" never decide and the join stays small. Each pair gives the gap
# between the two clocks in minutes; the same chat from a phone in another time zone shows one
# constant gap (a multiple of 15 minutes), the same phone a gap of 0. Senders are left out: a
# contact renamed on one phone still writes the same texts.
_SHIFT_SQL = f"""
WITH inc AS (
    SELECT date_trunc('minute', "timestamp") AS m, lower(text) AS t
    FROM {_INCOMING} WHERE kind = 'text' AND text <> ''
), inc_rare AS (
    SELECT m, t FROM inc QUALIFY count(*) OVER (PARTITION BY t) <= 2
), st AS (
    SELECT date_trunc('minute', "timestamp") AS m, lower(text) AS t FROM messages
    WHERE conversation_id = $cid AND kind = 'text' AND text <> '' AND "timestamp" BETWEEN $lo AND $hi
), st_rare AS (
    SELECT m, t FROM st QUALIFY count(*) OVER (PARTITION BY t) <= 4
), pairs AS (
    SELECT inc_rare.m AS im, t, datediff('minute', inc_rare.m, st_rare.m) AS d
    FROM inc_rare JOIN st_rare USING (t)
)
SELECT CAST(im AS DATE) AS day, d, count(DISTINCT hash(im, t)) AS n, (SELECT count(*) FROM inc_rare) AS rare
FROM pairs WHERE abs(d) <= {_SHIFT_LIMIT_MIN} AND d % 15 = 0 GROUP BY ALL
"""


def _evidence_threshold(rare: int, shift: int) -> int:
    """Matching rare texts needed to call two chats one.

    On the same clock one is enough (a rare text at the very same minute in two unrelated chats
    does not happen by chance); with a clock gap, which is searched among about 200 candidates, 3.
    A tiny export with fewer rare texts cannot prove a clock gap: one "ok" half an hour from another
    "ok" is chance, and moving the export's times by it would drop or misplace messages.
    """
    return 1 if shift == 0 else 3


def _day_shifts(rows: list[tuple[Any, ...]]) -> tuple[int, dict[Any, int], int]:
    """(best clock gap, gap per day of the export, matches at the best gap) from the pairs' counts.

    Days whose own pairs favour another well-supported gap keep it (daylight saving changes on
    different dates in two countries: for a few weeks the gap is an hour less or more).
    """
    totals: Counter[int] = Counter()
    for _, d, n, _ in rows:
        totals[int(d)] += int(n)
    best, best_n = max(totals.items(), key=lambda kv: (kv[1], -abs(kv[0])))
    supported = {d for d, n in totals.items() if n >= max(2, best_n // 50)} | {best}
    per_day: dict[Any, Counter[int]] = {}
    for day, d, n, _ in rows:
        if int(d) in supported:
            per_day.setdefault(day, Counter())[int(d)] += int(n)
    days = {day: max(c.items(), key=lambda kv: (kv[1], kv[0] == best))[0] for day, c in per_day.items()}
    return best, days, best_n


def _shift_frame(frame: pl.DataFrame, best: int, days: dict[Any, int]) -> pl.DataFrame:
    """Move the export's wall clock onto the store's (known UTC offsets move with it: same instant)."""
    if best == 0 and not any(days.values()):
        return frame
    day = pl.col("timestamp").dt.date()
    if days:
        table = pl.DataFrame({"_day": list(days), "_shift": list(days.values())},
                             schema={"_day": pl.Date, "_shift": pl.Int64})
        frame = frame.with_columns(day.alias("_day")).join(table, on="_day", how="left", maintain_order="left")
        shift = pl.col("_shift").fill_null(best)
    else:
        frame = frame.with_columns(pl.lit(best, dtype=pl.Int64).alias("_shift"))
        shift = pl.col("_shift")
    moved = frame.with_columns(
        (pl.col("timestamp") + pl.duration(minutes=shift)).alias("timestamp"),
        (pl.col("utc_offset_min") + shift.cast(pl.Int32)).cast(pl.Int32).alias("utc_offset_min"),
    )
    return moved.drop([c for c in ("_day", "_shift") if c in moved.columns])


def _private_umask() -> None:
    """Files ebbtide (and DuckDB on its behalf: the store, its WAL, copies) creates: owner only."""
    old = os.umask(0o077)
    os.umask(old | 0o077)


def _count(rows: list[tuple[Any, ...]]) -> int:
    return int(rows[0][0]) if rows else 0


def time_slices(ts: pl.Series, size: int = _SLICE_ROWS) -> list[tuple[Any, Any]]:
    """Inclusive time ranges holding about ``size`` rows each; equal times never split across two."""
    ordered = ts.sort()
    n, start, slices = len(ordered), 0, []
    while start < n:
        last = ordered[min(start + size, n) - 1]
        end = int(ordered.search_sorted(last, side="right"))  # past every row at that same time
        slices.append((ordered[start], last))
        start = end
    return slices


# No extension is ever downloaded or loaded behind our back (ebbtide makes no network connection).
_NO_EXTENSIONS = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}


def _sql_quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


_STORE_DB = "ebbtide_store"  # the name an encrypted store is attached under (in an in-memory session)


def _connect(path: Path, key: str | None = None) -> duckdb.DuckDBPyConnection:
    """A connection to the store file; with ``key``, to the encrypted file attached in a memory session."""
    # Row order on disk does not matter (``seq`` carries it), and not keeping it lowers the
    # memory of large inserts.
    config = {"preserve_insertion_order": False, **_NO_EXTENSIONS}
    try:
        if key is None:
            return duckdb.connect(str(path), config=config)
        con = duckdb.connect(":memory:", config=config)
        try:
            load_encryption(con, path)
            # Spill files beside the store (not the working folder), encrypted like the store.
            con.execute("SET temp_directory = " + _sql_quote(str(path) + ".tmp")).fetchall()
            con.execute("SET temp_file_encryption = true").fetchall()
            con.execute(f"ATTACH {_sql_quote(str(path))} AS {_STORE_DB} (ENCRYPTION_KEY '{key}')").fetchall()
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


def _open_existing(path: Path, passphrase: str | None) -> tuple[duckdb.DuckDBPyConnection, KeyParams | None, str | None]:
    """Connect to an existing store, asking for its passphrase only when it is locked."""
    params = read_params(path)
    if params is not None:
        # A .salt file next to a plain store is what an interrupted lock or unlock leaves: the plain
        # file is the store as it was (or as it became), and the key settings no longer apply.
        try:
            con = duckdb.connect(str(path), config={"preserve_insertion_order": False, **_NO_EXTENSIONS})
        except duckdb.Error as exc:
            folded = str(exc).casefold()
            if not ("encrypted" in folded and "key" in folded):
                return _connect(path), None, None  # explained there (in use, damaged...)
        else:
            salt_path(path).unlink(missing_ok=True)
            return con, None, None
        key = params.key(passphrase or passphrase_for(path))
        return _connect(path, key), params, key
    return _connect(path), None, None


class Store:
    """An open store. Use as a context manager: ``with Store.open() as store: ...``."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path, migrations: Sequence[Migration],
                 params: KeyParams | None = None, key: str | None = None) -> None:
        self._con: duckdb.DuckDBPyConnection | None = con
        self._path = path
        self._migrations = tuple(migrations)
        self._depth = 0  # open transactions (see ``transaction``)
        self._params = params  # an encrypted store's key settings and key (in memory only)
        self._key = key

    # ----------------------------------------------------------------- opening and closing
    @classmethod
    def open(
        cls,
        path: str | Path | None = None,
        *,
        create: bool = True,
        migrations: Sequence[Migration] = MIGRATIONS,
        passphrase: str | None = None,
    ) -> Store:
        """Open (and if needed create and upgrade) the store at ``path`` or the default place.

        ``create=False`` refuses to make a new file: listing or forgetting should not leave an
        empty store behind where there was none. A locked store needs its passphrase: ``passphrase``,
        or what ``ebbtide.store.crypto`` finds (variable, file, a prompt); a new store is locked when
        one is given there (see ``crypto.passphrase_for_new``).
        """
        path = resolve_db_path(path)
        _private_umask()
        if path.is_dir():
            raise StoreError("this is a folder, not a store file", where=str(path),
                             fix="Give a file name, e.g. --db ~/ebbtide.duckdb.")
        if not path.exists():
            if not create:
                raise StoreError("there is no store here yet", where=str(path),
                                 fix="Import a chat first: ebbtide import EXPORT.txt")
            chosen = passphrase if passphrase is not None else passphrase_for_new(path)  # before any file
            _make_private_parent(path.parent)
            salt_path(path).unlink(missing_ok=True)  # settings of a store that is gone
            params = key = None
            if chosen:
                params = KeyParams.new()
                key = params.key(chosen)
                probe = duckdb.connect(":memory:", config=_NO_EXTENSIONS)
                try:
                    load_encryption(probe, path)  # a clear error before anything is written
                finally:
                    probe.close()
                write_params(path, params)
            con = _connect(path, key)
        else:
            con, params, key = _open_existing(path, passphrase)
        # The connection holds the file lock from here: leftovers are no other process's work.
        _chmod_private(path)
        _remove_leftovers(path)
        try:
            apply_migrations(con, migrations, where=str(path))
        except BaseException:
            con.close()
            raise
        store = cls(con, path, migrations, params, key)
        if store.pending_path.exists():  # an interrupted forget: finish it before anything else
            try:
                store._compact()
            except (OSError, duckdb.Error, StoreError):
                if store._con is None:  # still usable; the next open tries again (forget_pending says so)
                    store._reopen()
        return store

    @classmethod
    def open_memory(cls, migrations: Sequence[Migration] = MIGRATIONS) -> Store:
        """A store that lives in memory only and vanishes on close (``analyze --no-store``).

        Spilling to a temporary folder is switched off, so nothing of the chat touches the disk.
        """
        con = duckdb.connect(":memory:", config={"preserve_insertion_order": False, **_NO_EXTENSIONS})
        con.execute("SET temp_directory = ''").fetchall()
        apply_migrations(con, migrations, where="memory")
        return cls(con, Path(":memory:"), migrations)

    @property
    def in_memory(self) -> bool:
        return str(self._path) == ":memory:"

    @property
    def encrypted(self) -> bool:
        """Whether the store file is locked with a passphrase (encrypted at rest)."""
        return self._key is not None

    @property
    def pending_path(self) -> Path:
        """The marker of a deletion whose bytes may still be in the file (see ``forget``)."""
        return self._path.with_name(self._path.name + _PENDING_SUFFIX)

    @property
    def forget_pending(self) -> bool:
        """True when an earlier forget could not rewrite the file yet (e.g. the disk was full)."""
        return self.pending_path.exists()

    # ----------------------------------------------------------------- transactions
    @contextlib.contextmanager
    def transaction(self) -> Iterator[Store]:
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
        except BaseException:
            self._depth = 0
            with contextlib.suppress(duckdb.Error):
                db.rollback()
            raise
        self._depth = 0
        db.commit()

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
                _chmod_private(self._path)

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # ----------------------------------------------------------------- small SQL helpers
    def _rows(self, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
        """Run a statement to its end and return its rows (DuckDB 2 wants results drained)."""
        return self._db.execute(sql, params).fetchall()

    def _frame(self, sql: str, params: Any = None) -> pl.DataFrame:
        return self._db.sql(sql, params=params).pl()

    # ----------------------------------------------------------------- importing
    def import_export(
        self,
        parsed: ParsedExport,
        *,
        conversation_id: str | None = None,
        source_path: str | Path | None = None,
        zone: ZoneChoice | None = None,
    ) -> ImportResult:
        """Add one conversation's export to the store (all-or-nothing, duplicates skipped).

        ``conversation_id`` overrides the id the importer chose (e.g. to merge two chats the user
        knows are the same). ``source_path`` is the file on disk, to record its SHA-256. ``zone``
        gives times the export wrote without a zone their UTC offset (recorded with the import).
        """
        return self._import(parsed, conversation_id, source_path, single=True, zone=zone)[0]

    def import_export_all(
        self,
        parsed: ParsedExport,
        *,
        conversation_id: str | None = None,
        source_path: str | Path | None = None,
        zone: ZoneChoice | None = None,
    ) -> list[ImportResult]:
        """Like ``import_export`` for an export holding several chats: one transaction for all."""
        return self._import(parsed, conversation_id, source_path, single=False, zone=zone)

    def _import(
        self, parsed: ParsedExport, conversation_id: str | None, source_path: str | Path | None, *, single: bool,
        zone: ZoneChoice | None = None,
    ) -> list[ImportResult]:
        report = parsed.report
        frame = prepare_incoming(parsed, conversation_id)
        if frame.height == 0:
            cid = conversation_id or derive_conversation_id(report.platform.value, report.participants,
                                                            report.source_file)
            return [ImportResult(cid, 0, 0, 0, report.source_file)]
        groups = split_by_conversation(frame)
        if single and len(groups) != 1:
            raise StoreError(
                f"this export holds {len(groups)} conversations, not one",
                where=report.source_file,
                fix="Import it with import_export_all, or give a conversation id to store it as one.",
            )
        # Only a path we were given: report.source_file is a bare name and could match another file here.
        sha = file_sha256(Path(source_path)) if source_path is not None else None
        with self.transaction():
            return [
                self._import_group(key, group, parsed, sha, zone, said=bool(conversation_id))
                for key, group in groups.items()
            ]

    def _import_group(self, cid: str, group: pl.DataFrame, parsed: ParsedExport, sha: str | None,
                      zone: ZoneChoice | None = None, *, said: bool = False) -> ImportResult:
        """One conversation's rows: place them (join by evidence), merge the messages, record the import."""
        cid, group, note, shift = self._place(cid, group, sha, said)
        if not said and not self.has_conversation(cid):  # a chat new to the store: stored before under other names?
            note = " ".join(n for n in (note, self._same_chat_hint(cid, group)) if n)
        zone_used = None
        if zone is not None:
            group, filled = fill_offsets(group, zone.name)  # after the shift: the store's clock
            zone_used = zone if filled else None
        platform = str(group.get_column("platform")[0])
        self._ensure_conversation(cid, platform)
        import_id = int(self._rows("SELECT coalesce(max(id), 0) + 1 FROM imports")[0][0])
        added = self._merge(cid, group, import_id)
        total = group.height
        result = ImportResult(cid, added, total - added, total, parsed.report.source_file, note=note,
                              clock_shift_min=shift)
        self._record_import(import_id, result, parsed, sha, platform)
        if self._has_people_tables():
            self._record_people_and_capabilities(import_id, cid, platform, group, parsed, zone_used)
        return result

    # ----------------------------------------------------------------- which stored chat an export joins
    def _clock_pairs(self, cid: str, group: pl.DataFrame) -> list[tuple[Any, ...]]:
        """(day, clock gap in minutes, matching rare texts, rare texts in the export) of ``group`` vs ``cid``."""
        ts = group.get_column("timestamp")
        margin = timedelta(minutes=_SHIFT_LIMIT_MIN + 1)
        params = {"cid": cid, "lo": ts.min() - margin, "hi": ts.max() + margin}  # type: ignore[operator]
        chunk = group.select("timestamp", "kind", "text")
        return self._run_rows(_SHIFT_SQL, chunk, params)

    def _same_chat_hint(self, cid: str, group: pl.DataFrame) -> str:
        """A suggestion (never an action) when a new chat shares messages with one stored under another id.

        The same chat exported from the partner's phone carries other contact names, so another id;
        its messages give it away. Checked against at most 20 stored chats of the same messenger whose
        time span meets the export's.
        """
        ts = group.get_column("timestamp")
        margin = timedelta(minutes=_SHIFT_LIMIT_MIN)
        others = [str(r[0]) for r in self._rows(
            "SELECT c.id FROM conversations c JOIN (SELECT conversation_id, min(\"timestamp\") AS lo, "
            "max(\"timestamp\") AS hi FROM messages GROUP BY 1) m ON m.conversation_id = c.id "
            "WHERE c.platform = $1 AND c.id <> $2 AND m.lo <= $4 AND m.hi >= $3 ORDER BY c.created_at LIMIT 20",
            [str(group.get_column("platform")[0]), cid, ts.min() - margin, ts.max() + margin])]  # type: ignore[operator]
        for other in others:
            rows = self._clock_pairs(other, group)
            if not rows:
                continue
            best, _, matches = _day_shifts(rows)
            if matches >= max(3, _evidence_threshold(int(rows[0][3]), best)):
                return (f"It shares {matches:,} messages with '{other}' (the same chat from another phone, with "
                        f"other contact names?). If so: ebbtide conversations merge {other} {cid}")
        return ""

    def _place(self, cid: str, group: pl.DataFrame, sha: str | None, said: bool,
               ) -> tuple[str, pl.DataFrame, str, int]:
        """The conversation ``group`` joins, the rows on that conversation's clock, a note, the clock gap.

        An export joins a stored conversation when the user says so (``conversation_id``), when the
        same file was imported into it before, or when their messages overlap: the same rare texts at
        the same instants (allowing one constant clock gap, as between phones in two time zones).
        Equal names alone are not enough: two couples both called Alex and Sam are two chats, stored
        as ``id~2``; the note says how to join them if they are one.
        """
        if not self.has_conversation(cid):
            return cid, group, "", 0
        candidates = [cid]
        if not said:  # the chats kept apart earlier under the same names: cid~2, cid~3...
            candidates += [str(r[0]) for r in self._rows(
                "SELECT id FROM conversations WHERE starts_with(id, $1) ORDER BY created_at, id", [cid + "~"])]
        same_file = {str(r[0]) for r in self._rows(
            "SELECT DISTINCT conversation_id FROM imports WHERE sha256 = $1", [sha])} if sha else set()
        for candidate in candidates:
            rows = self._clock_pairs(candidate, group)
            best, days, matches = _day_shifts(rows) if rows else (0, {}, 0)
            evidence = bool(rows) and matches >= _evidence_threshold(int(rows[0][3]), best)
            if said or evidence or candidate in same_file:
                if not evidence or (best == 0 and not any(days.values())):  # no clock gap shown: as it is
                    return candidate, group, "", 0
                note = (f"the same messages are stored {abs(best) // 60}h{abs(best) % 60:02d} "
                        f"{'later' if best > 0 else 'earlier'} in '{candidate}' (a phone in another time "
                        "zone): times moved onto the stored clock, not stored twice")
                return candidate, _shift_frame(group, best, days), note, best
        n = 2
        while self.has_conversation(f"{cid}~{n}"):
            n += 1
        new = f"{cid}~{n}"
        note = (f"stored as a new conversation '{new}': '{cid}' has the same names but no messages in "
                f"common. If they are one chat: ebbtide conversations merge {cid} {new}")
        return new, group, note, 0

    def _has_people_tables(self) -> bool:
        """Whether the schema has migration 3 (tests may open a store with fewer migrations)."""
        return latest_version(self._migrations) >= 3

    def _record_people_and_capabilities(self, import_id: int, cid: str, platform: str, group: pl.DataFrame,
                                        parsed: ParsedExport, zone: ZoneChoice | None) -> None:
        """Who wrote (aliases -> people), what the format can hold, and the zone given to its times."""
        from ebbtide.store.people import register_senders

        senders = (group.filter((pl.col("sender") != "") & (pl.col("kind") != "system"))
                   .get_column("sender").unique(maintain_order=True).to_list())
        register_senders(self, cid, platform, senders, parsed.report.me)
        for name, present in sorted(parsed.report.capabilities.items()):
            self._rows("INSERT INTO import_capabilities (import_id, conversation_id, capability, present) "
                       "VALUES ($1, $2, $3, $4)", [import_id, cid, str(name), bool(present)])
        if zone is not None:
            self._rows("UPDATE imports SET time_zone = $1, time_zone_source = $2 WHERE id = $3",
                       [zone.name, zone.source, import_id])

    def capabilities(self, conversation_id: str) -> dict[str, bool]:
        """What the conversation's exports can contain (reactions, replies, read_times, calls, edits).

        Several imports: a thing is present if any import's format can hold it (OR). A key missing
        means no import said; callers treat it as "not in this export".
        """
        self._require(conversation_id)
        if not self._has_people_tables():
            return {}
        rows = self._rows("SELECT capability, bool_or(present) FROM import_capabilities "
                          "WHERE conversation_id = $1 GROUP BY 1 ORDER BY 1", [conversation_id])
        return {str(k): bool(v) for k, v in rows}

    def _ensure_conversation(self, cid: str, platform: str) -> None:
        if not self._rows("SELECT 1 FROM conversations WHERE id = $1", [cid]):
            self._rows("INSERT INTO conversations (id, platform, created_at) VALUES ($1, $2, $3)", [cid, platform, datetime.now()])

    def _merge(self, cid: str, group: pl.DataFrame, import_id: int) -> int:
        """Insert the rows the store does not have yet; return how many were added.

        Set-based: each incoming row gets its occurrence number among identical keys
        (conversation, time, sender, kind, text) in file order; it is new only if that number is
        above how many such rows are already stored. So a re-import adds nothing, an overlapping
        export adds only its new part, and real repeats ("ok", "ok") survive.
        """
        incoming = group.select(["pos", *[c for c in MESSAGE_COLUMNS if c != "conversation_id"]])
        base = int(self._rows("SELECT coalesce(max(seq), 0) FROM messages WHERE conversation_id = $1",
                              [cid])[0][0])
        ts = incoming.get_column("timestamp")
        minutes = ts.dt.truncate("1m")  # the key holds the minute, not the second
        lo: datetime = minutes.min()  # type: ignore[assignment]
        hi: datetime = minutes.max()  # type: ignore[assignment]
        overlap = self._rows('SELECT 1 FROM messages WHERE conversation_id = $1 AND "timestamp" >= $2 '
                             'AND "timestamp" < $3 LIMIT 1', [cid, lo, hi + timedelta(minutes=1)])
        params: dict[str, Any] = {"cid": cid, "base": base, "import_id": import_id}
        # Work in pieces so memory stays bounded: row chunks for a plain insert; for a merge, time
        # slices, which is exact because the time is part of the key.
        if not overlap:
            pieces = [(incoming.slice(start, _SLICE_ROWS), params)
                      for start in range(0, incoming.height, _SLICE_ROWS)]
            return sum(self._run_with(_FRESH_SQL, chunk, p) for chunk, p in pieces)
        added = 0
        for a, b in time_slices(minutes, _SLICE_ROWS):  # slices never split a minute
            end = b + timedelta(minutes=1) - timedelta(microseconds=1)
            chunk = incoming.filter(pl.col("timestamp").is_between(a, end))
            added += self._run_with(_MERGE_SQL, chunk, params | {"lo": a, "hi": end})
        return added

    def _run_rows(self, sql: str, chunk: pl.DataFrame, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        """Rows of a query reading ``chunk`` as the incoming rows."""
        db = self._db
        db.register(_INCOMING, chunk.to_arrow(compat_level=pl.CompatLevel.oldest()))
        try:
            return self._rows(sql, params)
        finally:
            db.unregister(_INCOMING)

    def _run_with(self, sql: str, chunk: pl.DataFrame, params: dict[str, Any]) -> int:
        """Run an insert reading ``chunk`` as the incoming rows; return the number of rows inserted."""
        db = self._db
        # Arrow with plain (large) strings: DuckDB ingests these faster than Polars' string views.
        db.register(_INCOMING, chunk.to_arrow(compat_level=pl.CompatLevel.oldest()))
        try:
            return _count(self._rows(sql, params))
        finally:
            db.unregister(_INCOMING)

    def _record_import(self, import_id: int, result: ImportResult, parsed: ParsedExport, sha: str | None,
                       platform: str) -> None:
        report = parsed.report
        self._rows(
            "INSERT INTO imports (id, conversation_id, source_file, sha256, imported_at, platform, dialect, "
            "date_order, me, total_in_file, added, skipped_duplicates) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            [import_id, result.conversation_id, report.source_file, sha, datetime.now(), platform,
             report.dialect, report.date_order.value if report.date_order else None, report.me,
             result.total_in_file, result.added, result.skipped_duplicates],
        )

    # ----------------------------------------------------------------- reading
    def conversations(self) -> list[ConversationInfo]:
        """Every stored conversation, oldest-created first."""
        convs = self._rows("SELECT id, platform FROM conversations ORDER BY created_at, id")
        stats = {r[0]: r[1:] for r in self._rows(
            'SELECT conversation_id, count(*), min("timestamp"), max("timestamp") FROM messages GROUP BY 1')}
        imports = dict(self._rows("SELECT conversation_id, count(*) FROM imports GROUP BY 1"))
        people: dict[str, list[str]] = {}
        for cid, sender in self._rows(
            'SELECT conversation_id, sender FROM messages WHERE sender <> \'\' '
            'GROUP BY 1, 2 ORDER BY 1, min("timestamp"), min(seq)'
        ):
            people.setdefault(cid, []).append(sender)
        result = []
        for cid, platform in convs:
            count, first, last = stats.get(cid, (0, None, None))
            result.append(ConversationInfo(cid, platform, tuple(people.get(cid, ())), int(count), first, last,
                                           int(imports.get(cid, 0))))
        return result

    def has_conversation(self, conversation_id: str) -> bool:
        return bool(self._rows("SELECT 1 FROM conversations WHERE id = $1", [conversation_id]))

    def messages(self, conversation_id: str) -> pl.DataFrame:
        """A conversation in the canonical frame, chronological (ties: the order they arrived in)."""
        self._require(conversation_id)
        cols = ", ".join(f'"{c}"' for c in MESSAGE_COLUMNS)
        frame = self._frame(
            f'SELECT {cols} FROM messages WHERE conversation_id = $1 ORDER BY {INSTANT}, seq',
            [conversation_id],
        )
        return frame.cast(MESSAGE_SCHEMA).select(MESSAGE_COLUMNS)  # type: ignore[arg-type]

    def message_meta(self, conversation_id: str) -> pl.DataFrame:
        """A conversation's ``timestamp, sender, kind, platform`` (no text): enough for counts and
        coverage, and much lighter than ``messages`` for a big chat."""
        self._require(conversation_id)
        frame = self._frame('SELECT "timestamp", sender, kind, platform FROM messages WHERE conversation_id = $1 '
                            'ORDER BY ' + INSTANT + ', seq', [conversation_id])
        return frame.cast({c: MESSAGE_SCHEMA[c] for c in frame.columns})  # type: ignore[arg-type]

    def _require(self, conversation_id: str) -> None:
        if not self.has_conversation(conversation_id):
            raise StoreError(f"no conversation '{conversation_id}' in the store", where=str(self._path),
                             fix="See what is stored with: ebbtide conversations")

    def resolve_conversation(self, ref: str) -> str:
        """An id from what a person typed: the id, a unique start of it, or a participant's name."""
        ref = ref.strip()
        infos = self.conversations()
        if not infos:
            raise StoreError("the store holds no conversations yet", where=str(self._path),
                             fix="Import a chat first: ebbtide import EXPORT.txt")
        ids = [i.id for i in infos]
        if ref in ids:
            return ref
        folded = ref.casefold()
        by_prefix = [i for i in infos if ref and i.id.casefold().startswith(folded)]
        if len(by_prefix) == 1:
            return by_prefix[0].id
        by_name = [i for i in infos if any(p.casefold() == folded for p in i.participants)]
        if len(by_name) == 1:
            return by_name[0].id
        matches = by_prefix or by_name
        choices = "\n  ".join(f"{i.id}  ({', '.join(i.participants) or 'no senders'})" for i in (matches or infos))
        if matches:
            raise StoreError(f"'{ref}' matches {len(matches)} conversations", where=str(self._path),
                             fix=f"Give more of the id. Candidates:\n  {choices}")
        raise StoreError(f"no conversation matches '{ref}'", where=str(self._path),
                         fix=f"Use an id (or its start) or a participant's name. Stored:\n  {choices}")

    def import_history(self, conversation_id: str) -> list[dict[str, Any]]:
        """The recorded imports of a conversation, oldest first (file, sha256, time, counts)."""
        self._require(conversation_id)
        zones = ", time_zone, time_zone_source" if self._has_people_tables() else ""
        frame = self._frame(
            "SELECT id, source_file, sha256, imported_at, platform, dialect, date_order, me, total_in_file, "
            f"added, skipped_duplicates{zones} FROM imports WHERE conversation_id = $1 ORDER BY id",
            [conversation_id],
        )
        return frame.to_dicts()

    # ----------------------------------------------------------------- joining two chats on purpose
    def merge_conversations(self, keep: str, other: str) -> ImportResult:
        """The user says two stored conversations are one chat: ``other``'s messages join ``keep``.

        Messages ``keep`` already has are not added twice (the import key, clock gaps included);
        the import records, capabilities, journal events and names move over; a name in both is
        one person from then on (the user's word). All-or-nothing.
        """
        self._require(keep)
        self._require(other)
        if keep == other:
            raise StoreError("these are the same conversation", where=keep, fix="Give two different ids.")
        with self.transaction():
            frame = self.messages(other).with_row_index("pos").with_columns(pl.col("pos").cast(pl.Int64))
            keep_id, frame, _, shift = self._place(keep, frame, None, True)
            import_id = int(self._rows("SELECT coalesce(max(id), 0) FROM imports WHERE conversation_id = $1",
                                       [other])[0][0])
            added = self._merge(keep, frame, import_id)
            for table in ("imports", "import_capabilities", "events"):
                if self._rows("SELECT 1 FROM duckdb_tables() WHERE table_name = $1 "
                              "AND database_name = current_database()", [table]):
                    self._rows(f"UPDATE {table} SET conversation_id = $1 WHERE conversation_id = $2", [keep, other])
            if self._has_people_tables():
                from ebbtide.store.people import join_aliases

                join_aliases(self, keep, other)
            self._rows("DELETE FROM messages WHERE conversation_id = $1", [other])
            self._rows("DELETE FROM conversations WHERE id = $1", [other])
        return ImportResult(keep_id, added, frame.height - added, frame.height, other, clock_shift_min=shift)

    # ----------------------------------------------------------------- forgetting
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
                from ebbtide.store.people import prune_people

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
        _fsync_dir(self._path.parent)
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
        _fsync_dir(self._path.parent)

    def forget_all(self) -> None:
        """Delete everything: the file (and its log) is removed and an empty store takes its place."""
        self.close()
        for victim in (self._path, wal_path(self._path)):
            victim.unlink(missing_ok=True)
        _remove_leftovers(self._path)
        self.pending_path.unlink(missing_ok=True)
        if self._params is not None:  # the empty store stays locked with the same passphrase
            write_params(self._path, self._params)
        self._reopen()

    def _reopen(self) -> None:
        if self.in_memory:
            self._con = Store.open_memory(self._migrations)._con
            return
        self._con = _connect(self._path, self._key)
        _chmod_private(self._path)
        apply_migrations(self._con, self._migrations, where=str(self._path))

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
        _fsync_dir(self._path.parent)

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
        target = self._path.with_name(self._path.name + _COMPACT_SUFFIX)
        _remove_leftovers(self._path)
        db = self._db
        self._rows("CHECKPOINT")  # the deletion into the main file: the old log never outlives it
        source = self._rows("SELECT current_database()")[0][0]
        encryption = f" (ENCRYPTION_KEY '{key}')" if key else ""
        try:
            if key:
                load_encryption(db, self._path)
            self._rows(f"ATTACH {_sql_quote(str(target))} AS ebbtide_compact{encryption}")
            try:
                self._rows(f'COPY FROM DATABASE "{source}" TO ebbtide_compact')
            finally:
                self._rows("DETACH ebbtide_compact")
        except (duckdb.Error, OSError) as exc:
            _remove_leftovers(self._path)
            text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise StoreError(
                f"the store could not be rewritten ({text})", where=str(self._path),
                fix="Free some disk space. The deletion is kept and is completed the next time ebbtide "
                    "opens this store.") from None
        self.close()
        _fsync_file(target)
        wal_path(self._path).unlink(missing_ok=True)  # checkpointed above; the copy holds everything
        os.replace(target, self._path)
        _fsync_dir(self._path.parent)
        _remove_leftovers(self._path)
        self._key = key
        self._reopen()


def _leftovers(path: Path) -> list[Path]:
    return [p for p in path.parent.glob(f"{glob_escape(path.name)}{_COMPACT_SUFFIX}*")]


def glob_escape(name: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)


def _remove_leftovers(path: Path) -> None:
    """Delete copies an interrupted rewrite left (``*.compacting``, ``*.compacting.wal``)."""
    for leftover in _leftovers(path):
        with contextlib.suppress(OSError):
            leftover.unlink()


def _chmod_private(path: Path) -> None:
    """The store, its log and key settings: owner only (also for stores made by an older ebbtide)."""
    for p in (path, wal_path(path), salt_path(path)):
        with contextlib.suppress(OSError):
            if p.exists():
                os.chmod(p, 0o600)


def _fsync_file(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _make_private_parent(folder: Path) -> None:
    if folder.exists():
        return
    try:
        folder.mkdir(parents=True, mode=0o700)
    except OSError as exc:
        raise StoreError(f"cannot create the folder for the store ({exc.strerror})", where=str(folder),
                         fix="Choose another place with --db or the EBBTIDE_DB variable.") from None
