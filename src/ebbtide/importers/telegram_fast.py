"""Telegram's fast path: a single-chat result.json read by Polars' JSON reader with an explicit schema.

A single-chat result.json whose every message has ``text_entities`` (all exports since ~2021) is read
by Polars' JSON reader with an explicit schema: ``text`` (mixed str/list) is left out of the schema and
so never materialised. Anything unexpected (older export, odd types, full export) makes this return
None and the plain-Python path (``telegram_messages``) reads the file and explains any problem."""

from __future__ import annotations

import io
import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import polars as pl

from ebbtide.importers.telegram_messages import _DELETED_ACCOUNT, _MEDIA_KEYS, _SNIFF_BYTES, _service_row
from ebbtide.model import MessageKind

_ENTITIES = pl.List(pl.Struct({"text": pl.String}))
_FAST_SCHEMA: dict[str, Any] = {
    "name": pl.String, "type": pl.String, "id": pl.Int64,
    "messages": pl.List(pl.Struct({
        "type": pl.String, "date": pl.String, "date_unixtime": pl.String,
        "from": pl.String, "from_id": pl.String, "text_entities": _ENTITIES, "edited": pl.String,
        "photo": pl.String, "file": pl.String, "media_type": pl.String, "sticker_emoji": pl.String,
        "location_information": pl.Struct({"latitude": pl.Float64}),
        "contact_information": pl.Struct({"first_name": pl.String}),
        "poll": pl.Struct({"question": pl.String}),
        "game_information": pl.Struct({"title": pl.String}),
        "invoice_information": pl.Struct({"title": pl.String}),
        "place_name": pl.String,
        "reactions": pl.List(pl.Struct({"count": pl.Int64})),
        "action": pl.String, "actor": pl.String, "actor_id": pl.String,
        "duration_seconds": pl.Float64, "discard_reason": pl.String,
    })),
}
_FAST_OTHER = ("location_information", "contact_information", "poll", "game_information",
               "invoice_information", "place_name")
_SPLIT_MIN_BYTES = 8 << 20
# Between two messages of the "messages" array as Telegram Desktop pretty-prints it (two spaces deep).
# JSON strings cannot hold a raw newline, and deeper objects are indented further, so these bytes
# only ever sit between two top-level messages.
_MESSAGE_GAP = b"},\n  {"


