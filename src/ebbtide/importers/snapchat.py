"""Snapchat "My Data" download: ``json/chat_history.json`` (file, its folder, or the whole .zip).

Two layouts exist (see docs/formats/snapchat.md):
- current: an object keyed by conversation (friend username or group id), each a list of
  ``{"From", "Media Type", "Created", "Content", "Conversation Title", "IsSender",
  "Created(microseconds)", "IsSaved", "Media IDs"}``. Despite its name ``Created(microseconds)``
  holds *milliseconds* since 1970 (UTC); we use it when present, else the ``Created`` string.
- older: ``{"Received Saved Chat History": [{"From", "Media Type", "Created", "Text"}],
  "Sent Saved Chat History": [{"To", ...}]}`` with HTML entities in ``Text``; the user is not
  named, so own messages get the sender ``"Me"``.

One conversation per call: by default the one with the most messages (a warning names the
others); ``read_snapchat(path, conversation=...)`` picks another.
Times are UTC only: ``timestamp`` = UTC wall clock, ``utc_offset_min`` = 0.
Snapchat deletes unsaved chats, so the download holds only *saved* messages: every report warns.
"""

from __future__ import annotations

import html
import zipfile
from pathlib import Path
from typing import Any

import polars as pl

from ebbtide.errors import NotAChatExport, UnreadableInput
from ebbtide.importers._build import (
    build_frame,
    decode_head,
    load_json,
    pick_conversation,
    read_head,
    wrap_errors,
    zip_names,
)
from ebbtide.importers.base import Importer
from ebbtide.model import DateOrder, MessageKind, ParsedExport, Platform

ME_OLD = "Me"
FILE_NAME = "chat_history.json"
OLD_RECEIVED = "Received Saved Chat History"
OLD_SENT = "Sent Saved Chat History"
SAVED_ONLY_WARNING = (
    "Snapchat keeps only saved chats (and ones not yet deleted): this download is incomplete by design, "
    "so quiet stretches may be missing messages rather than silence."
)
_FIX = (
    "In Snapchat: Settings > My Data, tick 'Chat History' (JSON), download the zip, and point ebbtide at "
    "the zip or at json/chat_history.json inside it."
)
_MEDIA = {"MEDIA", "SNAP", "STICKER", "NOTE", "SHARE", "SHARESAVEDSTORY", "SAVED_STORY", "GIF", "AUDIO", "VIDEO"}
_OTHER = {"LOCATION", "LINK", "CHARM"}


def _kind(media_type: str, content: str) -> str:
    """A Snapchat ``Media Type`` to our kind; only TEXT with content counts as words."""
    mt = media_type.upper()
    if mt == "TEXT":
        return MessageKind.TEXT if content.strip() else MessageKind.OTHER
    if mt.startswith("STATUSERASED"):
        return MessageKind.DELETED
    if mt.startswith("STATUSCALL") or "CALL" in mt:
        return MessageKind.CALL
    if mt.startswith("STATUS"):
        return MessageKind.SYSTEM
    if mt in _MEDIA:
        return MessageKind.MEDIA
    return MessageKind.OTHER


def _find_in_folder(path: Path) -> Path | None:
    for rel in (FILE_NAME, f"json/{FILE_NAME}", f"messages/json/{FILE_NAME}", f"messages/{FILE_NAME}"):
        if (path / rel).is_file():
            return path / rel
    return None


def _zip_member(names: list[str]) -> str | None:
    hits = [n for n in names if n.rsplit("/", 1)[-1] == FILE_NAME and not n.startswith("__MACOSX")]
    return min(hits, key=len) if hits else None


def _looks_like_snapchat(head: str) -> bool:
    return '"Media Type"' in head and '"Created"' in head


def _load(path: Path) -> tuple[Any, str]:
    """The parsed JSON and the name it came from (file, or zip!member)."""
    if path.is_dir():
        found = _find_in_folder(path)
        if found is None:
            raise NotAChatExport(f"no {FILE_NAME} in this folder", where=str(path), fix=_FIX)
        return load_json(found.read_bytes(), str(found)), str(found)
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            member = _zip_member(archive.namelist())
            if member is None:
                raise NotAChatExport(f"no {FILE_NAME} in this zip", where=str(path), fix=_FIX)
            where = f"{path}!{member}"
            return load_json(archive.read(member), where), where
    return load_json(path.read_bytes(), str(path)), str(path)


def _records(value: Any, where: str, what: str) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(r, dict) for r in value):
        raise UnreadableInput(f"'{what}' should be a list of message objects", where=where, fix=_FIX)
    return value


