"""Noncommittal (evasive, hedged) answers, judged with the question they answer.

Two parts, both vectorised:
- ``question_context``: for each text message, the question it most plausibly answers: the last question in
  the other person's most recent run of messages, if sent within the preceding ``CONTEXT_HOURS``.
- ``noncommittal_scores``: a hedge lexicon (data/<lang>.toml, [features] noncommittal) and, for English, a
  small logistic regression over the answer's words, word pairs and hedge counts trained on Circa
  (see docs/models/noncommittal.md). Without a question, only a message with a hedge phrase can count
  ("maybe some other time"), because the model learned answers to yes/no questions.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import polars as pl

from ebbtide.features.language.sentiment import LinearTextModel, load_packaged_model

CONTEXT_HOURS = 6
MODEL_FILE = "noncommittal_en.npz"
#: Used when no trained model ships: the lexicon score (1 − 0.5^hits) must reach this.
LEXICON_THRESHOLD = 0.5


@cache
def noncommittal_model() -> LinearTextModel | None:
    return load_packaged_model(MODEL_FILE)


def question_context(frame: pl.DataFrame) -> pl.DataFrame:
    """Question being answered, per row of ``frame``.

    ``frame`` needs columns ``row`` (UInt32, unique), ``conversation_id``, ``sender``, ``timestamp``, ``is_text``,
    ``question`` (Bool) and ``text``. Returns ``row``, ``ctx_row`` (UInt32) and ``ctx_text`` (String), null
    where the message answers no question. Runs = consecutive text messages of one sender in a conversation;
    a message in run k answers the last question of run k−1 (a different sender by construction).
    """
    s = (
        frame.filter(pl.col("is_text"))
        .select("row", "conversation_id", "sender", "timestamp", "question", "text")
        .sort("conversation_id", "timestamp", "row")
    )
    new_run = (
        (pl.col("sender") != pl.col("sender").shift(1))
        | (pl.col("conversation_id") != pl.col("conversation_id").shift(1))
    ).fill_null(True)
    s = s.with_columns(run=new_run.cast(pl.UInt32).cum_sum())
    last_q = (
        s.filter(pl.col("question"))
        .group_by("run")
        .agg(
            ctx_row=pl.col("row").last(),
            ctx_ts=pl.col("timestamp").last(),
            ctx_text=pl.col("text").last(),
            ctx_conv=pl.col("conversation_id").last(),
        )
        .with_columns(run=pl.col("run") + 1)
    )
    joined = s.join(last_q, on="run", how="left")
    ok = (
        pl.col("ctx_row").is_not_null()
        & (pl.col("ctx_conv") == pl.col("conversation_id"))
        & ((pl.col("timestamp") - pl.col("ctx_ts")) <= pl.duration(hours=CONTEXT_HOURS))
    )
    out = joined.select(
        "row",
        ctx_row=pl.when(ok).then(pl.col("ctx_row")).otherwise(None),
        ctx_text=pl.when(ok).then(pl.col("ctx_text")).otherwise(None),
    )
    return frame.select("row").join(out, on="row", how="left")


def dense_features(hedge_hits: np.ndarray, words: np.ndarray) -> np.ndarray:
    """Dense features of the noncommittal model (same order at training and inference)."""
    return np.column_stack([np.log1p(hedge_hits), np.log1p(words), (hedge_hits > 0).astype(float)])


def model_scores(norm: pl.Series, hedge_hits: np.ndarray, words: np.ndarray) -> np.ndarray | None:
    """P(noncommittal) from the trained English model, or None without a model."""
    model = noncommittal_model()
    if model is None:
        return None
    z = model.logits(norm, dense_features(hedge_hits, words))[:, 0]
    return 1.0 / (1.0 + np.exp(-z))


def model_threshold() -> float:
    model = noncommittal_model()
    return float(model.meta.get("threshold", 0.5)) if model is not None else LEXICON_THRESHOLD
