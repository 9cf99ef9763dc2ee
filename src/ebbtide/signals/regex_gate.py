"""Necessary literals of a regular expression: a cheap gate in front of slow regexes.

WHY: the safety grammar is a few dozen large regexes run over every message; on a million distinct messages
that is tens of CPU seconds, while only a few messages in a hundred can match at all. Every match of a regex
contains at least one of its *necessary literals* (``necessary_literals``), so one Aho–Corasick pass
(``str.contains_any``) finds the messages where a regex can match, and the regex runs only there. The
result is the same by construction (the gate only skips messages the regex cannot match); the tests check it
on the labelled sets and on generated chat text.

The regex is read with Python's parser (the grammar uses the syntax Python and Rust share). Literals are
joined across words where the regex allows only a few spellings ("you're not allowed", "u not allowed"):
runs of fixed alternatives multiply out, up to ``MAX_STRINGS`` strings. ASSUMPTION: the text is normalised
so that every run of whitespace is one space (``safety.normalise``); ``\\s+`` then matches exactly " ".
Whatever the parser cannot prove (``.``, ``\\w``, a wide repeat) gives no literal; a regex with no literal of
at least ``MIN_LITERAL`` characters is not gated.
"""

from __future__ import annotations

import importlib
import re
from itertools import product
from typing import Any

import polars as pl

# Python's own regex parser (private modules, stable since 3.11; typed as Any)
C: Any = importlib.import_module("re._constants")
P: Any = importlib.import_module("re._parser")

MIN_LITERAL = 3  # a shorter literal passes most messages: no gate
MAX_STRINGS = 256  # cap on a multiplied-out set of spellings

Strings = frozenset[str]
_SPACE = [(C.CATEGORY, C.CATEGORY_SPACE)]


def _times(a: Strings, b: Strings) -> Strings | None:
    if len(a) * len(b) > MAX_STRINGS:
        return None
    return frozenset(x + y for x, y in product(a, b))


def _exact_seq(items: list) -> Strings | None:
    """Every string the sequence can match (on normalised text), or None when there are too many."""
    out: Strings | None = frozenset([""])
    for op, av in items:
        e = _exact(op, av)
        if e is None or out is None:
            return None
        out = _times(out, e)
    return out


def _exact(op: object, av) -> Strings | None:  # noqa: ANN001 - the parser's own tuples
    if op is C.LITERAL:
        return frozenset([chr(av)])
    if op is C.AT:
        return frozenset([""])
    if op is C.SUBPATTERN:
        return _exact_seq(list(av[-1]))
    if op is C.BRANCH:
        out: set[str] = set()
        for branch in av[1]:
            s = _exact_seq(list(branch))
            if s is None:
                return None
            out |= s
        return frozenset(out) if len(out) <= MAX_STRINGS else None
    if op is C.IN:
        if list(av) == _SPACE:
            return frozenset([" "])
        if all(sop is C.LITERAL for sop, _ in av):
            return frozenset(chr(sav) for _, sav in av)
        return None
    if op in (C.MAX_REPEAT, C.MIN_REPEAT):
        lo, hi, item = av
        if list(item) == [(C.IN, _SPACE)]:  # runs of whitespace are one space in normalised text
            return frozenset([" "]) if lo >= 1 else frozenset(["", " "])
        if hi > 3:
            return None
        one = _exact_seq(list(item))
        if one is None:
            return None
        out2: set[str] = set()
        power: Strings | None = frozenset([""])
        for k in range(hi + 1):
            if k >= lo:
                out2 |= power  # type: ignore[arg-type]
            if k < hi:
                power = _times(power, one)  # type: ignore[arg-type]
                if power is None:
                    return None
        return frozenset(out2)
    return None


