"""Per-message language features: each feature, with the hard cases the brief names."""

from __future__ import annotations

from typing import Any

import pytest

from ebbtide.features.language import annotate_texts


def one(text: str, question: str | None = None, lang: str | None = None) -> dict[str, Any]:
    rec: dict[str, Any] = {"text": text}
    if question:
        rec["question"] = question
    return next(annotate_texts([rec], lang=lang))


@pytest.mark.parametrize("text", [
    "love you", "love you too", "ily", "I miss you babe", "❤️", "😘", "🥰🥰", "🫶🏽", "❤️‍🔥", "night babe x",
    "can't wait to see you", "xoxo", "you're amazing", "goodnight my love", "<3", "cant wait to see u!!",
])
def test_affection_positive(text: str) -> None:
    r = one(text)
    assert r["affection"]["value"] is True
    assert 0 < r["affection"]["score"] <= 1
    assert any(m["feature"] == "affection" for m in r["matches"])


@pytest.mark.parametrize("text", [
    "I love this pizza", "love the new episode", "I don't miss you", "I don't love you anymore",
    "not in love with you anymore", "oh great, love you too 🙄", "💔", "👍", "did you miss the bus?",
    "the baby monitor is broken", "I'd love to but I'm busy",
])
def test_affection_negative_hard_cases(text: str) -> None:
    assert one(text)["affection"]["value"] is False


def test_affection_spans_point_at_the_words() -> None:
    r = one("ok see you soon, love you ❤️")
    spans = [(m["start"], m["end"], m["term"]) for m in r["matches"] if m["feature"] == "affection"]
    text = "ok see you soon, love you ❤️"
    assert all(text[s:e] == t for s, e, t in spans)
    assert ("love you" in [t for _, _, t in spans]) and ("❤" in [t for _, _, t in spans])


def test_typographic_apostrophe_and_missing_apostrophe() -> None:
    assert one("can’t wait to see you")["affection"]["value"] is True
    assert one("cant wait to see you")["affection"]["value"] is True


@pytest.mark.parametrize(("text", "label"), [
    ("I love you so much!", "positive"), ("this is the worst day ever", "negative"),
    ("I am not happy at all", "negative"), ("the meeting is at 5", "neutral"),
])
def test_sentiment(text: str, label: str) -> None:
    r = one(text)
    assert r["sentiment"]["label"] == label
    assert -1 <= r["sentiment"]["score"] <= 1


def test_questions() -> None:
    assert one("are we still on for saturday?")["plan_question"] is True
    assert one("what time is dinner")["question"] is True  # no "?" but a question opening
    assert one("where is this going?")["relationship_question"] is True
    assert one("do you still love me?")["relationship_question"] is True
    assert one("are we ok?")["relationship_question"] is True
    r = one("I went to the shop")
    assert r["question"] is False and r["plan_question"] is False


def test_noncommittal_with_and_without_question() -> None:
    q = "are we still on for saturday?"
    r = one("maybe, we'll see", question=q)
    assert r["noncommittal"]["value"] is True and r["noncommittal"]["judged_with_question"] is True
    assert one("yes! can't wait", question=q)["noncommittal"]["value"] is False
    assert one("no, I can't make it", question=q)["noncommittal"]["value"] is False
    assert one("we'll see, not sure yet")["noncommittal"]["value"] is True  # hedge phrase alone
    assert one("I bought bread")["noncommittal"]["value"] is False


@pytest.mark.parametrize(("feature", "text"), [
    ("meetup", "on my way"), ("meetup", "come over later?"), ("meetup", "see you tonight"),
    ("meetup", "I'm at yours in 10"),
    ("space_request", "I need some space"), ("space_request", "I need some time to myself"),
    ("stress", "so busy this week"), ("stress", "work is crazy"), ("stress", "I'm exhausted"),
    ("past_hurt", "my ex used to do that"), ("past_hurt", "last time I got hurt badly"),
    ("vulnerability", "I feel like you're far away"), ("vulnerability", "I'm scared"),
    ("vulnerability", "I'm worried about us"),
    ("conflict", "that's not what I meant"), ("conflict", "why are you mad"), ("conflict", "forget it"),
    ("we_talk", "we should go"), ("future_talk", "let's go to Lisbon next summer"),
])
def test_list_features(feature: str, text: str) -> None:
    assert one(text)[feature] is True


@pytest.mark.parametrize("text", [
    "I want to die", "sometimes I think about killing myself", "there's no reason to live",
    "I want to hurt myself", "I'm scared of you", "you check my phone every night",
    "you won't let me see my friends", "kms", "I just want to end it all",
])
def test_safety_recall(text: str) -> None:
    assert one(text)["safety_concern"] is True


def test_safety_is_searched_even_in_unsupported_languages() -> None:
    r = one("Привет, я так устал. I want to die")
    assert r["safety_concern"] is True


def test_safety_in_other_languages() -> None:
    assert one("quiero morir", lang="es")["safety_concern"] is True
    assert one("tenho medo de você", lang="pt")["safety_concern"] is True
    assert one("ich will sterben", lang="de")["safety_concern"] is True
    assert one("j'ai envie de mourir", lang="fr")["safety_concern"] is True


def test_safety_no_alarm_on_everyday_text() -> None:
    for text in ("hit me up later", "this traffic is killing me lol", "I'm going to see my friends"):
        assert one(text)["safety_concern"] is False, text


def test_unsupported_language_is_null_not_english() -> None:
    r = one("Привет, как дела? Я скучаю по тебе")
    assert r["lang"] == "und"
    assert r["affection"]["value"] is None and r["sentiment"]["label"] is None
    assert "not_measured" in r


def test_emoji_only_message_is_no_words() -> None:
    r = one("😘😘")
    assert r["lang"] == "zxx" and r["words"] == 0 and r["affection"]["value"] is True


@pytest.mark.parametrize(("lang", "text", "feature"), [
    ("es", "te echo de menos, mi amor", "affection"), ("pt", "tô com saudade de você", "affection"),
    ("de", "ich vermisse dich", "affection"), ("fr", "tu me manques mon cœur", "affection"),
    ("es", "necesito un poco de espacio", "space_request"), ("de", "bin total gestresst", "stress"),
    ("fr", "je suis en route", "meetup"), ("pt", "talvez, vamos ver", "noncommittal"),
])
def test_other_languages(lang: str, text: str, feature: str) -> None:
    r = one(text, lang=lang)
    value = r[feature]["value"] if isinstance(r[feature], dict) else r[feature]
    assert value is True


def test_negation_in_other_languages() -> None:
    assert one("je ne t'aime plus", lang="fr")["affection"]["value"] is False
    assert one("ich liebe dich nicht mehr", lang="de")["affection"]["value"] is False
    assert one("ya no te quiero", lang="es")["affection"]["value"] is False


def test_function_words_counted() -> None:
    fw = one("I think that we should go to the park and not the beach")["function_words"]
    assert fw["ppron"] == 2  # I, we
    assert fw["article"] == 2 and fw["prep"] >= 1 and fw["conj"] >= 1 and fw["negate"] == 1
