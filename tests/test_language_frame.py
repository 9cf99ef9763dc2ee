"""The ``annotate_frame`` contract: columns, dtypes, order, row order, non-text rows, context, languages."""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ebbtide.features.language import ANNOTATION_SCHEMA, annotate_frame
from ebbtide.model import MESSAGE_SCHEMA, Message, MessageKind, messages_to_frame

T0 = datetime(2024, 3, 1, 18, 0)

CONTRACT = {
    "words": pl.Int32, "lang": pl.String, "sentiment": pl.String, "sentiment_score": pl.Float64,
    "affection": pl.Boolean, "affection_score": pl.Float64, "question": pl.Boolean, "plan_question": pl.Boolean,
    "relationship_question": pl.Boolean, "noncommittal": pl.Boolean, "noncommittal_score": pl.Float64,
    "meetup": pl.Boolean, "we_talk": pl.Boolean, "future_talk": pl.Boolean, "space_request": pl.Boolean,
    "stress": pl.Boolean, "past_hurt": pl.Boolean, "vulnerability": pl.Boolean, "conflict": pl.Boolean,
    "safety_concern": pl.Boolean, "fw_ppron": pl.Int32, "fw_ipron": pl.Int32, "fw_article": pl.Int32,
    "fw_auxverb": pl.Int32, "fw_adverb": pl.Int32, "fw_prep": pl.Int32, "fw_conj": pl.Int32,
    "fw_negate": pl.Int32, "fw_quant": pl.Int32,
}


def chat(lines: list[tuple[str, str, int]] | list[tuple[str, str, int, str]], conv: str = "c1") -> pl.DataFrame:
    msgs = []
    for i, line in enumerate(lines):
        sender, text, minutes = line[0], line[1], line[2]
        kind = MessageKind(line[3]) if len(line) > 3 else MessageKind.TEXT  # type: ignore[misc]
        msgs.append(Message(timestamp=T0 + timedelta(minutes=minutes), sender=sender, text=text, kind=kind,
                            conversation_id=conv, source_line=i + 1))
    return messages_to_frame(msgs)


def test_columns_dtypes_and_order() -> None:
    df = chat([("Ana", "are we still on for saturday?", 0), ("Ben", "maybe, we'll see", 5)])
    out = annotate_frame(df)
    assert list(out.columns[: len(MESSAGE_SCHEMA)]) == list(MESSAGE_SCHEMA)
    added = list(out.columns[len(MESSAGE_SCHEMA):])
    assert added == list(ANNOTATION_SCHEMA)
    assert added[: len(CONTRACT)] == list(CONTRACT)
    for col, dt in CONTRACT.items():
        assert out.schema[col] == dt, col
    assert out.schema["matches"] == pl.List(
        pl.Struct({"feature": pl.String, "start": pl.Int32, "end": pl.Int32, "term": pl.String}))
    assert out.height == df.height
    assert out.select(list(MESSAGE_SCHEMA)).equals(df)


def test_rows_keep_their_order_even_when_unsorted() -> None:
    df = chat([("Ana", "love you", 10), ("Ben", "ok", 0), ("Ana", "see you tonight", 5)])
    out = annotate_frame(df)
    assert out["text"].to_list() == df["text"].to_list()
    assert out["affection"].to_list() == [True, False, False]
    assert out["meetup"].to_list() == [False, False, True]


def test_non_text_rows_get_false_zero_null() -> None:
    df = chat([("Ana", "<Media omitted>", 0, "media"), ("Ana", "love you", 1), ("", "Messages are encrypted", 2,
                                                                                "system")])
    out = annotate_frame(df)
    media = out.row(0, named=True)
    assert media["affection"] is False and media["words"] == 0 and media["sentiment"] is None
    assert media["matches"] == [] and media["fw_ppron"] == 0 and media["noncommittal_score"] == 0.0
    assert media["lang"] == "en"  # the conversation's language
    assert out["affection"].to_list() == [False, True, False]


