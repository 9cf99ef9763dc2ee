"""Signal, through the third-party tools people use (Signal itself has no readable export).

Read (see docs/formats/signal.md):
- **signal-export (sigexport)** chat folder: ``data.json`` (JSON lines) is preferred; ``chat.md``
  when that is all there is. Both md timestamp styles: ``[2024-01-04 19:04:02]`` and the older
  ``[2019-05-29, 15:04]``. Own messages are sent by ``Me``. Reactions ``(- Name: emoji -)`` and
  the quoted text of replies are dropped from ``text``.
- **signalbackup-tools** ``--exporttxt``: ``[Jan 04, 2024 19:04:02] <Sam> text (Me: ❤️)``; status
  lines ``*** ...``. That tool skips deleted and view-once messages (a warning says so).
- **sigtop** text: blocks of ``From:``/``Type:``/``Sent:`` headers and a body; ``Sent`` has a UTC
  offset, so ``utc_offset_min`` is known there; own messages are ``You``.
Times in sigexport and signalbackup-tools are the exporting computer's local wall clock with no
offset (``utc_offset_min`` null).
conversation id: ``signal:`` + a slug of the *other* participants' names, so the same chat read
by two tools (where "me" is spelt ``Me`` or ``You``) gets the same id.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_tz
from pathlib import Path
from typing import Any

import polars as pl

from ebbtide.errors import NotAChatExport, UnreadableInput
from ebbtide.importers._build import (
    build_frame,
    capabilities,
    decode_head,
    decode_text,
    participants_in_order,
    plain_json_problem,
    read_head,
    slug,
)
from ebbtide.importers.base import Importer
from ebbtide.importers.limits import check_json_depth
from ebbtide.model import DateOrder, MessageKind, ParsedExport, Platform

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
ME_NAMES = ("Me", "You")


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


# ------------------------------------------------------------------------------ sigexport JSONL


def _read_data_json(path: Path) -> tuple[_Rows, str]:
    where = str(path)
    rows = _Rows()
    text = decode_text(path.read_bytes(), where)
    check_json_depth(text, where)
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rec: Any = json.loads(line)
        except json.JSONDecodeError as exc:
            raise UnreadableInput(
                f"line {line_no} is not valid JSON ({plain_json_problem(exc)})", where=f"{where}:{line_no}", fix=_FIX
            ) from exc
        if not isinstance(rec, dict) or not isinstance(rec.get("date"), str):
            raise UnreadableInput(
                f"line {line_no} is not a signal-export message (no 'date')", where=f"{where}:{line_no}", fix=_FIX
            )
        try:
            when = datetime.fromisoformat(rec["date"].replace("Z", ""))
        except ValueError as exc:
            raise UnreadableInput(
                f"line {line_no} has an unreadable date {rec['date']!r}", where=f"{where}:{line_no}", fix=_FIX
            ) from exc
        body = "\n".join(_clean_md_lines(str(rec.get("body") or "").split("\n")))
        kind: str
        if rec.get("deleted"):
            kind, content = MessageKind.DELETED, ""
        elif rec.get("call"):
            kind, content = MessageKind.CALL, ""
        elif rec.get("sticker"):
            kind, content = MessageKind.MEDIA, ""
        else:
            kind, content = _kind_of_body(body, has_media=bool(rec.get("attachments")))
        rows.add(when.replace(tzinfo=None), str(rec.get("sender") or ""), content, kind, line_no)
    return rows, "signal-export data.json (JSON lines), local time without offset"


class _SlowPath(Exception):
    """The vectorised reader met something only the line-by-line reader explains well."""


def _col(frame: pl.DataFrame, name: str, dtype: pl.DataType | type[pl.DataType], default: object) -> pl.Expr:
    return pl.col(name).cast(dtype).fill_null(default) if name in frame.columns else pl.lit(default, dtype=dtype)


# The fields used; nested values we only test for presence are read as strings (extra fields ignored).
_DATA_JSON_SCHEMA = {
    "date": pl.String, "sender": pl.String, "body": pl.String, "deleted": pl.Boolean, "call": pl.Boolean,
    "sticker": pl.String, "attachments": pl.List(pl.String),
}


def _read_data_json_fast(path: Path) -> pl.DataFrame:
    """data.json read natively by Polars and classified with expressions (the hot path).

    Falls back (``_SlowPath``) on anything unusual: blank lines (line numbers would shift),
    unreadable dates, odd types. The slow reader then gives exact line numbers in its errors.
    """
    raw = path.read_bytes()
    if not raw.endswith(b"\n"):
        raw += b"\n"
    if b"\n\n" in raw or raw.startswith((b"\n", b"\xef\xbb\xbf")) or b"\r" in raw:
        raise _SlowPath
    try:
        frame = pl.read_ndjson(raw, schema=_DATA_JSON_SCHEMA)  # never inferred: see discord._FAST_SCHEMA
    except Exception as exc:  # noqa: BLE001 - any Polars/IO complaint: let the exact reader explain
        raise _SlowPath from exc
    if frame.height != raw.count(b"\n") or frame.schema.get("date") != pl.String:
        raise _SlowPath
    try:
        body = _col(frame, "body", pl.String, "").str.replace_all(r" {2}(\n|$)", "$1")
        stripped = body.str.strip_chars()
        without_media = stripped.str.replace_all(_MD_MEDIA.pattern, "").str.strip_chars()
        has_attachments = (
            pl.col("attachments").list.len().fill_null(0) > 0
            if "attachments" in frame.columns and isinstance(frame.schema["attachments"], pl.List)
            else pl.lit(False)
        )
        has_sticker = pl.col("sticker").is_not_null() if "sticker" in frame.columns else pl.lit(False)
        kind = (
            pl.when(_col(frame, "deleted", pl.Boolean, False) | (stripped == _DELETED))
            .then(pl.lit(MessageKind.DELETED.value))
            .when(_col(frame, "call", pl.Boolean, False) | stripped.str.contains("(?i)" + _CALL.pattern))
            .then(pl.lit(MessageKind.CALL.value))
            .when(has_sticker)
            .then(pl.lit(MessageKind.MEDIA.value))
            .when(without_media != "")
            .then(pl.lit(MessageKind.TEXT.value))
            .when(has_attachments | (stripped != ""))
            .then(pl.lit(MessageKind.MEDIA.value))
            .otherwise(pl.lit(MessageKind.OTHER.value))
        )
        out = frame.select(
            pl.col("date").str.strptime(pl.Datetime("us"), "%Y-%m-%dT%H:%M:%S%.f", strict=False).alias("timestamp"),
            _col(frame, "sender", pl.String, "").alias("sender"),
            kind.alias("kind"),
            without_media.alias("content"),
        ).with_columns(
            pl.when(pl.col("kind") == MessageKind.TEXT.value).then(pl.col("content")).otherwise(pl.lit("")).alias("text"),
            pl.int_range(1, frame.height + 1, dtype=pl.Int64).alias("line"),
        )
    except pl.exceptions.PolarsError as exc:
        raise _SlowPath from exc
    if out["timestamp"].null_count():
        raise _SlowPath
    return out


# ---------------------------------------------------------------------------------- sigexport md


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


# ------------------------------------------------------------------------- signalbackup-tools txt


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


# -------------------------------------------------------------------------------------- sigtop


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


# ------------------------------------------------------------------------------------ importer


def _kind_of_file(path: Path) -> str | None:
    """Which Signal text dialect a file is ('jsonl', 'md', 'sbt', 'sigtop'), from its head."""
    head = decode_head(read_head(path)).lstrip("\ufeff")
    first = next((ln for ln in head.splitlines() if ln.strip()), "")
    if first.startswith("{") and all(f'"{k}"' in first for k in ("date", "sender", "body")):
        return "jsonl"
    if SBT_HEADER.match(first):
        return "sbt"
    if first.startswith("Conversation: ") and "\nFrom: " in head and "\nType: " in head:
        return "sigtop"
    if MD_HEADER.match(first):
        return "md"
    return None


def _md_without_seconds(path: Path) -> bool:
    """The sigexport-style headers in the head of ``path`` carry no seconds (WhatsApp's always do)."""
    head = decode_head(read_head(path)).lstrip("\ufeff")
    times = [m.group(2) for ln in head.splitlines()[:200] if (m := MD_HEADER.match(ln))]
    return bool(times) and all(t.count(":") == 1 for t in times)


def _source(path: Path) -> Path:
    if path.is_dir():
        for name in ("data.json", "chat.md"):
            if (path / name).is_file():
                return path / name
        raise NotAChatExport("no data.json or chat.md in this folder", where=str(path), fix=_FIX)
    return path


class SignalImporter(Importer):
    platform = Platform.SIGNAL
    description = "Signal via signal-export (folder with data.json/chat.md), signalbackup-tools or sigtop text"
    format_name = "Signal"
    fix = _FIX

    def looks_like(self, path: Path) -> bool:
        if path.is_dir():
            return any(
                (path / name).is_file() and _kind_of_file(path / name) in ("jsonl", "md")
                for name in ("data.json", "chat.md")
            )
        if not path.is_file():
            return False
        kind = _kind_of_file(path)
        # md-style lines look like iPhone WhatsApp headers with a year-first date; WhatsApp always
        # writes seconds there, sigexport never does: a text without seconds is claimed whatever its name
        if kind == "md":
            return path.suffix.lower() == ".md" or _md_without_seconds(path)
        if kind == "jsonl":
            return path.suffix.lower() in (".json", ".jsonl")
        return kind is not None

    def parse(self, path: Path, date_order: DateOrder | None) -> ParsedExport:
        path = _source(path)
        kind = _kind_of_file(path)
        warnings: list[str] = []
        fast: pl.DataFrame | None = None
        if kind == "jsonl":
            try:
                fast = _read_data_json_fast(path)
                rows, dialect = _Rows(), "signal-export data.json (JSON lines), local time without offset"
            except _SlowPath:
                rows, dialect = _read_data_json(path)
        else:
            text = decode_text(path.read_bytes(), str(path)).lstrip("\ufeff")
            if kind == "sbt":
                rows, dialect = _read_sbt(path, text)
                warnings.append("signalbackup-tools leaves out deleted and view-once messages; they are missing here.")
            elif kind == "sigtop":
                rows, dialect = _read_sigtop(path, text)
            elif kind == "md":
                rows, dialect = _read_md(path, text)
            else:
                raise NotAChatExport("this does not look like a Signal export", where=str(path), fix=_FIX)
        columns = rows.columns() if fast is None else {
            "timestamp": fast["timestamp"], "sender": fast["sender"], "text": fast["text"], "kind": fast["kind"],
            "source_line": fast["line"]}
        people = participants_in_order(columns["sender"], columns["kind"])
        me = next((name for name in ME_NAMES if name in people), None)
        others = [s for s in people if s != me]
        conversation = f"signal:{slug(others) if others else slug(path.parent.name.split())}"
        frame = build_frame(**columns, platform=self.platform, conversation_id=conversation, source_file=str(path))
        return self.result(frame, source_file=str(path), dialect=dialect, warnings=warnings, participants=people,
                           me=me, capabilities=capabilities(reactions=True, replies=kind in ("jsonl", "md", "sigtop"),
                                                            calls=kind != "sigtop", edits=kind == "sigtop"))


IMPORTER = SignalImporter()
