"""``annotate_frame``: the canonical message frame in, the same rows with per-message language features.

Design: every feature is a Polars expression over the lower-cased text (regex alternations compiled from
the word lists), run once per language present; only the evidence spans (``matches``) are found in Python,
and only for the messages where some feature fired. Language is decided per conversation (a light
stop-word profile), never guessed: text in an unsupported language gets null features and ``lang`` says
why, so the signals layer can report ``not_measurable``. Safety language is the exception: it is searched
in every text message with the lists of all languages, because a missed cry for help costs more than a
false alarm.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from functools import cache
from typing import Any

import numpy as np
import polars as pl

from ebbtide.features.language.langdetect import NO_WORDS, UNDETERMINED, detect_languages
from ebbtide.features.language.lexicon import (
    LIST_FEATURES,
    Lexicon,
    alternation,
    available_langs,
    common_lists,
    load_lexicon,
)
from ebbtide.features.language.lsm import FW_COLUMNS, function_word_exprs
from ebbtide.features.language.noncommittal import (
    LEXICON_THRESHOLD,
    model_scores,
    model_threshold,
    question_context,
)
from ebbtide.features.language.sentiment import score_sentiment
from ebbtide.features.language.tokens import normalise, word_count

MATCH_DTYPE = pl.List(
    pl.Struct({"feature": pl.String, "start": pl.Int32, "end": pl.Int32, "term": pl.String})
)
#: Boolean features from word lists, in contract order after the question columns.
_BOOL_TAIL: tuple[str, ...] = (
    "meetup", "we_talk", "future_talk", "space_request", "stress", "past_hurt", "vulnerability", "conflict",
    "safety_concern",
)
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
    **{name: pl.Boolean() for name in _BOOL_TAIL},
    **{col: pl.Int32() for col in FW_COLUMNS},
    "question_context": pl.String(),  # the question a message answers (for evidence), else null
    "matches": MATCH_DTYPE,
}
_REQUIRED = ("text", "kind")
_FEATURE_COLS = [c for c in ANNOTATION_SCHEMA if c not in ("words", "lang", "matches", "question_context")]


@cache
def _patterns(lang: str) -> dict[str, str | None]:
    """Regex sources per feature for one language (lower-case text is matched)."""
    lex: Lexicon = load_lexicon(lang)
    common = common_lists()
    pats: dict[str, str | None] = {f: lex.pattern(f) for f in LIST_FEATURES}
    pats["affection_emoji"] = common.pattern("affection_emoji")
    pats["negated_affection"] = lex.modifier("negated_affection")
    pats["sarcasm"] = alternation(list(lex.modifiers.get("sarcasm", ())) + list(common.features["sarcasm"]))
    qs = lex.modifier("question_start")
    pats["question_start"] = rf"^\W*{qs}" if qs else None
    pats["safety_concern"] = _safety_pattern()
    return pats


@cache
def _safety_pattern() -> str | None:
    terms: list[str] = []
    for lang in available_langs():
        terms.extend(load_lexicon(lang).features.get("safety_concern", ()))
    terms.extend(common_lists().features.get("safety_concern", ()))
    return alternation(terms)


def _contains(norm: pl.Expr, pattern: str | None) -> pl.Expr:
    return norm.str.contains(pattern) if pattern else pl.lit(False)


def _count(norm: pl.Expr, pattern: str | None) -> pl.Expr:
    return norm.str.count_matches(pattern).cast(pl.Int32) if pattern else pl.lit(0, dtype=pl.Int32)


def _list_features(part: pl.DataFrame, lang: str) -> pl.DataFrame:
    """Phase 1 for one supported language: every list feature, question flags, function words, hedge hits."""
    lex = load_lexicon(lang)
    p = _patterns(lang)
    n = pl.col("_norm")
    aff_words = _count(n, p["affection"])
    aff_emoji = _count(n, p["affection_emoji"])
    negated = _contains(n, p["negated_affection"])
    sarcastic = _contains(n, p["sarcasm"])
    word_hits = pl.when(negated).then(0).otherwise(aff_words)
    aff_hits = pl.when(sarcastic).then(0).otherwise(word_hits + aff_emoji)
    question = n.str.contains("?", literal=True) | _contains(n, p["question_start"])
    out = part.select(
        "row",
        affection=aff_hits > 0,
        affection_score=(1.0 - pl.lit(0.5).pow(aff_hits.cast(pl.Float64))),
        question=question,
        plan_question=question & _contains(n, p["plan"]),
        relationship_question=question & _contains(n, p["relationship_question"]),
        _hedges=_count(n, p["noncommittal"]),
        **{f: _contains(n, p[f]) for f in _BOOL_TAIL},
    )
    fw = part.select(function_word_exprs(pl.col("_norm"), lex))
    return pl.concat([out, fw], how="horizontal")


def _no_word_features(part: pl.DataFrame) -> pl.DataFrame:
    """Texts without words (emoji, emoticons): emoji affection only; word features are False/0."""
    n = pl.col("_norm")
    common = common_lists()
    aff = _count(n, common.pattern("affection_emoji"))
    aff = pl.when(_contains(n, common.pattern("sarcasm"))).then(0).otherwise(aff)
    return part.select(
        "row",
        affection=aff > 0,
        affection_score=1.0 - pl.lit(0.5).pow(aff.cast(pl.Float64)),
        question=n.str.contains("?", literal=True),
        plan_question=pl.lit(False),
        relationship_question=pl.lit(False),
        _hedges=pl.lit(0, dtype=pl.Int32),
        **{f: pl.lit(False) for f in _BOOL_TAIL},
        **{c: pl.lit(0, dtype=pl.Int32) for c in FW_COLUMNS},
    )


def _undetermined_features(part: pl.DataFrame) -> pl.DataFrame:
    """Unsupported language: language features null, except safety language (searched in all lists)."""
    null_bool = pl.lit(None, dtype=pl.Boolean)
    return part.select(
        "row",
        affection=null_bool,
        affection_score=pl.lit(None, dtype=pl.Float64),
        question=pl.col("_norm").str.contains("?", literal=True),
        plan_question=null_bool,
        relationship_question=null_bool,
        _hedges=pl.lit(None, dtype=pl.Int32),
        **{f: null_bool for f in _BOOL_TAIL if f != "safety_concern"},
        safety_concern=_contains(pl.col("_norm"), _safety_pattern()),
        **{c: pl.lit(None, dtype=pl.Int32) for c in FW_COLUMNS},
    )


def _sentiment(part: pl.DataFrame, lang: str) -> pl.DataFrame:
    """English: trained model; no-word texts: VADER emoji valences; other languages: null (not measurable)."""
    if lang in ("en", NO_WORDS) and part.height:
        s = score_sentiment(part["_norm"], use_model=(lang == "en"))
        return pl.concat([part.select("row"), s], how="horizontal")
    return part.select(
        "row", sentiment=pl.lit(None, dtype=pl.String), sentiment_score=pl.lit(None, dtype=pl.Float64)
    )


def _noncommittal(feat: pl.DataFrame) -> pl.DataFrame:
    """Phase 2: noncommittal value and score, per language, using the question context."""
    parts = []
    for (lang,), part in feat.group_by("lang", maintain_order=True):
        hedges = part["_hedges"]
        has_q = part["ctx_row"].is_not_null()
        if lang not in available_langs():
            value = pl.Series([None] * part.height, dtype=pl.Boolean)
            score = pl.Series([None] * part.height, dtype=pl.Float64)
            if lang == NO_WORDS:
                value = pl.Series([False] * part.height)
                score = pl.Series([0.0] * part.height)
        else:
            h = hedges.fill_null(0).to_numpy()
            lex_score = 1.0 - np.power(0.5, h)
            probs = (
                model_scores(part["_norm"], h.astype(float), part["words"].to_numpy().astype(float))
                if lang == "en" else None
            )
            if probs is None:
                sc = lex_score
                thr = LEXICON_THRESHOLD
            else:
                sc = probs
                thr = model_threshold()
            hq = has_q.to_numpy()
            val = np.where(hq, sc >= thr, (h > 0) & (sc >= thr))
            value = pl.Series(val.astype(bool))
            score = pl.Series(sc.astype(float))
        parts.append(part.select("row").with_columns(noncommittal=value, noncommittal_score=score))
    if not parts:
        return pl.DataFrame(schema={"row": pl.UInt32, "noncommittal": pl.Boolean, "noncommittal_score": pl.Float64})
    return pl.concat(parts)


@cache
def _py_patterns(lang: str) -> dict[str, re.Pattern[str]]:
    """Python twins of the Polars patterns, for evidence spans (feature -> compiled regex)."""
    out: dict[str, re.Pattern[str]] = {}
    if lang in available_langs():
        p = _patterns(lang)
        src = {
            "affection": "|".join(x for x in (p["affection"], p["affection_emoji"]) if x),
            "noncommittal": p["noncommittal"],
            "plan_question": p["plan"],
            "relationship_question": p["relationship_question"],
            **{f: p[f] for f in _BOOL_TAIL},
        }
    elif lang == NO_WORDS:
        src = {"affection": common_lists().pattern("affection_emoji")}
    else:
        src = {}
    src["safety_concern"] = _safety_pattern()
    for feat, pat in src.items():
        if pat:
            out[feat] = re.compile(pat, re.IGNORECASE)
    return out


_SPAN_FEATURES = ("affection", "noncommittal", "plan_question", "relationship_question", *_BOOL_TAIL)


def _empty_matches(n: int) -> pl.Series:
    return pl.Series("matches", [[]], dtype=MATCH_DTYPE).new_from_index(0, n)


def _matches(frame: pl.DataFrame) -> pl.Series:
    """Evidence spans (character offsets in the original text) for the rows where a feature fired.

    The only Python loop in the module, and it visits only messages with a hit. Results are collected as
    flat columns and nested in Polars (building nested Series from Python dicts is very slow).
    """
    flags = [c for c in _SPAN_FEATURES if c in frame.columns]
    any_flag = pl.any_horizontal([pl.col(c).fill_null(False) for c in flags])
    hit = frame.select(any_flag.alias("_any")).get_column("_any").to_numpy()
    idx = np.flatnonzero(hit)
    if not idx.size:
        return _empty_matches(frame.height)
    sub = frame[idx].select("text", "lang", *flags)
    cols = {c: sub[c].to_list() for c in ("text", "lang", *flags)}
    rows: list[int] = []
    feats: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    terms: list[str] = []
    for j, i in enumerate(idx.tolist()):
        original = cols["text"][j]
        text = original.replace("’", "'")
        pats = _py_patterns(cols["lang"][j])
        for feat in flags:
            if cols[feat][j] and feat in pats:
                for m in pats[feat].finditer(text):
                    rows.append(i)
                    feats.append(feat)
                    starts.append(m.start())
                    ends.append(m.end())
                    terms.append(original[m.start():m.end()])
    flat = pl.DataFrame(
        {"row": rows, "feature": feats, "start": starts, "end": ends, "term": terms},
        schema={"row": pl.UInt32, "feature": pl.String, "start": pl.Int32, "end": pl.Int32, "term": pl.String},
    )
    nested = flat.group_by("row", maintain_order=True).agg(
        matches=pl.struct("feature", "start", "end", "term")
    )
    allrows = pl.DataFrame({"row": pl.int_range(frame.height, dtype=pl.UInt32, eager=True)})
    out = allrows.join(nested, on="row", how="left").sort("row").get_column("matches")
    return out.fill_null(_empty_matches(1).first()).cast(MATCH_DTYPE) if out.null_count() else out.cast(MATCH_DTYPE)


def annotate_frame(
    messages: pl.DataFrame, *, lang: str | None = None, with_matches: bool = True
) -> pl.DataFrame:
    """Add the language features to a canonical message frame (same rows, same order).

    ``lang`` forces one language for every conversation (otherwise detected per ``conversation_id``).
    ``with_matches=False`` skips the evidence spans (``matches`` is then empty lists), the only part
    that is not vectorised. Only ``kind == "text"`` rows get features; others get False/0/null.
    """
    missing = [c for c in _REQUIRED if c not in messages.columns]
    if missing:
        raise ValueError(f"annotate_frame needs columns {list(_REQUIRED)}; missing {missing}")
    base = messages.with_columns(
        pl.col("text").fill_null(""),
        *(
            [pl.lit("", dtype=pl.String).alias(c) for c in ("conversation_id", "sender") if c not in messages.columns]
        ),
        *([pl.lit(datetime(1970, 1, 1)).alias("timestamp")] if "timestamp" not in messages.columns else []),
    )
    work = base.select(
        row=pl.int_range(pl.len(), dtype=pl.UInt32),
        text=pl.col("text"),
        _norm=normalise(pl.col("text")),
        is_text=pl.col("kind") == "text",
        conversation_id=pl.col("conversation_id").fill_null(""),
        sender=pl.col("sender").fill_null(""),
        timestamp=pl.col("timestamp"),
        **({"_lang_hint": pl.col("_lang_hint")} if "_lang_hint" in messages.columns else {}),
    ).with_columns(words=pl.when(pl.col("is_text")).then(word_count(pl.col("text"))).otherwise(0))
    text_rows = work.filter(pl.col("is_text"))
    langs = _languages(text_rows, lang)
    text_rows = text_rows.join(langs, on="conversation_id", how="left")
    if "_lang_hint" in text_rows.columns:
        text_rows = text_rows.with_columns(lang=pl.coalesce(pl.col("_lang_hint"), pl.col("lang")))
    feats, sents = [], []
    for (lg,), part in text_rows.group_by("lang", maintain_order=True):
        lg = str(lg)
        # Chats repeat themselves ("ok", "haha", "❤️"): compute each distinct text once, join back.
        uniq = part.select("_norm").unique().with_columns(row=pl.int_range(pl.len(), dtype=pl.UInt32))
        if lg in available_langs():
            f = _list_features(uniq, lg)
        elif lg == NO_WORDS:
            f = _no_word_features(uniq)
        else:
            f = _undetermined_features(uniq)
        back = part.select("row", "_norm").join(uniq, on="_norm", how="left", suffix="_u")
        feats.append(back.select("row", "row_u").join(f.rename({"row": "row_u"}), on="row_u").drop("row_u"))
        sent = _sentiment(uniq, lg).rename({"row": "row_u"})
        sents.append(back.select("row", "row_u").join(sent, on="row_u").drop("row_u"))
    feat = _concat_or_empty(feats, text_rows)
    sent = _concat_or_empty(sents, text_rows)
    feat = text_rows.select("row", "lang", "_norm", "words").join(feat, on="row", how="left")
    ctx_in = work.select("row", "conversation_id", "sender", "timestamp", "is_text", "text").join(
        feat.select("row", "question"), on="row", how="left"
    ).with_columns(pl.col("question").fill_null(False))
    ctx = question_context(ctx_in)
    feat = feat.join(ctx, on="row", how="left")
    nc = _noncommittal(feat)
    feat = feat.join(nc, on="row", how="left").join(sent, on="row", how="left")
    full = work.select("row", "text", "words", "conversation_id").join(
        feat.drop("words", "_norm", "_hedges", "ctx_row"), on="row", how="left"
    ).sort("row")
    full = full.with_columns(lang=pl.coalesce(pl.col("lang"), _conv_lang_fill(full)))
    if with_matches:
        matches = _matches(full)
    else:
        matches = _empty_matches(full.height)
    is_text = work.get_column("is_text")
    added = full.with_columns(matches).rename({"ctx_text": "question_context"}).with_columns(
        _fill_non_text(is_text)
    )
    added = added.select([pl.col(c).cast(t) for c, t in ANNOTATION_SCHEMA.items()])
    return pl.concat([messages.drop([c for c in ANNOTATION_SCHEMA if c in messages.columns]), added],
                     how="horizontal").drop("_lang_hint", strict=False)


def _conv_lang_fill(full: pl.DataFrame) -> pl.Expr:
    """Non-text rows carry their conversation's language (or null if the conversation has no text)."""
    return pl.col("lang").drop_nulls().first().over("conversation_id")