def _necessary_seq(items: list) -> Strings | None:
    """The most selective necessary set of a sequence: a multiplied-out window of fixed elements, or the
    necessary set of one element (the longest shortest string, then the fewest strings; the first on a tie).
    The shortest string of a window is the sum of its elements' shortest (each is a full product), so it is
    added up rather than searched for (this runs once per pattern: hundreds of patterns, 60,000 windows)."""
    best: Strings | None = None
    best_score = (0, 0)

    def consider(s: Strings | None, shortest: int | None = None) -> None:
        nonlocal best, best_score
        if not s:
            return
        short = min(len(x) for x in s) if shortest is None else shortest
        score = (short, -len(s))
        if short and (best is None or score > best_score):
            best, best_score = s, score

    # runs of single strings ("k", "i", "l", "l") joined first: a window that starts or ends inside such a run
    # is beaten by the one holding the whole run (as many strings, each longer), so the best is the same
    exact: list[Strings | None] = []
    items2: list = []
    for op, av in items:
        e = _exact(op, av)
        if e is not None and len(e) == 1 and exact and exact[-1] is not None and len(exact[-1]) == 1:
            exact[-1] = frozenset([next(iter(exact[-1])) + next(iter(e))])
            continue
        exact.append(e)
        items2.append((op, av))
    items = items2
    shortest = [min(len(x) for x in e) if e else 0 for e in exact]
    for i, (op, av) in enumerate(items):
        if exact[i] is None:
            consider(_necessary(op, av))
            continue
        window: Strings | None = exact[i]
        short = shortest[i]
        for j in range(i, len(items)):
            if j > i:
                if exact[j] is None:
                    break
                window = _times(window, exact[j])  # type: ignore[arg-type]
                if window is None:
                    break
                short += shortest[j]
            consider(window, short)
    return best


def _necessary(op: object, av) -> Strings | None:  # noqa: ANN001
    if op is C.SUBPATTERN:
        return _necessary_seq(list(av[-1]))
    if op is C.BRANCH:
        out: set[str] = set()
        for branch in av[1]:
            s = _necessary_seq(list(branch))
            if s is None:
                return None
            out |= s
        return frozenset(out)
    if op in (C.MAX_REPEAT, C.MIN_REPEAT) and av[0] >= 1:
        return _necessary_seq(list(av[2]))
    return _exact(op, av)


def necessary_literals(pattern: str) -> Strings | None:
    """Strings of which every match of ``pattern`` (on normalised text) contains at least one, or None when
    none of at least ``MIN_LITERAL`` characters can be proven."""
    try:
        tree = P.parse(pattern)
    except re.error:
        return None
    found = _necessary_seq(list(tree))
    if not found or min(len(x) for x in found) < MIN_LITERAL:
        return None
    return found


def gate_literals(patterns: list[str]) -> list[str] | None:
    """Literals for an alternation of ``patterns``: the union of each pattern's; None if any has none."""
    out: set[str] = set()
    for p in patterns:
        lits = necessary_literals(p)
        if lits is None:
            return None
        out |= lits
    return sorted(out)


#: A character that Unicode counts as part of a word but ASCII does not (an accent left after normalising,
#: "ß", "œ", Cyrillic, CJK): only in texts holding one can ``\\b`` and ``(?-u:\\b)`` disagree.
WIDE_WORD_CHAR = r"[\w&&[^\x00-\x7F]]"


def ascii_boundaries(pattern: str) -> str:
    """``pattern`` with every word boundary ``\\b`` / ``\\B`` made ASCII (``(?-u:\\b)``).

    WHY: a Unicode word boundary makes Rust's regex engine leave its fast DFA on any text holding a non-ASCII
    character (an emoji is enough), several times slower on these large alternations. On a text without a
    ``WIDE_WORD_CHAR`` both kinds of boundary sit at the same places, so the result is the same there; texts
    holding one are run with ``pattern`` itself (``contains_fast``)."""
    out: list[str] = []
    i, in_class = 0, 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            out.append(f"(?-u:\\{nxt})" if nxt in "bB" and not in_class else ch + nxt)
            i += 2
            continue
        if ch == "[":
            in_class += 1
        elif ch == "]" and in_class:
            in_class -= 1
        out.append(ch)
        i += 1
    return "".join(out)


def contains_fast(texts: pl.Series, pattern: str, wide: pl.Series | None = None) -> pl.Series:
    """``texts.str.contains(pattern)``, with ASCII word boundaries where they give the same answer.

    ``wide``: ``texts.str.contains(WIDE_WORD_CHAR)`` when the caller has it (computed once for many
    patterns)."""
    fast = ascii_boundaries(pattern)
    if fast == pattern:
        return texts.str.contains(pattern)
    if wide is None:
        wide = texts.str.contains(WIDE_WORD_CHAR)
    out = texts.str.contains(fast)
    idx = wide.fill_null(False).arg_true()
    return out.scatter(idx, texts.gather(idx).str.contains(pattern)) if len(idx) else out


__all__ = ["MAX_STRINGS", "MIN_LITERAL", "WIDE_WORD_CHAR", "ascii_boundaries", "contains_fast", "gate_literals",
           "necessary_literals"]
