"""Telegram Desktop JSON export (``result.json``): one chat, or the full account export.

Why it looks like this: Telegram's JSON mixes types (``text`` is a string or a list of strings
and entity objects, ``from`` may be null, service rows carry ``actor``/``action`` instead of
``from``), so one pass in Python collects plain columns and Polars builds the frame in one go.

Time: ``date`` is the exporter's local wall clock (no offset) and ``date_unixtime`` the true UTC
instant, so ``timestamp`` = ``date`` and ``utc_offset_min`` = (``date`` − UTC) in minutes.

Which chat (full export, ``chats.list``): the one named in ``EBBTIDE_CHAT`` (its name or numeric
id), else the only personal chat that holds messages; with several, we stop and list them.

Decisions (documented in docs/formats/telegram.md):
- service rows are ``system`` with sender "", except ``phone_call``/``group_call`` -> ``call``
  with the caller as sender;
- a photo/file/voice/sticker is ``media``; with a caption it is ``text`` (the caption is typed words);
  location, contact, poll, game, invoice are ``other``;
- ``edited`` is set by Telegram's server when somebody first *reacts* to a message, so a message
  with reactions is not marked edited (we cannot tell the two apart there);
- replies and reactions are parsed by :func:`message_extras` but not stored yet (no column for them).
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from ebbtide.errors import NotAChatExport, UnreadableInput
from ebbtide.importers._build import capabilities, column_lists, first_bad, plain_json_problem, plain_reason
from ebbtide.importers._columns import CHAT_ENV, build_frame, chosen_chat, first_seen
from ebbtide.importers.base import Importer
from ebbtide.importers.limits import check_json_depth
from ebbtide.model import DateOrder, MessageKind, ParsedExport, Platform

_fastjson: Any
try:  # orjson is ~2x faster on a big result.json; plain json is the always-available fallback
    import orjson as _fastjson
except ImportError:  # pragma: no cover - depends on the environment
    _fastjson = None

_SNIFF_BYTES = 16_384
_CHAT_TYPE_RE = re.compile(
    rb'"type"\s*:\s*"(personal_chat|private_group|private_supergroup|public_supergroup|'
    rb'public_channel|private_channel|bot_chat|saved_messages)"'
)
_MEDIA_KEYS = ("photo", "file", "media_type", "sticker_emoji")
_OTHER_KEYS = (
    "location_information", "contact_information", "poll", "game_information",
    "invoice_information", "place_name", "todo_list", "giveaway_information",
)
_CALL_ACTIONS = frozenset({"phone_call", "group_call", "invite_to_group_call"})
_DELETED_ACCOUNT = "Deleted Account"  # what Telegram itself shows for ``from: null``


@dataclass(frozen=True, slots=True)
class _Source:
    data: bytes
    name: str  # shown in errors and stored as source_file


def _result_member(names: list[str]) -> str | None:
    """The result.json inside a zip (shallowest one), ignoring macOS resource forks."""
    found = [n for n in names if n.rsplit("/", 1)[-1] == "result.json" and not n.startswith("__MACOSX")]
    return min(found, key=lambda n: n.count("/")) if found else None


def _head(path: Path) -> bytes:
    """The first few KB of the JSON this path stands for (file, export folder or zip); b"" if none."""
    try:
        if path.is_dir():
            target = path / "result.json"
            return target.open("rb").read(_SNIFF_BYTES) if target.is_file() else b""
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as zf:
                member = _result_member(zf.namelist())
                if member is None:
                    return b""
                with zf.open(member) as fh:
                    return fh.read(_SNIFF_BYTES)
        with path.open("rb") as fh:
            return fh.read(_SNIFF_BYTES)
    except (OSError, zipfile.BadZipFile, RuntimeError, ValueError):
        return b""


def _looks_like_telegram(head: bytes) -> bool:
    head = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head.startswith(b"{"):
        return False
    if b'"sender_name"' in head or b'"senderName"' in head or b'"guild"' in head:
        return False
    if b'"personal_information"' in head and b'"user_id"' in head:
        return True
    if b'"messages"' not in head:
        return False
    return bool(
        _CHAT_TYPE_RE.search(head) or b'"date_unixtime"' in head or re.search(rb'"from_id"\s*:\s*"user', head)
    )


def _is_telegram_html(path: Path) -> bool:
    """Telegram Desktop's HTML export (messages.html, or its folder): recognised only to say "use JSON"."""
    target = path / "messages.html" if path.is_dir() else path
    if not target.is_file() or not target.name.startswith("messages") or target.suffix != ".html":
        return False
    with target.open("rb") as fh:
        head = fh.read(_SNIFF_BYTES)
    return b'class="page_wrap"' in head or b'class="message default' in head or b'class="message service' in head


