"""``annotate_frame``: the canonical message frame in, the same rows with per-message language features.

Design: each distinct text is analysed once per language present; one Aho–Corasick pass finds every
word-list term (``matching.py``), sentiment is one token join (``sentiment.py``), the noncommittal context is
a sort and a join (``noncommittal.py``). Python only turns matched terms into evidence offsets, and only
for the messages where some feature fired. Language is decided per conversation (a light
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

from ebbtide.features.language.affection import affection_hits, edge_word
from ebbtide.features.language.langdetect import NO_WORDS, UNDETERMINED, detect_languages
from ebbtide.features.language.lexicon import (
    LIST_FEATURES,
    Lexicon,
    alternation,
    available_langs,
    common_lists,
    load_lexicon,
)
from ebbtide.features.language.lsm import FW_COLUMNS
from ebbtide.features.language.matching import count_features, pad, term_table
from ebbtide.features.language.noncommittal import (
    classify_answers,
    first_word,
    model_scores,
    model_threshold,
    question_context,
)
from ebbtide.features.language.sentiment import score_sentiment
from ebbtide.features.language.spans import find_spans
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


@cache
def _patterns(lang: str) -> dict[str, str | None]:
    """Regex sources per feature for one language (for evidence spans and the question opening)."""
    lex: Lexicon = load_lexicon(lang)
    common = common_lists()
    pats: dict[str, str | None] = {f: lex.pattern(f) for f in LIST_FEATURES}
    pats["affection_emoji"] = common.pattern("affection_emoji")
    pats["negated_affection"] = lex.modifier("negated_affection")
    qs = lex.modifier("question_start")
    pats["question_start"] = rf"^\W*{qs}" if qs else None
    pats["safety_concern"] = _safety_pattern()
    return pats


@cache
def _word_set(lang: str, modifier: str) -> list[str]:
    """A ``[modifiers]`` list of ``lang`` as padded text shows it (lower case, punctuation as one space), for
    whole-word or whole-message comparisons: first/last-word openers and pet names, whole-message replies."""
    return sorted({" ".join(re.sub(r"[^\w']+", " ", t.lower()).split())
                   for t in load_lexicon(lang).modifiers.get(modifier, ())})


@cache
def _safety_pattern() -> str | None:
    terms: list[str] = []
    for lang in available_langs():
        terms.extend(load_lexicon(lang).features.get("safety_concern", ()))
    terms.extend(common_lists().features.get("safety_concern", ()))
    return alternation(terms)


def _subset_contains(norm: pl.Series, mask: np.ndarray, pattern: str | None) -> np.ndarray:
    """``norm.str.contains(pattern)`` evaluated only where ``mask`` (regexes are the slow part)."""
    out = np.zeros(len(norm), dtype=bool)
    idx = np.flatnonzero(mask)
    if pattern and idx.size:
        out[idx] = norm.gather(idx).str.contains(pattern).fill_null(False).to_numpy()
    return out


def _list_features(part: pl.DataFrame, lang: str) -> pl.DataFrame:
    """Phase 1 for distinct texts of one language: list features, question flags, function words, hedges.

    ``lang`` is a supported language, ``zxx`` (no words: emoji affection only) or anything else
    (unsupported: language features null; safety language is still searched with every list).
    """
    norm = part["_norm"]
    padded = part.select(pad(pl.col("_norm"))).to_series()
    qmark = norm.str.contains("?", literal=True).to_numpy()
    supported = lang in available_langs()
    counts = count_features(padded, term_table(lang if supported else "*"))
    n = part.height
    if not supported:
        null_bool = pl.lit(None, dtype=pl.Boolean) if lang != NO_WORDS else pl.lit(False)
        null_int = pl.lit(None, dtype=pl.Int32) if lang != NO_WORDS else pl.lit(0, dtype=pl.Int32)
        aff = counts["affection_emoji"].to_numpy() * (counts["sarcasm"].to_numpy() == 0)
        return pl.DataFrame({"row": part["row"]}).with_columns(
            affection=pl.Series(aff > 0) if lang == NO_WORDS else null_bool,
            affection_score=(
                pl.Series(1.0 - np.power(0.5, aff)) if lang == NO_WORDS else pl.lit(None, dtype=pl.Float64)
            ),
            question=pl.Series(qmark),
            plan_question=null_bool,
            relationship_question=null_bool,
            _hedges=null_int, _nc_strong=null_int, _non_answer=null_int, _committal=null_int,
            _opener=pl.lit(None, dtype=pl.Boolean) if lang != NO_WORDS else pl.lit(False),
            **{f: null_bool for f in _BOOL_TAIL if f != "safety_concern"},
            safety_concern=counts["safety_concern"] > 0,
            **{c: null_int for c in FW_COLUMNS},
        )
    p = _patterns(lang)
    aff_words = counts["affection"].to_numpy()
    negated = _subset_contains(norm, aff_words > 0, p["negated_affection"])
    edge = _word_set(lang, "pet_names_edge")
    stripped = padded.str.strip_chars(" ")
    hits = affection_hits(
        phrases=aff_words, negated=negated, emoji=counts["affection_emoji"].to_numpy(),
        sarcasm=counts["sarcasm"].to_numpy(), pet=counts["aff_pet"].to_numpy(),
        pet_edge=(edge_word(norm, "first").is_in(edge).fill_null(False)
                  | edge_word(norm, "last").is_in(edge).fill_null(False)).to_numpy(),
        you_form=counts["aff_you"].to_numpy(), warm=counts["aff_warm"].to_numpy(),
        negator=counts["aff_negator"].to_numpy(), third=counts["aff_third"].to_numpy(),
        alone=stripped.is_in(_word_set(lang, "affection_alone")).to_numpy(),
    )
    question = qmark | _subset_contains(norm, np.ones(n, dtype=bool), p["question_start"])
    return pl.DataFrame({"row": part["row"]}).with_columns(
        affection=pl.Series(hits > 0),
        affection_score=pl.Series(1.0 - np.power(0.5, hits)),
        question=pl.Series(question),
        plan_question=pl.Series(question & (counts["plan"].to_numpy() > 0)),
        relationship_question=pl.Series(question & (counts["relationship_question"].to_numpy() > 0)),
        _hedges=counts["noncommittal"],
        _nc_strong=counts["nc_strong"],
        _non_answer=counts["non_answer"] + stripped.is_in(_word_set(lang, "answer_alone")).cast(pl.Int32),
        _committal=counts["committal"],
        _opener=first_word(norm).is_in(_word_set(lang, "answer_opener")).fill_null(False),
        **{f: counts[f] > 0 for f in _BOOL_TAIL},
        **{c: counts[c] for c in FW_COLUMNS},
    )


def _sentiment(part: pl.DataFrame, lang: str) -> pl.DataFrame:
    """English: trained model; no-word texts: VADER emoji valences; other languages: null (not measurable)."""
    if lang in ("en", NO_WORDS) and part.height:
        s = score_sentiment(part["_norm"], use_model=(lang == "en"))
        return pl.concat([part.select("row"), s], how="horizontal")
    return part.select(
        "row", sentiment=pl.lit(None, dtype=pl.String), sentiment_score=pl.lit(None, dtype=pl.Float64)
    )


def _noncommittal(t: pl.DataFrame) -> tuple[pl.Series, pl.Series]:
    """Phase 2: noncommittal value and score for the text rows ``t`` (aligned), using the question context.

    The trained model is only run where it matters (a message answering a question, or one with a hedge
    phrase); elsewhere the score is 0 and the value False.
    """
    n = t.height
    value = np.zeros(n, dtype=bool)
    score = np.zeros(n, dtype=float)
    null = np.zeros(n, dtype=bool)

    def arr(c: str) -> np.ndarray:
        return t[c].fill_null(0).to_numpy()

    hedges, strong, non_answer, committal = arr("_hedges"), arr("_nc_strong"), arr("_non_answer"), arr("_committal")
    opener = t["_opener"].fill_null(False).to_numpy()
    has_q = t["ctx_row"].is_not_null().to_numpy()
    for lg in t["lang"].unique().to_list():
        m = (t["lang"] == lg).fill_null(False).to_numpy()
        if lg not in available_langs():
            null |= m & (lg != NO_WORDS)
            continue
        need = m & (has_q | (hedges > 0) | (committal > 0))
        idx = np.flatnonzero(need)
        if not idx.size:
            continue
        probs = (_model_scores_distinct(t["_norm"].gather(idx), hedges[idx], t["words"].gather(idx),
                                        t["question_context"].gather(idx)) if lg == "en" else None)
        got, got_score = classify_answers(
            hedges=hedges[idx], strong=strong[idx], non_answer=non_answer[idx], committal=committal[idx],
            opener=opener[idx], has_question=has_q[idx], model_p=probs,
            model_thr=model_threshold() if probs is not None else 0.5,
        )
        value[idx] = got
        score[idx] = got_score
    v = pl.Series("noncommittal", value)
    sc_s = pl.Series("noncommittal_score", score)
    if null.any():
        nm = pl.Series(null)
        v = pl.select(pl.when(nm).then(None).otherwise(v)).to_series().alias("noncommittal")
        sc_s = pl.select(pl.when(nm).then(None).otherwise(sc_s)).to_series().alias("noncommittal_score")
    return v, sc_s


def _model_scores_distinct(norm: pl.Series, hedges: np.ndarray, words: pl.Series, questions: pl.Series
                           ) -> np.ndarray | None:
    """The noncommittal model's P for each (text, question) pair, computed once per distinct pair."""
    df = pl.DataFrame({"_norm": norm, "h": hedges, "w": words, "_q": questions.cast(pl.String)})
    uniq = df.unique(["_norm", "_q"], maintain_order=True).with_row_index("u")
    batches = []
    for off in range(0, max(uniq.height, 1), TEXT_BATCH):  # per pair, so batches give the same result
        u = uniq.slice(off, TEXT_BATCH)
        p = model_scores(u["_norm"], u["h"].to_numpy().astype(float), u["w"].to_numpy().astype(float), u["_q"])
        if p is None:
            return None
        batches.append(p)
    probs = np.concatenate(batches)
    inv = df.select("_norm", "_q").join(uniq.select("_norm", "_q", "u"), on=["_norm", "_q"], how="left",
                                        maintain_order="left", nulls_equal=True)
    return probs[inv["u"].to_numpy()]


