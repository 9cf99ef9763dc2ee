"""The quality bench's evaluation functions work (tiny slices; skipped without the shared data)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from script_support import load_script

from ebbtide.features.language import lsm_score

REPO = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parents[2] / "shared" / "data"


def _bench():  # type: ignore[no-untyped-def]
    return load_script(REPO / "bench" / "language_quality.py")


needs_data = pytest.mark.skipif(not (DATA / "goemotions").is_dir() or not (DATA / "circa").is_dir(),
                                reason=f"shared data not found at {DATA}")


def test_metrics() -> None:
    b = _bench()
    t = np.array([True, True, False, False])
    p = np.array([True, False, True, False])
    assert b.prf(t, p) == pytest.approx((0.5, 0.5, 0.5))
    assert b.macro_f1(["positive", "negative", "neutral"], ["positive", "negative", "neutral"]) == 1.0


def test_affection_and_language_check_sets_meet_a_floor() -> None:
    b = _bench()
    r = b.eval_affection()
    assert r["rows"] >= 150
    assert r["precision"] >= 0.85 and r["recall"] >= 0.85
    held = b.eval_affection(b.FIXTURES / "affection_en_holdout.tsv")
    assert held["precision"] >= 0.8 and held["recall"] >= 0.6  # honest held-out floor (see docs/language.md)
    checks = b.eval_lang_checks()
    assert set(checks) == {"es", "pt", "de", "fr"}
    for lang, res in checks.items():
        assert res["rows"] >= 20 and res["accuracy"] >= 0.9, lang


@needs_data
def test_sentiment_eval_on_a_slice() -> None:
    b = _bench()
    r = b.eval_sentiment(DATA, limit=300)
    assert r["rows"] == 300
    assert 0.3 < r["vader_published"] < 1 and 0.3 < r["model"] < 1
    assert abs(r["vader_published"] - r["vader_vectorised"]) < 0.08  # our VADER twin agrees


@needs_data
def test_noncommittal_eval_on_a_slice() -> None:
    b = _bench()
    r = b.eval_noncommittal(DATA, limit=400)
    assert r["rows"] == 400
    for k in ("baseline_hedge_words_f1", "lexicon_hit_f1", "annotate_f1"):
        assert 0 <= r[k] <= 1


@needs_data
def test_circa_split_keeps_held_out_contexts_apart() -> None:
    b = _bench()
    from ebbtide.features.language.noncommittal import noncommittal_model

    model = noncommittal_model()
    assert model is not None
    for ctx in b.HOLDOUT_CONTEXTS:
        assert ctx not in model.meta["data"]


def test_lsm_score() -> None:
    a = {"fw_ppron": 10, "fw_article": 5}
    assert lsm_score(a, a, 100, 100) == pytest.approx(1.0)
    same = lsm_score(a, a, 100, 100)
    diff = lsm_score(a, {"fw_ppron": 0, "fw_article": 20}, 100, 100)
    assert same is not None and diff is not None and same > diff
    assert lsm_score(a, a, 0, 100) is None
