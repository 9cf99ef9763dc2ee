"""From header lines to messages: author and body, continuation lines, kinds, senders, the frame.

Given the header rows of a WhatsApp export (their line, timestamp and header length) and the other
lines, this builds one row per message in the canonical frame. The per-row work is vectorised; the
detailed rules (placeholders, notices, the edited marker: ``whatsapp_kinds``) run only on the few
rows one combined pattern picks out."""

from __future__ import annotations

import polars as pl

from ebbtide.importers.source import (
    SourceText,
)
from ebbtide.importers.whatsapp_dialect import (
    BIDI_CHARS,
)
from ebbtide.importers.whatsapp_kinds import body_flags, kinds_of, needs_look, strip_edited_expr
from ebbtide.importers.whatsapp_people import clean_name, conversation_slug, guess_me
from ebbtide.model import (
    MESSAGE_SCHEMA,
    MessageKind,
    Platform,
    UnplacedLine,
)

_AUTHOR_PATTERN = '^[^:"“”\u201e]{1,100}: ?'
_AUTHOR_SPAN = 110  # characters enough for any match of _AUTHOR_PATTERN (at most 100 + ': ')


def _unplaced(before: pl.Series) -> list[UnplacedLine]:
    """The non-blank lines before the first message header (``before``: those lines, from line 1)."""
    frame = pl.DataFrame({"line": before}).with_row_index("idx")
    frame = frame.filter(pl.col("line").str.strip_chars(BIDI_CHARS + " \t") != "")
    return [
        UnplacedLine(line_no=int(i) + 1, text=line[:500], reason="before the first message header")
        for i, line in zip(frame.get_column("idx"), frame.get_column("line"), strict=True)
    ]


def header_authors(heads: pl.DataFrame) -> pl.LazyFrame:
    """For header lines (line, hdr_len): the author, the length of 'author: ' (``alen``, 0 without one)
    and ``none`` (no author: a notice).

    None of this depends on the dates, so ``parse_source`` runs it in the background while the date
    and time tables are built."""
    # group 0 only: a plain find is several times faster than a capture group in Rust regex. The
    # author is looked for in the first _AUTHOR_SPAN characters after the header (its match is at most
    # 102 long); the body is cut from the line itself later (``_messages``): no copy of every line's rest
    return (
        heads.lazy()
        .select(
            pl.col("line").str.slice(pl.col("hdr_len"), _AUTHOR_SPAN).str.extract(_AUTHOR_PATTERN, 0).alias("author_colon")
        )
        .select(
            pl.col("author_colon").str.strip_suffix(" ").str.strip_suffix(":").alias("author"),
            pl.col("author_colon").str.len_chars().fill_null(0).alias("alen"),
        )
        .with_columns((pl.col("author").is_null() | (pl.col("author") == "")).alias("none"))
    )


def _messages(heads: pl.DataFrame, cont: pl.DataFrame) -> pl.DataFrame:
    """One row per message: the text after the author, continuation lines joined with '\\n'.

    ``heads``: one row per header line (idx, msg_id, timestamp, line, hdr_len and the columns of
    ``header_authors``); ``cont``: the other lines after the first header (line, msg_id of the message
    they continue).
    """
    query = heads.lazy().select(
        "idx",
        "msg_id",
        "timestamp",
        "author",
        pl.col("line").str.slice(pl.col("hdr_len") + pl.col("alen")).alias("body"),
        "none",
    )
    if cont.height == 0:
        return query.collect(engine="streaming")
    tails_query = (
        cont.lazy()
        .group_by("msg_id", maintain_order=True)
        .agg(pl.col("line"))  # gathered, then joined: faster than joining inside the aggregation
        .select("msg_id", pl.col("line").list.join("\n").str.strip_chars_end("\n").alias("tail"))
        .filter(pl.col("tail") != "")  # trailing empty lines (e.g. the file's last newline) add nothing
    )
    heads, tails = pl.collect_all([query, tails_query], engine="streaming")  # side by side
    if tails.height == 0:
        return heads
    # most messages are one line: the few tails are put on by row number (msg_id counts rows from 1)
    rows = tails.get_column("msg_id") - 1
    body = heads.get_column("body")
    joined = tails.select(pl.concat_str([body.gather(rows), pl.lit("\n"), pl.col("tail")]).alias("body")).to_series()
    return heads.with_columns(body.scatter(rows, joined))


