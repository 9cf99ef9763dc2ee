"""Header times: date and time strings looked up in their tables, out-of-order look-alikes, attachment dates.

A header's date and time strings are parsed once per distinct value (``whatsapp_dialect``) and looked
up by row number here. A header far outside the time span of its neighbours is a pasted look-alike
(``_spikes``), unless the app wrote the line itself (a notice written late, ``_app_line``)."""

from __future__ import annotations

import polars as pl

from ebbtide.importers.whatsapp_dialect import ATTACHMENT_DATE
from ebbtide.importers.whatsapp_kinds import MARK
from ebbtide.importers.whatsapp_messages import _AUTHOR_PATTERN

# A header whose time leaves its neighbours' span by more than this is a pasted look-alike.
SPIKE_US = 24 * 3600 * 1_000_000
DST_US = 2 * 3600 * 1_000_000  # a clock set back by daylight saving repeats up to this much


def _row_of(keys: pl.Series, table_keys: pl.Series) -> pl.Series:
    """For each of ``keys``, its row number in ``table_keys`` (distinct values), null when absent."""
    rows = pl.int_range(table_keys.len(), eager=True, dtype=pl.UInt32)
    return keys.replace_strict(table_keys, rows, default=None, return_dtype=pl.UInt32)


def _spikes(ts: pl.Series) -> pl.Series:
    """Header look-alikes in a body: a time far outside the span of the two real headers around it.

    A line is a spike when it lies more than a day before its predecessor or more than a day after its
    successor while those two neighbours agree with each other (allowing a repeated DST hour). Genuine
    exports run forwards in time, so this only fires for pasted or quoted headers, which then stay
    part of the message they were written in.
    """
    t = ts.cast(pl.Int64)
    if t.len() < 3:
        return pl.Series("spike", [False] * t.len(), dtype=pl.Boolean)
    prev, nxt = t.shift(1), t.shift(-1)
    agree = nxt >= prev - DST_US
    spike = ((t < prev - SPIKE_US) | (t > nxt + SPIKE_US)) & agree
    return spike.fill_null(False).alias("spike")


def _file_dates(cand: pl.DataFrame, lines: pl.Series) -> pl.DataFrame:
    """Header lines naming an attachment with its full date: (d_dmy, d_mdy, fdate) for the date order."""
    found = (
        pl.DataFrame({"line": lines})
        .with_row_index("idx")
        .filter(pl.col("line").str.contains(ATTACHMENT_DATE))
        .select(
            pl.col("idx").cast(cand.schema["idx"]),
            pl.col("line").str.extract_groups(ATTACHMENT_DATE).alias("g"),
        )
    )
    if found.height == 0:
        return pl.DataFrame()
    found = found.select(
        "idx",
        pl.date(
            pl.col("g").struct[0].cast(pl.Int32), pl.col("g").struct[1].cast(pl.Int32), pl.col("g").struct[2].cast(pl.Int32)
        ).alias("fdate"),
    )
    return cand.select("idx", "d_dmy", "d_mdy").join(found, on="idx", how="inner")


def _app_line(heads: pl.DataFrame, lines: pl.Series) -> pl.Series:
    """For header rows (idx, hdr_len): whether the app wrote the line itself, i.e. it has no author
    (Android notices) or carries the iPhone mark right after 'Name: ' (see ``whatsapp_kinds``)."""
    rest = lines.gather(heads.get_column("idx")).str.slice(heads.get_column("hdr_len"))
    author = rest.str.extract(_AUTHOR_PATTERN, 0)
    marked = rest.str.slice(author.str.len_chars().fill_null(0)).str.starts_with(MARK)
    return (author.is_null() | marked).fill_null(True)
