"""A documented generic format for chats from anywhere else: CSV or JSON Lines.

Columns (CSV header names or JSONL keys, case-insensitive):
    timestamp  ISO 8601 local time, e.g. ``2024-01-31T21:05:00`` or ``2024-01-31 21:05``, optionally
               with an offset (``Z``, ``+01:00``, ``-0500``): the wall clock is kept as written and the
               offset goes to ``utc_offset_min`` (null when not given)
    sender     display name; empty for lines written by the app (they become ``system``)
    text       the message ("" allowed)
    kind       optional: text | media | deleted | system | call | other (default text)
    is_me      optional: true/false (1/0, yes/no) marking the exporting user's messages
Other columns are ignored. CSV: UTF-8 (a BOM is fine), comma, semicolon or tab separated, quoted
fields may span lines. See docs/formats/generic.md.

Why a plain-Python reader: the ``csv`` module gives the line where each record starts, which the
error messages and ``source_line`` need; timestamps are still parsed in one vectorised step.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import polars as pl

from ebbtide.errors import NotAChatExport, UnreadableInput
from ebbtide.importers._build import capabilities, first_bad, plain_json_problem, plain_reason, read_head
from ebbtide.importers._columns import KINDS, build_frame, first_seen, participants_slug
from ebbtide.importers.base import Importer
from ebbtide.importers.limits import cap_long_lines, check_json_depth
from ebbtide.model import DateOrder, MessageKind, ParsedExport, Platform

REQUIRED = ("timestamp", "sender", "text")
OPTIONAL = ("kind", "is_me")
_CSV_SUFFIXES = (".csv", ".tsv")
_JSONL_SUFFIXES = (".jsonl", ".ndjson")
_TRUE = frozenset({"true", "1", "yes", "y"})
_FALSE = frozenset({"false", "0", "no", "n", ""})
_TS_RE = (r"^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?)\s*"
          r"(Z|[+-]\d{2}(?::?\d{2})?)?$")
_FIX = "Write a CSV or JSON Lines file with a header row (or keys) timestamp, sender, text (optional kind, is_me)."


def _csv_header(head: str) -> tuple[str, list[str]] | None:
    """(delimiter, lower-cased column names) if the first line is a header with our columns."""
    first = head.lstrip("\ufeff").splitlines()[0] if head.strip() else ""
    for delim in (",", ";", "\t"):
        names = [c.strip().strip('"').strip().lower() for c in first.split(delim)]
        if all(r in names for r in REQUIRED):
            return delim, names
    return None


def _jsonl_first(head: str) -> dict[str, Any] | None:
    lines = head.lstrip("\ufeff").splitlines(keepends=True)
    for line in lines:
        if line.strip():
            try:
                obj = json.loads(line)
            except ValueError:
                if line is lines[-1] and not line.endswith(("\n", "\r")):  # a first record longer than the head
                    return _keys_in_prefix(line)
                return None
            return obj if isinstance(obj, dict) else None
    return None


def _keys_in_prefix(line: str) -> dict[str, Any] | None:
    """The required keys seen in the start of a record too long to parse here (the reader checks the rest)."""
    if not line.lstrip().startswith("{"):
        return None
    seen = {m.lower() for m in re.findall(r'"(timestamp|sender|text)"\s*:', line, flags=re.IGNORECASE)}
    # keys written after a long text are out of sight: the text key itself is enough to try
    return dict.fromkeys(REQUIRED, "") if "text" in seen or len(seen) >= 2 else None


def _bool(value: Any, where: str) -> bool:
    if isinstance(value, bool):
        return value
    text = "" if value is None else str(value).strip().casefold()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise UnreadableInput(f"is_me must be true or false, not {value!r}", where=where, fix=_FIX)


class _Rows:
    def __init__(self) -> None:
        self.ts: list[str] = []
        self.sender: list[str] = []
        self.text: list[str] = []
        self.kind: list[str] = []
        self.line: list[int] = []
        self.me: set[str] = set()
        self.has_is_me = False

    def add(self, rec: dict[str, Any], line: int, where: str) -> None:
        at = f"{where}, line {line}"
        ts, sender, text = rec.get("timestamp"), rec.get("sender"), rec.get("text")
        if not isinstance(ts, str) or not ts.strip():
            raise UnreadableInput(f"the timestamp is missing or not text ({ts!r})", where=at, fix=_FIX)
        if sender is None:
            sender = ""
        if text is None:
            text = ""
        if not isinstance(sender, str) or not isinstance(text, str):
            raise UnreadableInput("sender and text must be text", where=at, fix=_FIX)
        kind = rec.get("kind")
        kind = (str(kind).strip().lower() if kind is not None else "") or (
            MessageKind.TEXT.value if sender else MessageKind.SYSTEM.value)
        if kind not in KINDS:
            raise UnreadableInput(f"unknown kind {rec.get('kind')!r}", where=at,
                                  fix=f"kind must be one of: {', '.join(sorted(KINDS))} (or empty for text).")
        if kind == MessageKind.SYSTEM.value:
            sender = ""
        if "is_me" in rec:
            self.has_is_me = True
            if _bool(rec["is_me"], at) and sender:
                self.me.add(sender)
        self.ts.append(ts.strip())
        self.sender.append(sender)
        self.text.append(text)
        self.kind.append(kind)
        self.line.append(line)


def _read_csv(data: str, where: str) -> _Rows:
    header = _csv_header(data)
    if header is None:
        raise NotAChatExport("the first line is not a header with timestamp, sender and text", where=where, fix=_FIX)
    delim, _ = header
    rows = _Rows()
    csv.field_size_limit(max(csv.field_size_limit(), len(data) + 1))  # one message may be long (limits.py cuts it)
    reader = csv.reader(io.StringIO(data.lstrip("\ufeff"), newline=""), delimiter=delim)
    try:
        names = [c.strip().lower() for c in next(reader)]
        wanted = {n: names.index(n) for n in (*REQUIRED, *OPTIONAL) if n in names}
        start = reader.line_num + 1
        for record in reader:
            line, start = start, reader.line_num + 1
            if not record or (len(record) == 1 and not record[0].strip()):
                continue
            if len(record) < len(names):
                raise UnreadableInput(
                    f"this row has {len(record)} fields, the header has {len(names)}",
                    where=f"{where}, line {line}",
                    fix="Quote fields that contain the separator or line breaks (\"like, this\").",
                )
            rows.add({n: record[i] for n, i in wanted.items()}, line, where)
    except csv.Error as exc:
        raise UnreadableInput("the CSV is malformed (a quoted field is not closed, or a field is too long)",
                              where=f"{where}, line {reader.line_num}",
                              fix="Check quoting: a field with a quote inside is written \"like \"\"this\"\"\".") from exc
    return rows


def _read_jsonl(data: str, where: str) -> _Rows:
    check_json_depth(data, where)
    rows = _Rows()
    for number, raw in enumerate(data.lstrip("\ufeff").splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            rec = json.loads(raw)
        except ValueError as exc:
            raise UnreadableInput(f"this line is not valid JSON ({plain_json_problem(exc)})", where=f"{where}, line {number}",
                                  fix="Each line must be one JSON object, e.g. "
                                  '{"timestamp": "2024-01-31T21:05:00", "sender": "Sam", "text": "hi"}') from exc
        if not isinstance(rec, dict):
            raise UnreadableInput("this line is not a JSON object", where=f"{where}, line {number}", fix=_FIX)
        rows.add({str(k).lower(): v for k, v in rec.items()}, number, where)
    return rows


def _times(rows: _Rows, where: str) -> tuple[pl.Series, pl.Series]:
    parts = pl.Series("ts", rows.ts, dtype=pl.String).str.extract_groups(_TS_RE)
    frame = pl.DataFrame({"p": parts}).unnest("p")
    frame.columns = ["date", "time", "off"]
    clock = pl.concat_str(pl.col("date"), pl.lit(" "), pl.col("time").str.replace(",", ".", literal=True))
    local = pl.coalesce(
        clock.str.strptime(pl.Datetime("us"), "%Y-%m-%d %H:%M:%S%.f", strict=False),
        clock.str.strptime(pl.Datetime("us"), "%Y-%m-%d %H:%M", strict=False),
    )
    off = pl.col("off")
    sign = pl.when(off.str.starts_with("-")).then(-1).otherwise(1)
    digits = off.str.replace_all(r"[^0-9]", "")
    minutes = (
        pl.when(off == "Z").then(0)
        .when(off.is_not_null())
        .then(sign * (digits.str.slice(0, 2).cast(pl.Int32, strict=False) * 60
                      + digits.str.slice(2, 2).str.zfill(2).cast(pl.Int32, strict=False).fill_null(0)))
        .otherwise(None)
    )
    out = frame.select(local.alias("ts"), minutes.cast(pl.Int32).alias("off"))
    if (i := first_bad(out.get_column("ts").is_null())) is not None:
        raise UnreadableInput(f"cannot read the timestamp {rows.ts[i]!r}", where=f"{where}, line {rows.line[i]}",
                              fix="Write timestamps in ISO 8601, e.g. 2024-01-31T21:05:00 or "
                              "2024-01-31 21:05+01:00.")
    return out.get_column("ts"), out.get_column("off")


class GenericImporter(Importer):
    platform = Platform.GENERIC
    description = "generic CSV or JSON Lines with timestamp, sender, text (optional kind, is_me)"

    def looks_like(self, path: Path) -> bool:
        suffix = path.suffix.lower()
        if not path.is_file() or suffix not in (*_CSV_SUFFIXES, *_JSONL_SUFFIXES):
            return False
        head = read_head(path, 4096).decode("utf-8", errors="replace")
        if suffix in _CSV_SUFFIXES:
            return _csv_header(head) is not None
        first = _jsonl_first(head)
        return first is not None and all(k in {str(x).lower() for x in first} for k in REQUIRED)

    def parse(self, path: Path, date_order: DateOrder | None) -> ParsedExport:
        where = str(path)
        try:
            raw = path.read_bytes()
            records = path.suffix.lower() in _JSONL_SUFFIXES or _csv_header(raw[:4096].decode("utf-8", "ignore")) is None
            raw = cap_long_lines(raw, escapes="json" if records else "csv")  # one huge line is cut, never decoded whole
            if b"\x00\x00\x00\x00" in raw:  # a damaged or binary file: refused before a slow CSV pass
                raise UnreadableInput("this is a binary file, not a CSV or JSON Lines export (it holds NUL bytes)",
                                      where=where, fix="The file may be damaged; convert or export it again.")
            data = raw.decode("utf-8")
            del raw
        except UnicodeDecodeError as exc:
            raise UnreadableInput(f"the file is not UTF-8 (byte {exc.start})", where=where,
                                  fix="Save it as UTF-8 (in a spreadsheet: 'CSV UTF-8').") from exc
        except OSError as exc:
            raise UnreadableInput(plain_reason(exc), where=where, fix="Check the path and permissions.") from exc
        is_jsonl = path.suffix.lower() in _JSONL_SUFFIXES or (
            _csv_header(data[:4096]) is None and _jsonl_first(data[:4096]) is not None)
        rows = _read_jsonl(data, where) if is_jsonl else _read_csv(data, where)
        if not rows.ts:
            raise NotAChatExport("the file has no messages", where=where, fix=_FIX)
        local, offset = _times(rows, where)
        people = first_seen(rows.sender)
        warnings: list[str] = []
        me: str | None = None
        if len(rows.me) == 1:
            me = next(iter(rows.me))
        elif len(rows.me) > 1:
            warnings.append(f"is_me marks several senders ({', '.join(sorted(rows.me))}); 'me' is left open.")
        frame = build_frame(
            timestamp=local, utc_offset_min=offset, sender=rows.sender, text=rows.text, kind=rows.kind,
            edited=None, source_line=rows.line, platform=self.platform,
            conversation_id=f"generic:{participants_slug(people)}", source_file=where,
        )  # file order kept: rows with different offsets cannot be ordered by wall clock
        calls = MessageKind.CALL.value in rows.kind
        return self.result(frame, source_file=where, dialect="generic JSON Lines" if is_jsonl else "generic CSV",
                           warnings=warnings, participants=people, me=me, capabilities=capabilities(calls=calls))


IMPORTER = GenericImporter()