def _fill_non_text(is_text: pl.Series) -> list[pl.Expr]:
    t = pl.lit(is_text)
    exprs: list[pl.Expr] = []
    for c, dt in ANNOTATION_SCHEMA.items():
        if c in ("words", "lang", "matches"):
            continue
        if dt == pl.Boolean():
            fill: Any = False
        elif dt == pl.Int32():
            fill = 0
        elif c in ("affection_score", "noncommittal_score"):
            fill = 0.0
        else:
            fill = None
        exprs.append(pl.when(t).then(pl.col(c)).otherwise(pl.lit(fill, dtype=dt)).alias(c))
    return exprs


def _languages(text_rows: pl.DataFrame, forced: str | None) -> pl.DataFrame:
    convs = text_rows.select("conversation_id").unique()
    if forced is not None:
        return convs.with_columns(lang=pl.lit(forced))
    det = detect_languages(text_rows["_norm"], text_rows["conversation_id"])
    return det.rename({"group": "conversation_id"})


def _concat_or_empty(parts: list[pl.DataFrame], text_rows: pl.DataFrame) -> pl.DataFrame:
    if parts:
        return pl.concat(parts, how="diagonal_relaxed")
    return text_rows.select("row").clear()


# ---------------------------------------------------------------------------------------------------------
# annotate_texts: the same code path for single texts (CLI, researchers)

