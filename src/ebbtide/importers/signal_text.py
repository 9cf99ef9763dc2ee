"""Signal's text layouts: signal-export chat.md, signalbackup-tools text and sigtop text; the rows all layouts fill.

Each layout has its own header line; bodies are typed the same way (``_kind_of_body``): media links,
calls, deletions, reactions and stickers written as text by the exporters."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_tz
from pathlib import Path
from typing import Any

import polars as pl

from ebbtide.errors import NotAChatExport, UnreadableInput
from ebbtide.model import MessageKind

_FIX = (
    "Point ebbtide at a chat folder written by signal-export (holding data.json or chat.md), or at a "
    "text export from signalbackup-tools (--exporttxt) or sigtop (text format)."
)
MD_HEADER = re.compile(r"^\[(\d{4}-\d{2}-\d{2}),? (\d{1,2}:\d{2}(?::\d{2})?)\] (.+?):(?: (.*))?$")
SBT_HEADER = re.compile(
    r"^\[([A-Z][a-z]{2} \d{1,2}, \d{4} \d{1,2}:\d{2}:\d{2})\] (?:<(.*?)> ?(.*)|\*\*\* (?:<(.*?)> )?(.*))$"
)
_MD_REACTIONS = re.compile(r"^\(- .*: .* -\)$")
# sigexport links attachments as [name](./media/x) (images with a leading "!") and stickers as
# [label](../exported_stickers/...); other links in a message are the sender's words and stay.
_MD_MEDIA = re.compile(r"!?\[[^\]]*\]\(\.{1,2}/[^)]*\)")
_MD_REACTION_LINE = re.compile(r"\n\(- [^\n]* -\)")
_MD_STICKER_LINE = re.compile(r"\n\(\( [^\n]* \)\)")
_CALL = re.compile(r"^(?:Missed|Incoming|Outgoing) (?:voice|video|group)? ?call\b", re.IGNORECASE)
_SBT_REACTIONS = re.compile(r" \((?:[^():;]+: [^\w\s();]+)(?:; [^():;]+: [^\w\s();]+)*\)$")
_DELETED = "(This message was deleted)"


@dataclass
class _Rows:
    """Columns collected while reading, turned into the frame at the end."""

    times: list[datetime | None] = field(default_factory=list)
    offsets: list[int | None] = field(default_factory=list)
    senders: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    edited: list[bool] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)

    def add(
        self, when: datetime | None, sender: str, text: str, kind: str, line: int, *, offset: int | None = None,
        edited: bool = False,
    ) -> None:
        self.times.append(when)
        self.offsets.append(offset)
        self.senders.append("" if kind == MessageKind.SYSTEM else sender)
        self.texts.append(text if kind in (MessageKind.TEXT, MessageKind.SYSTEM) else "")
        self.kinds.append(kind)
        self.edited.append(edited)
        self.lines.append(line)

    def columns(self) -> dict[str, Any]:
        """The ``build_frame`` columns."""
        return {"timestamp": pl.Series("timestamp", self.times, dtype=pl.Datetime("us")), "utc_offset_min": self.offsets,
                "sender": self.senders, "text": self.texts, "kind": self.kinds, "edited": self.edited,
                "source_line": self.lines}


def _clean_md_lines(lines: list[str]) -> list[str]:
    """Markdown hard breaks ("  " at line end) removed; sigexport adds them to every line."""
    return [ln[:-2] if ln.endswith("  ") else ln.rstrip("\r") for ln in lines]


def _kind_of_body(body: str, *, has_media: bool = False) -> tuple[str, str]:
    """(kind, text) for a sigexport body after quotes and reactions are gone."""
    stripped = body.strip()
    if stripped == _DELETED:
        return MessageKind.DELETED, ""
    if _CALL.match(stripped):
        return MessageKind.CALL, ""
    without_media = _MD_MEDIA.sub("", stripped).strip()
    if without_media:
        return MessageKind.TEXT, without_media if without_media != stripped else stripped
    if has_media or stripped:
        return MessageKind.MEDIA, ""
    return MessageKind.OTHER, ""


def _md_body(lines: list[str]) -> tuple[str, bool]:
    """Body of one md message and whether it held a sticker.

    sigexport writes ``<quote><body>`` then ``\n(- Name: emoji, ... -)`` for reactions, then
    ``\n(( label ))`` for a sticker without a file, then attachment links (which can end up on the
    reaction line). Quote block, reactions, sticker marks and hard-break spaces are removed.
    """
    text = "\n".join(_clean_md_lines(lines))
    text = _MD_REACTION_LINE.sub("\n", text)
    text, stickers = _MD_STICKER_LINE.subn("\n", text)
    body = text.split("\n")
    i = 0
    while i < len(body) and not body[i].strip():
        i += 1
    if i < len(body) and body[i].startswith(">"):
        while i < len(body) and (body[i].startswith(">") or not body[i].strip()):
            i += 1
    return "\n".join(body[i:]).strip("\n"), stickers > 0


def _read_md(path: Path, text: str) -> tuple[_Rows, str]:
    where = str(path)
    rows = _Rows()
    current: tuple[datetime, str, int] | None = None
    body: list[str] = []
    styles: set[str] = set()

    def flush() -> None:
        if current is not None:
            content, sticker = _md_body(body)
            kind, content = _kind_of_body(content, has_media=sticker)
            rows.add(current[0], current[1], content, kind, current[2])

    for line_no, line in enumerate(text.splitlines(), start=1):
        m = MD_HEADER.match(line)
        if m:
            flush()
            date, clock, sender, first = m.groups()
            styles.add("with seconds" if clock.count(":") == 2 else "minutes only")
            try:
                when = datetime.fromisoformat(f"{date} {clock.zfill(5) if clock.count(':') == 1 else clock.zfill(8)}")
            except ValueError as exc:
                raise UnreadableInput(f"impossible date on line {line_no}", where=f"{where}:{line_no}", fix=_FIX) from exc
            current, body = (when, sender, line_no), [first or ""]
        elif current is None:
            if line.strip():
                raise NotAChatExport(
                    f"line {line_no} is not a signal-export message line", where=f"{where}:{line_no}", fix=_FIX
                )
        else:
            body.append(line)
    flush()
    return rows, f"signal-export chat.md ({', '.join(sorted(styles)) or 'empty'}), local time without offset"


def _read_sbt(path: Path, text: str) -> tuple[_Rows, str]:
    where = str(path)
    rows = _Rows()
    pending: list[Any] | None = None

    def flush() -> None:
        if pending is None:
            return
        when, sender, lines, line_no, status = pending
        content = "\n".join(lines)
        if status:
            if sender and content.startswith("sent file"):
                rows.add(when, sender, "", MessageKind.MEDIA, line_no)
            elif _CALL.match(content):
                rows.add(when, sender, "", MessageKind.CALL, line_no)
            else:
                rows.add(when, "", content, MessageKind.SYSTEM, line_no)
            return
        content = _SBT_REACTIONS.sub("", content).strip()
        if content.startswith("Poll:"):
            rows.add(when, sender, "", MessageKind.OTHER, line_no)
        elif content:
            rows.add(when, sender, content, MessageKind.TEXT, line_no)
        else:
            rows.add(when, sender, "", MessageKind.OTHER, line_no)

    for line_no, line in enumerate(text.splitlines(), start=1):
        m = SBT_HEADER.match(line)
        if m:
            flush()
            stamp, sender, body, status_sender, status = m.groups()
            try:
                when = datetime.strptime(stamp, "%b %d, %Y %H:%M:%S")
            except ValueError as exc:
                raise UnreadableInput(f"unreadable date on line {line_no}", where=f"{where}:{line_no}", fix=_FIX) from exc
            if status is not None:
                pending = [when, status_sender or "", [status], line_no, True]
            else:
                pending = [when, sender or "", [body or ""], line_no, False]
        elif pending is None:
            if line.strip():
                raise NotAChatExport(f"line {line_no} is not a signalbackup-tools line", where=f"{where}:{line_no}", fix=_FIX)
        else:
            pending[2].append(line.strip() if pending[2] and pending[2][0].startswith("Poll:") else line)
    flush()
    return rows, "signalbackup-tools text export, local time without offset"


def _sigtop_time(value: str) -> tuple[datetime, int] | None:
    parsed = parsedate_tz(value)
    if parsed is None:
        return None
    offset_s = parsed[9] or 0
    return datetime(*parsed[:6]), offset_s // 60  # type: ignore[misc]


def _read_sigtop(path: Path, text: str) -> tuple[_Rows, str]:
    where = str(path)
    rows = _Rows()
    lines = text.splitlines()
    starts = [
        i
        for i, ln in enumerate(lines)
        if ln.startswith("From: ") and (i == 0 or not lines[i - 1].strip()) and i + 1 < len(lines)
        and lines[i + 1].startswith("Type: ")
    ]
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        block = lines[start:end]
        headers: dict[str, list[str]] = {}
        i = 0
        while i < len(block) and block[i].strip():
            key, _, value = block[i].partition(": ")
            headers.setdefault(key, []).append(value)
            i += 1
        body = block[i:]
        while body and not body[0].strip():
            body.pop(0)
        if body and body[0].startswith(">"):
            while body and (body[0].startswith(">") or not body[0].strip()):
                body.pop(0)
        content = "\n".join(body).strip("\n")
        sender = re.sub(r" \([^()]*\)$", "", headers.get("From", [""])[0])
        stamp = _sigtop_time((headers.get("Sent") or headers.get("Received") or [""])[0])
        if stamp is None:
            raise UnreadableInput(
                f"the message at line {start + 1} has no readable Sent time", where=f"{where}:{start + 1}", fix=_FIX
            )
        mtype = headers.get("Type", [""])[0]
        if mtype in ("incoming", "outgoing"):
            if content:
                kind = MessageKind.TEXT
            elif "Attachment" in headers:
                kind = MessageKind.MEDIA
            else:
                kind = MessageKind.OTHER
        elif "call" in mtype:
            kind = MessageKind.CALL
        else:
            kind = MessageKind.SYSTEM
        rows.add(stamp[0], sender, content, kind, start + 1, offset=stamp[1], edited="Edited" in headers)
    return rows, "sigtop text export, times with UTC offset"
