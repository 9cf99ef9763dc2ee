"""``kinds_of`` applies the kind rule branch by branch (each part of the rows runs only the patterns
its branch needs); ``_kind_expr`` is the same rule as one when/then expression. Both must agree on
every kind of body: each vocabulary form of every language (as written, lower case, with a full stop,
with the iPhone mark, after a group name holding ': ', with spaces and marks around it), the fixtures'
words, people's own words, empty and missing bodies, with and without an author."""

from __future__ import annotations

import polars as pl
from test_whatsapp_languages import UI

from ebbtide.importers.whatsapp_kinds import (
    _STRIP,
    MARK,
    _kind_expr,
    kinds_of,
    marked_expr,
    read_rows,
    vocabulary,
)


def _bodies() -> list[str | None]:
    forms = [r.text for r in read_rows() if r.match in ("exact", "head", "suffix")]
    forms += [w for words in UI.values() for w in words.values()]
    forms += ["Null", "video call", "hi", "ok: fine", "Media omitted", "<Media omitted>", "x.vcf (file attached)",
              "POLL:\nLunch?\nOPTION: Pizza (2 votes)", "location: https://maps.google.com/?q=1,2",
              "Sam left", "Sam was added", "", "  ", "\u00a0<Media omitted>\u202f"]
    out: list[str | None] = [None]
    for f in forms:
        out += [f, f.lower(), f.upper(), f + ".", MARK + f, f"{MARK} {f}", f"Trip: Paris: {MARK}{f}", f"\u200f{f}\u00a0",
                f"{f}\nsecond line", f"you said: {f}"]
    return out


def test_kinds_of_equals_the_one_expression_rule() -> None:
    bodies = _bodies()
    authors = [True, False, None]
    frame = pl.DataFrame(
        {"body": [b for b in bodies for _ in authors], "has_author": authors * len(bodies)},
        schema={"body": pl.String, "has_author": pl.Boolean},
    ).with_columns(marked_expr("body").alias("_mark"))
    assert frame.height > 5000
    kind, by_me = kinds_of(frame, marked="_mark")
    st = pl.col("body").str.strip_chars(_STRIP)
    expected = frame.select(
        _kind_expr(st, pl.col("has_author"), pl.col("_mark").fill_null(False)).alias("kind")
    ).with_columns(
        ((pl.col("kind") == "deleted") & frame.select(st.str.contains(vocabulary().by_me)).to_series()).alias("by_me")
    )
    assert kind.to_list() == expected.get_column("kind").to_list()
    assert by_me.to_list() == expected.get_column("by_me").to_list()
    assert set(kind.to_list()) >= {"text", "system", "media", "deleted", "call", "other"}


def test_kinds_of_without_rows() -> None:
    empty = pl.DataFrame({"body": [], "has_author": []}, schema={"body": pl.String, "has_author": pl.Boolean})
    kind, by_me = kinds_of(empty)
    assert kind.len() == 0 and by_me.len() == 0
    assert kind.dtype == pl.String and by_me.dtype == pl.Boolean