_T0 = datetime(2000, 1, 1)


def annotate_texts(records: Iterable[dict[str, Any]], *, lang: str | None = None) -> Iterator[dict[str, Any]]:
    """Annotate free texts: each record ``{"text": ..., "question"?: ..., "lang"?: ...}`` -> one dict.

    Each record is its own two-message conversation (the optional question from "them", then the text from
    "me", a minute apart), built as a small frame and passed through ``annotate_frame``: one code path.
    Records are processed in batches, so a long stream stays memory-light.
    """
    batch: list[dict[str, Any]] = []
    for rec in records:
        batch.append(rec)
        if len(batch) >= 2000:
            yield from _annotate_batch(batch, lang)
            batch = []
    if batch:
        yield from _annotate_batch(batch, lang)


def _annotate_batch(batch: list[dict[str, Any]], lang: str | None) -> Iterator[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for i, rec in enumerate(batch):
        conv = f"r{i}"
        hint = rec.get("lang") or lang
        q = rec.get("question")
        if q:
            rows.append(_row(conv, "them", str(q), _T0, hint))
        rows.append(_row(conv, "me", str(rec.get("text") or ""), _T0 + timedelta(minutes=1), hint, answer=True))
    frame = pl.DataFrame(rows, schema={
        "timestamp": pl.Datetime("us"), "sender": pl.String, "text": pl.String, "kind": pl.String,
        "conversation_id": pl.String, "_lang_hint": pl.String, "_answer": pl.Boolean,
    })
    if lang is None and frame["_lang_hint"].is_null().all():
        frame = frame.drop("_lang_hint")
    ann = annotate_frame(frame.drop("_answer")).filter(frame["_answer"])
    for rec, row in zip(batch, ann.iter_rows(named=True), strict=True):
        yield _as_record(rec, row)


def _row(conv: str, sender: str, text: str, ts: datetime, hint: str | None, answer: bool = False) -> dict[str, Any]:
    return {"timestamp": ts, "sender": sender, "text": text, "kind": "text", "conversation_id": conv,
            "_lang_hint": hint, "_answer": answer}


def _as_record(rec: dict[str, Any], row: dict[str, Any]) -> dict[str, Any]:
    """One annotated row as the JSON-friendly record the CLI prints."""
    out: dict[str, Any] = {"text": rec.get("text", "")}
    if rec.get("question"):
        out["question"] = rec["question"]
    out["lang"] = row["lang"]
    out["words"] = row["words"]
    out["sentiment"] = {"label": row["sentiment"], "score": _round(row["sentiment_score"])}
    out["affection"] = {"value": row["affection"], "score": _round(row["affection_score"])}
    out["question_asked"] = row["question"]
    out["plan_question"] = row["plan_question"]
    out["relationship_question"] = row["relationship_question"]
    out["noncommittal"] = {
        "value": row["noncommittal"], "score": _round(row["noncommittal_score"]),
        "judged_with_question": row["question_context"] is not None,
    }
    for f in _BOOL_TAIL:
        out[f] = row[f]
    out["function_words"] = {c[3:]: row[c] for c in FW_COLUMNS}
    out["matches"] = row["matches"]
    if row["lang"] not in available_langs() and row["lang"] != NO_WORDS:
        out["not_measured"] = (
            f"language {row['lang']!r}: word lists exist for {', '.join(available_langs())} only; "
            "only safety language was searched"
        )
    return out


def _round(x: float | None) -> float | None:
    return None if x is None else round(float(x), 4)


__all__ = ["ANNOTATION_SCHEMA", "MATCH_DTYPE", "UNDETERMINED", "annotate_frame", "annotate_texts"]