def _load(path: Path) -> _Source:
    try:
        if path.is_dir():
            target = path / "result.json"
            if not target.is_file():
                raise NotAChatExport(
                    "this folder has no result.json",
                    where=str(path),
                    fix="Point at the folder Telegram Desktop wrote (it holds result.json), or at result.json itself.",
                )
            return _Source(target.read_bytes(), str(target))
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as zf:
                member = _result_member(zf.namelist())
                if member is None:
                    raise NotAChatExport(
                        "this zip has no result.json",
                        where=str(path),
                        fix="Export from Telegram Desktop in 'Machine-readable JSON' format.",
                    )
                return _Source(zf.read(member), f"{path}:{member}")
        return _Source(path.read_bytes(), str(path))
    except (OSError, zipfile.BadZipFile, RuntimeError, EOFError, zipfile.LargeZipFile) as exc:
        raise UnreadableInput(plain_reason(exc), where=str(path),
                              fix="Check the file is complete and readable.") from exc


def _parse_json(src: _Source) -> Any:
    check_json_depth(src.data, src.name)  # the native reader has its own limit; Python's parser recurses
    try:
        if _fastjson is not None:
            return _fastjson.loads(src.data)
        return json.loads(src.data)
    except ValueError as exc:  # JSONDecodeError (both libraries) and bad UTF-8
        pos = getattr(exc, "lineno", None)
        where = f"{src.name}, line {pos}" if pos else src.name
        raise UnreadableInput(
            "this is not UTF-8 text, so not a Telegram JSON export" if isinstance(exc, UnicodeDecodeError)
            or "utf-8" in str(exc).lower() or "utf8" in str(exc).lower()
            else f"this is not valid JSON ({plain_json_problem(exc)})",
            where=where,
            fix="The file may be cut short; export the chat again from Telegram Desktop (format: JSON).",
        ) from exc


def _describe_chat(chat: dict[str, Any]) -> str:
    msgs = chat.get("messages")
    count = len(msgs) if isinstance(msgs, list) else 0
    return f"{chat.get('name') or '(no name)'} (id {chat.get('id')}, {count} messages)"


def _choose_chat(root: dict[str, Any], where: str) -> dict[str, Any]:
    """Pick the conversation from a full export by the documented rule (see module docstring)."""
    chats = root.get("chats")
    listed = chats.get("list") if isinstance(chats, dict) else None
    if not isinstance(listed, list):
        raise NotAChatExport(
            "this Telegram export has no chat list",
            where=where,
            fix="In Telegram Desktop: Settings > Advanced > Export Telegram data, tick 'Personal chats', format JSON.",
        )
    chats_ok = [c for c in listed if isinstance(c, dict)]
    wanted = chosen_chat()
    if wanted:
        hits = [c for c in chats_ok if str(c.get("id")) == wanted
                or str(c.get("name") or "").casefold() == wanted.casefold()]
        if len(hits) == 1:
            return hits[0]
        names = "\n  ".join(_describe_chat(c) for c in chats_ok if c.get("type") == "personal_chat")
        raise NotAChatExport(
            f"{CHAT_ENV}={wanted!r} matches {len(hits)} chats in this export",
            where=where,
            fix=f"Set {CHAT_ENV} to one chat's exact name or id. Personal chats here:\n  {names}",
        )
    personal = [c for c in chats_ok if c.get("type") == "personal_chat"
                and isinstance(c.get("messages"), list) and c["messages"]]
    if len(personal) == 1:
        return personal[0]
    if not personal:
        raise NotAChatExport(
            "this Telegram export holds no personal chat with messages",
            where=where,
            fix="Export again with 'Personal chats' ticked, or export the one chat (chat menu > Export chat history).",
        )
    personal.sort(key=lambda c: -len(c["messages"]))
    listing = "\n  ".join(_describe_chat(c) for c in personal[:30])
    more = f"\n  … and {len(personal) - 30} more" if len(personal) > 30 else ""
    raise NotAChatExport(
        f"this Telegram export holds {len(personal)} personal chats; ebbtide reads one conversation at a time",
        where=where,
        fix=f"Set {CHAT_ENV} to the chat's name or id (e.g. {CHAT_ENV}=\"{personal[0].get('name')}\"), "
        f"or export just that chat from Telegram Desktop. Chats, most messages first:\n  {listing}{more}",
    )