@cache
def _span_parts(lang: str) -> dict[str, tuple[str, ...]]:
    """Regex sources per span feature: the feature's pattern is the alternation of its parts, in order.

    A union of lists stays split into its lists (affection: words, then emoji): ``spans.find_spans`` matches
    them one by one, which is much faster than one regex mixing words and emoji, with the same result.
    """
    src: dict[str, tuple[str | None, ...]]
    if lang in available_langs():
        p = _patterns(lang)
        src = {
            "affection": (p["affection"], p["affection_emoji"], load_lexicon(lang).modifier("pet_names_all"),
                          p["aff_warm"]),
            "noncommittal": (p["noncommittal"],),
            "plan_question": (p["plan"],),
            "relationship_question": (p["relationship_question"],),
            **{f: (p[f],) for f in _BOOL_TAIL},
        }
    elif lang == NO_WORDS:
        src = {"affection": (common_lists().pattern("affection_emoji"),)}
    else:
        src = {}
    src["safety_concern"] = (_safety_pattern(),)
    out = {feat: tuple(x for x in parts if x) for feat, parts in src.items()}
    return {feat: parts for feat, parts in out.items() if parts}


@cache
def _py_patterns(lang: str) -> dict[str, re.Pattern[str]]:
    """Python twins of the Polars patterns, for evidence spans (feature -> compiled regex)."""
    return {feat: re.compile("|".join(parts), re.IGNORECASE) for feat, parts in _span_parts(lang).items()}


