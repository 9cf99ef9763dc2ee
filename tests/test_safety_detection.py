"""Safety detection: clear danger, contempt and ambiguous words; the hard negatives of real chats.

The figures on the whole labelled set are in bench/bench_safety.py and docs/safety.md; these tests pin
the cases named in issue 11 and the behaviour of a whole chat.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl
import pytest

from ebbtide.insight import explain
from ebbtide.insight.safety import ASK, FIRST, NONE
from ebbtide.signals.safety import CLEAR, classify_texts, safety_scan


def cls(text: str) -> str | None:
    return classify_texts([text])[0]


@pytest.mark.parametrize("text", [
    "give me your phone password", "show me your messages with him", "why is your location off",
    "you're not going out with your friends tonight", "you can't see your sister anymore",
    "give me your bank card, I'll handle the money", "you need to ask my permission",
    "he checks my phone every night", "he won't let me see my family",
])
def test_control_is_clear_danger(text: str) -> None:
    assert cls(text) in CLEAR


@pytest.mark.parametrize("text", [
    "I'll kill you if you leave", "you'll regret this", "I know where you live",
    "if you tell anyone I'll hurt you", "I'll post your pictures everywhere", "he choked me last night",
])
def test_threats_are_clear_danger(text: str) -> None:
    assert cls(text) in CLEAR


@pytest.mark.parametrize("text", [
    "I want to die", "i'm going to kill myself", "if you leave I'll kill myself",
    "he said he'd kill himself if I left", "everyone would be better off without me", "i wanna kms",
])
def test_self_harm_by_either_person_is_clear_danger(text: str) -> None:
    assert cls(text) == "self_harm"


@pytest.mark.parametrize("text", [
    "you're worthless, you should be grateful I stay", "you're pathetic", "you disgust me",
    "nobody else would ever want you", "you're nothing without me",
])
def test_contempt_is_seen(text: str) -> None:
    assert cls(text) == "contempt"


@pytest.mark.parametrize("text", [
    "this commute is murder", "I'd die for a coffee", "10 kms uphill today", "we did 25 kms on the bikes",
    "ya no quiero vivir eso", "I'll kill you 😂", "you'll regret missing this concert",
    "there was a documentary about drug abuse", "the abuse of power in that company is unreal",
    "hit me up when you're free", "I'll destroy you at chess tonight", "my phone is dying",
    "can you send me your location so I can pick you up", "what's the wifi password",
    '"I will find you and I will kill you" that movie is so good', "shut up, that's amazing!",
])
def test_hard_negatives_raise_nothing(text: str) -> None:
    assert cls(text) is None


@pytest.mark.parametrize("text", ["you hurt me so much", "I'm scared of you", "he's abusive",
                                  "I can't go on like this", "I want to die 😂"])
def test_ambiguous_words_ask_never_alarm(text: str) -> None:
    assert cls(text) == "ambiguous"


def test_detection_is_one_pass_over_the_column() -> None:
    texts = ["hello", None, "", "give me your password", "I want to die"] * 2000
    out = classify_texts(texts)
    assert len(out) == 10_000 and out[3] == "control" and out[1] is None


def _chat(lines: list[tuple[str, str]]) -> pl.DataFrame:
    start = datetime(2025, 3, 1, 9)
    return pl.DataFrame({"timestamp": [start + timedelta(hours=6 * i) for i in range(len(lines))],
                         "sender": [s for s, _ in lines], "text": [t for _, t in lines]})


CALM = [("Alex", "morning! did you sleep ok?"), ("Sam", "yes, you?"), ("Alex", "running late, see you at 7"),
        ("Sam", "ok, I'll cook"), ("Alex", "we did 12 kms on the bikes, my legs are dead"),
        ("Sam", "haha this commute is murder"), ("Alex", "I'd die for a coffee right now")] * 20


def test_a_calm_chat_with_one_ambiguous_word_asks_and_never_puts_safety_first() -> None:
    chat = _chat([*CALM, ("Sam", "you hurt me so much yesterday"), *CALM])
    clear, ambiguous, contempt = safety_scan(chat, "Alex")
    assert clear == () and len(ambiguous) == 1 and contempt == 0
    from dataclasses import replace

    from ebbtide.insight.sample import sample_assessment

    a = replace(sample_assessment("stable"), safety_flags=clear, safety_ambiguous=ambiguous)
    insight = explain(a)
    assert insight.safety_level == ASK and "being hurt" in insight.safety_question
    assert explain(a, safety_answer="no").safety_level == NONE


def test_a_calm_chat_raises_nothing_and_a_threat_puts_safety_first() -> None:
    assert safety_scan(_chat(CALM), "Alex") == ((), (), 0)
    clear, _, _ = safety_scan(_chat([*CALM, ("Sam", "if you leave me I'll make your life hell")]), "Alex")
    assert len(clear) == 1 and clear[0].why.startswith("a threat")
    from dataclasses import replace

    from ebbtide.insight.sample import sample_assessment

    assert explain(replace(sample_assessment("stable"), safety_flags=clear)).safety_level == FIRST


def test_a_few_insults_stay_out_of_the_question_many_bring_it() -> None:
    few = _chat([*CALM, ("Sam", "you're pathetic")])
    assert safety_scan(few, "Alex")[1:] == ((), 1)
    many = _chat([*CALM, *[("Sam", "you're pathetic")] * 3])
    _, ambiguous, n = safety_scan(many, "Alex")
    assert n == 3 and {e.why for e in ambiguous} == {"insults"}


def _hostility(before: int, recent: int) -> pl.DataFrame:
    start = datetime(2025, 1, 1, 9)
    rows = [(start + timedelta(hours=5 * i), "Sam" if i % 2 else "Alex",
             "you're pathetic" if i % 40 == 0 and i // 40 < before else "see you at 7") for i in range(400)]
    later = datetime(2025, 6, 1, 9)
    rows += [(later + timedelta(hours=5 * i), "Sam", "you disgust me" if i < recent else "ok") for i in range(100)]
    return pl.DataFrame({"timestamp": [r[0] for r in rows], "sender": [r[1] for r in rows],
                         "text": [r[2] for r in rows], "conflict": [False] * len(rows)})


def test_the_hostility_trigger_needs_more_than_a_handful_against_the_couples_own_past() -> None:
    from datetime import date

    from ebbtide.insight.triggers import HOSTILE_MIN_MESSAGES, hostile_messages

    since = date(2025, 6, 1)
    found = hostile_messages(_hostility(before=1, recent=8), since=since)
    assert found and all(e.text == "you disgust me" and e.why == "contempt or insults" for e in found)
    assert hostile_messages(_hostility(before=1, recent=HOSTILE_MIN_MESSAGES - 1), since=since) == ()
    assert hostile_messages(_hostility(before=10, recent=3), since=since) == ()  # always part of how they talk
