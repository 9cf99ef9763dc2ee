"""Word-list patterns per language, as the evidence spans, the question opening and the whole-message
comparisons use them (the counting itself is one Aho–Corasick pass, ``matching.py``)."""

from __future__ import annotations

import re
from functools import cache

from ebbtide.features.language.lexicon import (
    LIST_FEATURES,
    Lexicon,
    alternation,
    available_langs,
    common_lists,
    load_lexicon,
)

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
    whole-word or whole-message comparisons: first/last-word openers and pet names, whole-message replies."""
    return sorted({" ".join(re.sub(r"[^\w']+", " ", t.lower()).split())
                   for t in load_lexicon(lang).modifiers.get(modifier, ())})


@cache
def safety_pattern() -> str | None:
    terms: list[str] = []
    for lang in available_langs():
        terms.extend(load_lexicon(lang).features.get("safety_concern", ()))
    terms.extend(common_lists().features.get("safety_concern", ()))
    return alternation(terms)


__all__ = ["BOOL_TAIL", "patterns", "safety_pattern", "word_set"]
