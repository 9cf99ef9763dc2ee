"""The insight layer: reasons, plan, FAQ, safety and limits for each verdict (hand-made assessments)."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime

import polars as pl
import pytest

from ebbtide.insight import explain, hints_from_features, load
from ebbtide.insight.sample import sample_assessment
from ebbtide.insight.wording import WORDING_FILES
from ebbtide.model import Dip, Evidence, FaqId, Insight, Pattern, ReasonId, StrategyId

HEDGES = ("one possibility", "may", "might", "can", "often", "not necessarily")
FIRST_PERSON = re.compile(r"\b(I|I'm|I've|I'd|I'll|me|my)\b")


def _all_text(insight: Insight) -> list[str]:
    texts = [insight.headline, insight.safety_message, *insight.limits]
    for r in insight.reasons:
        texts += [r.title, r.text]
    for p in insight.plan:
        texts += [p.title, p.why, p.rhythm, *p.actions, *p.starters, *p.triggers]
    for f in insight.faq:
        texts += [f.question, f.answer]
    return texts


@pytest.mark.parametrize("pattern", list(Pattern))
def test_every_pattern_gets_hedged_reasons_full_plan_and_four_answers(pattern: Pattern) -> None:
    insight = explain(sample_assessment(pattern))
    if pattern is Pattern.INSUFFICIENT_DATA:  # nothing could support a reason or an answer from history
        assert insight.reasons == () and insight.faq == ()
    else:
        assert len(insight.reasons) == 6 and len({r.id for r in insight.reasons}) == 6
        assert [f.id for f in insight.faq] == list(FaqId)
    for reason in insight.reasons:
        assert any(h in reason.text.lower() for h in HEDGES), reason.text
    assert {p.id for p in insight.plan} == set(StrategyId)
    assert insight.headline and not insight.safety_first
    for text in _all_text(insight):
        assert "{" not in text and "}" not in text, f"unfilled placeholder in: {text}"


def test_a_stable_chat_does_not_explain_a_change_in_the_partner() -> None:
    """When the chat shows no lasting change, the reasons speak of the feeling of distance (either of you),
    not of something happening in the partner (their energy, their wish for space, their history)."""
    a = sample_assessment(Pattern.STABLE)
    stable = {r.id: r.text for r in explain(a).reasons}
    assert "one of you" in stable[ReasonId.EXTERNAL_STRESS] and f"{a.partner}'s energy" not in stable[ReasonId.EXTERNAL_STRESS]
    assert "one of you" in stable[ReasonId.PERSONAL_SPACE]
    assert "either of you" in stable[ReasonId.PAST_BAGGAGE]
    away = {r.id: r.text for r in explain(sample_assessment(Pattern.PARTNER_PULLING_AWAY)).reasons}
    assert f"{a.partner}'s energy" in away[ReasonId.EXTERNAL_STRESS]  # a change was seen: the usual wording


@pytest.mark.parametrize("pattern", list(Pattern))
def test_starters_are_two_or_three_first_person_sentences(pattern: Pattern) -> None:
    insight = explain(sample_assessment(pattern))
    step = next(p for p in insight.plan if p.id is StrategyId.OPEN_COMMUNICATION)
    assert 2 <= len(step.starters) <= 3
    for starter in step.starters:
        assert starter.startswith("I") and FIRST_PERSON.search(starter), starter
        assert not starter.lower().startswith("you ")


def test_slower_replies_give_the_talking_less_starter() -> None:
    a = sample_assessment(Pattern.PARTNER_PULLING_AWAY, space_request=False)
    step = next(p for p in explain(a).plan if p.id is StrategyId.OPEN_COMMUNICATION)
    assert "I've noticed we've been talking less lately and I miss it. How are you doing, really?" in step.starters


def test_space_request_moves_space_but_connected_first() -> None:
    with_space = explain(sample_assessment(Pattern.PARTNER_PULLING_AWAY, space_request=True))
    without = explain(sample_assessment(Pattern.PARTNER_PULLING_AWAY, space_request=False))
    assert with_space.plan[0].id is StrategyId.SPACE_BUT_CONNECTED
    assert without.plan[0].id is StrategyId.OPEN_COMMUNICATION
    assert "space" in with_space.plan[0].why.lower()
    assert with_space.reasons[0].id is not ReasonId.PAST_BAGGAGE


def test_pursue_withdraw_puts_easing_the_chase_first_and_shows_the_user_their_side_kindly() -> None:
    insight = explain(sample_assessment(Pattern.PURSUE_WITHDRAW, space_request=False))
    first = insight.plan[0]
    assert first.id is StrategyId.SPACE_BUT_CONNECTED
    assert "chase" in first.title.lower()
    assert "you have been reaching out more" in first.why and "human" in first.why
    assert any("soft" in a.lower() for a in first.actions)


def test_me_pulling_away_speaks_to_the_user() -> None:
    insight = explain(sample_assessment(Pattern.ME_PULLING_AWAY))
    assert insight.plan[0].id is StrategyId.SELF_CARE
    assert "your side" in insight.headline
    talk = next(p for p in insight.plan if p.id is StrategyId.OPEN_COMMUNICATION)
    assert talk.starters[0].startswith("I've been quieter lately")
    assert all(r.text.startswith("If this fits you, Alex") for r in insight.reasons)


def test_long_decline_brings_professional_guidance_forward_with_its_triggers() -> None:
    insight = explain(sample_assessment(Pattern.PARTNER_PULLING_AWAY))
    ids = [p.id for p in insight.plan]
    assert ids.index(StrategyId.PROFESSIONAL_GUIDANCE) <= 1
    step = insight.plan[ids.index(StrategyId.PROFESSIONAL_GUIDANCE)]
    assert any("four weeks" in t for t in step.triggers)
    assert "four weeks" in step.why


def test_stable_keeps_professional_guidance_last_and_says_much_as_usual() -> None:
    insight = explain(sample_assessment(Pattern.STABLE))
    assert insight.plan[-1].id is StrategyId.PROFESSIONAL_GUIDANCE
    assert "much as usual" in insight.headline


def test_faq_uses_their_own_history_with_figures() -> None:
    insight = explain(sample_assessment(Pattern.PARTNER_PULLING_AWAY))
    faq = {f.id: f for f in insight.faq}
    recover = faq[FaqId.CAN_RECOVER]
    assert recover.from_history and recover.figures["recovered_dips"] == 2
    assert recover.figures["last_dip_person"] == "Sam" and recover.figures["last_dip_weeks"] == 5
    assert "March 2025" in recover.answer and "Sam's messages dipped for 5 weeks" in recover.answer
    space = faq[FaqId.HOW_LONG_SPACE]
    assert space.from_history and space.figures["shortest_weeks"] == 2 and space.figures["longest_weeks"] == 5
    assert space.figures["ongoing_weeks"] == 8
    assert all(f.citations for f in insight.faq)


def test_faq_without_history_says_so() -> None:
    insight = explain(sample_assessment(Pattern.PARTNER_PULLING_AWAY, history=False))
    faq = {f.id: f for f in insight.faq}
    assert not faq[FaqId.CAN_RECOVER].from_history
    assert "no earlier dip" in faq[FaqId.CAN_RECOVER].answer
    assert not faq[FaqId.HOW_LONG_SPACE].from_history


def test_one_recovered_dip_per_length_reads_naturally() -> None:
    a = sample_assessment(Pattern.PARTNER_PULLING_AWAY, history=False)
    a = replace(a, dips=(Dip("Sam", date(2025, 3, 3), date(2025, 4, 6), True, 5),))
    space = next(f for f in explain(a).faq if f.id is FaqId.HOW_LONG_SPACE)
    assert "about 5 weeks" in space.answer and "from 5 to 5" not in space.answer


@pytest.mark.parametrize("pattern", [Pattern.PARTNER_PULLING_AWAY, Pattern.PURSUE_WITHDRAW, Pattern.STABLE])
def test_safety_flag_puts_safety_first_and_holds_back_talk_and_space_advice(pattern: Pattern) -> None:
    insight = explain(sample_assessment(pattern, safety=True))
    assert insight.safety_first and insight.safety_message
    ids = [p.id for p in insight.plan]
    assert StrategyId.OPEN_COMMUNICATION not in ids and StrategyId.SPACE_BUT_CONNECTED not in ids
    assert ids[0] is StrategyId.PROFESSIONAL_GUIDANCE
    assert not any(p.starters for p in insight.plan)


@pytest.mark.parametrize("answer", [True, "yes", "Sometimes"])
def test_users_own_answer_turns_on_safety_first(answer: bool | str) -> None:
    insight = explain(sample_assessment(Pattern.STABLE), safety_answer=answer)
    assert insight.safety_first and insight.safety_message.startswith("You said")
    assert StrategyId.OPEN_COMMUNICATION not in [p.id for p in insight.plan]


@pytest.mark.parametrize("answer", [None, False, "no"])
def test_no_safety_answer_keeps_normal_advice(answer: bool | str | None) -> None:
    insight = explain(sample_assessment(Pattern.STABLE), safety_answer=answer)
    assert not insight.safety_first


def test_limits_say_what_cannot_be_measured_and_that_this_is_not_therapy() -> None:
    insight = explain(sample_assessment(Pattern.PARTNER_PULLING_AWAY))
    joined = " ".join(insight.limits).lower()
    assert "time spent together" in joined and "not therapy" in joined
    assert "cannot know what sam feels" in joined
    assert any("More time apart (Sam)" in line for line in insight.limits)  # the not_measurable sign


def test_reflection_reorders_but_never_hides_reasons() -> None:
    a = sample_assessment(Pattern.PARTNER_PULLING_AWAY)
    base = explain(a)
    top = base.reasons[0].id
    reflected = explain(a, reflection={top: 0, ReasonId.PAST_BAGGAGE: 3})
    assert reflected.reasons[-1].id is top
    assert reflected.reasons[0].id is ReasonId.PAST_BAGGAGE
    assert len(reflected.reasons) == 6


def _features(rows: list[tuple[str, str, str]]) -> pl.DataFrame:
    cols = ["stress", "space_request", "past_hurt", "vulnerability", "conflict"]
    data = []
    for i, (sender, text, flag) in enumerate(rows):
        row = {"timestamp": datetime(2025, 6, 1 + i, 20, 0), "sender": sender, "text": text}
        row.update({c: c == flag for c in cols})
        data.append(row)
    return pl.DataFrame(data)


def test_message_hints_come_from_the_feature_columns_of_the_right_person() -> None:
    features = _features([
        ("Sam", "work is crazy this week", "stress"),
        ("Sam", "so exhausted", "stress"),
        ("Alex", "I'm so busy too", "stress"),  # the user's stress is not a hint about Sam
        ("Sam", "I think I need some space", "space_request"),
        ("Alex", "that's not what I meant", "conflict"),  # conflict counts from both people
        ("Sam", "my ex used to do that", "past_hurt"),
    ])
    hints = hints_from_features(features, person="Sam", since=date(2025, 6, 1))
    assert hints[ReasonId.EXTERNAL_STRESS].count == 2
    assert hints[ReasonId.PERSONAL_SPACE].evidence[0].text == "I think I need some space"
    assert hints[ReasonId.COMMUNICATION_BREAKDOWN].count == 1
    assert hints[ReasonId.PAST_BAGGAGE].count == 1
    later = hints_from_features(features, person="Sam", since=date(2025, 6, 4))
    assert ReasonId.EXTERNAL_STRESS not in later


def test_feature_hints_order_the_reasons_and_show_the_messages() -> None:
    a = sample_assessment(Pattern.PARTNER_PULLING_AWAY, space_request=False, history=False)
    rows = [("Sam", f"work is crazy {i}", "stress") for i in range(6)]
    features = _features(rows).with_columns(pl.col("timestamp").dt.offset_by("7w"))
    insight = explain(a, features=features)
    assert insight.reasons[0].id is ReasonId.EXTERNAL_STRESS
    assert insight.reasons[0].evidence and insight.reasons[0].evidence[0].sender == "Sam"
    step = next(p for p in insight.plan if p.id is StrategyId.OPEN_COMMUNICATION)
    assert any("a lot is going on for you" in s for s in step.starters)


def test_passed_in_hints_are_used() -> None:
    a = sample_assessment(Pattern.PARTNER_PULLING_AWAY, history=False)
    ev = Evidence(datetime(2025, 8, 1, 9), "Sam", "my ex did this too", "mentions an ex")
    insight = explain(a, hints={ReasonId.PAST_BAGGAGE: [ev] * 1, ReasonId.EXTERNAL_STRESS: []})
    reason = next(r for r in insight.reasons if r.id is ReasonId.PAST_BAGGAGE)
    assert reason.hints >= 1 and reason.evidence[0].text == "my ex did this too"


FORBIDDEN = re.compile(
    r"avoidant|narcissis|gaslight|psychopath|sociopath|toxic|manipulat|score|%|\bdefinitely\b|\bcertainly\b"
    r"|lost interest in you|doesn't love|does not love|disorder|borderline|bipolar|codependen",
    re.IGNORECASE,
)


@pytest.mark.parametrize("name", WORDING_FILES)
def test_no_forbidden_words_in_wording_files(name: str) -> None:
    from importlib import resources

    text = resources.files("ebbtide.insight").joinpath("data", f"{name}.toml").read_text(encoding="utf-8")
    lines = [ln for ln in text.splitlines() if not ln.lstrip().startswith("#")]
    bad = [ln for ln in lines if FORBIDDEN.search(ln)]
    assert not bad, bad
    assert load(name)["version"] == 1


def test_crisis_resources_hold_the_documented_numbers() -> None:
    from ebbtide.insight import crisis_resources

    text = " ".join(f"{r.name} {r.contact}" for r in crisis_resources())
    for number in ("988", "1-800-799-7233", "1-800-787-3224", "116 123", "0808 2000 247", "112"):
        assert number in text
    assert crisis_resources("uk")[0].region == "uk"
    assert crisis_resources("gb")[0].region == "uk"


def test_alternating_warm_and_cold_weeks_hint_at_ups_and_downs() -> None:
    from datetime import timedelta

    from ebbtide.insight.hints import warm_cold_swings

    weeks = [date(2025, 1, 6) + timedelta(weeks=i) for i in range(12)]
    swinging = [200, 60, 200, 60, 210, 50, 100, 100, 200, 60, 190, 70]
    steady = [100, 95, 110, 105, 98, 102, 100, 97, 103, 99, 101, 60]
    frame = pl.DataFrame({"week": weeks * 2, "person": ["Sam"] * 12 + ["Alex"] * 12,
                          "messages": swinging + steady})
    assert warm_cold_swings(frame, "Sam") >= 8
    assert warm_cold_swings(frame, "Alex") == 0  # one quiet week is not a swing
    a = replace(sample_assessment(Pattern.PARTNER_PULLING_AWAY, history=False, space_request=False),
                weekly=frame)
    top = explain(a).reasons[0]
    assert top.id is ReasonId.EMOTIONAL_ROLLERCOASTER
