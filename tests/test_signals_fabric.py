"""A small fabricator of feature frames for signals tests (independent of the simulator).

It writes the columns ``ebbtide.features.build_features`` produces directly from per-week behaviour
parameters, so the signals layer can be tested on exactly known inputs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

import numpy as np
import polars as pl

FW = ("fw_ppron", "fw_ipron", "fw_article", "fw_auxverb", "fw_adverb", "fw_prep", "fw_conj", "fw_negate",
      "fw_quant")


@dataclass(frozen=True)
class Behaviour:
    """One person's behaviour in one week."""

    sessions: float = 7.0  # conversations this person starts per week
    reply_p: float = 0.92  # chance of answering the other's turn in the same session
    latency_min: float = 6.0  # median reply latency in minutes
    words: float = 9.0  # mean words per message
    affection_p: float = 0.15
    question_p: float = 0.2
    plan_q_per_week: float = 2.0  # plan questions asked per week
    noncommittal_p: float = 0.1  # chance an answer to a plan question is noncommittal
    meetup_per_week: float = 3.0
    double_text_p: float = 0.02
    sentiment: float = 0.35


Profile = Callable[[int, str], Behaviour]  # (week index, person) -> behaviour


def fabricate(profile: Profile, *, weeks: int = 30, me: str = "Alex", partner: str = "Sam", seed: int = 0,
              start: date = date(2025, 1, 6), lang: str | None = "en") -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    rows: list[dict] = []
    session = 0
    run = 0
    people = (me, partner)
    for w in range(weeks):
        beh = {p: profile(w, p) for p in people}
        starts: list[tuple[datetime, str]] = []
        for p in people:
            for _ in range(rng.poisson(beh[p].sessions)):
                day = int(rng.integers(0, 7))
                minute = int(rng.integers(8 * 60, 22 * 60))
                starts.append((datetime.combine(start, datetime.min.time()) + timedelta(weeks=w, days=day,
                                                                                       minutes=minute), p))
        plan_left = {p: rng.poisson(beh[p].plan_q_per_week) for p in people}
        meet_left = {p: rng.poisson(beh[p].meetup_per_week) for p in people}
        for t0, who in sorted(starts):
            session += 1
            t = t0
            speaker = who
            first = True
            turns = int(rng.integers(2, 9))
            pending_plan = False
            prev_t = t
            for k in range(turns):
                b = beh[speaker]
                run += 1
                n_msgs = 1 + int(rng.random() < 0.3)
                for m in range(n_msgs):
                    ask = plan_left[speaker] > 0 and m == n_msgs - 1 and rng.random() < 0.5
                    if ask:
                        plan_left[speaker] -= 1
                    meet = meet_left[speaker] > 0 and rng.random() < 0.3
                    if meet:
                        meet_left[speaker] -= 1
                    nc = pending_plan and m == 0 and rng.random() < b.noncommittal_p
                    nwords = max(1, int(rng.poisson(b.words)))
                    rows.append({
                        "timestamp": t, "sender": speaker, "text": ("maybe, we'll see" if nc else
                                                                     "are we still on for saturday?" if ask else
                                                                     "word " * nwords).strip(),
                        "kind": "text", "session_id": session, "initiates": first and m == 0,
                        "turn_start": m == 0, "run_id": run,
                        "reply_latency_s": (None if first or m > 0 else float((t - prev_t).total_seconds())),
                        "words": nwords, "affection": bool(rng.random() < b.affection_p),
                        "question": bool(ask or rng.random() < b.question_p), "plan_question": bool(ask),
                        "relationship_question": False, "noncommittal": bool(nc), "meetup": bool(meet),
                        "space_request": False, "stress": False, "safety_concern": False,
                        "sentiment_score": float(np.clip(rng.normal(b.sentiment, 0.3), -1, 1)),
                        "double_text": False, "lang": lang,
                        **{c: int(rng.binomial(nwords, 0.08)) for c in FW},
                    })
                    prev_t = t
                    t = t + timedelta(seconds=int(rng.integers(5, 60)))
                pending_plan = ask
                first = False
                other = partner if speaker == me else me
                if k == turns - 1 or rng.random() > beh[other].reply_p:
                    break
                t = t + timedelta(minutes=float(rng.lognormal(np.log(beh[other].latency_min), 0.6)))
                speaker = other
    f = pl.DataFrame(rows).sort("timestamp", maintain_order=True)
    # got_reply: the other person wrote later in the same session.
    f = f.with_columns(
        pl.col("sender").n_unique().over("session_id").alias("_n"),
        pl.col("run_id").max().over("session_id").alias("_last_run"),
    ).with_columns(((pl.col("_n") > 1) & (pl.col("run_id") < pl.col("_last_run"))).alias("got_reply"))
    f = f.drop("_n", "_last_run").with_columns(
        pl.lit(60, dtype=pl.Int32).alias("latency_precision_s"),
        pl.col("text").str.len_chars().cast(pl.Int32).alias("chars"),
        pl.col("timestamp").dt.truncate("1w").dt.date().alias("week"),
        pl.col("words").cast(pl.Int32),
    )
    if lang is None:
        lang_cols = ["affection", "question", "plan_question", "relationship_question", "noncommittal", "meetup",
                     "space_request", "stress", "sentiment_score", "words", *FW]
        f = f.with_columns([pl.lit(None, dtype=f.schema[c]).alias(c) for c in lang_cols])
    return f


def steady(week: int, person: str) -> Behaviour:
    return Behaviour()


def partner_withdraws(change_week: int, partner: str = "Sam") -> Profile:
    def prof(week: int, person: str) -> Behaviour:
        if person != partner or week < change_week:
            return Behaviour()
        return replace(Behaviour(), sessions=2.0, reply_p=0.6, latency_min=60.0, words=4.0, affection_p=0.03,
                       question_p=0.05, noncommittal_p=0.7, meetup_per_week=0.5, sentiment=0.1)
    return prof


def test_fabricate_has_the_feature_columns() -> None:
    f = fabricate(steady, weeks=3, seed=1)
    for c in ("session_id", "initiates", "turn_start", "reply_latency_s", "got_reply", "week", "affection", *FW):
        assert c in f.columns
    assert f.height > 50
    assert f.filter(pl.col("initiates")).height == f.get_column("session_id").n_unique()
