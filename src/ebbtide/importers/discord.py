"""Discord, as written by DiscordChatExporter (DCE): its JSON and its CSV output.

Discord has no export of its own; DCE is the common third-party tool. What is read (see
docs/formats/discord.md):
- JSON ``{"guild", "channel", "messages": [...], "messageCount"}``. ``timestamp`` carries an offset
  (the exporter's zone), so ``timestamp`` = the wall clock written there and ``utc_offset_min`` =
  that offset. Message ``type`` Call -> call; channel/recipient notices -> system (sender "");
  ``timestampEdited`` -> edited. Replies (``reference``) and reactions are parsed by
  ``replies_and_reactions`` but not stored yet (the canonical frame has no column for them).
- CSV ``AuthorID,Author,Date,Content,Attachments,Reactions``: ``Date`` is written in the exporter's
  chosen locale and has no offset (``utc_offset_min`` null); day/month order is inferred from
  values above 12, else taken from ``date_order``, else month-first (DCE's default en-US).
- Sender: the author's display name (``nickname``), else the user name. DCE does not mark the
  exporting user; in a one-to-one DM the channel is named after the *other* person, so the
  remaining author is reported as ``me`` (only when that is unambiguous).
- conversation id: ``discord:<channel id>`` (from the JSON, or the ``[123…]`` in DCE's file name).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import polars as pl

from ebbtide.counts import counted
from ebbtide.errors import NotAChatExport, UnreadableInput
from ebbtide.importers._build import (
    build_frame,
    column_lists,
    decode_head,
    load_json,
    read_head,
    slug,
)
from ebbtide.importers.base import Importer
from ebbtide.model import DateOrder, MessageKind, ParsedExport, Platform

_FIX = (
    "Export the DM with DiscordChatExporter as JSON (preferred) or CSV, without a date filter, "
    "and point ebbtide at the .json/.csv file."
)
CSV_HEADER = ("AuthorID", "Author", "Date", "Content", "Attachments", "Reactions")
_TEXT_TYPES = {"Default", "Reply", "ThreadStarterMessage", "ChatInputCommand", "ContextMenuCommand", ""}
_SYSTEM_TYPES = {
    "RecipientAdd", "RecipientRemove", "ChannelNameChange", "ChannelIconChange", "ChannelPinnedMessage",
    "GuildMemberJoin", "ThreadCreated", "ChannelFollowAdd", "UserJoin",
}
_FILE_CHANNEL_ID = re.compile(r"\[(\d{5,})\]")
_FILE_DM_NAME = re.compile(r"^Direct Messages - (.+?) \[\d+\]")
_ISO = re.compile(r"^(\d{4}-\d\d-\d\d[T ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?)(Z|[+-]\d\d:?\d\d)?$")


def _kind(mtype: str, content: str, has_media: bool) -> str:
    if mtype == "Call":
        return MessageKind.CALL
    if mtype in _SYSTEM_TYPES:
        return MessageKind.SYSTEM
    if mtype not in _TEXT_TYPES:
        return MessageKind.OTHER
    if content.strip():
        return MessageKind.TEXT
    return MessageKind.MEDIA if has_media else MessageKind.OTHER


def _display(author: Any) -> tuple[str, str, str]:
    """(id, user name, display name) of a DCE author object (tolerates missing fields)."""
    if not isinstance(author, dict):
        return "", "", ""
    name = str(author.get("name") or "")
    nick = str(author.get("nickname") or "") or name
    return str(author.get("id") or ""), name, nick


def _infer_me(channel_names: set[str], authors: dict[str, tuple[str, str]]) -> str | None:
    """In a one-to-one DM named after the other person, the remaining author is the user."""
    if len(authors) != 2 or not channel_names:
        return None
    folded = {n.casefold() for n in channel_names}
    others = [disp for uname, disp in authors.values() if uname.casefold() not in folded and disp.casefold() not in folded]
    return others[0] if len(others) == 1 else None


def _iso_series(values: Sequence[str | None] | pl.Series) -> tuple[pl.Series, pl.Series]:
    """ISO strings with optional offset -> (local wall clock, offset minutes), vectorised."""
    raw = pl.Series("raw", values, dtype=pl.String)
    parts = raw.str.extract_groups(r"^(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d(?::\d\d)?)(\.\d+)?(Z|[+-]\d\d:?\d\d)?$")
    frame = pl.DataFrame({"p": parts}).unnest("p")
    frame.columns = ["date", "time", "frac", "zone"]
    local = (
        pl.concat_str(
            [pl.col("date"), pl.lit("T"), pl.col("time"), pl.when(pl.col("time").str.len_chars() == 5).then(pl.lit(":00")).otherwise(pl.lit("")), pl.col("frac").fill_null("")]
        )
        .str.strptime(pl.Datetime("us"), "%Y-%m-%dT%H:%M:%S%.f", strict=False)
        .alias("timestamp")
    )
    zone = pl.col("zone").str.replace(":", "")
    offset = (
        pl.when(pl.col("zone") == "Z")
        .then(0)
        .when(pl.col("zone").is_not_null())
        .then(
            (zone.str.slice(1, 2).cast(pl.Int32) * 60 + zone.str.slice(3, 2).cast(pl.Int32))
            * pl.when(zone.str.starts_with("-")).then(-1).otherwise(1)
        )
        .cast(pl.Int32)
        .alias("utc_offset_min")
    )
    out = frame.select(local, offset)
    return out["timestamp"], out["utc_offset_min"]


def replies_and_reactions(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Reply targets and reactions per message id, for a later migration that stores them."""
    out = []
    for msg in messages:
        ref = msg.get("reference")
        if not isinstance(ref, dict):
            ref = {}
        reacts = []
        for r in msg.get("reactions") or []:
            if isinstance(r, dict):
                emoji = r.get("emoji")
                if not isinstance(emoji, dict):
                    emoji = {}
                users = [_display(u)[2] for u in r.get("users") or []]
                reacts.append({"emoji": emoji.get("name", ""), "count": r.get("count"), "users": users})
        out.append({"id": msg.get("id"), "reply_to": ref.get("messageId"), "reactions": reacts})
    return out


