"""One Meta message file (message_N.json) to column rows: mojibake repair, pseudo-messages, kinds.

Meta writes no message type: media, calls, deletions and notices are told from which keys a message
has and from English pseudo-texts (``_PSEUDO``). Classic downloads store UTF-8 as Latin-1 escapes
(``fix_mojibake``)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from ebbtide.errors import NotAChatExport, UnreadableInput, shown
from ebbtide.importers.limits import check_json_depth
from ebbtide.model import MessageKind

try:  # faster on big threads; plain json is the always-available fallback
    import orjson

    _fastjson: Any = orjson
except ImportError:  # pragma: no cover - depends on the environment
    _fastjson = None

TEXT, MEDIA, DELETED, SYSTEM, CALL, OTHER = (k.value for k in MessageKind)
_MEDIA_KEYS = ("photos", "videos", "gifs", "audio_files", "files", "sticker")
# Meta's English pseudo-messages (no type field exists). Order matters: first match wins.
# Each entry: (pattern, kind, who): who = "you" -> the sender is the exporting user,
# "your" -> the sender is the *other* person (it reacts to "your" message), "" -> no hint.
_PSEUDO: tuple[tuple[re.Pattern[str], str, str], ...] = tuple(
    (re.compile(p, re.DOTALL), k, w)
    for p, k, w in (
        (r"^Reacted .{1,40} to your message\s*$", OTHER, "your"),
        (r"^.{1,80} reacted .{1,40} to your message\s*$", OTHER, "your"),
        (r"^Reacted .{1,40} to .{0,80}message\s*$", OTHER, ""),
        (r"^Liked a message\s*$", OTHER, ""),
        (r"^(?:This message was unsent|You unsent a message|.{1,80} unsent a message)\.?$", DELETED, ""),
        (r"^You sent an? (?:attachment|photo|video|voice message|GIF|sticker|link)\.$", MEDIA, "you"),
        (r"^.{1,80} sent an? (?:attachment|photo|video|voice message|GIF|sticker|link)\.$", MEDIA, ""),
        (r"^You sent a location\.$", OTHER, "you"),
        (r"^.{1,80} sent a location\.$", OTHER, ""),
        (r"^You (?:called|missed a call from) .{1,80}\.$", CALL, "you"),
        (r"^.{1,80} (?:called you|missed your call|missed a call from you)\.$", CALL, ""),
        (r"^(?:The (?:video )?(?:call|chat) ended\.|.{1,80} (?:started|joined) (?:a |the )?(?:video |audio )?(?:call|chat)\.)$",
         CALL, ""),
        (r"^.{1,80} (?:named the group|changed the group (?:name|photo)|set (?:the|your|his own|her own|their own) "
         r"nickname|set (?:the|your) (?:emoji|quick reaction)|changed the (?:chat )?theme|changed the emoji|"
         r"added .{1,80} to the group|removed .{1,80} from the group|left the group|created the group|"
         r"created a poll|voted for|changed (?:their|his|her) vote|turned (?:on|off) disappearing messages|"
         r"pinned a message|unpinned a message|"
         r"(?:turned (?:on|off)|updated|edited|changed|deleted|removed|cancel(?:l)?ed) the (?:reminder|plan|event)|"
         r"(?:created|set|started) a (?:reminder|plan|event)).*$", SYSTEM, ""),
        (r"^.{0,80}(?:in the poll\.|This poll is no longer available\.?)$", SYSTEM, ""),
        (r"^(?:You are now connected on Messenger|Say hi to your new Facebook friend|You can now message and call "
         r"each other|You're now friends on Facebook|.{1,80} is waiting for you to accept).*$", SYSTEM, ""),
    )
)


def fix_mojibake(text: str) -> str:
    """Undo Meta's byte-per-escape encoding, only where that is what happened.

    ASCII is returned untouched; a string holding real Unicode (any character above U+00FF, or bytes
    that are not valid UTF-8) is returned as it is. Residual false positive: text that literally
    contains a sequence like 'Ã©' becomes 'é'.
    """
    if text.isascii():
        return text
    try:
        return text.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text


@dataclass(slots=True)
class _Rows:
    ts_ms: list[int] = field(default_factory=list)
    sender: list[str] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    kind: list[str] = field(default_factory=list)
    line: list[int] = field(default_factory=list)
    order: list[int] = field(default_factory=list)  # chronological order within a file
    source: list[str] = field(default_factory=list)
    participants: list[str] = field(default_factory=list)
    me_hints: list[str] = field(default_factory=list)  # "you:<name>" or "your:<name>"
    e2ee: bool = False
    truncated_calls: int = 0


def _loads(data: bytes, where: str) -> Any:
    check_json_depth(data, where)  # before the recursive parser and our walkers
    try:
        return _fastjson.loads(data) if _fastjson is not None else json.loads(data)
    except ValueError as exc:
        line = getattr(exc, "lineno", None)
        raise UnreadableInput(
            f"this is not valid JSON ({getattr(exc, 'msg', exc)})",
            where=f"{where}, line {line}" if line else where,
            fix="The file may be cut short; unzip the download again or request a new one (format: JSON).",
        ) from exc


def _classify(msg: dict[str, Any], content: str, e2ee: bool) -> tuple[str, str, str]:
    """(text, kind, who-hint) for one message; see the module docstring for the rules."""
    if msg.get("is_unsent") or msg.get("isUnsent"):
        return "", DELETED, ""
    share = msg.get("share")
    link = fix_mojibake(str(share.get("link") or "")) if isinstance(share, dict) else ""
    if "call_duration" in msg:
        return content, CALL, "you" if content.startswith("You called ") else ""
    for pattern, kind, who in _PSEUDO:
        if content and pattern.match(content):
            if kind == MEDIA and link:  # "X sent an attachment." that is a shared link/post
                return link, TEXT, who
            return content, kind, who
    if e2ee:
        mtype = msg.get("type")
        if mtype == "media" or (msg.get("media") and not content):
            return content, TEXT if content else MEDIA, ""
        if mtype == "placeholder" and not content:
            return "", OTHER, ""
    if any(msg.get(k) for k in _MEDIA_KEYS):
        return content, TEXT if content else MEDIA, ""
    if link:
        return (content if link in content else f"{content} {link}".strip()), TEXT, ""
    if content:
        return content, TEXT, ""
    return "", OTHER, ""


def _read_file(data: bytes, name: str, rows: _Rows) -> None:
    """Append one JSON file's messages (in the file's order) to ``rows``."""
    root = _loads(data, name)
    if not isinstance(root, dict) or not isinstance(root.get("messages"), list):
        raise NotAChatExport("this JSON is not a Messenger/Instagram conversation (no 'messages' list)", where=name,
                             fix="Point at message_1.json of a thread, or at the E2EE <Name>_<n>.json file.")
    e2ee = "threadName" in root or any(isinstance(m, dict) and "senderName" in m for m in root["messages"][:5])
    rows.e2ee = rows.e2ee or e2ee
    people = root.get("participants") or []
    if isinstance(people, list):
        for p in people:
            raw = p.get("name") if isinstance(p, dict) else p
            if isinstance(raw, str):
                rows.participants.append(fix_mojibake(raw))
    index = 0
    try:
        for index, msg in enumerate(root["messages"], start=1):
            if e2ee:
                sender = msg.get("senderName")
                ts = msg["timestamp"]
                content = msg.get("text")
            else:
                sender = msg.get("sender_name")
                ts = msg["timestamp_ms"]
                content = msg.get("content")
            if not isinstance(ts, int) or isinstance(ts, bool):
                raise TypeError(f"timestamp is {ts!r}, not a whole number of milliseconds")
            content = fix_mojibake(content) if isinstance(content, str) else ""
            sender = fix_mojibake(sender) if isinstance(sender, str) else ""
            text, kind, who = _classify(msg, content, e2ee)
            if who and sender:
                rows.me_hints.append(f"{who}:{sender}")
            rows.ts_ms.append(ts)
            rows.sender.append("" if kind == SYSTEM else (sender or "Facebook user"))
            rows.text.append(text)
            rows.kind.append(kind)
            rows.line.append(index)
            rows.order.append(index if e2ee else -index)  # classic files are newest first
            rows.source.append(shown(name))
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        detail = f"missing field {exc.args[0]!r}" if isinstance(exc, KeyError) else "a field holds the wrong kind of value"
        raise UnreadableInput(
            f"message {index} is not in the shape Meta writes ({detail})",
            where=f"{name}, message {index}",
            fix="The file may have been edited or cut; unzip the download again or request a new one (JSON).",
        ) from exc


def message_reactions(message: dict[str, Any]) -> list[tuple[str, str]]:
    """(actor, reaction) pairs of one raw Meta message, mojibake repaired.

    Parsed but not stored yet (the canonical frame has no reactions column); kept for a later migration.
    """
    out: list[tuple[str, str]] = []
    for r in message.get("reactions") or ():
        if isinstance(r, dict) and isinstance(r.get("reaction"), str):
            out.append((fix_mojibake(str(r.get("actor") or "")), fix_mojibake(r["reaction"])))
    return out
