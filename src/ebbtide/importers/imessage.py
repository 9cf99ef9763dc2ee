"""iMessage / SMS on Apple: the Messages database ``chat.db`` (macOS) or ``sms.db`` (iPhone backup).

Why SQL appears here although only ``ebbtide.store`` speaks SQL: this module does not touch our
store; it *reads an input file* that happens to be an SQLite database, exactly as other importers
read JSON or XML. It opens the file read-only and immutable (``file:...?mode=ro&immutable=1``
URI; a private copy when a ``-wal`` file holds recent messages) so the user's Messages database can
never be changed and nothing is written next to it, and uses the standard-library ``sqlite3`` (not DuckDB).

What is read (see docs/formats/imessage.md):
- one conversation per call. Chats are grouped by ``chat_identifier`` (the phone number, e-mail or
  group id), because Apple keeps separate chat rows for the SMS and the iMessage side of the same
  person. Without a choice, the conversation with the most messages is read and a warning names
  the others; ``read_imessage(path, chat=...)`` picks another (unknown names raise, listing chats).
- text from ``message.text`` or, where that is NULL (most rows since macOS 13), decoded from the
  ``attributedBody`` typedstream blob; U+FFFC attachment placeholders removed.
- ``date`` is nanoseconds (seconds in pre-2017 databases) since 2001-01-01 UTC. The file stores
  UTC only, so ``timestamp`` is the UTC wall clock and ``utc_offset_min`` is 0.
- tapbacks (``associated_message_type`` 1000 and 2000-3007) are separate rows in the database:
  they become kind ``other`` with empty text, so they are never counted as messages.
- ``is_from_me`` -> sender ``"Me"`` (``ParseReport.me``); others are named by their handle
  (phone number or e-mail): the database holds no contact names.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import tempfile
import urllib.parse
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

import polars as pl

from ebbtide.counts import counted
from ebbtide.errors import NotAChatExport, UnreadableInput
from ebbtide.importers._build import (
    build_frame,
    decode_head,
    pick_conversation,
    read_head,
    wrap_errors,
)
from ebbtide.importers._columns import chosen_chat
from ebbtide.importers.base import Importer
from ebbtide.model import DateOrder, MessageKind, ParsedExport, Platform

ME = "Me"
SQLITE_MAGIC = b"SQLite format 3\x00"
APPLE_EPOCH_US = 978_307_200 * 1_000_000  # 2001-01-01T00:00:00Z in microseconds since 1970
NS_THRESHOLD = 10**15  # larger 'date' values are nanoseconds, smaller ones seconds
DB_NAMES = ("chat.db", "sms.db", "3d0d7e5fb2ce288813306e4d4636395e047a3d28")
REQUIRED_TABLES = frozenset({"message", "handle", "chat", "chat_message_join"})
OBJECT_REPLACEMENT = "\ufffc"
_FIX = (
    "Point ebbtide at a copy of ~/Library/Messages/chat.db (or sms.db from an unencrypted iPhone "
    "backup). Quit Messages before copying so the copy is complete."
)

# Columns we use from `message`; older databases lack some, which then read as NULL.
_MESSAGE_COLUMNS = (
    "ROWID", "guid", "text", "attributedBody", "handle_id", "date", "date_read", "date_edited",
    "date_retracted", "is_from_me", "item_type", "associated_message_type", "associated_message_guid",
    "associated_message_emoji", "thread_originator_guid", "cache_has_attachments", "is_audio_message",
    "balloon_bundle_id",
)

_TAPBACK_EMOJI = {0: "❤️", 1: "👍", 2: "👎", 3: "😂", 4: "‼️", 5: "❓"}


def _is_tapback(kind_code: int | None) -> bool:
    return kind_code is not None and (kind_code == 1000 or 2000 <= kind_code <= 3007)


def decode_attributed_body(blob: bytes | None) -> str:
    """The plain string inside an NSAttributedString typedstream blob ('' when none is found).

    Layout after the class name ``NSString``: a few type bytes, then ``0x01 0x2B`` ('+'), then
    the length (one byte below 0x80, or 0x81 + uint16 LE, or 0x82 + uint32 LE), then UTF-8.
    Why by hand: there is no standard-library typedstream reader and the blob is all we need.
    """
    if not blob:
        return ""
    start = blob.find(b"NSString")
    if start < 0:
        return ""
    marker = blob.find(b"\x01+", start + 8, start + 8 + 16)
    if marker < 0:
        return ""
    pos = marker + 2
    if pos >= len(blob):
        return ""
    first = blob[pos]
    if first == 0x81:
        length, pos = int.from_bytes(blob[pos + 1 : pos + 3], "little"), pos + 3
    elif first == 0x82:
        length, pos = int.from_bytes(blob[pos + 1 : pos + 5], "little"), pos + 5
    else:
        length, pos = first, pos + 1
    return blob[pos : pos + length].decode("utf-8", errors="replace")


def _db_file(path: Path) -> Path | None:
    """The database file itself: ``path`` or a known database name inside the folder ``path``."""
    if path.is_dir():
        for name in DB_NAMES:
            candidate = path / name
            if candidate.is_file():
                return candidate
        sub = path / "3d" / DB_NAMES[2]  # an iPhone backup folder
        return sub if sub.is_file() else None
    return path if path.is_file() else None


class _PrivateCopy(sqlite3.Connection):
    """A connection to a private copy of the user's database; the copy is removed when it closes."""

    copy_dir: str | None = None

    def close(self) -> None:
        super().close()
        if self.copy_dir:
            shutil.rmtree(self.copy_dir, ignore_errors=True)
            self.copy_dir = None


