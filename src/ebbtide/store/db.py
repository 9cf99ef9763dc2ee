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
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

import duckdb
import polars as pl

from ebbtide.errors import StoreError
from ebbtide.importers.timezones import ZoneChoice, fill_offsets
from ebbtide.model import MESSAGE_COLUMNS, MESSAGE_SCHEMA, ParsedExport
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


def _sql_quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _connect(path: Path) -> duckdb.DuckDBPyConnection:
    # Row order on disk does not matter (``seq`` carries it), and not keeping it lowers the
    # memory of large inserts.
    try:
        return duckdb.connect(str(path), config={"preserve_insertion_order": False})
    except duckdb.Error as exc:
        text = str(exc)
        if "lock" in text.casefold():
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


class Store:
    """An open store. Use as a context manager: ``with Store.open() as store: ...``."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path, migrations: Sequence[Migration]) -> None:
        self._con: duckdb.DuckDBPyConnection | None = con
        self._path = path
        self._migrations = tuple(migrations)

    # ----------------------------------------------------------------- opening and closing
    @classmethod
    def open(
        cls,
        path: str | Path | None = None,
        *,
        create: bool = True,
        migrations: Sequence[Migration] = MIGRATIONS,
    ) -> Store:
        """Open (and if needed create and upgrade) the store at ``path`` or the default place.

        ``create=False`` refuses to make a new file: listing or forgetting should not leave an
        empty store behind where there was none.
        """
        path = resolve_db_path(path)
        if path.is_dir():
            raise StoreError("this is a folder, not a store file", where=str(path),
                             fix="Give a file name, e.g. --db ~/ebbtide.duckdb.")
        if not path.exists():
            if not create:
                raise StoreError("there is no store here yet", where=str(path),
                                 fix="Import a chat first: ebbtide import EXPORT.txt")
            _make_private_parent(path.parent)
        with contextlib.suppress(OSError):  # a leftover of an interrupted forget; the real file is intact
            path.with_name(path.name + _COMPACT_SUFFIX).unlink(missing_ok=True)
        con = _connect(path)
        with contextlib.suppress(OSError):
            os.chmod(path, 0o600)  # chats are private; other users of this computer need not read them
        try:
            apply_migrations(con, migrations, where=str(path))
        except BaseException:
            con.close()
            raise
        return cls(con, path, migrations)

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
            with contextlib.suppress(duckdb.Error):
                self._con.checkpoint()
            self._con.close()
            self._con = None

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
        filled = 0
        if zone is not None and frame.height:
            frame, filled = fill_offsets(frame, zone.name)
        zone_used = zone if filled else None
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
        db = self._db
        db.begin()
        try:
            results = [
                self._import_group(key, group, parsed, sha, zone_used) for key, group in groups.items()
            ]
            db.commit()
        except BaseException:
            with contextlib.suppress(duckdb.Error):
                db.rollback()
            raise
        return results

    def _import_group(self, cid: str, group: pl.DataFrame, parsed: ParsedExport, sha: str | None,
                      zone: ZoneChoice | None = None) -> ImportResult:
        """One conversation's rows: ensure the conversation, merge the messages, record the import."""
        platform = str(group.get_column("platform")[0])
        self._ensure_conversation(cid, platform)
        import_id = int(self._rows("SELECT coalesce(max(id), 0) + 1 FROM imports")[0][0])
        added = self._merge(cid, group, import_id)
        total = group.height
        result = ImportResult(cid, added, total - added, total, parsed.report.source_file)
        self._record_import(import_id, result, parsed, sha, platform)
        if self._has_people_tables():
            self._record_people_and_capabilities(import_id, cid, platform, group, parsed, zone)
        return result

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
            f'SELECT {cols} FROM messages WHERE conversation_id = $1 ORDER BY "timestamp", seq',
            [conversation_id],
        )
        return frame.cast(MESSAGE_SCHEMA).select(MESSAGE_COLUMNS)  # type: ignore[arg-type]

    def message_meta(self, conversation_id: str) -> pl.DataFrame:
        """A conversation's ``timestamp, sender, kind, platform`` (no text): enough for counts and
        coverage, and much lighter than ``messages`` for a big chat."""
        self._require(conversation_id)
        frame = self._frame('SELECT "timestamp", sender, kind, platform FROM messages WHERE conversation_id = $1 '
                            'ORDER BY "timestamp", seq', [conversation_id])
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

    # ----------------------------------------------------------------- forgetting
    def forget(self, conversation_id: str) -> None:
        """Delete one conversation for good: its rows in every table, and their bytes on disk.

        Every table with a ``conversation_id`` column is cleared of it (messages, imports, and
        whatever later migrations add, such as journal events), so nothing about it is left behind.
        """
        self._require(conversation_id)
        tables = [r[0] for r in self._rows(
            "SELECT DISTINCT table_name FROM duckdb_columns() WHERE column_name = 'conversation_id' "
            "AND database_name = current_database() AND schema_name = 'main' ORDER BY 1")]
        db = self._db
        db.begin()
        try:
            for table in tables:
                self._rows(f'DELETE FROM "{table}" WHERE conversation_id = $1', [conversation_id])
            self._rows("DELETE FROM conversations WHERE id = $1", [conversation_id])
            if self._has_people_tables():
                from ebbtide.store.people import prune_people

                prune_people(self)
            db.commit()
        except BaseException:
            with contextlib.suppress(duckdb.Error):
                db.rollback()
            raise
        self._compact()

    def compact(self) -> None:
        """Rewrite the file so rows deleted earlier leave no bytes behind (call after deleting data)."""
        self._compact()

    def forget_all(self) -> None:
        """Delete everything: the file (and its log) is removed and an empty store takes its place."""
        self.close()
        for victim in (self._path, wal_path(self._path)):
            victim.unlink(missing_ok=True)
        self._reopen()

    def _reopen(self) -> None:
        self._con = _connect(self._path)
        with contextlib.suppress(OSError):
            os.chmod(self._path, 0o600)
        apply_migrations(self._con, self._migrations, where=str(self._path))

    def _compact(self) -> None:
        """Rewrite the file with only the live rows.

        DuckDB keeps deleted rows' bytes in the file (a checkpoint or VACUUM does not clear them),
        so "forget" copies the database into a fresh file and swaps it in. If this is interrupted,
        the old file is still whole (the deletion was already committed) and the leftover copy is
        removed on the next open.
        """
        target = self._path.with_name(self._path.name + _COMPACT_SUFFIX)
        target.unlink(missing_ok=True)
        source = self._rows("SELECT current_database()")[0][0]
        self._rows(f"ATTACH {_sql_quote(str(target))} AS ebbtide_compact")
        try:
            self._rows(f'COPY FROM DATABASE "{source}" TO ebbtide_compact')
        finally:
            self._rows("DETACH ebbtide_compact")
        self.close()
        os.replace(target, self._path)
        wal_path(self._path).unlink(missing_ok=True)
        self._reopen()


def _make_private_parent(folder: Path) -> None:
    if folder.exists():
        return
    try:
        folder.mkdir(parents=True, mode=0o700)
    except OSError as exc:
        raise StoreError(f"cannot create the folder for the store ({exc.strerror})", where=str(folder),
                         fix="Choose another place with --db or the EBBTIDE_DB variable.") from None
