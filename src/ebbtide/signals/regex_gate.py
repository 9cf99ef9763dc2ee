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


def _score(s: Strings) -> tuple[int, int]:
    return (min(len(x) for x in s), -len(s))


def _necessary_seq(items: list) -> Strings | None:
    """The most selective necessary set of a sequence: a multiplied-out window of fixed elements, or the
    necessary set of one element."""
    best: Strings | None = None

    def consider(s: Strings | None) -> None:
        nonlocal best
        if s and "" not in s and (best is None or _score(s) > _score(best)):
            best = s

    exact = [_exact(op, av) for op, av in items]
    for i, (op, av) in enumerate(items):
        if exact[i] is None:
            consider(_necessary(op, av))
            continue
        window: Strings | None = exact[i]
        for j in range(i, len(items)):
            if j > i:
                if exact[j] is None:
                    break
                window = _times(window, exact[j])  # type: ignore[arg-type]
                if window is None:
                    break
            consider(window)
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


__all__ = ["MAX_STRINGS", "MIN_LITERAL", "gate_literals", "necessary_literals"]
