"""Each concrete example of issue 14 ("Reports that never say what isn't so") as a test."""

from __future__ import annotations

import sys
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import polars as pl
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from consistency import Faces, check, render_faces  # noqa: E402

from ebbtide.features import build_features  # noqa: E402
from ebbtide.insight import explain  # noqa: E402
from ebbtide.insight.explain import limits  # noqa: E402
from ebbtide.insight.sample import sample_assessment  # noqa: E402
from ebbtide.insight.selfcheck import parse_answers, run_selfcheck  # noqa: E402
from ebbtide.insight.wording import counted, fill  # noqa: E402
from ebbtide.model import Coverage, MetricChange, Pattern, ReasonId, SignId, StrategyId  # noqa: E402
from ebbtide.report.formatting import change_text, number  # noqa: E402
from ebbtide.signals import assess  # noqa: E402
from ebbtide.signals.evidence import clear_yes  # noqa: E402
from ebbtide.simulate import simulate_couple  # noqa: E402

DEMO = Path(__file__).parents[1] / "src" / "ebbtide" / "simulate" / "data" / "demo_whatsapp.txt"


@pytest.fixture(scope="module")
def demo() -> Faces:
    from ebbtide.importers import read_export

    messages = read_export(DEMO).messages
    features = build_features(messages)
    a = assess(features, me="Alex", partner="Sam")
    return render_faces(a, explain(a, features=features), messages=messages)


# --------------------------------------------------------------------------- the self-check
def test_the_self_check_speaks_only_of_the_answers_given() -> None:
    answers = parse_answers({"signs": {"decreased_communication": 2, "increased_time_apart": 3,
                                       "decline_in_intimacy": 2, "change_in_engagement": 1},
                             "reaching_out": 2, "partner": "Sam"})
    assessment, insight = run_selfcheck(answers)
    assert assessment.pattern is Pattern.PURSUE_WITHDRAW
    faces = render_faces(assessment, insight, from_answers=True)
    text = faces.terminal
    for lie in ("your chat", "What the chat does show", "1 message ask", "writes less", "writing more"):
        assert lie not in text
    assert "From your answers" in text
    assert check(faces) == []


# --------------------------------------------------------------------------- the reflection
def test_need_for_space_does_not_fit_changes_the_plan_and_the_note_says_how() -> None:
    a = sample_assessment(Pattern.PARTNER_PULLING_AWAY, space_request=True)
    plain = explain(a)
    assert plain.plan[0].id is StrategyId.SPACE_BUT_CONNECTED
    rejected = explain(a, reflection={ReasonId.PERSONAL_SPACE: 0})
    assert rejected.plan[0].id is not StrategyId.SPACE_BUT_CONNECTED
    assert rejected.plan[-1].id is StrategyId.SPACE_BUT_CONNECTED
    space = rejected.plan[-1]
    assert "asked for" not in space.why
    assert rejected.reflection_note[0] == "You said: “A need for space” does not fit."
    assert f"“{space.title}” moved from step 1 to step {len(rejected.plan)}." in rejected.reflection_note
    assert not any("space you asked for" in s for p in rejected.plan for s in p.starters)
    assert any("Conversation starter left out" in line for line in rejected.reflection_note)


def test_a_reflection_that_changes_nothing_in_the_plan_says_so() -> None:
    a = sample_assessment(Pattern.PARTNER_PULLING_AWAY)
    insight = explain(a, reflection={ReasonId.PAST_BAGGAGE: 3})
    assert insight.reflection_note[-1].startswith("The plan's steps stayed as they were")


# --------------------------------------------------------------------------- evidence and its label
@pytest.mark.parametrize("text", ["yes! 7?", "Yes, 7 works", "sure, see you then", "sí, claro", "oui !", "ja, gerne",
                                  "sim, às 7"])
def test_a_plain_yes_is_not_a_noncommittal_answer(text: str) -> None:
    assert clear_yes(text)


@pytest.mark.parametrize("text", ["maybe, we'll see", "yes but maybe later", "not sure yet", "k", "ok I guess",
                                  "vielleicht"])
def test_hedged_answers_stay_noncommittal(text: str) -> None:
    assert not clear_yes(text)