def _split_messages(data: bytes, parts: int = 2) -> tuple[dict[str, Any], pl.DataFrame] | None:
    """Read a big single-chat export's message array as ``parts`` JSON arrays in parallel threads.

    Why: Polars reads one JSON document on one core (about 60 MB/s here); the halves of the array
    are read at the same time. The chat's own fields come from the document with the array emptied.
    None (the caller reads the whole document) for small files, other layouts, or anything unusual:
    a cut in the wrong place cannot go unnoticed, as neither half would then be valid JSON.
    """
    if len(data) < _SPLIT_MIN_BYTES:
        return None
    key = b'"messages": ['
    start = data.find(key)
    end = data.rfind(b"]")
    if start < 0 or end < start:
        return None
    start += len(key) - 1  # at the '['
    try:
        meta = json.loads(data[:start] + b"[]" + data[end + 1 :])
    except ValueError:
        return None
    if not isinstance(meta, dict) or meta.get("messages") != [] or set(meta) - {"name", "type", "id", "messages"}:
        return None
    cuts = [start]
    for k in range(1, parts):
        gap = data.find(_MESSAGE_GAP, start + (end - start) * k // parts, end)
        if gap < 0:
            return None
        cuts.append(gap + 1)  # after the '}'
    pieces = [b"[" + data[a + 1 : b].lstrip(b", \n") + b"]" for a, b in zip(cuts, [*cuts[1:], end], strict=True)]
    schema = dict(_FAST_SCHEMA["messages"].inner)  # type: ignore[attr-defined]
    try:
        with ThreadPoolExecutor(len(pieces)) as pool:
            frames = list(pool.map(lambda b: pl.read_json(io.BytesIO(b), schema=schema), pieces))
    except pl.exceptions.PolarsError:  # e.g. another key after the array: not a layout we can cut
        return None
    chat = {"name": meta.get("name"), "type": meta.get("type"), "id": meta.get("id")}
    return chat, pl.concat(frames)


def _fast_collect(data: bytes) -> tuple[dict[str, Any], dict[str, pl.Series], tuple[bool, bool]] | None:
    """Column lists for a modern single-chat export via Polars, or None to use the Python path."""
    head = data[:_SNIFF_BYTES]
    if b'"personal_information"' in head or b'"text_entities"' not in head:
        return None
    try:
        split = _split_messages(data)
        if split is not None:
            chat, msgs = split
        else:
            top = pl.read_json(io.BytesIO(data), schema=_FAST_SCHEMA)
            if top.height != 1 or top.get_column("messages").null_count():
                return None
            chat = {"name": top.item(0, "name"), "type": top.item(0, "type"), "id": top.item(0, "id")}
            msgs = top.select(pl.col("messages").explode()).unnest("messages")
        msgs = msgs.filter(pl.any_horizontal(pl.all().is_not_null()))  # an empty list explodes to a null row
        if msgs.get_column("text_entities").null_count() or msgs.get_column("date").null_count():
            return None
        kind_text, kind_media, kind_other = MessageKind.TEXT.value, MessageKind.MEDIA.value, MessageKind.OTHER.value
        text = pl.col("text_entities").list.eval(pl.element().struct.field("text").fill_null("")).list.join("")
        has_media = pl.any_horizontal([pl.col(k).is_not_null() for k in _MEDIA_KEYS])
        has_other = pl.any_horizontal([pl.col(k).is_not_null() for k in _FAST_OTHER])
        poll_q = pl.col("poll").struct.field("question").fill_null("")
        # a missing or empty "type" is a message, as on the slow path (`msg.get("type") or "message"`)
        mtype = pl.when(pl.col("type").fill_null("") == "").then(pl.lit("message")).otherwise(pl.col("type"))
        cols = msgs.with_row_index("line", offset=1).select(
            pl.col("line").cast(pl.Int64),
            mtype.alias("type"),
            pl.col("date"),
            pl.col("date_unixtime").alias("unix"),
            pl.col("from").fill_null(_DELETED_ACCOUNT).alias("sender"),
            pl.col("from_id"),
            pl.when(pl.col("poll").is_not_null() & (text == "") & ~has_media).then(poll_q)
            .otherwise(text).alias("text"),
            pl.when(mtype != "message").then(pl.lit(kind_other))
            .when(has_media).then(pl.when(text != "").then(pl.lit(kind_text)).otherwise(pl.lit(kind_media)))
            .when(has_other).then(pl.lit(kind_other))
            .otherwise(pl.lit(kind_text)).alias("kind"),
            (pl.col("edited").is_not_null() & (pl.col("reactions").list.len().fill_null(0) == 0)).alias("edited"),
            pl.col("reactions").is_not_null().alias("has_reactions"),
        )
        service = msgs.with_row_index("i").filter(pl.col("type") == "service")
        fixes = []
        for row in service.iter_rows(named=True):
            row["text_entities"] = [e for e in row["text_entities"] if e]
            sender, txt, kind = _service_row(row)
            fixes.append((row["i"], sender, txt, kind, row["actor_id"]))
        out = {name: cols.get_column(name) for name in
               ("date", "unix", "sender", "from_id", "text", "kind", "edited", "line")}
        if fixes:
            idx = pl.Series([f[0] for f in fixes], dtype=pl.UInt32)
            for pos, name in ((1, "sender"), (2, "text"), (3, "kind"), (4, "from_id")):
                out[name] = out[name].scatter(idx, pl.Series([f[pos] for f in fixes], dtype=pl.String))
        has_reactions = bool(cols.get_column("has_reactions").any())
        reaction_edits = bool((cols.get_column("has_reactions") & msgs.get_column("edited").is_not_null()).any())
        return chat, out, (has_reactions, reaction_edits)
    except Exception:  # polars raises several error types on unexpected shapes; the slow path explains
        return None
