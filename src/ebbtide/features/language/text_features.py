"""Per-text language features of distinct texts, and the noncommittal judgement of text rows.

``text_features`` analyses distinct texts of one language in batches: word-list counts (one Aho–Corasick
pass, ``matching.py``), affection, question flags, function words, sentiment and, optionally, evidence
spans. ``noncommittal_columns`` then judges each text row with the question it answers (the context comes
from ``noncommittal.question_context``). ``annotate.annotate_frame`` puts it together.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from ebbtide.features.language.affection import affection_hits, edge_word
from ebbtide.features.language.langdetect import NO_WORDS
from ebbtide.features.language.lexicon import available_langs
from ebbtide.features.language.lsm import FW_COLUMNS
from ebbtide.features.language.matching import count_features, pad, term_table
from ebbtide.features.language.noncommittal import classify_answers, first_word, model_scores, model_threshold
from ebbtide.features.language.patterns import BOOL_TAIL, patterns, whole_message_in, without_emoji, word_set
from ebbtide.features.language.sentiment import score_sentiment
from ebbtide.features.language.spans import frame_matches

#: Distinct texts analysed at once. Every per-text feature depends on its text alone, so batches give the same
#: result; only one batch's token frames (several rows per word) are in memory at a time.
TEXT_BATCH = 100_000


def _subset_contains(norm: pl.Series, mask: np.ndarray, pattern: str | None) -> np.ndarray:
    """``norm.str.contains(pattern)`` evaluated only where ``mask`` (regexes are the slow part)."""
    out = np.zeros(len(norm), dtype=bool)
    idx = np.flatnonzero(mask)
    if pattern and idx.size:
        out[idx] = norm.gather(idx).str.contains(pattern).fill_null(False).to_numpy()
    return out


def list_features(part: pl.DataFrame, lang: str) -> pl.DataFrame:
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
            _opener=pl.lit(None, dtype=pl.Int8) if lang != NO_WORDS else pl.lit(0, dtype=pl.Int8),
            **{f: null_bool for f in BOOL_TAIL if f != "safety_concern"},
            safety_concern=counts["safety_concern"] > 0,
            **{c: null_int for c in FW_COLUMNS},
        )
    p = patterns(lang)
    aff_words = counts["affection"].to_numpy()
    negated = _subset_contains(norm, aff_words > 0, p["negated_affection"])
    edge = word_set(lang, "pet_names_edge")
    stripped = padded.str.strip_chars(" ")
    bare = without_emoji(stripped)
    hits = affection_hits(
        phrases=aff_words, negated=negated, emoji=counts["affection_emoji"].to_numpy(),
        sarcasm=counts["sarcasm"].to_numpy(), pet=counts["aff_pet"].to_numpy(),
        pet_edge=(edge_word(norm, "first").is_in(edge).fill_null(False)
                  | edge_word(norm, "last").is_in(edge).fill_null(False)).to_numpy(),
        you_form=counts["aff_you"].to_numpy(), warm=counts["aff_warm"].to_numpy(),
        negator=counts["aff_negator"].to_numpy(), third=counts["aff_third"].to_numpy(),
        alone=whole_message_in(stripped, bare, word_set(lang, "affection_alone")).to_numpy(),
        thing=counts["aff_thing"].to_numpy(), to_you=counts["aff_to_you"].to_numpy(),
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
        _non_answer=counts["non_answer"] + whole_message_in(stripped, bare, word_set(lang, "answer_alone")).cast(pl.Int32),
        _committal=counts["committal"],
        # 1 = opens with a plain yes/no word, 2 = and the word stands apart ("no, all good", "yes.")
        _opener=(first_word(norm).is_in(word_set(lang, "answer_opener")).fill_null(False).cast(pl.Int8)
                 * (1 + edge_word(norm, "first").is_not_null().cast(pl.Int8))),
        **{f: counts[f] > 0 for f in BOOL_TAIL},
        **{c: counts[c] for c in FW_COLUMNS},
    )


def sentiment_columns(part: pl.DataFrame, lang: str) -> pl.DataFrame:
    """English: trained model; no-word texts: VADER emoji valences; other languages: null (not measurable)."""
    if lang in ("en", NO_WORDS) and part.height:
        s = score_sentiment(part["_norm"], use_model=(lang == "en"))
        return pl.concat([part.select("row"), s], how="horizontal")
    return part.select(
        "row", sentiment=pl.lit(None, dtype=pl.String), sentiment_score=pl.lit(None, dtype=pl.Float64)
    )


def noncommittal_columns(t: pl.DataFrame) -> tuple[pl.Series, pl.Series]:
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
    opener = t["_opener"].fill_null(0).to_numpy()
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
        probs = None
        if lg == "en":  # the model's P is read only for answers and hedged messages (``classify_answers``):
            # a committal phrase outside an answer is decided by the grammar alone
            probs = np.zeros(len(idx))
            sub = np.flatnonzero(has_q[idx] | (hedges[idx] > 0))
            p = _model_scores_distinct(t["_norm"].gather(idx[sub]), hedges[idx[sub]], t["words"].gather(idx[sub]),
                                       t["question_context"].gather(idx[sub]))
            if p is None:
                probs = None
            else:
                probs[sub] = p
        v, sc = classify_answers(
            hedges=hedges[idx], strong=strong[idx], non_answer=non_answer[idx], committal=committal[idx],
            opener=opener[idx], has_question=has_q[idx], model_p=probs,
            model_thr=model_threshold() if probs is not None else 0.5,
        )
        value[idx] = v
        score[idx] = sc
    v_s = pl.Series("noncommittal", value)
    sc_s = pl.Series("noncommittal_score", score)
    if null.any():
        nm = pl.Series(null)
        v_s = pl.select(pl.when(nm).then(None).otherwise(v_s)).to_series().alias("noncommittal")
        sc_s = pl.select(pl.when(nm).then(None).otherwise(sc_s)).to_series().alias("noncommittal_score")
    return v_s, sc_s


def _model_scores_distinct(norm: pl.Series, hedges: np.ndarray, words: pl.Series, questions: pl.Series
                           ) -> np.ndarray | None:
    """The noncommittal model's P for each (text, question) row, in batches of rows.

    ``model_scores`` computes the costly parts once per distinct answer and question of a batch (pair
    features, word weights); only the shared words and the dense product are per row, and each row's P
    depends on that row alone. WHY no deduplication of the pairs first: in a chat almost every
    (answer, question) pair is distinct (371,822 of 388,271 on the 1M benchmark chat), and finding them
    by a join of two text columns cost more CPU than it saved and was the analysis's memory peak."""
    n = len(norm)
    q = questions.cast(pl.String)
    batches = []
    for off in range(0, max(n, 1), TEXT_BATCH):  # per row, so batches give the same result
        end = min(off + TEXT_BATCH, n)
        p = model_scores(norm.slice(off, TEXT_BATCH), hedges[off:end].astype(float),
                         words.slice(off, TEXT_BATCH).to_numpy().astype(float), q.slice(off, TEXT_BATCH))
        if p is None:
            return None
        batches.append(p)
    return np.concatenate(batches)