def _connect(db: Path) -> sqlite3.Connection:
    """Open the user's database without ever writing to it or next to it.

    Opening an SQLite file in WAL mode, even with ``mode=ro``, makes SQLite create ``-shm``/``-wal``
    files beside it. So the file is opened ``immutable`` (no locks, no side files). When a ``-wal`` file
    is already there (Messages was running), recent messages live in it, which ``immutable`` would
    skip: then the database and its ``-wal`` are copied into a private temporary folder (0700) and
    the copy is read; the copy is deleted when the connection is closed.
    """
    wal = db.with_name(db.name + "-wal")
    if wal.is_file() and wal.stat().st_size > 0:
        tmp = tempfile.mkdtemp(prefix="ebbtide-db-")  # 0700
        shutil.copyfile(db, os.path.join(tmp, "chat.db"))
        shutil.copyfile(wal, os.path.join(tmp, "chat.db-wal"))
        uri = "file:" + urllib.parse.quote(os.path.join(tmp, "chat.db"))
        con = sqlite3.connect(uri, uri=True, factory=_PrivateCopy)
        assert isinstance(con, _PrivateCopy)
        con.copy_dir = tmp
        con.execute("PRAGMA query_only = ON")
        return con
    uri = "file:" + urllib.parse.quote(str(db.resolve()))
    return sqlite3.connect(f"{uri}?mode=ro&immutable=1", uri=True)


