"""``lexicon.contains_patterns`` finds exactly the texts ``alternation`` finds, for every list of every language.

The repair words (``features/repair.py``) use it instead of one alternation with word boundaries, which is
about fifty times slower on chat text with emoji or accents (Rust's regex leaves its fast DFA there). The
comparison covers the labelled repair set, generated chat text (emoji, accents, typos, odd whitespace) and
texts built to sit on a word boundary next to non-ASCII letters, digits, underscores and emoji.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import polars as pl
import pytest

from ebbtide.features import repair
from ebbtide.features.language.lexicon import SUPPORTED_LANGS, alternation, contains_patterns, load_lexicon
from ebbtide.simulate.chat_text import chat_texts

SET = Path(__file__).parent / "fixtures" / "repair" / "labelled.jsonl"
EDGES = ["", " ", "\n", "é", "ñ", "_", "7", "²", "😂", "'", "-", ".", "\u00a0", "x", "ß", "\u0301"]


@cache
def _common() -> tuple[str, ...]:
    rows = [json.loads(line)["text"] for line in SET.read_text(encoding="utf-8").splitlines() if line.strip()]
    return (*rows, *chat_texts(4000, seed=5).to_list())


def _texts(terms: list[str]) -> pl.Series:
    plain = [t.removeprefix("re:").rstrip("*").lower().replace("\\b", "") for t in terms]
    edged = [f"{a}{t}{b}" for t in plain[:400] for a, b in zip(EDGES, reversed(EDGES), strict=True)]
    spaced = [t.replace(" ", "  \t").replace("'", "’") for t in plain[:400]]
    return pl.Series([*_common(), *edged, *spaced, None], dtype=pl.String)


def _lists() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for lang in repair.LANGS:
        for name, terms in repair.lists(lang).items():
            out[f"repair {lang} {name}"] = list(terms)
    for lang in SUPPORTED_LANGS:  # more terms of every language (lists of a few hundred: a quick test)
        lex = load_lexicon(lang)
        for name, terms in {**lex.features, **lex.modifiers}.items():
            if 0 < len(terms) <= 300:
                out[f"{lang} {name}"] = list(terms)
    return out


LISTS = _lists()


@pytest.mark.parametrize("name", sorted(LISTS))
def test_same_texts_as_the_alternation(name: str) -> None:
    terms = LISTS[name]
    texts = _texts(terms).str.to_lowercase()
    want = texts.str.contains(alternation(terms) or "$^").fill_null(False)
    got = pl.Series([False] * len(texts))
    for regex in contains_patterns(terms):
        got = got | texts.str.contains(regex).fill_null(False)
    if any(not t.startswith("re:") for t in terms):  # raw-only lists are the same regex
        assert want.sum() > 0, name  # the comparison covers hits
    diff = [t for t, w, g in zip(texts.to_list(), want, got, strict=True) if w != g]
    assert not diff, (name, diff[:5])


def test_mark_repair_leaves_other_rows_false() -> None:
    frame = pl.DataFrame({"text": ["sorry!!", "sorry", None, "haha"], "kind": ["text", "system", "text", "text"]})
    marked = repair.mark_repair(frame)
    assert marked["apology"].to_list() == [True, False, False, False]
    assert marked["laugh"].to_list() == [False, False, False, True]