def text_features(uniq: pl.DataFrame, lang: str, with_matches: bool, with_sentiment: bool = True) -> pl.DataFrame:
    """List features, sentiment (unless ``with_sentiment=False``) and (optionally) spans of distinct texts of
    one language, batch by batch."""
    out = []
    for off in range(0, max(uniq.height, 1), TEXT_BATCH):
        u = uniq.slice(off, TEXT_BATCH)
        f = pl.concat([u.select("row", "_norm", "words"), list_features(u, lang).drop("row"),
                       *([sentiment_columns(u, lang).drop("row")] if with_sentiment else [])], how="horizontal")
        if with_matches:  # spans depend only on the text: find them once per distinct text too
            f = f.with_columns(
                frame_matches(pl.concat([u.select("text"), f.drop("_norm", "words")], how="horizontal")
                              .with_columns(lang=pl.lit(lang), noncommittal=pl.col("_hedges") > 0))
            )
        out.append(f)
    # one chunk: gathering a list-of-struct column (``matches``) from many chunks costs about 0.5 GB per
    # million rows more (Polars 1.x); from one chunk, nothing
    return out[0] if len(out) == 1 else pl.concat(out, how="vertical_relaxed").rechunk()


__all__ = ["TEXT_BATCH", "list_features", "noncommittal_columns", "sentiment_columns", "text_features"]
