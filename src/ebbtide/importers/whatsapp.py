"""WhatsApp "Export chat" importer: ``.txt`` (Android) or ``.zip`` holding ``_chat.txt`` (iOS) or any ``.txt``.

Why it is built this way: exports can hold a million lines, so the whole file is parsed by Polars in
Rust (one anchored regular expression per line, vectorised date arithmetic, a cumulative sum of header
flags for message ids) instead of a Python loop per message. Decisions that need the whole file (the
header shape and the date order) are made once, from all lines, and reported to the user; nothing that
cannot be placed is dropped silently (it is listed in ``ParseReport.unplaced_lines``).

Steps: decode (``source.py``) -> lines -> header groups (``whatsapp_dialect.HEADER_PATTERN``) -> lock
the dominant header shape -> date order -> timestamps -> drop header look-alikes that break the
chronology -> author / body split -> join continuation lines with ``\\n`` -> kinds and edited marker
(``whatsapp_kinds``) -> canonical frame.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import Path

import polars as pl

from ebbtide.errors import NotAChatExport
from ebbtide.importers.source import SourceText, peek_text, read_text_source, split_lines
from ebbtide.importers.whatsapp_dialect import (
    BIDI_CHARS,
    HEADER_PATTERN,
    HEADER_RE,
    OrderDecision,
    Shape,
    dominant_shape,
    infer_date_order,
    matches_shape,
    numeric_columns,
    order_name,
    timestamps,
)
from ebbtide.importers.whatsapp_kinds import deleted_by_me_expr, edited_expr, kind_expr, strip_edited_expr
from ebbtide.model import (
    MESSAGE_SCHEMA,
    DateOrder,
    MessageKind,
    ParsedExport,
    ParseReport,
    Platform,
    UnplacedLine,
)

CAPABILITIES = {"reactions": False, "replies": False, "read_times": False, "calls": True, "edits": True}
CAP_WITHOUT_MEDIA = 40_000
CAP_WITH_MEDIA = 10_000
# A shape shared by at least this share of header-like lines is locked; below it the file is "mixed".
LOCK_SHARE = 0.5
# A header whose time leaves its neighbours' span by more than this is a pasted look-alike.
SPIKE_US = 24 * 3600 * 1_000_000
DST_US = 2 * 3600 * 1_000_000
MAX_UNPLACED_LISTED = 200
_AUTHOR_PATTERN = '^(?P<author>[^:"“”\u201e]{1,100}?):[ \u00a0\u202f]?(?P<after>.*)$'
_TILDE = "^[" + BIDI_CHARS + "]*~[ \u00a0\u202f]?"
_FILENAME_OTHER = re.compile(
    r"^WhatsApp[ _]Chat(?:[ _]?(?:with|mit|con|avec|com|met|med|z|с|ile)[ _]|[ _]?-[ _]?)(?P<name>.+?)"
    r"(?:\.txt|\.zip)?$",
    re.IGNORECASE,
)


class WhatsAppImporter:
    """Module-level ``IMPORTER`` for the registry (see ``importers/registry.py``)."""

    platform = Platform.WHATSAPP
    description = (
        "WhatsApp 'Export chat' .txt (Android) or .zip with _chat.txt (iOS), any language, "
        "with or without media"
    )

    def sniff(self, path: Path) -> bool:
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
            sep = m.group("sep")
            if "]" in sep or "-" in sep or "–" in sep or sep.startswith(":"):
                strong += 1
            else:
                weak += 1
        return strong >= 1 or weak >= 2

    def read(self, path: Path, *, date_order: DateOrder | None = None) -> ParsedExport:
        return read_whatsapp(Path(path), date_order=date_order)


IMPORTER = WhatsAppImporter()


def _not_a_chat(what: str, where: str) -> NotAChatExport:
    from ebbtide.importers.registry import supported_formats  # late: the registry imports this module

    return NotAChatExport(
        what,
        where=where,
        fix="Formats understood:\n  " + "\n  ".join(supported_formats()),
    )


def read_whatsapp(path: Path, *, date_order: DateOrder | None = None) -> ParsedExport:
    """Parse a WhatsApp export into the canonical frame plus a ParseReport."""
    src = read_text_source(path)
    return parse_text(src, date_order=date_order, file_name=path.name)


def parse_text(src: SourceText, *, date_order: DateOrder | None = None, file_name: str = "") -> ParsedExport:
    """Parse decoded export text (separate from reading so tests and other callers can feed text)."""
    text = split_lines(src.text)
    if not text.strip():
        raise _not_a_chat("the file is empty", src.name)
    lines = pl.Series("line", [text]).str.split("\n").explode()
    if lines.len() and lines[-1] == "":
        lines = lines.slice(0, lines.len() - 1)  # the newline that ends the file is not a line
    groups = lines.str.extract_groups(HEADER_PATTERN).struct.unnest()
    matched = groups.get_column("f1").is_not_null()
    if not matched.any():
        raise _not_a_chat("no line looks like a WhatsApp message header (date, time, name)", src.name)
    warnings: list[str] = list(src.warnings)

    shape, share = dominant_shape(groups.head(200_000))
    assert shape is not None  # matched.any() above
    locked = share >= LOCK_SHARE
    if not locked:
        warnings.append(
            f"the message headers in this file come in several styles (the commonest covers {share:.0%}); "
            "each header-like line was read as a message."
        )
    non_ascii = bool(groups.get_column("h").drop_nulls().head(1000).str.contains("[^0-9]").any())
    nums = numeric_columns(groups, non_ascii_digits=non_ascii)
    in_shape = (
        groups.select((pl.col("f1").is_not_null() & matches_shape(shape)).fill_null(False)).to_series()
        if locked
        else matched
    )

    candidates = nums.filter(in_shape)
    if date_order is not None:
        decision = OrderDecision(date_order, True, "set by you (--date-order)")
    else:
        decision = infer_date_order(candidates.filter(pl.col("w1") != 4), shape) if locked else _mixed_order(
            candidates, shape
        )
    stamped = _timestamps_mixed_years(nums, decision.order)
    valid = stamped.get_column("valid") & in_shape
    invalid_in_shape = int((in_shape & ~stamped.get_column("valid")).sum())
    if date_order is not None and invalid_in_shape:
        warnings.append(
            f"{invalid_in_shape} header line(s) have impossible dates when read as {order_name(date_order)}; "
            "they were kept as text of the message before them. Check --date-order."
        )
    ts = stamped.get_column("timestamp")
    header = valid & ~_spikes(ts, valid)
    if not header.any():
        raise _not_a_chat(
            f"no message header has a real date when read as {order_name(decision.order)}",
            src.name,
        )

    frame = pl.DataFrame(
        {
            "line": lines,
            "rest": groups.get_column("rest"),
            "header": header,
            "timestamp": ts,
        }
    ).with_row_index("idx")
    frame = frame.with_columns(pl.col("header").cum_sum().alias("msg_id"))

    unplaced = _unplaced(frame)
    messages = _messages(frame)
    result, me = _finish(messages, src, file_name)

    if not decision.decided:
        warnings.append(
            f"the date order could not be told from this file; it was read as {order_name(decision.order)} "
            f"({decision.reason}). If dates look wrong, run again with --date-order dmy|mdy|ymd."
        )
    n_msgs = result.height
    if n_msgs >= CAP_WITHOUT_MEDIA - 1_000:
        warnings.append(
            f"this export holds {n_msgs} messages; WhatsApp exports at most about 40,000 messages "
            "(10,000 with media), newest kept, so older messages may be missing. Export older periods "
            "separately or from the partner's phone to fill the gap."
        )
    elif n_msgs >= CAP_WITH_MEDIA - 500 and _has_media_files(src):
        warnings.append(
            f"this export with media holds {n_msgs} messages; WhatsApp keeps only about 10,000 messages "
            "when media are attached. Export again 'without media' to get up to 40,000."
        )
    if unplaced:
        warnings.append(
            f"{len(unplaced)} line(s) before the first message could not be placed and were skipped "
            "(listed in the report)."
        )
    participants = tuple(
        result.filter(pl.col("kind") != MessageKind.SYSTEM.value).get_column("sender").unique(maintain_order=True)
    )
    order_reason = decision.reason if (locked or date_order) else f"{decision.reason} (mixed header styles)"
    report = ParseReport(
        source_file=src.name,
        platform=Platform.WHATSAPP,
        dialect=_describe(shape, decision.order, locked),
        date_order=decision.order,
        date_order_decided=decision.decided,
        date_order_reason=order_reason,
        unplaced_lines=tuple(unplaced[:MAX_UNPLACED_LISTED]),
        warnings=tuple(warnings),
        participants=participants,
        me=me,
        capabilities=dict(CAPABILITIES),
    )
    return ParsedExport(messages=result, report=report)


def _mixed_order(candidates: pl.DataFrame, shape: Shape) -> OrderDecision:
    """Date order for a file whose headers come in several styles: judged from the year-last dates."""
    return infer_date_order(candidates.filter(pl.col("w1") != 4), shape)


def _timestamps_mixed_years(nums: pl.DataFrame, order: DateOrder) -> pl.DataFrame:
    """Timestamps under ``order``; a four-digit first field is always a year (no order has a day 2019)."""
    main = timestamps(nums, order)
    if order is DateOrder.YMD:
        return main
    year_first = nums.get_column("w1") == 4
    if not year_first.fill_null(False).any():
        return main
    ymd = timestamps(nums, DateOrder.YMD)
    pick = year_first.fill_null(False)
    return pl.DataFrame(
        {
            "valid": pl.select(pl.when(pick).then(ymd["valid"]).otherwise(main["valid"])).to_series(),
            "timestamp": pl.select(pl.when(pick).then(ymd["timestamp"]).otherwise(main["timestamp"])).to_series(),
        }
    )


def _spikes(ts: pl.Series, valid: pl.Series) -> pl.Series:
    """Header look-alikes in a body: a time far outside the span of the two real headers around it.

    A line is a spike when it lies more than a day before its predecessor or more than a day after its
    successor while those two neighbours agree with each other (allowing a repeated DST hour). Genuine
    exports are in time order, so this only fires for pasted or quoted headers.
    """
    hdr = pl.DataFrame({"ts": ts.cast(pl.Int64), "valid": valid}).with_row_index("i").filter(pl.col("valid"))
    if hdr.height < 3:
        return pl.Series("spike", [False] * ts.len())
    prev = pl.col("ts").shift(1)
    nxt = pl.col("ts").shift(-1)
    neighbours_agree = nxt >= prev - DST_US
    spike = (((pl.col("ts") < prev - SPIKE_US) | (pl.col("ts") > nxt + SPIKE_US)) & neighbours_agree).fill_null(
        False
    )
    flagged = hdr.filter(spike).get_column("i")
    out = pl.Series("spike", [False] * ts.len())
    if flagged.len():
        out = out.scatter(flagged.cast(pl.Int64), True)
    return out


def _unplaced(frame: pl.DataFrame) -> list[UnplacedLine]:
    before = frame.filter((pl.col("msg_id") == 0) & (pl.col("line").str.strip_chars(BIDI_CHARS + " \t") != ""))
    return [
        UnplacedLine(line_no=int(i) + 1, text=line[:500], reason="before the first message header")
        for i, line in zip(before.get_column("idx"), before.get_column("line"), strict=True)
    ]


def _messages(frame: pl.DataFrame) -> pl.DataFrame:
    """One row per message: header fields, author split, continuation lines joined with '\\n'."""
    heads = frame.filter(pl.col("header")).select("idx", "msg_id", "timestamp", "rest")
    split = heads.get_column("rest").str.extract_groups(_AUTHOR_PATTERN).struct.unnest()
    heads = heads.with_columns(
        split.get_column("author").alias("author"),
        pl.when(split.get_column("author").is_not_null())
        .then(split.get_column("after"))
        .otherwise(pl.col("rest"))
        .alias("body"),
    ).drop("rest")
    cont = frame.filter(~pl.col("header") & (pl.col("msg_id") > 0))
    if cont.height:
        tails = cont.group_by("msg_id", maintain_order=True).agg(pl.col("line").str.join("\n").alias("tail"))
        heads = (
            heads.join(tails, on="msg_id", how="left")
            .with_columns(
                pl.when(pl.col("tail").is_not_null())
                .then(pl.concat_str([pl.col("body"), pl.lit("\n"), pl.col("tail")]).str.strip_chars_end("\n"))
                .otherwise(pl.col("body"))
                .alias("body")
            )
            .drop("tail")
        )
    return heads.sort("idx")


def _finish(heads: pl.DataFrame, src: SourceText, file_name: str) -> tuple[pl.DataFrame, str | None]:
    """Sender clean-up, kinds, edited marker, ids: the canonical frame, and 'me' where it can be told."""
    author = (
        pl.col("author").str.strip_chars(BIDI_CHARS + " \t\u00a0\u202f").str.replace(_TILDE, "").str.strip_chars()
    )
    df = heads.with_columns(
        author.alias("author"),
        pl.col("body").str.strip_chars_start(BIDI_CHARS).alias("body"),
        (pl.col("author").is_not_null() & (author != "")).fill_null(False).alias("has_author"),
    )
    df = df.with_columns(edited_expr("body").alias("edited"))
    df = df.with_columns(
        pl.when(pl.col("edited")).then(strip_edited_expr("body")).otherwise(pl.col("body")).alias("body")
    )
    df = df.with_columns(kind_expr("body", "has_author").alias("kind"), deleted_by_me_expr("body").alias("by_me"))
    df = df.with_columns(
        pl.when(pl.col("kind") == MessageKind.SYSTEM.value)
        .then(pl.lit(""))
        .otherwise(pl.col("author"))
        .alias("sender"),
        pl.col("body").alias("text"),
    )
    senders = df.filter(pl.col("kind") != MessageKind.SYSTEM.value).get_column("sender").unique(maintain_order=True)
    conversation_id = "whatsapp:" + conversation_slug(senders.to_list())
    me = _guess_me(df, senders.to_list(), file_name or src.name)
    out = df.select(
        pl.col("timestamp").cast(pl.Datetime("us")),
        pl.lit(None, pl.Int32).alias("utc_offset_min"),
        pl.col("sender").cast(pl.String),
        pl.col("text").fill_null("").cast(pl.String),
        pl.col("kind").cast(pl.String),
        pl.col("edited").fill_null(False),
        pl.lit(Platform.WHATSAPP.value).alias("platform"),
        pl.lit(conversation_id).alias("conversation_id"),
        pl.lit(src.name).alias("source_file"),
        (pl.col("idx").cast(pl.Int64) + 1).alias("source_line"),
    )
    return out.cast(MESSAGE_SCHEMA), me  # type: ignore[arg-type]


def conversation_slug(names: list[str]) -> str:
    """A stable id from the participants' names: the same for two exports of one chat, whatever order."""
    parts = []
    for name in sorted(set(names)):
        norm = unicodedata.normalize("NFC", name).casefold()
        slug = re.sub(r"[^\w]+", "-", norm).strip("-")
        if not slug:
            slug = "u" + hashlib.sha1(name.encode("utf-8")).hexdigest()[:8]
        parts.append(slug)
    return "+".join(parts) if parts else "empty"


