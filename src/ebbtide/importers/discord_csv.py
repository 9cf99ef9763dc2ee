"""DiscordChatExporter's CSV layout: one row a message, local times in the exporting computer's format.

The date order of such times is decided from all rows (``_decide_order``), or given with --date-order."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime
from pathlib import Path

from ebbtide.errors import NotAChatExport, UnreadableInput
from ebbtide.importers._build import (
    build_frame,
    capabilities,
    read_lines_text,
    slug,
)
from ebbtide.importers.discord import (
    _FILE_DM_NAME,
    _FIX,
    _ISO,
    CSV_HEADER,
    IMPORTER,
    _file_channel_id,
    _infer_me,
    _iso_series,
    _kind,
)
from ebbtide.model import DateOrder, MessageKind, ParsedExport

_LOCALE_DATE = re.compile(
    r"^(\d{1,4})[./-](\d{1,2}|[A-Za-z]{3,})[./-](\d{1,4}),?\s+(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?\s*([AaPp])?\.?\s*[Mm]?\.?$"
)
_MONTHS = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}


def _decide_order(parts: list[tuple[str, ...]], given: DateOrder | None) -> tuple[DateOrder, bool, str]:
    if any(len(p[0]) == 4 for p in parts):
        return DateOrder.YMD, True, "the year comes first"
    if any(not p[1].isdigit() for p in parts):
        return DateOrder.DMY, True, "the month is written as a name"
    if any(int(p[0]) > 12 for p in parts):
        return DateOrder.DMY, True, "a first number above 12 must be a day"
    if any(int(p[1]) > 12 for p in parts):
        return DateOrder.MDY, True, "a second number above 12 must be a day"
    if given is not None:
        return given, True, "given by the user"
    return DateOrder.MDY, False, "no day above 12 in the file; assumed month-first (DCE's default en-US locale)"


def _csv_dates(
    values: list[str], given: DateOrder | None, where: str
) -> tuple[list[datetime], list[int | None], DateOrder | None, bool, str]:
    """Local wall clock and offsets (only ISO dates carry one), plus how day/month order was decided."""
    cleaned = [v.replace("\u202f", " ").replace("\u00a0", " ").strip() for v in values]
    if all(_ISO.match(v) for v in cleaned):
        local, offset = _iso_series(cleaned)
        return local.to_list(), offset.to_list(), None, True, "ISO dates"
    parts: list[tuple[str, ...]] = []
    for i, v in enumerate(cleaned, start=1):
        m = _LOCALE_DATE.match(v)
        if not m:
            raise UnreadableInput(
                f"record {i} has a date ebbtide cannot read: {v!r}", where=f"{where} (record {i})", fix=_FIX
            )
        parts.append(m.groups(default=""))
    order, decided, reason = _decide_order(parts, given)
    out: list[datetime] = []
    for i, (a, b, c, hh, mm, ss, ampm) in enumerate(parts, start=1):
        if order == DateOrder.YMD:
            y, mo, d = a, b, c
        elif order == DateOrder.MDY:
            mo, d, y = a, b, c
        else:
            d, mo, y = a, b, c
        month = int(mo) if mo.isdigit() else _MONTHS.get(mo[:3].casefold(), 0)
        year = int(y) + (2000 if len(y) <= 2 else 0)
        hour = int(hh) % 12 + (12 if ampm.upper() == "P" else 0) if ampm else int(hh)
        try:
            out.append(datetime(year, month, int(d), hour, int(mm), int(ss or 0)))
        except ValueError as exc:
            raise UnreadableInput(
                f"record {i} has an impossible date {values[i - 1]!r}", where=f"{where} (record {i})", fix=_FIX
            ) from exc
    return out, [None] * len(out), order, decided, reason


def read_csv(path: Path, date_order: DateOrder | None) -> ParsedExport:
    where = str(path)
    text = read_lines_text(path, where, escapes="csv")
    csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))  # long messages: limits.py cuts them
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise NotAChatExport("the CSV file is empty", where=where, fix=_FIX) from None
    if tuple(h.strip() for h in header[:4]) != CSV_HEADER[:4]:
        raise NotAChatExport(f"this CSV does not have DCE's header {','.join(CSV_HEADER)}", where=where, fix=_FIX)
    records: list[list[str]] = []
    lines: list[int] = []
    start = reader.line_num + 1
    for rec in reader:
        first_line, start = start, reader.line_num + 1
        if not any(rec):
            continue
        if len(rec) < 4:
            raise UnreadableInput(
                f"the record at line {first_line} has {len(rec)} fields, expected at least 4",
                where=f"{where}:{first_line}",
                fix=_FIX,
            )
        records.append(rec)
        lines.append(first_line)
    stamps, offsets, order, decided, reason = _csv_dates([r[2] for r in records], date_order, where)
    senders, texts, kinds = [], [], []
    authors: dict[str, tuple[str, str]] = {}
    for rec in records:
        content = rec[3]
        kind = _kind("Default", content, bool(rec[4].strip()) if len(rec) > 4 else False)
        senders.append(rec[1])
        texts.append(content if kind == MessageKind.TEXT else "")
        kinds.append(kind)
        authors.setdefault(rec[0] or rec[1], (rec[1], rec[1]))
    dm = _FILE_DM_NAME.match(path.name)
    me = _infer_me({dm.group(1)}, authors) if dm else None
    cid = _file_channel_id(path) or slug(senders)
    frame = build_frame(timestamp=stamps, utc_offset_min=offsets, sender=senders, text=texts, kind=kinds, source_line=lines,
                        platform=IMPORTER.platform, conversation_id=f"discord:{cid}", source_file=where)
    warnings = [] if decided else [f"day/month order guessed: {reason}. Use --date-order if dates look wrong."]
    dialect = "DiscordChatExporter CSV, " + ("ISO times with offset" if order is None else "local time without offset")
    return IMPORTER.result(frame, source_file=where, dialect=dialect, date_order=order, date_order_decided=decided,
                           date_order_reason=reason, warnings=warnings, me=me, capabilities=capabilities(reactions=True))