def test_evidence_is_shown_under_the_sign_it_supports(demo: Faces) -> None:
    for s in demo.assessment.signs:
        for e in s.evidence:
            if e.why.startswith("noncommittal"):
                assert s.sign is SignId.EVASIVE_RESPONSES
    time_apart = [s for s in demo.assessment.signs if s.sign is SignId.INCREASED_TIME_APART]
    assert all(not e.why.startswith("noncommittal") for s in time_apart for e in s.evidence)


def test_an_earlier_message_says_who_wrote_it(demo: Faces) -> None:
    replies = [e for s in demo.assessment.signs for e in s.evidence if e.why.startswith("replied after")]
    assert replies and all(e.context_sender == "Alex" for e in replies)
    assert "after Alex's “" in demo.terminal and "after “" not in demo.terminal
    assert "after Alex's “" in demo.html
    assert all(item["context_sender"] for s in demo.data["signs"] for item in s["evidence"] if item["context_before"])


def test_a_silence_is_measured_against_the_end_of_the_export() -> None:
    """A bid two minutes before the export ends is not yet 'no message from Sam since'."""
    chat = simulate_couple("partner_pulling_away", seed=2, weeks=20).messages
    end = chat.get_column("timestamp").max() + timedelta(hours=3)  # type: ignore[operator]
    tail = pl.DataFrame({"timestamp": [end - timedelta(minutes=2), end], "sender": ["Alex", "Alex"],
                         "text": ["good morning gorgeous 😘 are you ok?", "lunch was pasta"]})
    extra = chat.head(2).with_columns(tail.get_column("timestamp"), tail.get_column("sender"), tail.get_column("text"))
    messages = pl.concat([chat, extra])
    features = build_features(messages)
    a = assess(features, me="Alex", partner="Sam")
    late = [e for s in a.signs for e in s.evidence if e.timestamp >= end - timedelta(minutes=2)]
    assert late == []
    silences = [e for s in a.signs for e in s.evidence if "end of the export" in e.why]
    assert all(end - e.timestamp >= timedelta(hours=1) for e in silences)
    assert check(render_faces(a, explain(a, features=features), messages=messages)) == []


# --------------------------------------------------------------------------- numbers that agree
def test_the_pattern_explanation_never_says_the_same_when_it_changed(demo: Faces) -> None:
    alex = next(m for s in demo.assessment.signs if s.person == "Alex" for m in s.metrics if m.id == "messages_per_week")
    assert alex.change is not None and alex.change < -0.15  # 186 -> 109 a week in the demo
    assert "stayed about the same" not in demo.data["pattern_explanation"]


def test_the_chart_caption_uses_the_figures_of_the_sign(demo: Faces) -> None:
    sam = next(m for s in demo.assessment.signs if s.person == "Sam" for m in s.metrics if m.id == "messages_per_week")
    caption = demo.chart_alts["messages"]
    assert f"Sam usually {number(sam.baseline, 'per week')}, recently {number(sam.recent, 'per week')}" in caption
    assert change_text(sam).startswith(f"{number(sam.baseline, 'per week')} → {number(sam.recent, 'per week')}")


def test_swings_are_not_called_dips_when_the_history_has_none() -> None:
    a = sample_assessment(Pattern.STABLE, history=False)
    insight = explain(a)
    text = " ".join(r.text for r in insight.reasons)
    assert "when things dipped" not in text and "came back to usual" not in text
    assert check(render_faces(a, insight)) == []


def test_pursue_withdraw_is_named_when_the_users_share_of_starts_rose(demo: Faces) -> None:
    share = next(m for s in demo.assessment.signs if s.person == "Alex" for m in s.metrics if m.id == "initiation_share")
    assert share.recent - share.baseline >= 0.10  # 55 % -> 88 % in the demo
    assert demo.assessment.pattern is Pattern.PARTNER_PULLING_AWAY
    assert "pursue-withdraw" in demo.insight.headline
    assert f"{share.baseline * 100:.0f}% → {share.recent * 100:.0f}%" in demo.insight.headline


def test_the_demo_passes_the_checker(demo: Faces) -> None:
    assert check(demo) == []


# --------------------------------------------------------------------------- guesses without data
def test_no_reasons_or_answers_without_data_and_no_talking_less_when_nothing_changed() -> None:
    insufficient = explain(sample_assessment(Pattern.INSUFFICIENT_DATA))
    assert insufficient.reasons == () and insufficient.faq == ()
    stable = explain(sample_assessment(Pattern.STABLE))
    starters = [s for p in stable.plan for s in p.starters]
    assert starters and not any("talking less" in s for s in starters)