# ---------------------------------------------------------------------------------------- JSON


class _SlowPath(Exception):
    """The native JSON reader met a shape only the exact Python reader explains well."""


def _list_len(frame: pl.DataFrame, name: str) -> pl.Expr:
    if name in frame.columns and isinstance(frame.schema[name], pl.List):
        return pl.col(name).list.len().fill_null(0)
    return pl.lit(0)


def _struct_field(frame: pl.DataFrame, name: str, field: str) -> pl.Expr:
    dtype = frame.schema.get(name)
    if isinstance(dtype, pl.Struct) and field in {f.name for f in dtype.fields}:
        return pl.col(name).struct.field(field).cast(pl.String).fill_null("")
    return pl.lit("")


# The fields we use, so Polars never infers a schema from the file: inference on hostile nesting
# (a 4 KB file with 1,000 nested brackets) takes gigabytes. Lists we only count keep one field,
# extra fields are ignored, and a field of another type sends the file to the exact reader.
_FAST_SCHEMA: dict[str, Any] = {
    "channel": pl.Struct({"id": pl.String, "type": pl.String, "name": pl.String}),
    "dateRange": pl.Struct({"after": pl.String, "before": pl.String}),
    "messageCount": pl.Int64,
    "messages": pl.List(pl.Struct({
        "type": pl.String, "timestamp": pl.String, "timestampEdited": pl.String, "content": pl.String,
        "author": pl.Struct({"id": pl.String, "name": pl.String, "nickname": pl.String}),
        "attachments": pl.List(pl.Struct({"id": pl.String})), "stickers": pl.List(pl.Struct({"id": pl.String})),
        "embeds": pl.List(pl.Struct({"title": pl.String})),
    })),
}