def test_noncommittal_context_is_the_other_persons_recent_question() -> None:
    df = chat([
        ("Ana", "are we still on for saturday?", 0),
        ("Ben", "maybe, we'll see", 30),  # answers Ana's question
        ("Ben", "maybe, we'll see", 40),  # same run of Ben: still answers it
        ("Ana", "ok", 50),
        ("Ana", "do you want to get dinner friday?", 60),
        ("Ben", "maybe", 60 + 7 * 60),  # more than 6 h later: no context
    ])
    out = annotate_frame(df)
    ctx = out["question_context"].to_list()
    assert ctx[1] == ctx[2] == "are we still on for saturday?"
    assert ctx[0] is None and ctx[5] is None
    assert out["noncommittal"][1] is True


def test_own_question_is_not_context() -> None:
    df = chat([("Ana", "are we still on?", 0), ("Ana", "maybe not", 1)])
    assert annotate_frame(df)["question_context"].to_list() == [None, None]


def test_language_per_conversation_and_unsupported() -> None:
    en = chat([("Ana", "hey how was your day", 0), ("Ben", "good thanks, love you", 1)], conv="en")
    es = chat([("Ana", "hola, ¿qué tal el día?", 0), ("Ben", "bien, te quiero mucho", 1)], conv="es")
    ru = chat([("Ana", "Привет, как дела?", 0), ("Ben", "Хорошо, скучаю по тебе", 1)], conv="ru")
    out = annotate_frame(pl.concat([en, es, ru]))
    assert out["lang"].to_list() == ["en", "en", "es", "es", "und", "und"]
    assert out["affection"].to_list()[:4] == [False, True, False, True]
    assert out["affection"].to_list()[4:] == [None, None]
    assert out["sentiment"][2] is None  # sentiment is English only: not a silent English guess


def test_forced_language() -> None:
    df = chat([("Ana", "te quiero", 0)])
    assert annotate_frame(df, lang="es")["affection"].to_list() == [True]


def test_empty_frame() -> None:
    out = annotate_frame(pl.DataFrame(schema=MESSAGE_SCHEMA))
    assert out.height == 0 and list(out.columns[len(MESSAGE_SCHEMA):]) == list(ANNOTATION_SCHEMA)


def test_without_matches_same_features() -> None:
    df = chat([("Ana", "love you ❤️", 0), ("Ben", "so busy, work is crazy", 1)])
    a, b = annotate_frame(df), annotate_frame(df, with_matches=False)
    assert a.drop("matches").equals(b.drop("matches"))
    assert b["matches"].to_list() == [[], []]


def test_missing_columns_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="missing"):
        annotate_frame(pl.DataFrame({"text": ["hi"]}))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(max_size=40), min_size=1, max_size=8))
def test_any_text_keeps_shape_and_spans_are_valid(texts: list[str]) -> None:
    df = chat([("Ana" if i % 2 else "Ben", t, i) for i, t in enumerate(texts)])
    out = annotate_frame(df)
    assert out.height == len(texts)
    for text, ms in zip(out["text"].to_list(), out["matches"].to_list(), strict=True):
        for m in ms:
            assert 0 <= m["start"] < m["end"] <= len(text)
            assert text[m["start"]:m["end"]] == m["term"]


def test_related_unsupported_languages_are_not_guessed() -> None:
    it = ["ciao amore come stai", "ti amo tanto, ci vediamo stasera?", "sono stanchissima oggi",
          "va bene, a dopo", "non lo so, forse domani", "grazie mille tesoro", "mi manchi tanto"]
    nl = ["hoi schat hoe gaat het", "ik hou van je", "ik ben zo moe vandaag", "zie je morgen",
          "wat doe je dit weekend?", "misschien, ik weet het niet", "dank je wel lieverd", "ik mis je"]
    frames = [chat([("Ana" if i % 2 else "Ben", t, i) for i, t in enumerate(c)], conv=name)
              for name, c in (("it", it), ("nl", nl))]
    out = annotate_frame(pl.concat(frames))
    assert set(out["lang"].to_list()) == {"und"}
