"""Noncommittal answers: the question+answer pair features, the shipped model, and its held-out figure."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest
from script_support import load_script

from ebbtide.features.language import annotate_texts
from ebbtide.features.language.noncommittal import (
    PAIR_FEATURE_NAMES,
    model_scores,
    noncommittal_model,
    pair_features,
)

REPO = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parents[2] / "shared" / "data"
needs_data = pytest.mark.skipif(not (DATA / "circa" / "circa-dev.tsv").exists(),
                                reason=f"Circa not found at {DATA} (../shared/data); held-out figure not checked")


def _feat(answer: str, question: str | None = None) -> dict[str, float]:
    q = None if question is None else pl.Series([question])
    row = pair_features(pl.Series([answer]), q)[0]
    return dict(zip(PAIR_FEATURE_NAMES, row, strict=True))


def test_pair_features_shape_and_names() -> None:
    x = pair_features(pl.Series(["Yes I do!", None, "I prefer cookbooks"]),
                      pl.Series(["Do you like novels?", "Are you ok?", None]))
    assert x.shape == (3, len(PAIR_FEATURE_NAMES))
    assert np.isfinite(x).all()
    assert pair_features(pl.Series([], dtype=pl.String)).shape == (0, len(PAIR_FEATURE_NAMES))


def test_answer_start_and_hedges() -> None:
    assert _feat("Yeah, I do")["yes_start"] > 0
    assert _feat("Nope, never")["no_start"] > 0
    assert _feat("I said yes")["yes_start"] == 0  # only at the start
    assert _feat("Only if it's sunny")["conditional"] > 0
    assert _feat("It depends on the weather")["depends_on"] > 0
    assert _feat("I think so, probably")["hedge_belief"] > 0
    assert _feat("Once in a while")["hedge_frequency"] > 0
    assert _feat("I'd rather stay in")["preference"] > 0
    assert _feat("I don't")["negation"] > 0
    assert _feat("Nowhere")["negation"] == 0  # "no" inside a word is not a negation


def test_question_features_need_a_question() -> None:
    without = _feat("I prefer cookbooks")
    assert all(without[k] == 0 for k in PAIR_FEATURE_NAMES if k.startswith("q_") or "*q_" in k)
    assert without["shared_words"] == 0
    with_q = _feat("I like novels by Woolf", "Do you like novels?")
    assert with_q["q_do"] > 0 and with_q["q_like"] > 0
    assert with_q["shared_words"] > 0  # "novels" (stop words such as "like" do not count)
    assert _feat("Don't you?", "Don't you like it?")["q_negative"] > 0


def test_shipped_model_uses_pair_features() -> None:
    model = noncommittal_model()
    assert model is not None
    assert model.dense.shape[0] == 3 + len(PAIR_FEATURE_NAMES)
    assert 0 < float(model.meta["threshold"]) < 1


def test_question_changes_the_score() -> None:
    """The same answer reads differently with and without the question it answers."""
    norm = pl.Series(["i prefer cookbooks.", "i prefer cookbooks."])
    p = model_scores(norm, np.zeros(2), np.full(2, 3.0), pl.Series(["Do you like novels?", None]))
    assert p is not None and p[0] != p[1]


def test_annotate_reads_pairs() -> None:
    recs = [
        {"text": "Yes, I love novels.", "question": "Do you like novels?"},
        {"text": "Sometimes, if I have time.", "question": "Do you read at night?"},
        {"text": "maybe, we will see", "question": "are we still on for saturday?"},
        {"text": "Yes! see you then", "question": "are we still on for saturday?"},
        {"text": "I love this pizza"},
    ]
    got = [r["noncommittal"] for r in annotate_texts(recs, lang="en")]
    assert [g["value"] for g in got] == [False, True, True, False, False]
    assert got[0]["judged_with_question"] and not got[4]["judged_with_question"]


def _bench():  # type: ignore[no-untyped-def]
    return load_script(REPO / "bench" / "language_quality.py")


@needs_data
def test_held_out_figure_does_not_regress() -> None:
    """Guards the documented held-out F1 (model 0.348, chat path 0.27; docs/models/noncommittal.md) against
    silent regressions. The held-out contexts are only scored here, never used to fit or tune. The chat path
    (grammar first, then the model at a stricter threshold) is below the model alone on Circa by design."""
    r = _bench().eval_noncommittal(DATA)
    assert r["rows"] == 6322
    assert r["model_f1"] >= 0.33
    assert r["annotate_f1"] >= 0.25
    assert r["annotate_f1"] > r["lexicon_hit_f1"] > r["baseline_hedge_words_f1"]


def test_gated_counts_are_the_whole_pattern_s_counts() -> None:
    """``comparative`` and ``negation`` run their word-boundary branch only on texts holding its literal."""
    from ebbtide.features.language.noncommittal import _GATED, ANSWER_PATTERNS, _gated_count
    from ebbtide.features.language.tokens import normalise
    from ebbtide.simulate.chat_text import chat_texts

    edge = ["i don't know n't", "isn't it bigger than you", "ñbetter than", "n'tn't", "not n't no", "éer than",
            "bigger than, more", "er than", "won't… never", "nicer than 😂 no", None]
    texts = pl.select(normalise(pl.lit(pl.Series([*chat_texts(3000, seed=9).to_list(), *edge],
                                                 dtype=pl.String)))).to_series()
    for name, (literal, rest) in _GATED.items():
        whole = texts.str.count_matches(ANSWER_PATTERNS[name]).cast(pl.Float64)
        assert whole.sum() > 10, name
        assert _gated_count(texts, ANSWER_PATTERNS[name], literal, rest).equals(whole), name
