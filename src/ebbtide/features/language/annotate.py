"""``annotate_frame``: the canonical message frame in, the same rows with per-message language features.

Design: each distinct text is analysed once per language present (``text_features``: one Aho–Corasick pass
finds every word-list term, sentiment is one token join), the noncommittal context is a sort and a join
(``noncommittal.py``), evidence spans are regexes run only on the texts where a feature fired (``spans.py``)
or, with ``with_matches=None``, not at all: ``matches_for`` finds them later for the few rows a report shows.
Language is decided per conversation (a light stop-word profile), never guessed: text in an unsupported
language gets null features and ``lang`` says why, so the signals layer can report ``not_measurable``. Safety
language is the exception: it is searched in every text message with the lists of all languages, because a
missed cry for help costs more than a false alarm.

Modules: ``patterns`` (word-list regexes), ``text_features`` (per-text features, noncommittal judgement),
``spans`` (evidence spans), ``texts`` (``annotate_texts`` for free texts), this one (the frame).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np
import polars as pl

from ebbtide.features.language.langdetect import UNDETERMINED, detect_languages
from ebbtide.features.language.lsm import FW_COLUMNS
from ebbtide.features.language.noncommittal import question_context
from ebbtide.features.language.patterns import BOOL_TAIL
from ebbtide.features.language.spans import MATCH_DTYPE, SPAN_FEATURES, empty_matches
from ebbtide.features.language.text_features import noncommittal_columns, text_features
from ebbtide.features.language.tokens import normalise, word_count

#: Columns added by ``annotate_frame``, in order, with their types.
ANNOTATION_SCHEMA: dict[str, pl.DataType] = {
    "words": pl.Int32(),
    "lang": pl.String(),
    "sentiment": pl.String(),
    "sentiment_score": pl.Float64(),
    "affection": pl.Boolean(),
    "affection_score": pl.Float64(),
    "question": pl.Boolean(),
    "plan_question": pl.Boolean(),
    "relationship_question": pl.Boolean(),
    "noncommittal": pl.Boolean(),
    "noncommittal_score": pl.Float64(),
    **{name: pl.Boolean() for name in BOOL_TAIL},
    **{col: pl.Int32() for col in FW_COLUMNS},
    "question_context": pl.String(),  # the question a message answers (for evidence), else null
    "matches": MATCH_DTYPE,
}
_REQUIRED = ("text", "kind")


_SCHEMA_WITHOUT_MATCHES = {c: dt for c, dt in ANNOTATION_SCHEMA.items() if c != "matches"}


def annotate_frame(
    messages: pl.DataFrame, *, lang: str | None = None, with_matches: bool | None = True
) -> pl.DataFrame:
    """Add the language features to a canonical message frame (same rows, same order).

    ``lang`` forces one language for every conversation (otherwise detected per ``conversation_id``).
    ``with_matches=False`` skips the evidence spans (``matches`` is then empty lists); ``None`` leaves the
    ``matches`` column out: ``matches_for`` finds the spans of the few rows a report shows (on a chat of
    distinct texts the spans of every row cost about a quarter of the time). Only ``kind == "text"`` rows get
    features; others get False/0/null.
    """
    missing = [c for c in _REQUIRED if c not in messages.columns]
    if missing:
        raise ValueError(f"annotate_frame needs columns {list(_REQUIRED)}; missing {missing}")
    n = messages.height
    is_text = (messages["kind"] == "text").fill_null(False)
    tidx = np.flatnonzero(is_text.to_numpy()).astype(np.uint32)

    def col(name: str, default: Any) -> pl.Series:
        if name in messages.columns:
            return messages[name].gather(tidx)
        return pl.Series(name, [default]).new_from_index(0, len(tidx))

    t = pl.DataFrame({
        "row": tidx,
        "text": col("text", "").fill_null(""),
        "conversation_id": col("conversation_id", "").fill_null(""),
        "sender": col("sender", "").fill_null(""),
        "timestamp": col("timestamp", datetime(1970, 1, 1)),
    })
    conv_lang = _languages(t, lang)
    t = t.with_columns(lang=pl.col("conversation_id").replace_strict(conv_lang, return_dtype=pl.String))
    if "_lang_hint" in messages.columns:
        t = t.with_columns(lang=pl.coalesce(col("_lang_hint", None), pl.col("lang")))
    feats = _features_of(t.select("text", "lang"), bool(with_matches))
    if feats is not None:
        t = pl.concat([t, feats], how="horizontal")
        del feats
    else:
        t = t.with_columns(_hedges=pl.lit(0, dtype=pl.Int32), _nc_strong=pl.lit(0, dtype=pl.Int32),
                           _non_answer=pl.lit(0, dtype=pl.Int32), _committal=pl.lit(0, dtype=pl.Int32),
                           _opener=pl.lit(0, dtype=pl.Int8), question=pl.lit(False),
                           _norm=pl.lit("", dtype=pl.String), words=pl.lit(0, dtype=pl.Int32))
    ctx = question_context(t.select("row", "conversation_id", "sender", "timestamp", "question", "text")
                           .with_columns(is_text=pl.lit(True)))
    t = t.with_columns(ctx_row=ctx["ctx_row"], question_context=ctx["ctx_text"])
    nc, nc_score = noncommittal_columns(t)
    t = t.with_columns(nc, nc_score)
    if with_matches and t.height:
        t = t.with_columns(_judged_spans())
    elif with_matches is not None:
        t = t.with_columns(empty_matches(t.height))
    # Spread text-row values over all rows with one gather (null index = non-text row), then give non-text
    # rows their False / 0 / null.
    lang_all = messages["conversation_id"].fill_null("").replace_strict(conv_lang, default=None,
                                                                         return_dtype=pl.String) \
        if "conversation_id" in messages.columns else pl.Series([None] * n, dtype=pl.String)
    schema = ANNOTATION_SCHEMA if with_matches is not None else _SCHEMA_WITHOUT_MATCHES
    cols = [c for c in schema if c in t.columns]
    spread = t.select(cols)
    del t
    if len(tidx) == n:
        def at(c: str) -> pl.Expr:
            return pl.col(c)
    else:
        pos = np.full(n, -1, dtype=np.int64)
        pos[tidx] = np.arange(len(tidx))
        idx = pl.Series("i", pos).replace(-1, None)

        def at(c: str) -> pl.Expr:  # gathered inside each column's expression: one column copied at a time
            return pl.col(c).gather(idx)
    is_text_col = pl.lit(is_text)
    exprs = []
    for c, dt in schema.items():
        if c == "lang":
            exprs.append(pl.when(is_text_col).then(at(c)).otherwise(pl.lit(lang_all)).alias(c))
        elif c == "matches":
            exprs.append(pl.when(is_text_col).then(at(c)).otherwise(empty_matches(1).first()).alias(c))
        elif c in spread.columns:
            fill = _non_text_fill(c, dt)
            exprs.append(pl.when(is_text_col).then(at(c).cast(dt)).otherwise(pl.lit(fill, dtype=dt)).alias(c))
        else:
            exprs.append(pl.lit(_non_text_fill(c, dt), dtype=dt).alias(c))
    added = spread.select(exprs) if spread.width else pl.DataFrame(schema=schema)
    del spread
    added = added.select([pl.col(c).cast(dt) for c, dt in schema.items()])
    keep = [c for c in messages.columns if c not in ANNOTATION_SCHEMA and c != "_lang_hint"]
    return pl.concat([messages.select(keep), added], how="horizontal")


def _features_of(t: pl.DataFrame, with_matches: bool, with_sentiment: bool = True) -> pl.DataFrame | None:
    """Per-text features of the rows of ``t`` (columns ``text``, ``lang``), aligned with them; each distinct
    text of a language is analysed once (chats repeat "ok", "haha", "❤️") and gathered back."""
    parts = []
    langs = t["lang"].unique(maintain_order=True).to_list()
    for lg in langs:
        part = t.with_row_index("_pos")
        if len(langs) > 1:
            part = part.filter(pl.col("lang") == lg)
        uniq = part.select("text").unique("text", maintain_order=True).with_row_index("row").with_columns(
            _norm=normalise(pl.col("text")), words=word_count(pl.col("text"))
        )
        inv = part.select("_pos", "text").join(uniq.select("text", "row"), on="text", how="left",
                                               maintain_order="left")
        f = text_features(uniq, lg, with_matches, with_sentiment)
        del uniq  # frames are freed as soon as they are replaced (a million rows: memory matters)
        idx = inv["row"].to_numpy()
        cols: list[pl.Series | None] = list(f.drop("row").get_columns())
        del f
        spread = [inv.get_column("_pos")]
        for i, c in enumerate(cols):  # one column gathered at a time, each distinct-text column freed after it
            assert c is not None
            spread.append(c.gather(idx))
            cols[i] = c = None
        parts.append(pl.DataFrame(spread))
        del cols, spread, inv, part
    if not parts:
        return None
    feats = parts[0] if len(parts) == 1 else pl.concat(parts, how="diagonal_relaxed").sort("_pos")
    return feats.drop("_pos")


def _judged_spans() -> pl.Expr:
    """``matches`` without the hedge spans of messages not judged noncommittal (they are no evidence)."""
    drop = ~pl.col("noncommittal").fill_null(False) & (pl.col("_hedges").fill_null(0) > 0)
    return pl.when(drop).then(
        pl.col("matches").list.filter(pl.element().struct.field("feature") != "noncommittal")
    ).otherwise(pl.col("matches")).alias("matches")


def matches_for(rows: pl.DataFrame) -> pl.Series:
    """The ``matches`` that ``annotate_frame(..., with_matches=True)`` gives these annotated rows, found now.

    ``rows``: rows of a frame annotated with ``with_matches=None`` (columns ``text``, ``kind``, ``lang`` and
    ``noncommittal``): a span depends only on the text, its language and the noncommittal judgement, all in
    the row. For the few rows a report shows, instead of every message of a long chat.
    """
    h = rows.height
    is_text = (rows["kind"] == "text").fill_null(False) if "kind" in rows.columns else pl.repeat(True, h, eager=True)
    flags = [c for c in SPAN_FEATURES if c in rows.columns]
    if len(flags) == len(SPAN_FEATURES):  # a row where no feature fired has no spans: not analysed again
        is_text = is_text & rows.select(pl.any_horizontal([pl.col(c).fill_null(False) for c in flags])).to_series()
    tidx = is_text.arg_true()
    if not len(tidx):
        return empty_matches(h)
    t = pl.DataFrame({"text": rows["text"].gather(tidx).fill_null("").cast(pl.String),
                      "lang": rows["lang"].gather(tidx).fill_null(UNDETERMINED).cast(pl.String)})
    feats = _features_of(t, True, with_sentiment=False)
    assert feats is not None
    judged = feats.select("matches", "_hedges", noncommittal=rows["noncommittal"].gather(tidx)).select(_judged_spans())
    pos = np.full(h, -1, dtype=np.int64)
    pos[tidx.to_numpy()] = np.arange(len(tidx))
    at = pl.Series("i", pos).replace(-1, None)
    return judged.select(
        pl.when(pl.lit(is_text)).then(pl.col("matches").gather(at)).otherwise(empty_matches(1).first())
    ).to_series().alias("matches").cast(MATCH_DTYPE)


def _non_text_fill(c: str, dt: pl.DataType) -> Any:
    if dt == pl.Boolean():
        return False
    if dt == pl.Int32():
        return 0
    if c in ("affection_score", "noncommittal_score"):
        return 0.0
    return None


def _languages(t: pl.DataFrame, forced: str | None) -> dict[str, str]:
    """Conversation -> language. Long conversations are judged on an even sample of 5,000 messages."""
    convs = t["conversation_id"].unique().to_list()
    if forced is not None:
        return dict.fromkeys(convs, forced)
    size = pl.len().over("conversation_id")
    sample = t.filter(
        (size <= 5000) | ((pl.col("row").hash(7) % 100_000) < (5000 * 100_000 // size))
    )
    det = detect_languages(sample.select(normalise(pl.col("text"))).to_series(), sample["conversation_id"])
    return dict(zip(det["group"].to_list(), det["lang"].to_list(), strict=True))


__all__ = ["ANNOTATION_SCHEMA", "MATCH_DTYPE", "UNDETERMINED", "annotate_frame", "matches_for"]
