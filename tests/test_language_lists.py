"""The word lists: every file loads with a version, and every literal term finds itself."""

from __future__ import annotations

import polars as pl
import pytest

from ebbtide.features.language.lexicon import (
    FUNCTION_WORD_CATEGORIES,
    LIST_FEATURES,
    SUPPORTED_LANGS,
    common_lists,
    lexicon_versions,
    load_lexicon,
    term_to_regex,
)
from ebbtide.features.language.matching import count_features, pad, term_table
from ebbtide.features.language.tokens import normalise


def test_every_language_has_a_versioned_file() -> None:
    versions = lexicon_versions()
    assert set(versions) == {*SUPPORTED_LANGS, "common"}
    assert all(v for v in versions.values())
    with pytest.raises(KeyError):
        load_lexicon("xx")


@pytest.mark.parametrize("lang", SUPPORTED_LANGS)
def test_every_literal_term_matches_itself(lang: str) -> None:
    lex = load_lexicon(lang)
    tt = term_table(lang)
    cases: list[tuple[str, str]] = []
    for feat in LIST_FEATURES:
        cases += [(feat, t.rstrip("*")) for t in lex.features.get(feat, ()) if not t.startswith("re:")]
    for cat in FUNCTION_WORD_CATEGORIES:
        cases += [(f"fw_{cat}", t) for t in lex.function_words.get(cat, ()) if not t.startswith("re:")]
    texts = pl.Series([f"well, {t}!" for _, t in cases])
    padded = pl.select(pad(normalise(pl.lit(texts)))).to_series()
    counts = count_features(padded, tt)
    missed = [(f, t) for i, (f, t) in enumerate(cases) if counts[f][i] == 0]
    assert not missed, missed[:20]


def test_emoji_terms_match_with_modifiers() -> None:
    tt = term_table("en")
    texts = pl.Series(["🫶🏽", "❤️‍🔥", "👩‍❤️‍👨", "<3", "💔"])
    padded = pl.select(pad(normalise(pl.lit(texts)))).to_series()
    counts = count_features(padded, tt)["affection_emoji"].to_list()
    assert all(c > 0 for c in counts[:4]) and counts[4] == 0
    assert common_lists().version


def test_term_syntax() -> None:
    import re

    rx = re.compile(term_to_regex("don't"))
    assert rx.search("i dont know") and rx.search("i don't know") and rx.search("i don’t know")
    assert re.compile(term_to_regex("stress*")).search("so stressed")
    assert not re.compile(term_to_regex("ily")).search("family")