def _piece(entity: Any) -> str:
    """One entity's text; an entity without text adds nothing (as in the fast path)."""
    if isinstance(entity, dict):
        value = entity.get("text")
        return "" if value is None else str(value)
    return "" if entity is None else str(entity)


def _text_of(msg: dict[str, Any]) -> str:
    """The message body: ``text_entities`` when present (always a list), else ``text`` (str or list)."""
    ents = msg.get("text_entities")
    if isinstance(ents, list):  # authoritative when present (the fast path reads only this)
        return "".join(_piece(e) for e in ents)
    raw = msg.get("text", "")
    if isinstance(raw, str):
        return raw
    if isinstance(raw, list):
        return "".join(p if isinstance(p, str) else str(p["text"]) for p in raw)
    if raw is None:
        return ""
    raise TypeError(f"'text' is a {type(raw).__name__}")


def _service_row(msg: dict[str, Any]) -> tuple[str, str, str]:
    """(sender, text, kind) for a service row."""
    action = str(msg.get("action") or "")
    actor = msg.get("actor")
    actor = str(actor) if actor is not None else ""
    if action in _CALL_ACTIONS:
        reason = msg.get("discard_reason")
        secs = msg.get("duration_seconds")
        if reason in ("missed", "busy"):
            words = f"{reason} call"
        elif isinstance(secs, int | float) and not isinstance(secs, bool):
            words = f"call ({int(secs)} s)"
        else:
            words = "call"
        return actor or _DELETED_ACCOUNT, words, MessageKind.CALL.value
    body = _text_of(msg)
    words = action.replace("_", " ") or "service message"
    text = f"{actor}: {words}" if actor else words
    if body:
        text = f"{text}: {body}"
    return "", text, MessageKind.SYSTEM.value