_SPAN_FEATURES = ("affection", "noncommittal", "plan_question", "relationship_question", *_BOOL_TAIL)


def _empty_matches(n: int) -> pl.Series:
    return pl.Series("matches", [[]], dtype=MATCH_DTYPE).new_from_index(0, n)


def _matches(frame: pl.DataFrame) -> pl.Series:
    """Evidence spans (character offsets in the original text) for the rows where a feature fired.

    Vectorised in ``spans.find_spans``: each feature's regex runs in Polars (Rust) only on the texts where
    that feature fired, and offsets come from running sums, not a Python loop.
    """
    flags = [c for c in _SPAN_FEATURES if c in frame.columns]
    any_flag = pl.any_horizontal([pl.col(c).fill_null(False) for c in flags])
    hit = frame.select(any_flag.alias("_any")).get_column("_any").to_numpy()
    idx = np.flatnonzero(hit)
    if not idx.size:
        return _empty_matches(frame.height)
    sub = frame[idx].select("text", "lang", *flags)
    parts = []
    for lg in sub["lang"].unique(maintain_order=True).to_list():
        m = (sub["lang"] == lg).to_numpy()
        part = sub.filter(pl.lit(m))
        fired = {f: part[f].fill_null(False).to_numpy() for f in flags}
        sp = find_spans(part["text"], fired, _span_parts(lg), _py_patterns(lg))
        parts.append(sp.with_columns(row=pl.Series(idx[m].astype(np.uint32)).gather(sp["row"])))
    flat = pl.concat(parts).sort("row", "start", "end", maintain_order=True) if len(parts) > 1 else parts[0]
    nested = flat.group_by("row", maintain_order=True).agg(matches=pl.struct("feature", "start", "end", "term"))
    allrows = pl.DataFrame({"row": pl.int_range(frame.height, dtype=pl.UInt32, eager=True)})
    out = allrows.join(nested, on="row", how="left").sort("row").get_column("matches")
    return out.fill_null(_empty_matches(1).first()).cast(MATCH_DTYPE) if out.null_count() else out.cast(MATCH_DTYPE)


