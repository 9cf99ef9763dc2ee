"""The literal gate in front of the safety grammar changes nothing: same classes, same words, fewer regexes.

``signals.regex_gate`` proves literals every match of a rule contains; ``classify_frame`` runs the rules only
on messages holding one. These tests compare it with the ungated grammar on the whole labelled set of every
language and on generated chat text (emoji, accents, typos, odd whitespace).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import polars as pl
import pytest

from ebbtide.signals import safety
from ebbtide.signals.regex_gate import ascii_boundaries, contains_fast, gate_literals, necessary_literals
from ebbtide.simulate.chat_text import chat_texts

BENCH = Path(__file__).resolve().parents[1] / "bench"


def _labelled_texts() -> list[str]:
    sys.path.insert(0, str(BENCH))
    try:
        import bench_safety
    finally:
        sys.path.remove(str(BENCH))
    return [it.text for lang in safety.LANGS for it in bench_safety.load(lang)]


def _ungated(frame: pl.DataFrame, monkeypatch: pytest.MonkeyPatch) -> pl.DataFrame:
    """Every pattern of every rule run on every message with its Unicode word boundaries: no gate, no ASCII
    boundaries."""
    with monkeypatch.context() as m:
        m.setattr(safety, "_gate", lambda: None)
        m.setattr(safety, "GATE_MIN_ROWS", 10**12)
        m.setattr(safety, "contains_fast", lambda t, p, wide=None: t.str.contains(p))
        return safety.classify_frame(frame)


#: Words next to letters that only Unicode counts as word characters (after accents are removed: ß, œ, ø,
#: Cyrillic, Greek, CJK), where ``\b`` and ``(?-u:\b)`` disagree.
WIDE = ["ßi'll kill you", "i'll kill youß", "straße i'll kill youœ", "ячi'll kill you", "i'll kill youя",
        "人i'll kill you人", "ıll kill you", "te voy a matarß", "ich bring dich umø", "i hate you so muchæ",
        "kill myselfß", "βi want to kill myself", "je vais te tuerœ", "vou te matarł"]


def test_every_rule_has_a_gate() -> None:
    assert safety._gate() is not None, "a rule without a provable literal would be run on every message"


def test_gate_gives_the_same_classes(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = _labelled_texts() + chat_texts(20_000, seed=11).to_list() + [
        "", "   ", "I'LL  KILL\tYOU", "i'll\u00a0kill you", "Ça va\n\nbien", "you’ll   regret this",
        "TE VOY A MATAR", "ich bring dich um!!", "je vais te tuer 😡", "vou te matar", "kys", *WIDE,
    ]
    frame = pl.DataFrame({"text": [*texts, None]}, schema={"text": pl.String})
    gated = safety.classify_frame(frame)
    assert gated.equals(_ungated(frame, monkeypatch))
    assert gated["cls"].is_not_null().sum() > 500  # the comparison covers many hits of every class
    assert set(gated["cls"].drop_nulls().unique()) == set(safety.CLASSES)


def test_necessary_literals_are_in_every_match() -> None:
    pat = r"\b(?:you|u)(?:'re| are|re|r)?\s+not\s+allowed\s+to\b"
    lits = necessary_literals(pat)
    assert lits is not None
    for text in ("you're not allowed to", "u not allowed to go", "ur not allowed to"):
        m = re.search(pat, text)
        assert m and any(lit in m.group(0) for lit in lits)
    assert necessary_literals(r".{0,3}\w+") is None  # nothing provable: not gated
    assert necessary_literals(r"\bab\b") is None  # too short to be a useful gate
    assert gate_literals([r"\bkill\b", r".*"]) is None


def test_ascii_boundaries_give_the_same_texts() -> None:
    texts = pl.Series([*WIDE, "i'll kill you", "you ß kill", "😀kill😀", "kill", "skill", "killß", "ßkill", "x kill-y"])
    for pattern in (r"\bkill\b", r"\bkill", r"kill\b", r"\Bkill", r"[a\]]?kill\b", r"(?:i'?ll|ich)\b.{0,9}\b(?:kill|um)\b"):
        assert ascii_boundaries(pattern) != pattern
        assert contains_fast(texts, pattern).to_list() == texts.str.contains(pattern).to_list(), pattern
    plain_ascii = texts.str.contains(ascii_boundaries(r"\bkill\b")).to_list()
    assert plain_ascii != texts.str.contains(r"\bkill\b").to_list()  # so the texts need the fallback
    assert ascii_boundaries(r"a\\b[\b]") == r"a\\b[\b]"  # an escaped backslash, a class: left alone