def message_extras(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Replies and reactions per message, for a later store migration (not used by ``read`` yet).

    Returns ``[{"id", "reply_to", "reactions": [(emoji, count, (names…))]}]`` for messages that
    have either. Kept separate so the hot path does not pay for data nobody stores yet.
    """
    out: list[dict[str, Any]] = []
    for msg in messages:
        if not isinstance(msg, dict):
            continue
        reply = msg.get("reply_to_message_id")
        reactions = []
        for r in msg.get("reactions") or ():
            if not isinstance(r, dict):
                continue
            emoji = r.get("emoji") or (f"custom:{r.get('document_id')}" if r.get("document_id") else "")
            names = tuple(str(x.get("from")) for x in r.get("recent") or () if isinstance(x, dict))
            count = r.get("count") if isinstance(r.get("count"), int) else len(names)
            reactions.append((str(emoji), count, names))
        if reply is not None or reactions:
            out.append({"id": msg.get("id"), "reply_to": reply, "reactions": reactions})
    return out


def _collect(messages: list[Any], where: str) -> dict[str, pl.Series]:
    """One pass over the messages: plain column lists (the only per-message Python loop)."""
    dates, unix, senders, from_ids, texts, kinds, edited, lines = column_lists(8)
    k_text, k_media, k_other = MessageKind.TEXT.value, MessageKind.MEDIA.value, MessageKind.OTHER.value
    index = 0
    try:
        for index, msg in enumerate(messages, start=1):
            mtype = msg.get("type") or "message"
            if mtype == "service":
                sender, text, kind = _service_row(msg)
                from_id = msg.get("actor_id")
            else:
                frm = msg.get("from")
                sender = str(frm) if frm is not None else _DELETED_ACCOUNT
                from_id = msg.get("from_id")
                text = _text_of(msg)
                if mtype != "message":
                    kind = k_other  # "unsupported" and anything newer
                elif any(msg.get(k) is not None for k in _MEDIA_KEYS):
                    kind = k_text if text else k_media
                elif any(msg.get(k) is not None for k in _OTHER_KEYS):
                    kind = k_other
                    poll = msg.get("poll")
                    if not text and isinstance(poll, dict):
                        text = str(poll.get("question") or "")
                else:
                    kind = k_text
            date, utc = msg["date"], msg.get("date_unixtime")
            dates.append(date if isinstance(date, str) else None)  # None: reported by _times
            unix.append(utc if isinstance(utc, str) else str(utc) if isinstance(utc, int) else None)
            senders.append(sender)
            from_ids.append(from_id)
            texts.append(text)
            kinds.append(kind)
            edited.append(msg.get("edited") is not None and not msg.get("reactions"))
            lines.append(index)
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        # Our own words, never Python's ("'str' object has no attribute 'get'").
        detail = (f"the field {exc.args[0]!r} is missing" if isinstance(exc, KeyError)
                  else "it is not an object" if not isinstance(messages[index - 1] if 0 < index <= len(messages)
                                                               else None, dict)
                  else "a field has an unexpected type or value")
        raise UnreadableInput(
            f"message {index} is not in the shape Telegram writes ({detail})",
            where=f"{where}, message {index}",
            fix="The file may have been edited or cut; export the chat again from Telegram Desktop (format: JSON).",
        ) from exc
    return {
        "date": pl.Series(dates, dtype=pl.String, strict=False),
        "unix": pl.Series(unix, dtype=pl.String, strict=False),
        "sender": pl.Series(senders, dtype=pl.String),
        "from_id": pl.Series([f if isinstance(f, str) else None for f in from_ids], dtype=pl.String),
        "text": pl.Series(texts, dtype=pl.String),
        "kind": pl.Series(kinds, dtype=pl.String),
        "edited": pl.Series(edited, dtype=pl.Boolean),
        "line": pl.Series(lines, dtype=pl.Int64),
    }


def _times(cols: dict[str, pl.Series], where: str) -> tuple[pl.Series, pl.Series, bool]:
    """Local timestamps and UTC offsets (minutes); the bool says whether any UTC time was present."""
    raw = cols["date"]
    local = raw.str.strptime(pl.Datetime("us"), "%Y-%m-%dT%H:%M:%S", strict=False)
    if (i := first_bad(local.is_null())) is not None:
        raise UnreadableInput(f"message {i + 1} has no readable date ({cols['date'][i]!r})",
                              where=f"{where}, message {i + 1}", fix="Telegram writes dates like 2024-01-31T21:05:00; "
                              "export the chat again from Telegram Desktop.")
    utc = cols["unix"].cast(pl.Int64, strict=False)
    has_utc = utc.null_count() < len(utc)
    offset = ((local.dt.epoch("s") - utc) / 60).round(0)
    offset = pl.select(
        pl.when(offset.abs() <= 18 * 60).then(offset).otherwise(None).cast(pl.Int32)
    ).to_series()
    return local, offset, has_utc


def _deleted_accounts(cols: dict[str, pl.Series], chat: dict[str, Any]) -> pl.Series:
    """Senders, with a deleted account's messages put under the person it was.

    Telegram writes ``"from": null`` for an account deleted since, but keeps its ``from_id``. The
    same id under a name elsewhere in the chat is that person; in a one-to-one chat the chat's own
    id is the other person. Without this, a partner who deleted their account becomes a third
    "participant", and a one-to-one chat looks like a group.
    """
    sender, fid = cols["sender"], cols["from_id"]
    deleted = sender == _DELETED_ACCOUNT
    if not deleted.any():
        return sender
    known = (pl.DataFrame({"s": sender, "f": fid}).filter(~deleted & fid.is_not_null())
             .unique("f", keep="first", maintain_order=True))
    names = dict(zip(known.get_column("f").to_list(), known.get_column("s").to_list(), strict=True))
    if chat.get("type") == "personal_chat" and chat.get("id") is not None and chat.get("name"):
        names.setdefault(f"user{chat['id']}", str(chat["name"]))
    if not names:
        return sender
    mapped = fid.replace_strict(names, default=None, return_dtype=pl.String)
    return pl.select(pl.when(deleted & mapped.is_not_null()).then(mapped).otherwise(sender)).to_series().rename(
        "sender")


def _find_me(chat: dict[str, Any], root: dict[str, Any], cols: dict[str, pl.Series]) -> str | None:
    """The exporting user's sender name: personal_information (full export) or the chat id (1:1)."""
    ids = pl.DataFrame({"fid": cols["from_id"], "name": cols["sender"]}).filter(
        pl.col("fid").is_not_null() & (pl.col("name") != "") & (pl.col("name") != _DELETED_ACCOUNT)
    ).unique(subset="fid", keep="first", maintain_order=True)
    pairs = dict(zip(ids.get_column("fid").to_list(), ids.get_column("name").to_list(), strict=True))
    info = root.get("personal_information")
    if isinstance(info, dict) and info.get("user_id") is not None:
        mine = f"user{info['user_id']}"
        if mine in pairs:
            return pairs[mine]
        full = " ".join(str(info.get(k) or "") for k in ("first_name", "last_name")).strip()
        return full or None
    if chat.get("type") == "personal_chat" and chat.get("id") is not None:
        other = f"user{chat['id']}"
        mine_ids = {fid for fid in pairs if fid.startswith("user") and fid != other}
        if len(mine_ids) == 1 and other in pairs:
            return pairs[mine_ids.pop()]
    return None


# --- fast path -------------------------------------------------------------------------------------
# A single-chat result.json whose every message has ``text_entities`` (all exports since ~2021) is
# read by Polars' JSON reader with an explicit schema: ``text`` (mixed str/list) is left out of the
# schema and so never materialised. Anything unexpected (older export, odd types, full export) makes
# this return None and the plain-Python path above reads the file and explains any problem.
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


class TelegramImporter(Importer):
    platform = Platform.TELEGRAM
    description = "Telegram Desktop export, JSON (result.json, its folder or a zip of it)"

    def looks_like(self, path: Path) -> bool:
        return _looks_like_telegram(_head(path)) or _is_telegram_html(path)

    def parse(self, path: Path, date_order: DateOrder | None) -> ParsedExport:
        if _is_telegram_html(path):
            raise NotAChatExport(
                "this is Telegram's HTML export, which ebbtide does not read",
                where=str(path),
                fix="Export the chat again in Telegram Desktop with format 'Machine-readable JSON' "
                "(chat menu > Export chat history > Format) and point ebbtide at result.json.",
            )
        return self._read(path, fast=True)

    def _read(self, path: Path, *, fast: bool) -> ParsedExport:
        """Read ``path``; ``fast=False`` forces the plain-Python path (tests compare the two)."""
        src = _load(path)
        quick = _fast_collect(src.data) if fast else None
        if quick is not None:
            chat, cols, flags = quick
            root = chat
            has_reactions, reaction_edits = flags
        else:
            root = _parse_json(src)
            if not isinstance(root, dict):
                raise NotAChatExport("this JSON is not a Telegram export (no top-level object)", where=src.name,
                                     fix="Point at result.json written by Telegram Desktop's export.")
            if "messages" in root:
                chat = root
            elif "chats" in root or "personal_information" in root:
                chat = _choose_chat(root, src.name)
            else:
                raise NotAChatExport("this JSON has no 'messages' list", where=src.name,
                                     fix="Point at result.json written by Telegram Desktop's export (format: JSON).")
            messages = chat.get("messages")
            if not isinstance(messages, list):
                raise UnreadableInput("'messages' is not a list", where=src.name,
                                      fix="Export the chat again from Telegram Desktop (format: JSON).")
            cols = _collect(messages, src.name)
            has_reactions = any(isinstance(m, dict) and m.get("reactions") is not None for m in messages)
            reaction_edits = any(isinstance(m, dict) and m.get("edited") is not None and m.get("reactions")
                                 for m in messages)
        cols["sender"] = _deleted_accounts(cols, chat)
        local, offset, has_utc = _times(cols, src.name)
        conv = f"telegram:{chat.get('id')}" if chat.get("id") is not None else f"telegram:{chat.get('name')}"
        frame = build_frame(
            timestamp=local, utc_offset_min=offset, sender=cols["sender"], text=cols["text"],
            kind=cols["kind"], edited=cols["edited"], source_line=cols["line"],
            platform=self.platform, conversation_id=conv, source_file=src.name,
        )
        warnings: list[str] = []
        if len(cols["date"]) and not has_utc:
            warnings.append("This is an older Telegram export without 'date_unixtime': times are the "
                            "exporter's local clock and the UTC offset is unknown.")
        if reaction_edits:
            warnings.append("Telegram marks a message 'edited' when someone reacts to it; messages with "
                            "reactions are not counted as edited.")
        chat_type = str(chat.get("type") or "chat").replace("_", " ")
        people = cols["sender"].filter(cols["kind"] != MessageKind.SYSTEM.value).unique(maintain_order=True)
        dialect = f"Telegram Desktop JSON, {chat_type}" + (" (from a full export)" if chat is not root else "")
        return self.result(frame, source_file=src.name, dialect=dialect, warnings=warnings,
                           participants=first_seen(people.to_list()), me=_find_me(chat, root, cols),
                           capabilities=capabilities(reactions=has_reactions, replies=True, calls=True, edits=True))


IMPORTER = TelegramImporter()
