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
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl

from ebbtide.errors import NotAChatExport, UnreadableInput
from ebbtide.importers._build import (
    build_frame,
    capabilities,
    decode_head,
    participants_in_order,
    plain_json_problem,
    read_head,
    read_lines_text,
    slug,
)
from ebbtide.importers.base import Importer
from ebbtide.importers.limits import cap_long_lines, check_json_depth
from ebbtide.importers.signal_text import (
    _CALL,
    _DELETED,
    _FIX,
    _MD_MEDIA,
    MD_HEADER,
    SBT_HEADER,
    _clean_md_lines,
    _kind_of_body,
    _read_md,
    _read_sbt,
    _read_sigtop,
    _Rows,
)
from ebbtide.model import DateOrder, MessageKind, ParsedExport, Platform

ME_NAMES = ("Me", "You")


# ------------------------------------------------------------------------------ sigexport JSONL


def _read_data_json(path: Path) -> tuple[_Rows, str]:
    where = str(path)
    rows = _Rows()
    text = read_lines_text(path, where, escapes="json")
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
_DATA_JSON_SCHEMA: dict[str, Any] = {
    "date": pl.String, "sender": pl.String, "body": pl.String, "deleted": pl.Boolean, "call": pl.Boolean,
    "sticker": pl.String, "attachments": pl.List(pl.String),
}


def _read_data_json_fast(path: Path) -> pl.DataFrame:
    """data.json read natively by Polars and classified with expressions (the hot path).

    Falls back (``_SlowPath``) on anything unusual: blank lines (line numbers would shift),
    unreadable dates, odd types. The slow reader then gives exact line numbers in its errors.
    """
    raw = cap_long_lines(path.read_bytes(), escapes="json")
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
            text = read_lines_text(path, str(path)).lstrip("\ufeff")
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