def _finish(
    box: list[pl.DataFrame], src: SourceText, file_name: str
) -> tuple[pl.DataFrame, str | None, tuple[str, ...]]:
    """Sender clean-up, kinds, edited marker, ids: the canonical frame, 'me' where it can be told, and
    the people who wrote, in order of their first message."""
    # side by side: the distinct names (few: cleaned once each in Python, then mapped) and one pass
    # that finds the few bodies needing a closer look; ``none`` (``header_authors``) marks the rows
    # without an author (notices). The fixes and kinds are worked out on those rows only, every other
    # row is plain text
    heads = box.pop()
    names, masks = pl.collect_all([
        heads.lazy().select(pl.col("author").drop_nulls().unique()),
        heads.lazy().select(needs_look("body").alias("look"), "none"),
    ], engine="streaming")
    changed = {n: c for n in names.to_series().to_list() if (c := clean_name(n)) != n}
    heads = heads.drop("none")
    no_author = masks.get_column("none")
    if changed:  # most exports need no cleaning: then no pass over every row
        if emptied := [n for n, c in changed.items() if c == ""]:
            no_author = no_author | heads.get_column("author").is_in(emptied)
        heads = heads.with_columns(pl.col("author").replace(changed))
    looked = masks.get_column("look").arg_true()
    del masks
    flags = body_flags(heads.get_column("body").gather(looked))
    n = heads.height
    rows = pl.concat([looked, no_author.arg_true()]).unique().sort() if no_author.any() else looked
    full = [pl.repeat(False, n, eager=True, dtype=pl.Boolean).scatter(looked, flags.get_column(c)).alias(c)
            for c in flags.columns]
    sub = heads[rows].with_columns(*(f.gather(rows) for f in full), (~no_author.gather(rows)).alias("has_author"))
    del flags
    sub = sub.with_columns(
        pl.when(pl.col("_bidi")).then(pl.col("body").str.strip_chars_start(BIDI_CHARS)).otherwise(pl.col("body"))
        .alias("body")
    ).with_columns(pl.when(pl.col("edited")).then(strip_edited_expr("body")).otherwise(pl.col("body")).alias("body"))
    sub = sub.with_columns(kinds_of(sub, marked="_mark")).with_columns(
        pl.when(pl.col("kind") == MessageKind.SYSTEM.value).then(pl.lit("")).otherwise(pl.col("author")).alias("sender")
    )
    df = pl.DataFrame({
        "idx": heads.get_column("idx"),
        "timestamp": heads.get_column("timestamp"),
        "sender": heads.get_column("author").scatter(rows, sub.get_column("sender")),
        "text": heads.get_column("body").scatter(rows, sub.get_column("body")),
        "kind": pl.repeat(MessageKind.TEXT.value, n, eager=True, dtype=pl.String).scatter(rows, sub.get_column("kind")),
        "edited": full[0],
        "by_me": pl.repeat(False, n, eager=True, dtype=pl.Boolean).scatter(rows, sub.get_column("by_me")),
    })
    del heads, sub
    # system rows, and only they, have the sender "": the people are the other names, in order
    senders = [s for s in df.get_column("sender").unique(maintain_order=True).to_list() if s != ""]
    conversation_id = "whatsapp:" + conversation_slug(senders)
    me = guess_me(df, senders, f"{file_name}:{src.name}" if file_name else src.name)
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
    return out.cast(MESSAGE_SCHEMA), me, tuple(senders)  # type: ignore[arg-type]
