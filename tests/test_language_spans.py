"""Evidence spans: the vectorised engine (``spans.find_spans``) against Python's ``re.finditer``.

The oracle is the plain definition of a span: every match of the feature's regex (leftmost-first, not
overlapping) in the lower-cased text, for every feature that fired, ordered by position. It is computed
here one text at a time in Python, on a varied corpus: generated chat text in five languages (accents,
typos, emoji, capitals), hand-written edge cases and random masks of fired features.
"""

from __future__ import annotations

import re

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ebbtide.features.language import annotate_frame
from ebbtide.features.language.spans import SPAN_FEATURES as _SPAN_FEATURES
from ebbtide.features.language.spans import find_spans
from ebbtide.features.language.spans import frame_matches as _matches
from ebbtide.features.language.spans import py_patterns as _py_patterns
from ebbtide.features.language.spans import span_parts as _span_parts
from ebbtide.simulate.chat_text import chat_texts

EDGE_CASES = [
    "I LOVE YOU ❤️", "love you <3", "Love You xoxo", "xoxo", "hugs xoxo <3 <3", "trust us, we can do this",
    "sweet, we should go", "just tell us", "I don’t miss you", "i dont miss you at all", "never loved you",
    "te quiero mucho ❤️‍🔥", "TE EXTRAÑO", "te extrano mi amor", "eu te amo 🫶🏽", "saudade de você",
    "ich liebe dich 👩‍❤️‍👨", "du fehlst mir", "je t’aime", "tu me manques", "İstanbul was fun, love you",
    "ǅ love you", "nul\x00 love you", "ctrl\x01 we", "", "   ", "😂😂😂", "?", "are we still on for saturday??",
    "maybe, we'll see...", "I need some space", "so busy at work!!!", "my ex called", "I feel like you hate me",
    "that's not what I meant", "I want to die", "kms lol", "you check my phone", "peut-être demain",
    "we we we", "usus us", "💕💕💕 love you love you", "line one\nlove you\n\nwe", "café ❤", "a\u2019b we'll",
]


def _oracle(text: str, lang: str, fired: dict[str, bool]) -> list[tuple[str, int, int, str]]:
    pats = _py_patterns(lang)
    norm = text.lower().replace("\u2019", "'")
    subject = norm if len(norm) == len(text) and "\x00" not in norm and "\x01" not in norm \
        else text.replace("\u2019", "'")
    found = []
    for order, (feat, on) in enumerate(fired.items()):
        if on and feat in pats:
            found += [(m.start(), m.end(), order, feat) for m in pats[feat].finditer(subject)]
    found.sort()
    return [(f, s, e, text[s:e]) for s, e, _, f in found]


def _corpus(n: int, seed: int) -> list[str]:
    return [*EDGE_CASES, *chat_texts(n, seed=seed).to_list()]


@pytest.mark.parametrize("lang", ["en", "es", "pt", "de", "fr", "zxx", "und"])
def test_spans_equal_regex_finditer_for_random_fired_features(lang: str) -> None:
    texts = _corpus(3000, seed=len(lang) + ord(lang[0]))
    rng = np.random.default_rng(7)
    flags = {f: rng.random(len(texts)) < 0.6 for f in _SPAN_FEATURES}
    frame = pl.DataFrame({"text": texts, "lang": [lang] * len(texts), **flags})
    got = _matches(frame).to_list()
    for i, text in enumerate(texts):
        fired = {f: bool(flags[f][i]) for f in _SPAN_FEATURES}
        want = _oracle(text, lang, fired)
        have = [(m["feature"], m["start"], m["end"], m["term"]) for m in got[i]]
        assert have == want, (lang, text)


def test_spans_in_annotated_frame_follow_the_features() -> None:
    """End to end: spans in ``annotate_frame`` output are the regex matches of the features that fired."""
    texts = _corpus(4000, seed=3)
    frame = pl.DataFrame({"text": texts, "kind": ["text"] * len(texts), "conversation_id": ["c"] * len(texts)})
    out = annotate_frame(frame)
    assert out["lang"][0] == "en"
    checked = 0
    for row in out.iter_rows(named=True):
        fired = {f: bool(row[f]) for f in _SPAN_FEATURES}
        want = [m for m in _oracle(row["text"], row["lang"], fired) if m[0] != "noncommittal"]
        have = [(m["feature"], m["start"], m["end"], m["term"]) for m in row["matches"]
                if m["feature"] != "noncommittal"]
        assert have == want, row["text"]
        checked += bool(have)
    assert checked > 1000


