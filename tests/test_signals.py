"""Unit tests of the signals layer on hand-made frames and fabricated weeks (no simulator needed)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, timedelta

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_signals_fabric import FW, Behaviour, fabricate, partner_withdraws, steady

from ebbtide.errors import UnknownParticipant
from ebbtide.model import Pattern, SignId, SignStatus
from ebbtide.signals import WEEKLY_COLUMNS, assess
from ebbtide.signals.compare import MetricSpec, compare
from ebbtide.signals.dips import find_dips
from ebbtide.signals.weekly import prepare, weekly_metrics

T0 = datetime(2025, 3, 3, 9, 0)  # a Monday


def _row(minutes: float, sender: str, text: str, *, session: int, run: int, initiates: bool = False,
         turn_start: bool = True, latency_min: float | None = None, got_reply: bool = True, **flags: object) -> dict:
    base = {
        "timestamp": T0 + timedelta(minutes=minutes), "sender": sender, "text": text, "kind": "text",
        "session_id": session, "initiates": initiates, "turn_start": turn_start, "run_id": run,
        "reply_latency_s": None if latency_min is None else latency_min * 60.0, "latency_precision_s": 60,
        "got_reply": got_reply, "double_text": False, "words": len(text.split()), "lang": "en",
        "sentiment_score": 0.0, "affection": False, "question": text.endswith("?"), "plan_question": False,
        "relationship_question": False, "noncommittal": False, "meetup": False, "space_request": False,
        "stress": False, "safety_concern": False, **{c: 0 for c in FW},
    }
    base.update(flags)
    return base


def tiny_frame() -> pl.DataFrame:
    """Two weeks, hand-made. Week 1: A asks a plan question, B answers vaguely; B's bid unanswered.
    Week 2: nothing at all. Week 3: B starts, A answers after 30 min, A double-texts later."""
    day = 24 * 60
    rows = [
        _row(0, "A", "are we still on for saturday?", session=1, run=1, initiates=True, plan_question=True),
        _row(10, "B", "maybe, we'll see", session=1, run=2, latency_min=10, noncommittal=True),
        _row(12, "B", "how was work?", session=1, run=2, turn_start=False, got_reply=True),
        _row(20, "A", "fine", session=1, run=3, latency_min=8, got_reply=False),
        _row(day, "B", "miss you", session=2, run=4, initiates=True, affection=True, got_reply=False),
        _row(14 * day, "B", "hey you", session=3, run=5, initiates=True),
        _row(14 * day + 30, "A", "hi! want to come over tonight?", session=3, run=6, latency_min=30,
             plan_question=True, got_reply=False),
        _row(14 * day + 90, "A", "?", session=3, run=6, turn_start=False, got_reply=False, double_text=True),
    ]
    return pl.DataFrame(rows)


def test_weekly_metrics_on_a_hand_made_frame() -> None:
    p = prepare(tiny_frame(), "A", "B")
    w = weekly_metrics(p, "A", "B")
    assert w.columns == list(WEEKLY_COLUMNS)
    assert w.get_column("week").unique().sort().to_list() == [date(2025, 3, 3), date(2025, 3, 10), date(2025, 3, 17)]
    a1 = w.filter((pl.col("person") == "A") & (pl.col("week") == date(2025, 3, 3))).row(0, named=True)
    b1 = w.filter((pl.col("person") == "B") & (pl.col("week") == date(2025, 3, 3))).row(0, named=True)
    assert (a1["messages"], b1["messages"]) == (2, 3)
    assert (a1["initiations"], b1["initiations"], a1["couple_initiations"]) == (1, 1, 2)
    # A's turns: run 1 (answered by B) and run 3 (not answered): B's reply rate 1/2.
    assert b1["received_turns"] == 2 and b1["answered_turns"] == 1 and b1["reply_rate"] == 0.5
    # B's turns: run 2 (answered by A), run 4 "miss you" (not answered): A's unanswered bids = 1 of 2 bids.
    assert a1["reply_rate"] == 0.5 and a1["bids_received"] == 2 and a1["unanswered_bids"] == 1
    assert b1["plan_questions_received"] == 1 and b1["evasive_answers"] == 1  # "maybe, we'll see"
    assert a1["median_reply_min"] == 8 and b1["median_reply_min"] == 10
    assert b1["affectionate"] == 1 and b1["questions"] == 1
    assert a1["lsm"] is None  # far fewer than 50 words each
    quiet = w.filter(pl.col("week") == date(2025, 3, 10))
    assert quiet.get_column("messages").to_list() == [0, 0]
    assert quiet.get_column("reply_rate").to_list() == [None, None]
    a3 = w.filter((pl.col("person") == "A") & (pl.col("week") == date(2025, 3, 17))).row(0, named=True)
    b3 = w.filter((pl.col("person") == "B") & (pl.col("week") == date(2025, 3, 17))).row(0, named=True)
    assert a3["double_texts"] == 1 and a3["median_reply_min"] == 30
    assert b3["plan_questions_received"] == 1 and b3["evasive_answers"] == 1  # never answered


def test_lsm_is_one_for_identical_styles() -> None:
    rows = []
    for i in range(6):
        sender = "A" if i % 2 == 0 else "B"
        rows.append(_row(i * 5, sender, " ".join(["word"] * 20), session=1, run=i + 1, initiates=i == 0,
                         latency_min=None if i == 0 else 5, **{c: 2 for c in FW}))
    w = weekly_metrics(prepare(pl.DataFrame(rows), "A", "B"), "A", "B")
    assert w.get_column("lsm").to_list() == pytest.approx([1.0, 1.0], abs=1e-4)


def test_weekly_reply_rate_bounds_and_totals() -> None:
    f = fabricate(steady, weeks=6, seed=3)
    w = weekly_metrics(prepare(f, "Alex", "Sam"), "Alex", "Sam")
    assert int(w.get_column("messages").sum()) == f.height
    rr = w.get_column("reply_rate").drop_nulls()
    assert ((rr >= 0) & (rr <= 1)).all()
    assert (w.get_column("answered_turns") <= w.get_column("received_turns")).all()
    assert (w.get_column("evasive_answers") <= w.get_column("plan_questions_received")).all()


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 10_000), sessions=st.floats(2, 10), reply_p=st.floats(0.1, 1.0))
def test_weekly_invariants_hold_for_any_behaviour(seed: int, sessions: float, reply_p: float) -> None:
    beh = replace(Behaviour(), sessions=sessions, reply_p=reply_p)
    f = fabricate(lambda w, p: beh, weeks=3, seed=seed)
    w = weekly_metrics(prepare(f, "Alex", "Sam"), "Alex", "Sam")
    assert int(w.get_column("messages").sum()) == f.height
    assert int(w.get_column("initiations").sum()) == f.get_column("session_id").n_unique()
    assert (w.get_column("unanswered_bids") <= w.get_column("bids_received")).all()


def test_compare_one_bad_week_is_not_a_change() -> None:
    spec = MetricSpec("messages_per_week", "messages", "messages", None, "down", 0.3, min_den=3)
    base = pl.DataFrame({"messages": [100, 96, 104, 99, 101, 98, 103, 100]})
    one_bad = pl.DataFrame({"messages": [100, 20, 101, 99, 97, 102]})
    sustained = pl.DataFrame({"messages": [100, 99, 40, 35, 42, 38]})
    j1 = compare(spec, base, one_bad)
    j2 = compare(spec, base, sustained)
    assert not j1.moved
    assert j2.moved and j2.level >= 2
    c = j2.change
    assert c.ci_low is not None and c.ci_high is not None
    assert c.ci_low <= c.change <= c.ci_high < 0


def test_compare_a_rate_of_rare_events_needs_enough_of_them_in_the_baseline() -> None:
    """Three affectionate messages that became none are no evidence of a decline (min_num)."""
    spec = MetricSpec("affection_per_message", "affection", "affectionate", "lang_messages", "down", 0.35,
                      min_den=30, min_num=6)
    base = pl.DataFrame({"affectionate": [1, 0, 1, 0, 1, 0, 0, 0], "lang_messages": [40] * 8})
    recent = pl.DataFrame({"affectionate": [0, 0, 0, 0, 0, 0], "lang_messages": [30] * 6})
    j = compare(spec, base, recent)
    assert not j.judged and not j.moved
    many = pl.DataFrame({"affectionate": [3, 2, 4, 3, 2, 3, 4, 3], "lang_messages": [40] * 8})
    assert compare(spec, many, recent).moved
    warmth = MetricSpec("warmth", "warmth", "warmth", None, "down", 0.10, mode="abs", min_den=3)
    negative = pl.DataFrame({"warmth": [-0.05] * 8})  # a sum below zero is no count: min_num does not apply
    assert compare(warmth, negative, pl.DataFrame({"warmth": [-0.3] * 6})).judged


def test_stable_couple_reads_stable() -> None:
    for seed in (0, 1):
        a = assess(fabricate(steady, weeks=30, seed=seed), me="Alex")
        assert a.partner == "Sam"
        assert a.pattern is Pattern.STABLE, [(s.person, s.sign, s.status) for s in a.signs]
        assert len(a.signs) == 10


def test_partner_withdrawal_is_found_and_dated() -> None:
    a = assess(fabricate(partner_withdraws(20), weeks=30, seed=5), me="Alex", partner="Sam")
    assert a.pattern is Pattern.PARTNER_PULLING_AWAY
    sam = {s.sign: s for s in a.signs if s.person == "Sam"}
    alex = {s.sign: s for s in a.signs if s.person == "Alex"}
    assert sam[SignId.DECREASED_COMMUNICATION].status is SignStatus.DETECTED
    assert alex[SignId.DECREASED_COMMUNICATION].status is SignStatus.NOT_DETECTED  # not blamed for Sam's drop
    since = sam[SignId.DECREASED_COMMUNICATION].since
    assert since is not None and abs((since - date(2025, 5, 26)).days) <= 21
    evasive = sam[SignId.EVASIVE_RESPONSES]
    assert evasive.status is SignStatus.DETECTED
    assert evasive.evidence and all(e.sender == "Sam" or e.text for e in evasive.evidence)
    assert any(e.context_before for e in evasive.evidence)
    assert list(evasive.evidence) == sorted(evasive.evidence, key=lambda e: e.timestamp, reverse=True)
    for s in sam.values():
        assert s.strength in {"none", "slight", "clear", "strong"}


def test_baseline_override_is_used() -> None:
    f = fabricate(partner_withdraws(20), weeks=30, seed=2)
    a = assess(f, me="Alex", baseline=(date(2025, 2, 3), date(2025, 3, 30)))
    assert a.baseline == (date(2025, 2, 3), date(2025, 3, 30))
    assert a.recent is not None and a.recent[0] > a.baseline[1]
    assert a.pattern is Pattern.PARTNER_PULLING_AWAY


def test_two_week_chat_is_insufficient_data() -> None:
    a = assess(fabricate(steady, weeks=2, seed=1), me="Alex")
    assert a.pattern is Pattern.INSUFFICIENT_DATA
    assert all(s.status is SignStatus.INSUFFICIENT_DATA for s in a.signs)
    assert all(s.note for s in a.signs)
    assert a.coverage.weeks <= 3 and a.coverage.messages > 0


def test_unsupported_language_makes_word_signs_not_measurable() -> None:
    a = assess(fabricate(partner_withdraws(20), weeks=30, seed=4, lang=None), me="Alex")
    sam = {s.sign: s for s in a.signs if s.person == "Sam"}
    for sign in (SignId.DECLINE_IN_INTIMACY, SignId.EVASIVE_RESPONSES, SignId.INCREASED_TIME_APART):
        assert sam[sign].status is SignStatus.NOT_MEASURABLE and "language" in sam[sign].note
    assert sam[SignId.DECREASED_COMMUNICATION].status is SignStatus.DETECTED
    assert any("language" in n for n in a.coverage.notes)
    eng = sam[SignId.CHANGE_IN_ENGAGEMENT]
    assert eng.status is SignStatus.DETECTED
    assert "chars_per_message" in {m.id for m in eng.metrics}


def test_time_apart_not_measurable_without_meetup_talk() -> None:
    a = assess(fabricate(lambda w, p: replace(Behaviour(), meetup_per_week=0.0), weeks=20, seed=1), me="Alex")
    t = [s for s in a.signs if s.sign is SignId.INCREASED_TIME_APART]
    assert all(s.status is SignStatus.NOT_MEASURABLE for s in t)
    assert all("time spent together" in s.note for s in t)
    assert all("only 0 messages about meeting up and 0 calls in the baseline weeks" in s.note for s in t)
    assert any("time spent together" in n for n in a.coverage.notes)


def test_counts_agree_with_their_noun_in_every_layer() -> None:
    from ebbtide.counts import counted
    from ebbtide.insight.wording import counted as insight_counted

    assert insight_counted is counted
    assert [counted(0, "call"), counted(1, "message"), counted(1, "call"), counted(1204, "message")] == \
        ["0 calls", "1 message", "1 call", "1,204 messages"]


def test_unknown_me_is_a_clear_error() -> None:
    with pytest.raises(UnknownParticipant) as e:
        assess(fabricate(steady, weeks=3, seed=1), me="Nobody")
    assert "Alex" in e.value.fix and "Sam" in e.value.fix


def test_today_adds_silent_weeks() -> None:
    f = fabricate(steady, weeks=20, seed=1)
    last = f.get_column("timestamp").max().date()
    a = assess(f, me="Alex", today=last + timedelta(weeks=5))
    assert a.coverage.last == last + timedelta(weeks=5)
    # Five weeks of silence from both, from the same week: too early to call it drifting (it is
    # what being together, away together or talking elsewhere looks like); at seven weeks it is.
    assert a.pattern is Pattern.TOO_EARLY
    assert assess(f, me="Alex", today=last + timedelta(weeks=7)).pattern is Pattern.MUTUAL_DRIFT


def test_safety_flags_put_the_users_own_messages_first() -> None:
    f = fabricate(steady, weeks=3, seed=1)
    idx = {f.filter(pl.col("sender") == s).get_column("timestamp")[3]: s for s in ("Alex", "Sam")}
    f = f.with_columns(pl.when(pl.col("timestamp").is_in(list(idx))).then(pl.lit("give me your phone password"))
                       .otherwise(pl.col("text")).alias("text"))
    a = assess(f, me="Alex")
    assert [e.sender for e in a.safety_flags] == ["Alex", "Sam"]


def _weekly_for_dips(inits: list[int]) -> pl.DataFrame:
    n = len(inits)
    weeks = [date(2025, 1, 6) + timedelta(weeks=i) for i in range(n)]
    x = np.array(inits, dtype=float)
    return pl.DataFrame({
        "week": weeks, "person": ["Sam"] * n, "messages": (x * 10).astype(np.uint32),
        "initiations": x.astype(np.uint32), "reply_rate": np.where(x >= 5, 0.9, 0.5),
        "median_reply_min": np.where(x >= 5, 5.0, 90.0),
    })


def _pursued_partner_weeks(seed: int = 3) -> pl.DataFrame:
    """30 weeks of one partner: from week 18 half the conversations started and twice the reply time,
    while the other person pursues, so the partner answers more and writes a third *more* messages."""
    rng = np.random.default_rng(seed)
    n, at = 30, 18
    after = np.arange(n) >= at
    return pl.DataFrame({
        "week": [date(2025, 1, 6) + timedelta(weeks=i) for i in range(n)], "person": ["Sam"] * n,
        "messages": np.round(np.where(after, 80, 60) * rng.normal(1, 0.08, n)).astype(np.uint32),
        "initiations": rng.poisson(np.where(after, 2.0, 5.0)).astype(np.uint32),
        "reply_rate": np.clip(rng.normal(0.9, 0.03, n), 0, 1),
        "median_reply_min": np.where(after, 12.0, 6.0) * rng.lognormal(0, 0.15, n),
    })


@pytest.mark.parametrize("seed", range(5))
def test_a_pursued_partners_withdrawal_is_not_hidden_by_the_replies_it_draws(seed: int) -> None:
    from ebbtide.signals.changepoints import decline_start, detect_series, engagement_series

    w = _pursued_partner_weeks(seed)
    weeks, y = engagement_series(w, "Sam")  # what the analysis reads: the person's own doing
    found = decline_start(detect_series(weeks, y, "Sam"), "Sam")
    assert found and abs((found[0] - date(2025, 5, 12)).days) <= 14  # week 18, within two weeks
    # With the message count in the summary (as before 2026-12-08) the extra replies cancel much of it.
    _, with_count = engagement_series(w, "Sam", with_volume=True)
    drop = lambda s: s[18:].mean() - s[:18].mean()  # noqa: E731
    assert drop(y) < drop(with_count) - 0.5


def test_silent_weeks_read_low_without_replies_to_average_in() -> None:
    from ebbtide.signals.changepoints import engagement_series, noise_z

    usual = [6, 5, 7, 6, 5, 6, 7, 6]
    x = np.array(usual + [0, 0, 0], dtype=float)
    w = pl.DataFrame({
        "week": [date(2025, 1, 6) + timedelta(weeks=i) for i in range(len(x))], "person": ["Sam"] * len(x),
        "messages": (x * 10).astype(np.uint32), "initiations": x.astype(np.uint32),
        "reply_rate": [0.9, 0.85, 0.92, 0.88, 0.9, 0.91, 0.87, 0.9, None, None, None],
        "median_reply_min": [5.0, 6.0, 5.5, 4.8, 6.2, 5.1, 5.9, 5.3, None, None, None],
    })
    _, y = engagement_series(w, "Sam")
    # no reply rate or time in a silent week: it reads as low as its zero starts say, not averaged
    # with two parts at the usual level (a third of it)
    starts = noise_z(np.log1p(x))
    assert np.allclose(y[8:], starts[8:]) and (y[8:] < -2).all()


def test_dips_are_found_with_recovery() -> None:
    usual = [10, 9, 11, 10, 12, 9]
    w = _weekly_for_dips(usual + [3, 2, 4, 3, 3] + usual + usual[:3])
    dips = find_dips(w, "Sam")
    weeks = w.get_column("week").to_list()
    assert len(dips) == 1
    d = dips[0]
    assert d.start == weeks[6] and d.recovered and d.end == weeks[10] + timedelta(days=6) and d.weeks == 5
    assert d.depth == pytest.approx(30 / 100 - 1, abs=1e-3)  # mean dip week 30 messages, usual week 100
    assert find_dips(_weekly_for_dips(usual + [2] + usual + usual), "Sam") == []  # one quiet week
    (d2,) = find_dips(_weekly_for_dips(usual + usual + [2, 3, 2, 2]), "Sam")
    assert d2.end is None and not d2.recovered and d2.start == weeks[12]


def test_a_long_dip_that_recovered_and_one_that_lasts_to_the_end() -> None:
    usual = [10, 9, 11, 10, 12, 9]
    eight = [3, 2, 4, 3, 3, 2, 4, 3]  # an 8-week dip with one slightly better week in it
    w = _weekly_for_dips(usual + usual + eight + usual + usual)
    weeks = w.get_column("week").to_list()
    (d,) = find_dips(w, "Sam")
    assert d.recovered and d.weeks == 8 and d.start == weeks[12] and d.end == weeks[19] + timedelta(days=6)
    # partly back but still well below the usual to the last week: ongoing, never "ended, not recovered"
    w2 = _weekly_for_dips(usual + usual + [2, 3, 2, 2, 2] + [6, 6, 7, 6, 6, 7, 6])
    (d2,) = find_dips(w2, "Sam")
    assert d2.end is None and not d2.recovered and d2.weeks == 12


def test_segmentation_matches_ruptures_pelt() -> None:
    rpt = pytest.importorskip("ruptures")
    from ebbtide.signals.changepoints import segment

    rng = np.random.default_rng(0)
    for trial in range(20):
        n = int(rng.integers(8, 60))
        y = rng.normal(0, 1, n)
        if trial % 2:
            y[n // 2:] -= rng.uniform(0, 4)
        pen = float(rng.uniform(0.5, 10))
        expected = rpt.Pelt(model="l2", min_size=4, jump=1).fit(y.reshape(-1, 1)).predict(pen=pen)
        assert segment(y, pen, 4) == expected


def test_evidence_carries_match_spans_from_the_language_layer() -> None:
    f = fabricate(partner_withdraws(20), weeks=30, seed=5)
    spans = [[{"feature": "plan_question", "start": 0, "end": 3, "term": "are"}] if q else [] for q in
             f.get_column("plan_question").to_list()]
    f = f.with_columns(pl.Series("matches", spans))
    a = assess(f, me="Alex")
    ev = [e for s in a.signs for e in s.evidence if "without an answer" in e.why]
    assert ev and all(e.spans == ((0, 3),) for e in ev)


def test_empty_and_one_sided_chats_are_clear_errors() -> None:
    from ebbtide.errors import EbbtideError

    f = fabricate(steady, weeks=3, seed=1)
    with pytest.raises(EbbtideError, match="no messages"):
        assess(f.head(0), me="Alex")
    with pytest.raises(EbbtideError, match="only 'Alex' wrote"):
        assess(f.filter(pl.col("sender") == "Alex"), me="Alex")


def test_third_senders_are_left_out() -> None:
    f = fabricate(steady, weeks=10, seed=1)
    g = pl.concat([f, f.head(5).with_columns(pl.lit("Kim").alias("sender"))]).sort("timestamp")
    a = assess(g, me="Alex")
    assert a.partner == "Sam" and set(a.coverage.by_person) == {"Alex", "Sam"}
    assert set(a.weekly.get_column("person").unique()) == {"Alex", "Sam"}


def test_decline_start_dates_the_current_decline() -> None:
    from ebbtide.signals.changepoints import ChangePoint, decline_start

    d = [date(2025, 1, 6) + timedelta(weeks=i) for i in range(40)]

    def cps(*pairs: tuple[int, float]) -> list[ChangePoint]:
        return [ChangePoint("Sam", d[i], s) for i, s in pairs]

    assert decline_start(cps((10, -4.0), (15, 3.5), (30, -3.4)), "Sam") == [d[30]]  # old dip is history
    assert decline_start(cps((10, -2.0), (14, -2.0)), "Sam") == [d[10], d[14]]  # two steps: the first
    assert decline_start(cps((10, -2.7), (14, -0.9), (20, 0.7)), "Sam") == [d[10], d[14]]  # partial rise
    assert decline_start(cps((10, -4.0), (15, 4.0)), "Sam") == []  # recovered
    assert decline_start(cps((10, -1.0)), "Sam") == []  # one small step is not a confirmed decline
    assert decline_start(cps((10, -3.0)), "Sam", after=d[12]) == []  # before the baseline ended


def test_tiny_latency_changes_do_not_count() -> None:
    spec = MetricSpec("median_reply_minutes", "reply", "median_reply_min", None, "up", 0.5, min_den=3, min_abs=5.0)
    base = pl.DataFrame({"median_reply_min": [1.0, 1.0, 1.5, 1.0, 1.0, 1.0]})
    recent = pl.DataFrame({"median_reply_min": [3.0, 3.0, 3.5, 3.0]})
    j = compare(spec, base, recent)
    assert j.change.change is not None and j.change.change > 1.0 and not j.moved


def test_assessment_is_deterministic_and_today_cuts_later_messages() -> None:
    f = fabricate(partner_withdraws(20), weeks=30, seed=6)
    a1, a2 = assess(f, me="Alex"), assess(f, me="Alex")
    assert a1.signs == a2.signs and a1.dips == a2.dips
    cut = assess(f, me="Alex", today=date(2025, 5, 18))  # before the planted change (week 20: 26 May)
    assert cut.coverage.last == date(2025, 5, 18)
    assert cut.pattern is Pattern.STABLE
    assert cut.weekly.get_column("week").max() == date(2025, 5, 12)


def test_onset_words_give_a_hedged_range() -> None:
    from ebbtide.insight.wording import onset_words

    assert onset_words(date(2025, 7, 7), date(2025, 6, 16), date(2025, 7, 21)) == \
        "around early July 2025, between mid June and late July"
    assert onset_words(date(2025, 7, 7)) == "around early July 2025"
    assert onset_words(date(2025, 7, 7), date(2025, 7, 7), date(2025, 7, 7)) == "around early July 2025"


def test_onset_of_a_drop_is_dated_with_a_range_that_holds_it() -> None:
    from ebbtide.signals.changepoints import onset

    rng = np.random.default_rng(1)
    weeks = [date(2025, 1, 6) + timedelta(weeks=i) for i in range(60)]
    y = rng.normal(0, 0.5, 60)
    y[35:] -= 3.0  # a step
    o = onset(weeks, y, 36)
    assert o is not None and o.low <= weeks[35] <= o.high and abs((o.week - weeks[35]).days) <= 7 and o.drop < -2
    ramp = rng.normal(0, 0.5, 60)
    ramp[30:] -= np.minimum(np.arange(1, 31) / 12, 1.0) * 3.0  # a 12-week slide
    o2 = onset(weeks, ramp, 36)  # the segmentation puts the step in the middle of the slide
    assert o2 is not None and abs((o2.week - weeks[30]).days) <= 21


def test_calls_count_as_contact_and_time_together() -> None:
    """A call is time together on the line: counted per week (missed calls not), with its minutes where the
    export gives them, and fewer calls can make 'more time apart' even without meet-up talk."""
    def with_calls(week_calls: Callable[[int], int], seed: int) -> pl.DataFrame:
        f = fabricate(lambda w, p: replace(Behaviour(), meetup_per_week=0.0), weeks=30, seed=seed)
        rows = []
        for w in range(30):
            for k in range(week_calls(w)):
                t = datetime(2025, 1, 6, 20, 0) + timedelta(weeks=w, days=k % 7, minutes=k)
                rows.append({"timestamp": t, "sender": "Sam", "text": f"call ({600 + k} s)", "kind": "call"})
            if w % 5 == 0:
                rows.append({"timestamp": datetime(2025, 1, 6, 9) + timedelta(weeks=w), "sender": "Sam",
                             "text": "Missed voice call", "kind": "call"})
        calls = pl.DataFrame(rows).with_columns(pl.col("timestamp").cast(f.schema["timestamp"]))
        g = pl.concat([f, calls], how="diagonal_relaxed").sort("timestamp")
        return g.with_columns(
            pl.col("session_id").fill_null(-1), pl.col("run_id").fill_null(-1),
            pl.col("initiates").fill_null(False), pl.col("turn_start").fill_null(True),
        )

    steady_calls = with_calls(lambda w: 3, 1)
    w = weekly_metrics(prepare(steady_calls, "Alex", "Sam"), "Alex", "Sam")
    sam = w.filter(pl.col("person") == "Sam")
    assert sam.get_column("calls").to_list()[:3] == [3, 3, 3]  # the missed call is not counted
    assert sam.get_column("call_minutes")[0] == pytest.approx((600 + 601 + 602) / 60)
    a = assess(steady_calls, me="Alex")
    t = {s.person: s for s in a.signs if s.sign is SignId.INCREASED_TIME_APART}
    assert t["Sam"].status is SignStatus.NOT_DETECTED  # measurable through calls alone
    assert t["Alex"].status is SignStatus.NOT_MEASURABLE
    assert any("calls in this export" in n for n in a.coverage.notes)
    fewer = assess(with_calls(lambda w: 4 if w < 20 else 0, 2), me="Alex")
    sam_t = next(s for s in fewer.signs if s.person == "Sam" and s.sign is SignId.INCREASED_TIME_APART)
    assert [m.id for m in sam_t.metrics] == ["calls_per_week"]
    assert sam_t.metrics[0].recent == 0 and sam_t.metrics[0].baseline == pytest.approx(4)
