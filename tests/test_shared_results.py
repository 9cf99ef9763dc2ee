"""What the pipeline measures once and shares: the safety grammar (fit, read by the assessment's safety flags
and by the explanation's hostility trigger) and the ruptures (once per fit, also across the web app's copies).
The shared results must be the same as computing them where they are used."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import polars as pl
import pytest

from ebbtide.insight.triggers import hostile_messages
from ebbtide.pipeline import Pipeline
from ebbtide.signals import assess, ruptures, safety
from ebbtide.simulate import simulate_couple

HOSTILE = ["you are pathetic and worthless", "you are so stupid", "shut up you moron", "you disgust me"]


@pytest.fixture(scope="module")
def messages() -> pl.DataFrame:
    """A simulated couple whose last weeks hold contempt (enough for the trigger) and one threat."""
    chat = simulate_couple("stable", seed=4, weeks=30, me="Alex", partner="Sam").messages
    last = chat.get_column("timestamp").max()
    rows = [{"timestamp": last - timedelta(days=d, minutes=m), "sender": "Sam", "text": text, "kind": "text"}
            for d in range(1, 9) for m, text in enumerate(HOSTILE)]
    rows.append({"timestamp": last - timedelta(days=3, hours=5), "sender": "Sam", "text": "I will kill you",
                 "kind": "text"})
    extra = pl.DataFrame(rows).with_columns(
        [pl.lit(chat[c][0]).alias(c) for c in chat.columns if c not in ("timestamp", "sender", "text", "kind")])
    return pl.concat([chat, extra.select(chat.columns).cast(chat.schema)]).sort("timestamp")  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def run(messages: pl.DataFrame) -> dict:
    """One fit and two predictions (the second on a copy with another baseline, as the web app makes),
    counting the safety grammar's and the ruptures' runs."""
    calls: dict[str, int] = {"grammar": 0, "ruptures": 0}
    grammar, find = safety.classify_frame, ruptures.find_ruptures

    def counting_grammar(frame: pl.DataFrame, column: str = "text") -> pl.DataFrame:
        calls["grammar"] += 1
        return grammar(frame, column)

    def counting_ruptures(features: pl.DataFrame, *, me: str, partner: str) -> tuple:
        calls["ruptures"] += 1
        return find(features, me=me, partner=partner)

    with pytest.MonkeyPatch.context() as m:
        m.setattr(safety, "classify_frame", counting_grammar)
        m.setattr(ruptures, "find_ruptures", counting_ruptures)
        pipe = Pipeline(me="Alex", partner="Sam").fit(messages)
        after_fit = dict(calls)
        done = pipe.predict()
        again = replace(pipe, baseline=None).predict(safety_answer="no")
    return {"pipe": pipe, "done": done, "again": again, "after_fit": after_fit, "calls": calls}


def test_the_grammar_runs_once_per_fit_and_gives_the_same_flags(run: dict) -> None:
    assert run["after_fit"]["grammar"] == 1
    assert run["calls"]["grammar"] == 1, "assess and explain read the fitted columns"
    features = run["pipe"].features
    done = run["done"]
    plain = features.drop("safety_cls", "safety_what")
    alone = assess(plain, me="Alex", partner="Sam")
    assert done.assessment.safety_flags == alone.safety_flags != ()
    assert done.assessment.safety_ambiguous == alone.safety_ambiguous != ()
    since = done.assessment.recent[0]
    assert hostile_messages(features, since=since) == hostile_messages(plain, since=since) != ()


def test_ruptures_are_measured_once_per_fit(run: dict) -> None:
    assert run["calls"]["ruptures"] == 1
    first, again = run["done"], run["again"]
    assert first.assessment.ruptures == again.assessment.ruptures
    assert first.assessment.ruptures == ruptures.find_ruptures(run["pipe"].features, me="Alex", partner="Sam")