def _guess_me(df: pl.DataFrame, senders: list[str], file_name: str) -> str | None:
    """The exporting user, only where the export itself tells: 'You deleted this message' lines are the
    exporter's own; a 1:1 export named 'WhatsApp Chat with Sam' means the other person is Sam.
    Conflicting or missing evidence gives None (the user is asked instead)."""
    guesses: set[str] = set()
    mine = df.filter(pl.col("by_me") & (pl.col("sender") != "")).get_column("sender").unique().to_list()
    if len(mine) == 1:
        guesses.add(mine[0])
    elif len(mine) > 1:
        return None
    base = Path(file_name.split(":", 1)[0]).name
    m = _FILENAME_OTHER.match(Path(base).stem if base.lower().endswith((".txt", ".zip")) else base)
    if m and len(senders) == 2:
        other = m.group("name").strip()
        if other in senders:
            guesses.add(next(s for s in senders if s != other))
    return guesses.pop() if len(guesses) == 1 else None


def _has_media_files(src: SourceText) -> bool:
    return any(not n.lower().endswith(".txt") and not n.endswith("/") for n in src.zip_members)


def _describe(shape: Shape, order: DateOrder, locked: bool) -> str:
    words = shape.describe().split(", ")
    text = ", ".join([words[0], order_name(order), *words[1:]])
    return text if locked else f"mixed header styles (commonest: {text})"


__all__ = ["IMPORTER", "WhatsAppImporter", "conversation_slug", "parse_text", "read_whatsapp"]
