"""Word-list patterns per language, as the evidence spans, the question opening and the whole-message
comparisons use them (the counting itself is one Aho–Corasick pass, ``matching.py``)."""

from __future__ import annotations

from functools import cache

import numpy as np
import polars as pl

from ebbtide.features.language.lexicon import (
    LIST_FEATURES,
    Lexicon,
    alternation,
    available_langs,
    common_lists,
    load_lexicon,
)
from ebbtide.features.language.matching import pad
from ebbtide.features.language.tokens import normalise

#: Emoji as padded text keeps them (``matching._PAD_RE``).
_EMOJI = r"[\p{Extended_Pictographic}\x{2764}\x{2665}\x{2763}]+"

#: Boolean features from word lists, in contract order after the question columns.
BOOL_TAIL: tuple[str, ...] = (
    "meetup", "we_talk", "future_talk", "space_request", "stress", "past_hurt", "vulnerability", "conflict",
    "safety_concern",
)


@cache
def patterns(lang: str) -> dict[str, str | None]:
    """Regex sources per feature for one language (for evidence spans and the question opening)."""
    lex: Lexicon = load_lexicon(lang)
    common = common_lists()
    pats: dict[str, str | None] = {f: lex.pattern(f) for f in LIST_FEATURES}
    pats["affection_emoji"] = common.pattern("affection_emoji")
    pats["negated_affection"] = lex.modifier("negated_affection")
    qs = lex.modifier("question_start")
    pats["question_start"] = rf"^\W*{qs}" if qs else None
    pats["safety_concern"] = safety_pattern()
    return pats


@cache
def word_set(lang: str, modifier: str) -> list[str]:
    """A ``[modifiers]`` list of ``lang`` as padded text shows it (lower case, punctuation as one space), for
    whole-word or whole-message comparisons: first/last-word openers and pet names, whole-message replies.
    Padded by ``matching.pad`` itself, so emoji entries ("🤷", "🙈") stay as the text shows them."""
    terms = pl.Series(list(load_lexicon(lang).modifiers.get(modifier, ())), dtype=pl.String)
    return sorted(set(pl.select(pad(normalise(pl.lit(terms)))).to_series().str.strip_chars(" ").to_list()))


#: Whole-message list entries are short (21 bytes at most); texts longer than this are never one of them,
#: even without their emoji, so the emoji are dropped only from shorter non-ASCII texts (a regex pass over
#: every distinct text cost about 1 CPU s per million).
_SHORT_BYTES = 64


def without_emoji(stripped: pl.Series) -> pl.Series:
    """Short padded, stripped texts with their emoji dropped ("later later 😅" -> "later later"); null for
    longer texts and for texts that are emoji only."""
    nbytes = stripped.str.len_bytes()  # emoji are never ASCII: only short non-ASCII texts can change
    short = ((nbytes <= _SHORT_BYTES) & (nbytes != stripped.str.len_chars())).fill_null(False).to_numpy()
    idx = np.flatnonzero(short)
    out = pl.Series(values=[None] * len(stripped), dtype=pl.String)
    if idx.size:
        bare = stripped.gather(idx).str.replace_all(_EMOJI, " ").str.replace_all(r"\s+", " ").str.strip_chars(" ")
        out = out.scatter(idx, bare)
    return pl.select(pl.when(out != "").then(out)).to_series()


def whole_message_in(stripped: pl.Series, bare: pl.Series, words: list[str]) -> pl.Series:
    """Padded, stripped texts that are one of ``words`` (``word_set``), also once their emoji are dropped
    (``bare`` from ``without_emoji``: "later later 😅", "ily2 ❤️"); an emoji-only text is compared as it is
    ("🤷", "🙈")."""
    return stripped.is_in(words) | bare.is_in(words).fill_null(False)


@cache
def safety_pattern() -> str | None:
    terms: list[str] = []
    for lang in available_langs():
        terms.extend(load_lexicon(lang).features.get("safety_concern", ()))
    terms.extend(common_lists().features.get("safety_concern", ()))
    return alternation(terms)


__all__ = ["BOOL_TAIL", "patterns", "safety_pattern", "whole_message_in", "without_emoji", "word_set"]
