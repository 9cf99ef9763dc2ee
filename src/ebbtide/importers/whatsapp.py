"""WhatsApp "Export chat" importer: ``.txt`` (Android) or ``.zip`` holding ``_chat.txt`` (iOS) or any ``.txt``.

Why it is built this way: exports can hold a million lines, so the whole file is parsed by Polars in
Rust (one anchored regular expression per line, vectorised date arithmetic, a cumulative sum of header
flags for message ids) instead of a Python loop per message. Decisions that need the whole file (the
header shape and the date order) are made once, from all lines, and reported to the user; nothing that
cannot be placed is dropped silently (it is listed in ``ParseReport.unplaced_lines``).

Steps: bytes (``source.py``) -> lines (Polars splits and validates UTF-8) -> header shape from a
sample of the start, middle and end, locked when one shape dominates -> one find per line with that
shape's pattern -> date and time strings parsed once per distinct value (``whatsapp_dialect``) -> date
order from all dates -> timestamps -> header look-alikes that break the chronology become text ->
author / body split -> continuation lines joined with ``\\n`` -> kinds and edited marker
(``whatsapp_kinds``) -> canonical frame (``whatsapp_messages``; header times: ``whatsapp_times``).
``EBBTIDE_PROFILE=1`` prints the time and memory per stage.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import re
import sys
import time
from pathlib import Path

import polars as pl

from ebbtide.errors import NotAChatExport, UnreadableInput
from ebbtide.importers.base import Importer
from ebbtide.importers.source import (
    SourceText,
    normalise_newlines,
    peek_text,
    read_text_source,
    repair_utf8,
    split_lines,
)
from ebbtide.importers.whatsapp_dialect import (
    DATE_PREFIX,
    GENERAL_PATTERN,
    HEADER_RE,
    OrderDecision,
    Shape,
    date_table,
    infer_date_order,
    order_name,
    shape_counts,
    time_table,
)
from ebbtide.importers.whatsapp_messages import _finish, _messages, _unplaced, header_authors
from ebbtide.importers.whatsapp_people import conversation_slug
from ebbtide.importers.whatsapp_times import _app_line, _file_dates, _row_of, _spikes
from ebbtide.model import (
    DateOrder,
    ParsedExport,
    Platform,
)

CAP_WITHOUT_MEDIA = 40_000
CAP_WITH_MEDIA = 10_000
# A shape shared by at least this share of header-like lines is locked; below it the file is "mixed".
LOCK_SHARE = 0.5
# ...and another shape with at least this share (and 5 lines) of the sample is read as well.
SECOND_SHAPE_SHARE = 0.2
MAX_UNPLACED_LISTED = 200


class WhatsAppImporter(Importer):
    """Module-level ``IMPORTER`` for the registry (see ``importers/registry.py``)."""

    platform = Platform.WHATSAPP
    description = (
        "WhatsApp 'Export chat' .txt (Android) or .zip with _chat.txt (iOS), any language, "
        "with or without media"
    )

    features = ("calls", "edits")

    def looks_like(self, path: Path) -> bool:
        """Cheap: the first non-empty lines of the text (or the zip's chat member) look like headers."""
        head = peek_text(path, 8192)
        if not head:
            return False
        lines = [ln for ln in split_lines(head).split("\n")[:60] if ln.strip()][:30]
        strong = weak = 0
        for line in lines:
            m = HEADER_RE.match(line)
            if m is None:
                continue
            if _is_sigexport_header(m):
                return False
            sep = m.group("sep")
            if "]" in sep or "-" in sep or "–" in sep or sep.startswith(":"):
                strong += 1
            else:
                weak += 1
        return strong >= 1 or weak >= 2

    def parse(self, path: Path, date_order: DateOrder | None) -> ParsedExport:
        return read_whatsapp(path, date_order=date_order)


IMPORTER = WhatsAppImporter()


def _is_sigexport_header(m: re.Match[str]) -> bool:
    """``[2019-12-24, 12:23] Name:`` is the old Signal sigexport layout: bracketed ISO date, no seconds.
    WhatsApp's bracketed (iOS) headers always carry seconds, so such a file is left to other importers."""
    return (
        m.group("ob") is not None
        and m.group("ds") == "-"
        and len(m.group("f1")) == 4
        and m.group("s") is None
    )


def _not_a_chat(what: str, where: str) -> NotAChatExport:
    from ebbtide.importers.registry import supported_formats  # late: the registry imports this module

    return NotAChatExport(
        what,
        where=where,
        fix="Formats understood:\n  " + "\n  ".join(supported_formats()),
    )


def read_whatsapp(path: Path, *, date_order: DateOrder | None = None) -> ParsedExport:
    """Parse a WhatsApp export into the canonical frame plus a ParseReport."""
    # handed over in a box that parse_source empties: an argument would stay referenced by this frame
    # for the whole call, keeping the raw bytes (as large as the file) alive until the end
    return parse_source([read_text_source(path, validate=False)], date_order=date_order, file_name=path.name)


def parse_text(text: str, name: str = "chat.txt", *, date_order: DateOrder | None = None) -> ParsedExport:
    """Parse export text given as a string (tests, pasted text)."""
    return parse_source(SourceText(data=text.encode("utf-8"), name=name, encoding="utf-8"), date_order=date_order)


def _lines(data: bytes) -> tuple[pl.Series, tuple[str, ...]]:
    """Every line of the file as a Polars string column (Rust splits and validates; empty lines kept).

    Invalid UTF-8 (only possible when the reader skipped validation) is repaired with U+FFFD and
    reported, never fatal.
    """
    warnings: tuple[str, ...] = ()
    if b"\x1f" in data:  # the CSV trick below needs a byte that never occurs; else split in Python
        data, warnings = repair_utf8(data)
        parts = data.decode("utf-8").split("\n")
        if parts and parts[-1] == "":
            parts.pop()
        return pl.Series("line", parts, dtype=pl.String), warnings
    try:
        frame = _read_lines(data)
    except pl.exceptions.ComputeError:
        data, warnings = repair_utf8(data)
        try:
            frame = _read_lines(data)
        except pl.exceptions.PolarsError:
            raise UnreadableInput(
                "the text could not be split into lines",
                fix="Export the chat again from the app; do not edit the file in a word processor.",
            ) from None
    return frame.get_column("line").fill_null(""), warnings


def _read_lines(data: bytes) -> pl.DataFrame:
    return pl.read_csv(
        data,
        has_header=False,
        separator="\x1f",
        quote_char=None,
        new_columns=["line"],
        schema={"line": pl.String},
    )


def _sample(data: bytes, size: int = 1 << 16) -> list[str]:
    """Lines from the start, middle and end of the file, to find the header shape cheaply.

    A file of up to three samples is read whole; a larger one gives about 2,500 lines, plenty to see
    which header shape dominates (and a second common one), at a fraction of the cost of every line.
    """
    if len(data) <= 3 * size:
        return data.decode("utf-8", errors="ignore").split("\n")
    mid = len(data) // 2
    out: list[str] = []
    for i, chunk in enumerate((data[:size], data[mid : mid + size], data[-size:])):
        lines = chunk.decode("utf-8", errors="ignore").split("\n")
        out.extend(lines[1 if i else 0 : -1])  # the first line of a later chunk and every last one are cut
    return out


def parse_source(
    source: SourceText | list[SourceText], *, date_order: DateOrder | None = None, file_name: str = ""
) -> ParsedExport:
    """Parse decoded export bytes (separate from reading so tests and other callers can feed text).

    Given as a one-item list, the source is taken out of it, so the raw bytes are freed as soon as
    the lines are built (about the file's size less at the peak).
    """
    src = source.pop() if isinstance(source, list) else source
    data = normalise_newlines(src.data)
    src = dataclasses.replace(src, data=b"")  # keep only one copy of the raw bytes alive
    if not data or data.isspace():
        raise _not_a_chat("the file is empty", src.name)
    warnings: list[str] = list(src.warnings)
    tick = _Ticker()
    counts = shape_counts(_sample(data))
    tick("shape")
    lines, utf8_warnings = _lines(data)
    del data
    warnings.extend(utf8_warnings)
    tick("lines")
    if not counts:  # nothing header-like at the start, middle or end: look at every line once
        counts = shape_counts(lines.filter(lines.str.contains(GENERAL_PATTERN)).head(5000).to_list())
    if not counts:
        raise _not_a_chat("no line looks like a WhatsApp message header (date, time, name)", src.name)
    seen = sum(counts.values())
    shape = next(iter(counts))
    share = counts[shape] / seen
    locked = share >= LOCK_SHARE
    # a second shape that is common too (e.g. an Android and an iPhone export pasted together) is kept
    shapes = [s for s, n in counts.items() if s == shape or n >= max(5, SECOND_SHAPE_SHARE * seen)]
    if not locked:
        warnings.append(
            f"the message headers in this file come in several styles (the commonest covers {share:.0%} "
            f"of {seen} looked at); every header-like line was read as a message."
        )
    elif len(shapes) > 1:
        warnings.append(
            f"this file mixes {len(shapes)} header styles ({'; '.join(s.describe() for s in shapes)}); "
            "was it pasted together from several exports? Each style was read."
        )
    pattern = "|".join(f"(?:{s.pattern()})" for s in shapes) if locked else GENERAL_PATTERN
    # one lazy query: Polars fuses the steps and runs the independent expressions side by side
    cand = (
        pl.DataFrame({"line": lines})
        .lazy()
        .with_row_index("idx")
        .select("idx", pl.col("line").str.extract(pattern, 0).alias("hdr"))
        .filter(pl.col("hdr").is_not_null())
        .with_columns(pl.col("hdr").str.extract(DATE_PREFIX, 0).alias("date"))
        .select(
            "idx",
            "date",
            pl.col("hdr").str.slice(pl.col("date").str.len_chars()).alias("time"),
            pl.col("hdr").str.len_chars().alias("hdr_len"),
        )
        .collect(engine="streaming")
    )
    tick("headers")
    # the author of every header line does not depend on the dates: Polars finds them in the background
    # while the date and time tables are built in Python (waited for before the dates are looked up, so
    # that the two steps' memory is not needed at once); header lines found not to be headers after
    # all are then dropped from them
    candidate = pl.repeat(False, lines.len(), eager=True, dtype=pl.Boolean).scatter(cand.get_column("idx"), True)
    pending = header_authors(
        pl.DataFrame({"line": lines.filter(candidate), "hdr_len": cand.get_column("hdr_len")})
    ).collect(background=True, engine="streaming")
    del candidate
    try:
        dates = date_table(cand.get_column("date").unique().to_list())
        times = time_table(cand.get_column("time").unique().to_list())
    except BaseException:
        pending.cancel()
        raise
    authors = pending.fetch_blocking()
    tick("tables")
    cand, kept, decision = _dated(cand, dates, times, lines, shape, date_order, src.name, warnings, tick)
    if kept is not None:
        authors = authors.filter(kept)
    # header rows are gathered by index (no join over every line); continuation lines get the id of
    # the message they follow from a running count of headers
    hidx = cand.get_column("idx")
    header = pl.repeat(False, lines.len(), eager=True, dtype=pl.Boolean).scatter(hidx, True)
    heads = pl.concat([
        cand.select(
            "idx",
            pl.int_range(1, pl.len() + 1, dtype=pl.UInt32).alias("msg_id"),
            "timestamp",
            lines.filter(header).alias("line"),  # filter works chunk by chunk; gather would rechunk
            "hdr_len",
        ),
        authors,
    ], how="horizontal")
    rest = pl.DataFrame({"line": lines, "header": header, "msg_id": header.cum_sum()})
    del cand, lines, header, authors

    tick("timestamps")
    unplaced = _unplaced(rest.get_column("line").head(int(hidx[0])))
    # in a box that _finish empties, so each intermediate frame is freed as soon as it is replaced
    messages = [_messages(heads, rest.filter(~pl.col("header") & (pl.col("msg_id") > 0)).drop("header"))]
    del heads, rest
    tick("messages")
    result, me, participants = _finish(messages, src, file_name)
    tick("finish")

    if not decision.decided:
        warnings.append(
            f"the date order could not be told from this file; it was read as {order_name(decision.order)} "
            f"({decision.reason}). If dates look wrong, run again with --date-order dmy|mdy|ymd."
        )
    n_msgs = result.height
    if n_msgs >= CAP_WITHOUT_MEDIA - 1_000:
        warnings.append(
            f"this export holds {n_msgs:,} messages; WhatsApp exports at most about 40,000 messages "
            "(10,000 with media), newest kept, so older messages may be missing. Export older periods "
            "separately or from the partner's phone to fill the gap."
        )
    elif n_msgs >= CAP_WITH_MEDIA - 500 and _has_media_files(src):
        warnings.append(
            f"this export with media holds {n_msgs:,} messages; WhatsApp keeps only about 10,000 messages "
            "when media are attached. Export again 'without media' to get up to 40,000."
        )
    if unplaced:
        warnings.append(
            f"{len(unplaced)} line(s) before the first message could not be placed and were skipped "
            "(listed in the report)."
        )
    dialect = shape.describe(decision.order)
    return IMPORTER.result(
        result,
        source_file=src.name,
        dialect=dialect if locked else f"mixed header styles (commonest: {dialect})",
        date_order=decision.order,
        date_order_decided=decision.decided,
        date_order_reason=decision.reason,
        unplaced_lines=tuple(unplaced[:MAX_UNPLACED_LISTED]),
        warnings=warnings,
        participants=participants,
        me=me,
    )


def _dated(
    cand: pl.DataFrame, dates: pl.DataFrame, times: pl.DataFrame, lines: pl.Series, shape: Shape,
    date_order: DateOrder | None, name: str, warnings: list[str], tick: _Ticker,
) -> tuple[pl.DataFrame, pl.Series | None, OrderDecision]:
    """The candidate header rows (idx, date, time, hdr_len) that are real headers, with their timestamp
    (idx, hdr_len, timestamp); which of the rows were kept (None: all); the date order decided.
    ``dates`` and ``times``: the tables of the distinct date and time strings (``date_table``,
    ``time_table``).

    A row is dropped when its date or time is impossible, or when it is a look-alike far out of time
    order (``_spikes``); its line then stays text of the message before it. Warnings are appended."""
    # each header's row in the two small tables (a hash look-up), then the tables' columns gathered
    # by it: about half the work of two joins over every header
    cand = cand.select(
        "idx",
        "hdr_len",
        *dates.drop("date", "n3").select(pl.all().gather(_row_of(cand.get_column("date"), dates.get_column("date"))))
        .get_columns(),
        times.get_column("sod").gather(_row_of(cand.get_column("time"), times.get_column("time"))),
    )
    tick("joins")

    if date_order is not None:
        decision = OrderDecision(date_order, True, "set by you (--date-order)")
    else:
        decision = infer_date_order(
            cand.select("n1", "n2", "w1", "d_dmy", "d_mdy", "sod"), shape, functools.partial(_file_dates, cand, lines)
        )
    day = pl.col(f"d_{decision.order.value}")
    if decision.order is not DateOrder.YMD:  # a four-digit first field is always a year
        day = pl.when(pl.col("w1") == 4).then(pl.col("d_ymd")).otherwise(day)
    cand = cand.select(
        "idx", "hdr_len", (day.cast(pl.Datetime("us")) + pl.duration(seconds=pl.col("sod"))).alias("timestamp")
    )
    kept = cand.get_column("timestamp").is_not_null()
    impossible = int(cand.height - kept.sum())
    if impossible:
        cand = cand.filter(kept)
    if impossible and date_order is not None:
        warnings.append(
            f"{impossible} header line(s) have impossible dates when read as {order_name(date_order)}; "
            "they were kept as text of the message before them. Check --date-order."
        )
    elif impossible:
        warnings.append(
            f"{impossible} line(s) looked like message headers but had an impossible date or time; "
            "they were kept as text of the message before them."
        )
    spikes = _spikes(cand.get_column("timestamp"))
    if spikes.any():  # a notice written late by the app is a record of its own, not pasted text
        spikes = spikes.scatter(spikes.arg_true(), ~_app_line(cand.filter(spikes), lines))
    if spikes.any():
        warnings.append(
            f"{int(spikes.sum())} header-like line(s) far out of time order (e.g. a pasted older message) "
            "were kept as text of the message they appear in."
        )
        cand = cand.filter(~spikes)
        kept = kept.scatter(kept.arg_true(), ~spikes)
    if cand.height == 0:
        raise _not_a_chat(
            f"no message header has a real date when read as {order_name(decision.order)}", name
        )
    return cand, (kept if impossible or spikes.any() else None), decision


class _Ticker:
    """Stage timings on stderr when EBBTIDE_PROFILE is set (for the speed work; silent otherwise)."""

    def __init__(self) -> None:
        self.on = bool(os.environ.get("EBBTIDE_PROFILE"))
        self.last = time.perf_counter()
        self.cpu = time.process_time()

    def __call__(self, stage: str) -> None:
        if self.on:
            now, cpu = time.perf_counter(), time.process_time()
            import resource

            usage = resource.getrusage(resource.RUSAGE_SELF)
            faults, self.faults = usage.ru_minflt - getattr(self, "faults", 0), usage.ru_minflt
            print(
                f"whatsapp {stage:12s} wall {now - self.last:5.2f}s cpu {cpu - self.cpu:5.2f}s "
                f"peak {usage.ru_maxrss // 1024} MiB page faults {faults:,}",
                file=sys.stderr,
            )
            self.last, self.cpu = now, cpu


def _has_media_files(src: SourceText) -> bool:
    return any(not n.lower().endswith(".txt") and not n.endswith("/") for n in src.zip_members)


__all__ = ["IMPORTER", "WhatsAppImporter", "conversation_slug", "parse_text", "read_whatsapp"]