@pytest.mark.parametrize("pattern", [Pattern.STABLE, Pattern.INSUFFICIENT_DATA])
def test_a_plan_for_a_chat_without_a_change_does_not_presume_one(pattern: Pattern) -> None:
    a = sample_assessment(pattern)  # the sample's history holds a recovered dip: it must not become "this one"
    faces = render_faces(a, explain(a))
    plan_text = " ".join(t for p in faces.insight.plan for t in (p.title, p.why, p.rhythm, *p.actions))
    for presumption in ("something changed", "someone drift", "If nothing changes", "quieter stretches",
                        "this one will pass", "widen the gap"):
        assert presumption not in plan_text
    assert "Give it time, and look again" in plan_text
    assert check(faces) == []
    if pattern is Pattern.STABLE:
        assert "If you still feel some distance" in faces.terminal and "If you still feel some distance" in faces.html


def test_a_stable_self_check_plan_speaks_of_the_answers_and_presumes_no_change() -> None:
    answers = parse_answers({"signs": {s.value: 0 for s in SignId}, "reaching_out": 0, "partner": "Sam"})
    assessment, insight = run_selfcheck(answers)
    assert assessment.pattern is Pattern.STABLE
    faces = render_faces(assessment, insight, from_answers=True)
    assert check(faces) == []
    whys = " ".join(p.why for p in insight.plan)
    assert "someone drift" not in whys and "From your answers, nothing points to a lasting change" in whys


def test_the_checker_catches_a_stable_plan_that_presumes_a_change() -> None:
    a = sample_assessment(Pattern.STABLE)
    i = explain(a)
    first = i.plan[0]
    bad = replace(i, plan=(replace(first, why="Many quieter stretches pass on their own."), *i.plan[1:]))
    assert any(p.startswith("presumes:") for p in check(render_faces(a, bad)))


# --------------------------------------------------------------------------- wording
def test_one_formatter_for_counts_and_numbers() -> None:
    assert counted(1, "message") == "1 message" and counted(2, "message") == "2 messages"
    assert counted(1, "week") == "1 week" and counted(1_204, "message") == "1,204 messages"
    assert counted(1, "new message") == "1 new message" and counted(0, "week") == "0 weeks"
    assert fill("{n} message(s) about it; {w} week(s)", n=1, w=1) == "1 message about it; 1 week"
    assert fill("{n} message(s)", n="1,001") == "1,001 messages"
    assert number(0.0) == "0" and number(-0.001) == "0" and number(0.5) == "0.50"
    share = MetricChange("x", "x", 0.10, 0.11, 0.01, 0.005, 0.02, "share", "up")
    assert "+1 point," in change_text(share) and "+1 points" not in change_text(share)
    score = MetricChange("w", "w", 0.22, 0.22, 0.0, -0.001, 0.001, "score", "down")
    assert "0.00" not in change_text(score)


def test_one_list_of_limits_without_near_duplicates_and_with_full_stops() -> None:
    a = sample_assessment(Pattern.PARTNER_PULLING_AWAY)
    notes = ("a chat log does not see time spent together, calls, or talk on other apps; changes here are "
             "patterns in messages, not feelings", "times in this export are to the minute")
    a = replace(a, coverage=replace(a.coverage, notes=notes))
    lines = limits(a)
    assert sum("time spent together" in line for line in lines) == 1
    assert all(line.endswith((".", ")")) and line[0].isupper() for line in lines)
    assert "Times in this export are to the minute." in lines


def test_limits_keep_every_sign_that_cannot_be_judged() -> None:
    a = sample_assessment(Pattern.INSUFFICIENT_DATA)
    lines = limits(replace(a, coverage=Coverage(None, None, 0)))
    assert any("Decreased communication" in line and "Evasive" in line for line in lines)


def test_when_calls_were_counted_no_limit_says_calls_cannot_be_seen() -> None:
    a = sample_assessment(Pattern.PARTNER_PULLING_AWAY)
    note = ("calls in this export count as time together on the line (in conversations and in time apart); "
            "a chat log does not see time spent together in person or talk on other apps")
    lines = limits(replace(a, coverage=replace(a.coverage, notes=(note,))))
    assert any(line.startswith("Calls in this export count") for line in lines)
    assert not any("cannot see" in line and "calls" in line for line in lines)
