"""``annotate_texts``: free texts (the ``ebbtide annotate`` command, researchers) through ``annotate_frame``."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any

import polars as pl

from ebbtide.features.language.annotate import annotate_frame
from ebbtide.features.language.langdetect import NO_WORDS
from ebbtide.features.language.lexicon import available_langs
from ebbtide.features.language.lsm import FW_COLUMNS
from ebbtide.features.language.patterns import BOOL_TAIL

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
    for f in BOOL_TAIL:
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


__all__ = ["annotate_texts"]