def _conversations(data: Any, where: str) -> tuple[dict[str, list[tuple[int, dict[str, Any]]]], bool]:
    """Conversation key -> [(record index, record)], and whether the layout is the old one."""
    if not isinstance(data, dict):
        raise NotAChatExport("the file is not a Snapchat chat history (no object at the top)", where=where, fix=_FIX)
    convs: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    if OLD_RECEIVED in data or OLD_SENT in data:
        index = 0
        for key, field in ((OLD_RECEIVED, "From"), (OLD_SENT, "To")):
            for rec in _records(data.get(key, []), where, key):
                index += 1
                friend = str(rec.get(field) or "")
                convs.setdefault(friend, []).append((index, {**rec, "_sent": key == OLD_SENT}))
        return convs, True
    index = 0
    for key, value in data.items():
        for rec in _records(value, where, str(key)):
            index += 1
            convs.setdefault(str(key), []).append((index, rec))
    if convs and not any("Media Type" in rec for recs in convs.values() for _, rec in recs):
        raise NotAChatExport("the records have no 'Media Type' field", where=where, fix=_FIX)
    return convs, False


_CREATED_FORMAT = "%Y-%m-%d %H:%M:%S UTC"


def _timestamps(millis: list[int | None], created: list[str | None], indexes: list[int], where: str) -> pl.Series:
    """UTC wall clock per record: the epoch-ms field where present, else the 'Created' text."""
    frame = pl.DataFrame(
        {"ms": millis, "created": created}, schema={"ms": pl.Int64, "created": pl.String}
    ).select(
        pl.coalesce(
            pl.from_epoch(pl.col("ms"), time_unit="ms"),
            pl.col("created").str.strip_chars().str.strptime(pl.Datetime("us"), _CREATED_FORMAT, strict=False),
        ).cast(pl.Datetime("us")).alias("timestamp")
    )
    series = frame.to_series()
    if series.null_count():
        bad = series.is_null().arg_true()[0]
        raise UnreadableInput(
            f"message {indexes[bad]} has no readable time ('Created' is {created[bad]!r})",
            where=f"{where} (record {indexes[bad]})",
            fix=_FIX,
        )
    return series


def _millis(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 10**14:
        return None
    return int(value)


class SnapchatImporter(Importer):
    platform = Platform.SNAPCHAT
    description = "Snapchat My Data download: json/chat_history.json (or the whole zip)"
    format_name = "Snapchat chat_history.json"
    fix = _FIX
    features = ("calls",)

    def looks_like(self, path: Path) -> bool:
        if path.is_dir():
            found = _find_in_folder(path)
            return found is not None and _looks_like_snapchat(decode_head(read_head(found)))
        if path.suffix.lower() == ".zip":
            return _zip_member(zip_names(path)) is not None
        return path.suffix.lower() == ".json" and _looks_like_snapchat(decode_head(read_head(path)))

    def parse(self, path: Path, date_order: DateOrder | None) -> ParsedExport:
        return read_snapchat(path)


@wrap_errors("Snapchat chat_history.json", _FIX)
def read_snapchat(path: Path | str, *, conversation: str | None = None) -> ParsedExport:
    """Read one conversation (default: the one with the most messages) from a Snapchat download."""
    path = Path(path)
    data, where = _load(path)
    convs, old = _conversations(data, where)
    key = pick_conversation({k: len(v) for k, v in convs.items() if v}, conversation, platform="Snapchat",
                            where=where)
    records = convs[key]
    warnings = [SAVED_ONLY_WARNING]

    millis: list[int | None] = []
    created: list[str | None] = []
    senders: list[str] = []
    texts: list[str] = []
    kinds: list[str] = []
    lines: list[int] = []
    me: str | None = None
    title = ""
    for index, rec in records:
        media_type = str(rec.get("Media Type") or "")
        if old:
            content = html.unescape(str(rec.get("Text") or ""))
            sender = ME_OLD if rec["_sent"] else str(rec.get("From") or key)
            if rec["_sent"]:
                me = ME_OLD
        else:
            content = str(rec.get("Content") or "")
            sender = str(rec.get("From") or "")
            if rec.get("IsSender") is True and sender:
                me = sender
            title = title or str(rec.get("Conversation Title") or "")
        kind = _kind(media_type, content)
        millis.append(None if old else _millis(rec.get("Created(microseconds)")))
        created.append(rec.get("Created") if isinstance(rec.get("Created"), str) else None)
        kinds.append(kind)
        senders.append("" if kind == MessageKind.SYSTEM else sender)
        texts.append(content if kind == MessageKind.TEXT else "")
        lines.append(index)

    frame = build_frame(timestamp=_timestamps(millis, created, lines, where), sender=senders, text=texts, kind=kinds,
                        utc_offset_min=0, source_line=lines, platform=IMPORTER.platform,
                        conversation_id=f"snapchat:{key}", source_file=where)
    layout = "older received/sent layout" if old else "conversation-keyed layout"
    dialect = f"Snapchat chat_history.json, {layout}, times in UTC" + (f", group '{title}'" if title else "")
    return IMPORTER.result(frame, source_file=where, dialect=dialect, warnings=warnings, me=me)


IMPORTER = SnapchatImporter()