def _columns_fast(path: Path) -> tuple[dict[str, Any], pl.DataFrame]:
    """Polars' native JSON reader plus expressions (the hot path for big exports)."""
    try:
        top = pl.read_json(path, schema=_FAST_SCHEMA)
    except Exception as exc:  # noqa: BLE001 - any complaint: the exact reader explains it
        raise _SlowPath from exc
    if top.height != 1 or not isinstance(top.schema.get("messages"), pl.List):
        raise _SlowPath
    if not isinstance(getattr(top.schema["messages"], "inner", None), pl.Struct) or top["messages"].list.len()[0] == 0:
        raise _SlowPath
    msgs = top.select(pl.col("messages").explode()).unnest("messages")
    for field in ("timestamp", "content", "type"):
        if msgs.schema.get(field) not in (pl.String, pl.Null):
            raise _SlowPath
    content = pl.col("content").fill_null("") if "content" in msgs.columns else pl.lit("")
    mtype = pl.col("type").fill_null("") if "type" in msgs.columns else pl.lit("")
    has_media = (_list_len(msgs, "attachments") + _list_len(msgs, "stickers") + _list_len(msgs, "embeds")) > 0
    kind = (
        pl.when(mtype == "Call")
        .then(pl.lit(MessageKind.CALL.value))
        .when(mtype.is_in(sorted(_SYSTEM_TYPES)))
        .then(pl.lit(MessageKind.SYSTEM.value))
        .when(~mtype.is_in(sorted(_TEXT_TYPES)))
        .then(pl.lit(MessageKind.OTHER.value))
        .when(content.str.strip_chars() != "")
        .then(pl.lit(MessageKind.TEXT.value))
        .when(has_media)
        .then(pl.lit(MessageKind.MEDIA.value))
        .otherwise(pl.lit(MessageKind.OTHER.value))
    )
    name = _struct_field(msgs, "author", "name")
    nick = _struct_field(msgs, "author", "nickname")
    edited_at = pl.col("timestampEdited") if "timestampEdited" in msgs.columns else pl.lit(None)
    try:
        cols = msgs.select(
            pl.col("timestamp").cast(pl.String).alias("stamp"),
            kind.alias("kind"),
            content.alias("content"),
            _struct_field(msgs, "author", "id").alias("author_id"),
            name.alias("user_name"),
            pl.when(nick != "").then(nick).otherwise(name).alias("display"),
            (edited_at.is_not_null() & (edited_at.cast(pl.String) != "")).alias("was_edited"),
        ).with_columns(
            pl.when(pl.col("kind") == MessageKind.SYSTEM.value).then(pl.lit("")).otherwise(pl.col("display")).alias("sender"),
            pl.when(pl.col("kind").is_in([MessageKind.TEXT.value, MessageKind.SYSTEM.value]))
            .then(pl.col("content"))
            .otherwise(pl.lit(""))
            .alias("text"),
            (pl.col("was_edited") & (pl.col("kind") == MessageKind.TEXT.value)).alias("edited"),
        )
    except pl.exceptions.PolarsError as exc:
        raise _SlowPath from exc
    meta = {key: top[key][0] if key in top.columns else None for key in ("channel", "dateRange", "messageCount")}
    return meta, cols


def _columns_exact(path: Path) -> tuple[dict[str, Any], pl.DataFrame]:
    """json.load and a loop: slower, but every odd record gets an exact error."""
    where = str(path)
    data = load_json(path.read_bytes(), where)
    if not isinstance(data, dict) or not isinstance(data.get("messages"), list):
        raise NotAChatExport("this JSON has no DiscordChatExporter 'messages' list", where=where, fix=_FIX)
    messages: list[Any] = data["messages"]
    stamps, senders, texts, kinds, edited, ids, names, displays = column_lists(8)
    for i, msg in enumerate(messages, start=1):
        if not isinstance(msg, dict):
            raise UnreadableInput(f"message {i} is not an object", where=f"{where} (message {i})", fix=_FIX)
        aid, uname, disp = _display(msg.get("author"))
        content = msg.get("content")
        content = content if isinstance(content, str) else ""
        has_media = bool(msg.get("attachments") or msg.get("stickers") or msg.get("embeds"))
        kind = _kind(str(msg.get("type") or ""), content, has_media)
        ts = msg.get("timestamp")
        stamps.append(ts if isinstance(ts, str) else None)
        kinds.append(kind)
        senders.append("" if kind == MessageKind.SYSTEM else disp)
        texts.append(content if kind in (MessageKind.TEXT, MessageKind.SYSTEM) else "")
        edited.append(kind == MessageKind.TEXT and bool(msg.get("timestampEdited")))
        ids.append(aid)
        names.append(uname)
        displays.append(disp)
    cols = pl.DataFrame(
        {
            "stamp": stamps, "kind": [str(k) for k in kinds], "author_id": ids, "user_name": names,
            "display": displays, "sender": senders, "text": texts, "edited": edited,
        },
        schema={
            "stamp": pl.String, "kind": pl.String, "author_id": pl.String, "user_name": pl.String,
            "display": pl.String, "sender": pl.String, "text": pl.String, "edited": pl.Boolean,
        },
    )
    meta = {key: data.get(key) for key in ("channel", "dateRange", "messageCount")}
    return meta, cols