#: Distinct texts analysed at once. Every per-text feature depends on its text alone, so batches give the same
#: result; only one batch's token frames (several rows per word) are in memory at a time.
TEXT_BATCH = 100_000


def _text_features(uniq: pl.DataFrame, lang: str, with_matches: bool) -> pl.DataFrame:
    """List features, sentiment and (optionally) spans of distinct texts of one language, batch by batch."""
    out = []
    for off in range(0, max(uniq.height, 1), TEXT_BATCH):
        u = uniq.slice(off, TEXT_BATCH)
        f = pl.concat([u.select("row", "_norm", "words"), _list_features(u, lang).drop("row"),
                       _sentiment(u, lang).drop("row")], how="horizontal")
        if with_matches:  # spans depend only on the text: find them once per distinct text too
            f = f.with_columns(
                _matches(pl.concat([u.select("text"), f.drop("_norm", "words")], how="horizontal")
                         .with_columns(lang=pl.lit(lang), noncommittal=pl.col("_hedges") > 0))
            )
        out.append(f)
    # one chunk: gathering a list-of-struct column (``matches``) from many chunks costs about 0.5 GB per
    # million rows more (Polars 1.x); from one chunk, nothing
    return out[0] if len(out) == 1 else pl.concat(out, how="vertical_relaxed").rechunk()