def test_short_terms_inside_longer_words_get_their_own_place() -> None:
    """'us' in 'trust us' is the second word, not the letters inside 'trust' (an old bug)."""
    frame = pl.DataFrame({"text": ["trust us", "sweet, we should go"], "kind": ["text"] * 2,
                          "conversation_id": ["c", "c"]})
    out = annotate_frame(frame, lang="en")
    we = [[(m["start"], m["term"]) for m in ms if m["feature"] == "we_talk"] for ms in out["matches"].to_list()]
    assert we == [[(6, "us")], [(7, "we")]]


_ALPHABET = st.sampled_from(list("ab c❤éX\x00İ.'"))


@settings(max_examples=300, deadline=None)
@given(texts=st.lists(st.text(_ALPHABET, max_size=14), min_size=1, max_size=6),
       parts=st.sampled_from([(r"\bab\b", "❤|b c"), (r"a", "ab|b"), (r"\bb\b", "c❤", r"\s+x"), (r"é+",)]))
def test_union_of_lists_equals_the_combined_regex(texts: list[str], parts: tuple[str, ...]) -> None:
    """Matching a union list by list gives what one alternation of the lists gives (overlaps redone)."""
    combined = re.compile("|".join(parts), re.IGNORECASE)
    series = pl.Series(texts, dtype=pl.String)
    out = find_spans(series, {"f": np.ones(len(texts), dtype=bool)}, {"f": parts}, {"f": combined})
    for i, text in enumerate(texts):
        norm = text.lower()
        subject = norm if len(norm) == len(text) and "\x00" not in norm else text
        want = [(m.start(), m.end()) for m in combined.finditer(subject)]
        have = [(s, e) for s, e in out.filter(pl.col("row") == i).select("start", "end").iter_rows()]
        assert have == want, (text, parts)


def test_affection_parts_are_the_affection_pattern() -> None:
    for lang in ("en", "es", "pt", "de", "fr", "zxx", "und"):
        for feat, parts in _span_parts(lang).items():
            assert _py_patterns(lang)[feat].pattern == "|".join(parts)


def test_spans_on_demand_equal_the_spans_column() -> None:
    """``matches_for`` (the spans of a few rows, found when a report shows them) gives exactly the column
    ``annotate_frame(with_matches=True)`` computes for every row: several conversations and languages,
    answers judged with their question, media rows and empty texts."""
    from datetime import datetime, timedelta

    from ebbtide.features import build_features, features_matches
    from ebbtide.features.language import matches_for

    texts: list[str | None] = []
    for lang_seed, mix in enumerate(({"en": 1.0}, {"es": 1.0}, {"de": 1.0}, {"fr": 1.0, "pt": 0.0})):
        texts += chat_texts(700, seed=lang_seed, mix=mix).to_list()
    texts[:60] = [*EDGE_CASES, None, "are we still on for saturday?", "maybe, we'll see", "idk tbh",
                  "are you coming?", "yes for sure!"][:60]
    n = len(texts)
    t0 = datetime(2024, 1, 1)
    frame = pl.DataFrame({
        "timestamp": [t0 + timedelta(minutes=7 * i) for i in range(n)],
        "sender": ["Alex" if (i // 2) % 2 else "Sam" for i in range(n)],
        "text": texts,
        "kind": ["media" if i % 37 == 5 else "text" for i in range(n)],
        "conversation_id": [f"c{i // 700}" for i in range(n)],
    })
    full = annotate_frame(frame)
    lazy = annotate_frame(frame, with_matches=None)
    assert "matches" not in lazy.columns
    assert full.drop("matches").equals(lazy)
    pick = np.random.default_rng(5).choice(n, 400, replace=False)
    got = matches_for(lazy[pick])
    assert got.to_list() == full["matches"].gather(pick).to_list()
    assert sum(bool(m) for m in got.to_list()) > 100
    assert matches_for(lazy.head(0)).to_list() == []
    feats = build_features(frame)
    assert "matches" not in feats.columns
    assert features_matches(feats[pick]).to_list() == full["matches"].gather(pick).to_list()
