"""Telegram messages to column rows: text entities, service actions, media, deleted accounts, dates.

The one per-message Python loop of the Telegram importer (used when the fast path below cannot read a
file) and the column fix-ups both paths share."""

from __future__ import annotations

from typing import Any

import polars as pl

from ebbtide.errors import UnreadableInput
from ebbtide.importers._build import column_lists, first_bad
from ebbtide.model import MessageKind

_SNIFF_BYTES = 16_384  # how much of a file is looked at to recognise it
_MEDIA_KEYS = ("photo", "file", "media_type", "sticker_emoji")
_OTHER_KEYS = (
    "location_information", "contact_information", "poll", "game_information",
    "invoice_information", "place_name", "todo_list", "giveaway_information",
)
_CALL_ACTIONS = frozenset({"phone_call", "group_call", "invite_to_group_call"})
_DELETED_ACCOUNT = "Deleted Account"  # what Telegram itself shows for ``from: null``


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