def _read_json(path: Path) -> ParsedExport:
    where = str(path)
    try:
        meta, cols = _columns_fast(path)
    except _SlowPath:
        meta, cols = _columns_exact(path)
    channel = meta["channel"] if isinstance(meta["channel"], dict) else {}
    warnings: list[str] = []
    stamps = cols["stamp"]
    speakers = cols.filter((pl.col("kind") != MessageKind.SYSTEM.value) & (pl.col("display") != "")).unique(
        ["author_id", "user_name"], maintain_order=True
    )
    authors: dict[str, tuple[str, str]] = {}
    for aid, uname, disp in speakers.select("author_id", "user_name", "display").iter_rows():
        authors.setdefault(aid or uname, (uname, disp))
    senders, texts, kinds, edited = cols["sender"], cols["text"], cols["kind"], cols["edited"]
    messages = range(cols.height)

    local, offset = _iso_series(stamps)
    if local.null_count():
        bad = int(local.is_null().arg_true()[0])
        raise UnreadableInput(
            f"message {bad + 1} has no readable timestamp ({stamps[bad]!r})",
            where=f"{where} (message {bad + 1})",
            fix=_FIX,
        )
    date_range = meta["dateRange"] if isinstance(meta["dateRange"], dict) else {}
    if date_range.get("after") or date_range.get("before"):
        warnings.append(
            f"the export was limited to a date range (after {date_range.get('after')}, before "
            f"{date_range.get('before')}): messages outside it are missing, not absent."
        )
    count = meta["messageCount"]
    if isinstance(count, int) and count != len(messages):
        warnings.append(f"the file says it holds {counted(count, 'message')} but {len(messages):,} were found.")
    ctype = str(channel.get("type") or "")
    me = None
    if ctype == "DirectTextChat":
        me = _infer_me({str(channel.get("name") or "")} - {""}, authors)
    cid = str(channel.get("id") or "") or _file_channel_id(path) or slug(a[0] for a in authors.values())
    frame = build_frame(timestamp=local, utc_offset_min=offset, sender=senders, text=texts, kind=kinds, edited=edited,
                        source_line=list(range(1, len(messages) + 1)), platform=IMPORTER.platform,
                        conversation_id=f"discord:{cid}", source_file=where)
    dialect = f"DiscordChatExporter JSON, {ctype or 'unknown channel type'}, times with UTC offset"
    return IMPORTER.result(frame, source_file=where, dialect=dialect, warnings=warnings, me=me)


def _file_channel_id(path: Path) -> str | None:
    found = _FILE_CHANNEL_ID.findall(path.name)
    return found[-1] if found else None




# ------------------------------------------------------------------------------------ importer


def _csv_head_ok(head: str) -> bool:
    first = head.splitlines()[0] if head else ""
    cells = [c.strip().strip('"') for c in first.split(",")]
    return tuple(cells[:4]) == CSV_HEADER[:4]


class DiscordImporter(Importer):
    platform = Platform.DISCORD
    description = "Discord via DiscordChatExporter: JSON (preferred) or CSV"
    format_name = "DiscordChatExporter"
    fix = _FIX
    features = ("reactions", "replies", "calls", "edits")

    def looks_like(self, path: Path) -> bool:
        if not path.is_file():
            return False
        suffix = path.suffix.lower()
        head = decode_head(read_head(path))
        if suffix == ".json":
            return all(f'"{key}"' in head for key in ("guild", "channel")) and (
                '"messages"' in head or "DirectTextChat" in head or '"dateRange"' in head
            )
        return suffix == ".csv" and _csv_head_ok(head)

    def parse(self, path: Path, date_order: DateOrder | None) -> ParsedExport:
        if path.is_dir():
            raise UnreadableInput("this is a folder; DCE writes one file per channel", where=str(path), fix=_FIX)
        if path.suffix.lower() == ".csv" or _csv_head_ok(decode_head(read_head(path))):
            from ebbtide.importers.discord_csv import read_csv  # only for a CSV export

            return read_csv(path, date_order)
        return _read_json(path)


IMPORTER = DiscordImporter()