def _tables(con: sqlite3.Connection) -> set[str]:
    return {row[0] for row in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def _columns(con: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in con.execute(f"PRAGMA table_info({table})")}


class ChatSummary(NamedTuple):
    """One conversation in the database (chat rows sharing a ``chat_identifier``)."""

    identifier: str
    display_name: str
    messages: int
    chat_ids: tuple[int, ...]
    guids: tuple[str, ...]


def list_chats(con: sqlite3.Connection) -> list[ChatSummary]:
    """Conversations, most messages first (tapbacks included in the count; cheap and good enough)."""
    has_name = "display_name" in _columns(con, "chat")
    rows = con.execute(
        f"""SELECT c.ROWID, c.guid, COALESCE(c.chat_identifier, c.guid),
                   {"COALESCE(c.display_name, '')" if has_name else "''"}, COUNT(j.message_id)
            FROM chat c LEFT JOIN chat_message_join j ON j.chat_id = c.ROWID
            GROUP BY c.ROWID"""
    ).fetchall()
    grouped: dict[str, dict[str, object]] = {}
    for rowid, guid, ident, name, count in rows:
        entry = grouped.setdefault(str(ident), {"name": "", "count": 0, "ids": [], "guids": []})
        entry["count"] = int(entry["count"]) + int(count)  # type: ignore[call-overload]
        entry["name"] = entry["name"] or name
        entry["ids"].append(int(rowid))  # type: ignore[attr-defined]
        entry["guids"].append(str(guid))  # type: ignore[attr-defined]
    summaries = [
        ChatSummary(k, str(v["name"]), int(v["count"]), tuple(v["ids"]), tuple(v["guids"]))  # type: ignore[call-overload, arg-type]
        for k, v in grouped.items()
    ]
    return sorted(summaries, key=lambda s: (-s.messages, s.identifier))


def _message_rows(
    con: sqlite3.Connection, chat_ids: tuple[int, ...], columns: tuple[str, ...] = _MESSAGE_COLUMNS
) -> list[tuple]:
    """Rows of the chosen chats: the asked ``columns`` of ``message`` plus the sender handle.

    Why no ORDER BY/DISTINCT: sorting and de-duplicating 10^6 rows is cheaper in Polars.
    """
    present = _columns(con, "message")
    select = ", ".join(f"m.{c}" if c in present else f"NULL AS {c}" for c in columns)
    marks = ",".join("?" * len(chat_ids))
    return con.execute(
        f"""SELECT {select}, h.id
            FROM chat_message_join j JOIN message m ON m.ROWID = j.message_id
            LEFT JOIN handle h ON h.ROWID = m.handle_id
            WHERE j.chat_id IN ({marks})""",
        chat_ids,
    ).fetchall()


def reactions(con: sqlite3.Connection, chat_ids: tuple[int, ...]) -> list[dict[str, object]]:
    """Tapbacks of the chosen chat as records (reactor, emoji, added, target guid).

    Not stored yet (the canonical frame has no column for reactions); kept so that a later
    migration can store them without re-learning the database layout.
    """
    out: list[dict[str, object]] = []
    for row in _message_rows(con, chat_ids):
        rec = dict(zip((*_MESSAGE_COLUMNS, "handle"), row, strict=True))
        code = rec["associated_message_type"]
        if not _is_tapback(code):  # type: ignore[arg-type]
            continue
        code = int(code)  # type: ignore[arg-type]
        emoji = rec["associated_message_emoji"] or _TAPBACK_EMOJI.get(code % 1000, "")
        target = str(rec["associated_message_guid"] or "")
        out.append(
            {
                "reactor": ME if rec["is_from_me"] else str(rec["handle"] or ""),
                "emoji": emoji,
                "added": code < 3000,
                "target_guid": target.split("/", 1)[-1].removeprefix("bp:"),
            }
        )
    return out


# Columns the main read needs (tapback details are only read by ``reactions``).
_READ_COLUMNS = (
    "ROWID", "text", "attributedBody", "date", "date_edited", "date_retracted", "is_from_me", "item_type",
    "associated_message_type", "cache_has_attachments", "is_audio_message",
)


def _frame_of_rows(rows: list[tuple]) -> pl.DataFrame:
    """Rows -> a Polars frame, with attributedBody decoded only where ``text`` is NULL."""
    names = (*_READ_COLUMNS, "handle")
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    data: dict[str, Sequence[Any]] = dict(zip(names, columns, strict=True))
    texts = list(data["text"])
    for i, (text, blob) in enumerate(zip(texts, data.pop("attributedBody"), strict=True)):
        if text is None or not isinstance(text, str):
            texts[i] = decode_attributed_body(blob) if isinstance(blob, bytes) else ""
    data["text"] = texts
    int_cols = [c for c in names if c not in ("text", "attributedBody", "handle")]
    schema = {c: (pl.String if c in ("text", "handle") else pl.Int64) for c in data}
    frame = pl.DataFrame({c: list(v) for c, v in data.items()}, schema=schema, strict=False)
    return frame.with_columns(pl.col(c).fill_null(0) for c in int_cols if c != "date")


def _classified(frame: pl.DataFrame, fallback_sender: str) -> pl.DataFrame:
    """Kind, sender and text per row, with expressions (tapbacks first: they are never words)."""
    code = pl.col("associated_message_type")
    # the person's text as written (trailing spaces kept); only attachment placeholders removed
    kept = pl.col("text").str.replace_all(OBJECT_REPLACEMENT, "", literal=True)
    body = pl.when(kept.str.strip_chars() == "").then(pl.lit("")).otherwise(kept)
    kind = (
        pl.when((code == 1000) | code.is_between(2000, 3007))
        .then(pl.lit(MessageKind.OTHER.value))
        .when(pl.col("item_type") != 0)
        .then(pl.lit(MessageKind.SYSTEM.value))
        .when(body != "")
        .then(pl.lit(MessageKind.TEXT.value))
        .when((pl.col("cache_has_attachments") != 0) | (pl.col("is_audio_message") != 0))
        .then(pl.lit(MessageKind.MEDIA.value))
        .when((pl.col("date_retracted") != 0) | (pl.col("date_edited") != 0))
        .then(pl.lit(MessageKind.DELETED.value))
        .otherwise(pl.lit(MessageKind.OTHER.value))
    )
    raw = pl.col("date").fill_null(0)
    micros = pl.when(raw.abs() > NS_THRESHOLD).then(raw // 1000).otherwise(raw * 1_000_000) + APPLE_EPOCH_US
    return (
        frame.unique("ROWID", keep="first", maintain_order=True)
        .sort("ROWID")
        .with_columns(kind.alias("kind"), body.alias("body"))
        .select(
            pl.when(raw == 0).then(None).otherwise(micros).cast(pl.Datetime("us")).alias("timestamp"),
            pl.when(pl.col("kind") == MessageKind.SYSTEM.value)
            .then(pl.lit(""))
            .when(pl.col("is_from_me") != 0)
            .then(pl.lit(ME))
            .otherwise(pl.col("handle").fill_null(fallback_sender))
            .alias("sender"),
            pl.when(pl.col("kind") == MessageKind.TEXT.value).then(pl.col("body")).otherwise(pl.lit("")).alias("text"),
            pl.col("kind"),
            ((pl.col("kind") == MessageKind.TEXT.value) & (pl.col("date_edited") != 0)).alias("edited"),
            pl.col("ROWID").alias("source_line"),
        )
    )


# ------------------------------------------------------------------ imessage-exporter text output (imessage_txt)

_TXT_HEADER = re.compile(r"^( *)([A-Z][a-z]{2} \d{1,2}, \d{4} +\d{1,2}:\d{2}:\d{2} [AP]M)(?: (.*))?$")


def _txt_is_export(head: str) -> bool:
    first = next((ln for ln in head.splitlines() if ln.strip()), "")
    return bool(_TXT_HEADER.match(first)) and not first.startswith(" ")


class IMessageImporter(Importer):
    platform = Platform.IMESSAGE
    description = (
        "iMessage/SMS on Apple: chat.db from a Mac, sms.db from an unencrypted iPhone backup, "
        "or a chat .txt written by imessage-exporter"
    )
    features = ("reactions", "replies", "read_times", "edits")

    def looks_like(self, path: Path) -> bool:
        if path.is_file() and path.suffix.lower() == ".txt":
            return _txt_is_export(decode_head(read_head(path, 4096)))
        db = _db_file(path)
        if db is None or not read_head(db, 16).startswith(SQLITE_MAGIC):
            return False
        con = _connect(db)
        try:
            return REQUIRED_TABLES <= _tables(con)
        finally:
            con.close()

    def parse(self, path: Path, date_order: DateOrder | None) -> ParsedExport:
        if path.is_file() and not read_head(path, 16).startswith(SQLITE_MAGIC) and path.suffix.lower() == ".txt":
            from ebbtide.importers.imessage_txt import read_imessage_exporter_txt  # only for such a file

            return read_imessage_exporter_txt(path)
        return read_imessage(path)


@wrap_errors("iMessage chat.db", _FIX)
def read_imessage(path: Path | str, *, chat: str | None = None) -> ParsedExport:
    """Read one conversation from a Messages database.

    ``chat``: a chat identifier (phone number, e-mail, ``chat123...``), a group's display name or
    a chat guid; by default the conversation with the most messages.
    """
    path = Path(path)
    db = _db_file(path)
    if db is None:
        raise UnreadableInput("no chat.db or sms.db found here", where=str(path), fix=_FIX)
    if not read_head(db, 16).startswith(SQLITE_MAGIC):
        raise NotAChatExport("this file is not an SQLite database", where=str(db), fix=_FIX)
    con = _connect(db)
    try:
        missing = REQUIRED_TABLES - _tables(con)
        if missing:
            raise NotAChatExport(
                f"this SQLite database is not a Messages database (no table {', '.join(sorted(missing))})",
                where=str(db),
                fix=_FIX,
            )
        chats = list_chats(con)
        by_key = {c.identifier: c for c in chats if c.messages}
        wanted = chat if chat is not None else chosen_chat()
        if wanted is not None and wanted not in by_key:
            for c in chats:  # also accept a display name or a guid
                if wanted in c.guids or (c.display_name and c.display_name.casefold() == wanted.casefold()):
                    wanted = c.identifier
        key = pick_conversation({k: c.messages for k, c in by_key.items()}, wanted, platform="iMessage",
                                where=str(db), what="chat")
        warnings: list[str] = []
        summary = by_key[key]
        rows = _message_rows(con, summary.chat_ids, _READ_COLUMNS)
    finally:
        con.close()

    table = _classified(_frame_of_rows(rows), summary.identifier)
    n_undated = table["timestamp"].null_count()
    if n_undated:
        warnings.append(f"left out: {counted(n_undated, 'message')} without a readable date in the database "
                        "(a number is expected).")
    frame = build_frame(**{c: table[c] for c in ("timestamp", "sender", "text", "kind", "edited", "source_line")},
                        utc_offset_min=0, platform=IMPORTER.platform, conversation_id=f"imessage:{summary.identifier}",
                        source_file=str(db))
    n_other = int((table["kind"] == MessageKind.OTHER.value).sum())
    if n_other:
        warnings.append(f"{n_other} tapbacks/stickers and other non-text rows are kept as kind 'other'.")
    dialect = "Messages database (SQLite), times in UTC"
    if summary.display_name:
        dialect += f", chat '{summary.display_name}'"
    return IMPORTER.result(frame, source_file=str(db), dialect=dialect, warnings=warnings,
                           me=ME if (frame["sender"] == ME).any() else None)


IMPORTER = IMessageImporter()