def annotate_frame(
    messages: pl.DataFrame, *, lang: str | None = None, with_matches: bool = True
) -> pl.DataFrame:
    """Add the language features to a canonical message frame (same rows, same order).

    ``lang`` forces one language for every conversation (otherwise detected per ``conversation_id``).
    ``with_matches=False`` skips the evidence spans (``matches`` is then empty lists; about a sixth of
    the time on a chat of distinct texts). Only ``kind == "text"`` rows get features; others get False/0/null.
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
    parts = []
    langs = t["lang"].unique(maintain_order=True).to_list()
    for lg in langs:
        part = t.with_row_index("_pos")
        if len(langs) > 1:
            part = part.filter(pl.col("lang") == lg)
        # Chats repeat themselves ("ok", "haha", "❤️"): compute each distinct text once, gather back.
        uniq = part.select("text").unique("text", maintain_order=True).with_row_index("row").with_columns(
            _norm=normalise(pl.col("text")), words=word_count(pl.col("text"))
        )
        inv = part.select("_pos", "text").join(uniq.select("text", "row"), on="text", how="left",
                                               maintain_order="left")
        f = _text_features(uniq, lg, with_matches)
        del uniq  # frames are freed as soon as they are replaced (a million rows: memory matters)
        parts.append(pl.concat([inv.select("_pos"), f.drop("row")[inv["row"].to_numpy()]], how="horizontal"))
        del f, inv, part
    if parts:
        feats = parts[0] if len(parts) == 1 else pl.concat(parts, how="diagonal_relaxed").sort("_pos")
        del parts
        t = pl.concat([t, feats.drop("_pos")], how="horizontal")
        del feats
    else:
        t = t.with_columns(_hedges=pl.lit(0, dtype=pl.Int32), _nc_strong=pl.lit(0, dtype=pl.Int32),
                           _non_answer=pl.lit(0, dtype=pl.Int32), _committal=pl.lit(0, dtype=pl.Int32),
                           _opener=pl.lit(False), question=pl.lit(False),
                           _norm=pl.lit("", dtype=pl.String), words=pl.lit(0, dtype=pl.Int32))
    ctx = question_context(t.select("row", "conversation_id", "sender", "timestamp", "question", "text")
                           .with_columns(is_text=pl.lit(True)))
    t = t.with_columns(ctx_row=ctx["ctx_row"], question_context=ctx["ctx_text"])
    nc, nc_score = _noncommittal(t)
    t = t.with_columns(nc, nc_score)
    if with_matches and t.height:
        # hedge spans count as evidence only where the message was judged noncommittal
        drop = (~t["noncommittal"].fill_null(False)) & (t["_hedges"].fill_null(0) > 0)
        t = t.with_columns(
            matches=pl.when(pl.lit(drop)).then(
                pl.col("matches").list.filter(pl.element().struct.field("feature") != "noncommittal")
            ).otherwise(pl.col("matches"))
        )
    else:
        t = t.with_columns(_empty_matches(t.height))
    # Spread text-row values over all rows with one gather (null index = non-text row), then give non-text
    # rows their False / 0 / null.
    lang_all = messages["conversation_id"].fill_null("").replace_strict(conv_lang, default=None,
                                                                         return_dtype=pl.String) \
        if "conversation_id" in messages.columns else pl.Series([None] * n, dtype=pl.String)
    cols = [c for c in ANNOTATION_SCHEMA if c in t.columns]
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
    for c, dt in ANNOTATION_SCHEMA.items():
        if c == "lang":
            exprs.append(pl.when(is_text_col).then(at(c)).otherwise(pl.lit(lang_all)).alias(c))
        elif c == "matches":
            exprs.append(pl.when(is_text_col).then(at(c)).otherwise(_empty_matches(1).first()).alias(c))
        elif c in spread.columns:
            fill = _non_text_fill(c, dt)
            exprs.append(pl.when(is_text_col).then(at(c).cast(dt)).otherwise(pl.lit(fill, dtype=dt)).alias(c))
        else:
            exprs.append(pl.lit(_non_text_fill(c, dt), dtype=dt).alias(c))
    added = spread.select(exprs) if spread.width else pl.DataFrame(schema=ANNOTATION_SCHEMA)
    del spread
    added = added.select([pl.col(c).cast(dt) for c, dt in ANNOTATION_SCHEMA.items()])
    keep = [c for c in messages.columns if c not in ANNOTATION_SCHEMA and c != "_lang_hint"]
    return pl.concat([messages.select(keep), added], how="horizontal")




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
        out["answering"] = rec["question"]  # the input "question": the message this text answers
    out["lang"] = row["lang"]
    out["words"] = row["words"]
    out["sentiment"] = {"label": row["sentiment"], "score": _round(row["sentiment_score"])}
    if row["sentiment"] is None and row["lang"] in available_langs():
        out["sentiment"]["not_measurable"] = (
            f"no sentiment model for {row['lang']!r}: trained and measured for English only (and emoji-only texts)"
        )
    out["affection"] = {"value": row["affection"], "score": _round(row["affection_score"])}
    out["question"] = row["question"]  # is this text itself a question?
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
