"""Conversation structure: exact sessions, initiations, runs, latencies, double texts and replies on
hand-built frames; minute precision; invariants on random frames; planted changes seen through it."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ebbtide.features import STRUCTURE_SCHEMA, build_features, conversation_structure
from ebbtide.model import Message, MessageKind, messages_to_frame
from ebbtide.simulate import simulate_couple

D = datetime(2025, 3, 3)  # a Monday


def at(day: int, h: int, m: int, s: int = 0) -> datetime:
    return D + timedelta(days=day, hours=h, minutes=m, seconds=s)


def frame(rows: list[tuple[datetime, str, str] | tuple[datetime, str, str, MessageKind]]) -> pl.DataFrame:
    msgs = []
    for i, row in enumerate(rows):
        kind = row[3] if len(row) == 4 else MessageKind.TEXT
        msgs.append(Message(row[0], row[1], row[2], kind=kind, conversation_id="c1", source_line=i + 1))
    return messages_to_frame(msgs)


CHAT = [
    (at(0, 10, 0, 0), "A", "hi"),
    (at(0, 10, 0, 30), "A", "you there"),
    (at(0, 10, 2, 0), "B", "yes"),
    (at(0, 10, 5, 0), "A", "great"),
    (at(0, 10, 30, 0), "A", "hello?"),
    (at(0, 10, 31, 0), "", "A changed the subject", MessageKind.SYSTEM),
    (at(0, 18, 0, 0), "B", "sorry busy"),
    (at(0, 18, 1, 0), "B", "", MessageKind.MEDIA),
    (at(0, 18, 10, 0), "A", "ok"),
    (at(1, 9, 0, 0), "A", "morning"),
]


def test_exact_structure_of_a_small_chat():
    out = conversation_structure(frame(CHAT))
    assert out.height == 9  # the system line is dropped
    assert out["text"].to_list() == ["hi", "you there", "yes", "great", "hello?", "sorry busy", "", "ok", "morning"]
    assert out["session_id"].to_list() == [0, 0, 0, 0, 0, 1, 1, 1, 2]
    assert out["initiates"].to_list() == [True, False, False, False, False, True, False, False, True]
    assert out["turn_start"].to_list() == [True, False, True, True, False, True, False, True, True]
    assert out["run_id"].to_list() == [0, 0, 1, 2, 2, 3, 3, 4, 5]
    assert out["run_len"].to_list() == [2, 2, 1, 2, 2, 2, 2, 1, 1]
    assert out["reply_latency_s"].to_list() == [None, None, 90.0, 180.0, None, None, None, 540.0, None]
    # 25 min with no reply inside a session; and next morning after their own unanswered "ok"
    assert out["double_text"].to_list() == [False, False, False, False, True, False, False, False, True]
    assert out["got_reply"].to_list() == [True, True, True, False, False, True, True, False, False]
    assert out["latency_precision_s"].unique().to_list() == [1]
    assert out["chars"].to_list() == [2, 9, 3, 5, 6, 10, 0, 2, 7]
    assert out["hour"].to_list() == [10, 10, 10, 10, 10, 18, 18, 18, 9]
    assert out["week"].unique().to_list() == [D.date()]
    for col, dtype in STRUCTURE_SCHEMA.items():
        assert out.schema[col] == dtype, col


def test_gap_exactly_the_session_gap_stays_in_the_session_and_custom_gap():
    rows = [(at(0, 8, 0), "A", "a"), (at(0, 14, 0), "B", "b"), (at(0, 20, 0, 1), "A", "c")]
    out = conversation_structure(frame(rows))
    assert out["session_id"].to_list() == [0, 0, 1]
    assert out["reply_latency_s"].to_list() == [None, 6 * 3600.0, None]
    short = conversation_structure(frame(rows), session_gap=timedelta(hours=1))
    assert short["session_id"].to_list() == [0, 1, 2]
    assert short["initiates"].all()
    with pytest.raises(ValueError):
        conversation_structure(frame(rows), session_gap=timedelta(0))


def test_minute_precision_keeps_zero_latency_and_says_so():
    rows = [(at(0, 9, 0), "A", "hey"), (at(0, 9, 0), "B", "hey!"), (at(0, 9, 3), "A", "coffee?")]
    out = conversation_structure(frame(rows))
    assert out["reply_latency_s"].to_list() == [None, 0.0, 180.0]
    assert out["latency_precision_s"].to_list() == [60, 60, 60]


def test_unsorted_input_is_sorted_stably():
    rows = [(at(0, 9, 5), "B", "second"), (at(0, 9, 0), "A", "first"), (at(0, 9, 5), "B", "third")]
    out = conversation_structure(frame(rows))
    assert out["text"].to_list() == ["first", "second", "third"]
    assert out["run_len"].to_list() == [1, 2, 2]


def test_double_text_threshold_is_twenty_minutes():
    rows = [(at(0, 9, 0), "A", "a"), (at(0, 9, 19, 59), "A", "b"), (at(0, 9, 40), "A", "c")]
    out = conversation_structure(frame(rows))
    assert out["double_text"].to_list() == [False, False, True]


def test_empty_and_system_only_frames():
    empty = conversation_structure(frame([]))
    assert empty.height == 0 and set(STRUCTURE_SCHEMA) <= set(empty.columns)
    only_system = conversation_structure(frame([(at(0, 9, 0), "", "created", MessageKind.SYSTEM)]))
    assert only_system.height == 0


def test_missing_columns_and_null_times_are_explained():
    with pytest.raises(ValueError, match="missing"):
        conversation_structure(pl.DataFrame({"timestamp": [D]}))
    broken = frame(CHAT[:2]).with_columns(timestamp=pl.lit(None, dtype=pl.Datetime("us")))
    with pytest.raises(ValueError, match="no timestamp"):
        conversation_structure(broken)


def test_two_conversations_are_structured_separately():
    a = frame([(at(0, 9, 0), "A", "a1"), (at(0, 9, 5), "B", "b1")])
    b = frame([(at(0, 9, 1), "C", "c1"), (at(0, 9, 2), "A", "a2")]).with_columns(conversation_id=pl.lit("c2"))
    out = conversation_structure(pl.concat([a, b]))
    assert out["conversation_id"].to_list() == ["c1", "c1", "c2", "c2"]
    assert out["session_id"].to_list() == [0, 0, 0, 0]
    assert out["initiates"].to_list() == [True, False, True, False]
    assert out["reply_latency_s"].to_list() == [None, 300.0, None, 60.0]


@st.composite
def random_chats(draw):
    n = draw(st.integers(1, 60))
    gaps = draw(st.lists(st.integers(0, 10 * 3600), min_size=n, max_size=n))
    senders = draw(st.lists(st.sampled_from(["A", "B"]), min_size=n, max_size=n))
    t = at(0, 8, 0)
    rows = []
    for gap, who in zip(gaps, senders, strict=True):
        t += timedelta(seconds=gap)
        rows.append((t, who, "x" * (gap % 7)))
    return rows


@settings(max_examples=60, deadline=None)
@given(random_chats())
def test_invariants_on_random_chats(rows):
    out = conversation_structure(frame(rows))
    n = out.height
    assert n == len(rows)
    sid = out["session_id"].to_list()
    assert sid[0] == 0 and all(b - a in (0, 1) for a, b in zip(sid, sid[1:], strict=False))
    assert out["initiates"].sum() == sid[-1] + 1
    assert (out["initiates"] <= out["turn_start"]).all()
    lat = out.filter(pl.col("reply_latency_s").is_not_null())
    assert (lat["reply_latency_s"] <= 6 * 3600).all()
    assert lat.height == (out["turn_start"] & ~out["initiates"]).sum()
    runs = out.group_by("run_id").agg(pl.len(), pl.col("run_len").first(), pl.col("sender").n_unique().alias("s"))
    assert (runs["len"] == runs["run_len"]).all() and (runs["s"] == 1).all()
    # the last run of each session never got a reply; every earlier run did
    last = out.group_by("session_id").agg(pl.col("run_id").max().alias("last"))
    joined = out.join(last, on="session_id")
    assert (joined["got_reply"] == (joined["run_id"] < joined["last"])).all()
    prev_same = out["sender"].shift(1) == out["sender"]
    assert (~out["double_text"] | prev_same.fill_null(False)).all()


def test_build_features_adds_language_columns_when_available():
    out = build_features(frame(CHAT))
    assert set(STRUCTURE_SCHEMA) <= set(out.columns)
    assert out.height == 9
    if "words" in out.columns:
        assert out["words"].to_list()[:3] == [1, 2, 1]


def test_build_features_without_language_layer(monkeypatch):
    monkeypatch.setitem(sys.modules, "ebbtide.features.language", None)
    out = build_features(frame(CHAT))
    assert set(STRUCTURE_SCHEMA) <= set(out.columns)
    assert "words" not in out.columns and out.height == 9


def _share(out: pl.DataFrame, expr: pl.Expr, who: str) -> float:
    rows = out.filter(expr)
    return rows.filter(pl.col("sender") == who).height / max(rows.height, 1)


@pytest.mark.parametrize("seed", [1, 2])
def test_partner_pulling_away_shows_in_initiations_and_latency(seed):
    chat = simulate_couple("partner_pulling_away", seed=seed, weeks=30)
    out = conversation_structure(chat.messages)
    t = chat.truth
    before = pl.col("timestamp").dt.date() < t.change_start
    after = pl.col("timestamp").dt.date() >= t.change_start + timedelta(days=14)
    share_before = _share(out, before & pl.col("initiates"), "Sam")
    share_after = _share(out, after & pl.col("initiates"), "Sam")
    assert share_before > 0.35
    assert share_after < 0.7 * share_before

    def median_latency(cond: pl.Expr) -> float:
        return out.filter(cond & (pl.col("sender") == "Sam"))["reply_latency_s"].drop_nulls().median()

    assert median_latency(after) > 3 * median_latency(before)
    alex_reply = out.filter(pl.col("sender") == "Alex", pl.col("turn_start"))
    assert alex_reply.filter(after)["got_reply"].mean() < alex_reply.filter(before)["got_reply"].mean()


def test_pursue_withdraw_shows_user_double_texts():
    chat = simulate_couple("pursue_withdraw", seed=3, weeks=30)
    out = conversation_structure(chat.messages)
    t = chat.truth
    alex = out.filter(pl.col("sender") == "Alex")
    rate_before = alex.filter(pl.col("timestamp").dt.date() < t.change_start)["double_text"].mean()
    rate_after = alex.filter(pl.col("timestamp").dt.date() >= t.change_start + timedelta(days=14))["double_text"].mean()
    assert rate_after > 3 * rate_before


def test_stable_chat_has_steady_initiation_shares():
    chat = simulate_couple("stable", seed=4, weeks=30)
    out = conversation_structure(chat.messages)
    halves = out.with_columns(late=pl.col("timestamp") >= out["timestamp"].min() + timedelta(weeks=15))
    first = _share(halves.filter(~pl.col("late")), pl.col("initiates"), "Sam")
    second = _share(halves.filter(pl.col("late")), pl.col("initiates"), "Sam")
    assert abs(first - second) < 0.15
