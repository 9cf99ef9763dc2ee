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

import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ebbtide.counts import counted
from ebbtide.errors import ChooseChat, NotAChatExport, UnreadableInput
from ebbtide.importers._build import capabilities, plain_json_problem, plain_reason, several_chats
from ebbtide.importers._columns import build_frame, chosen_chat, first_seen
from ebbtide.importers.base import Importer
from ebbtide.importers.limits import check_json_depth
from ebbtide.importers.telegram_fast import _fast_collect
from ebbtide.importers.telegram_messages import _SNIFF_BYTES, _collect, _deleted_accounts, _find_me, _times
from ebbtide.model import DateOrder, MessageKind, ParsedExport, Platform

try:  # orjson is ~2x faster on a big result.json; plain json is the always-available fallback
    import orjson

    _fastjson: Any = orjson
except ImportError:  # pragma: no cover - depends on the environment
    _fastjson = None

_CHAT_TYPE_RE = re.compile(
    rb'"type"\s*:\s*"(personal_chat|private_group|private_supergroup|public_supergroup|'
    rb'public_channel|private_channel|bot_chat|saved_messages)"'
)


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
    return f"{chat.get('name') or '(no name)'} (id {chat.get('id')}, {counted(count, 'message')})"


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
        if hits:  # one name, several chats: their ids tell them apart
            raise ChooseChat(f"'{wanted}' names {len(hits)} chats in this Telegram export", where=where,
                             chats=tuple((str(c.get("id")), _describe_chat(c)) for c in hits))
    personal = [c for c in chats_ok if c.get("type") == "personal_chat"
                and isinstance(c.get("messages"), list) and c["messages"]]
    if len(personal) == 1 and not wanted:
        return personal[0]
    if not personal and not wanted:
        raise NotAChatExport(
            "this Telegram export holds no personal chat with messages",
            where=where,
            fix="Export again with 'Personal chats' ticked, or export the one chat (chat menu > Export chat history).",
        )
    listed_chats = sorted(personal or chats_ok, key=lambda c: -len(c.get("messages") or ()))
    names = [str(c.get("name") or "") for c in listed_chats]
    chats = [(n if n and names.count(n) == 1 else str(c.get("id")), _describe_chat(c))
             for n, c in zip(names, listed_chats, strict=True)]
    raise several_chats("Telegram", where, chats, wanted, "personal chat" if personal else "chat")


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
