"""Professional-help triggers compare the couple with their own past, and everyday words are not conflict."""

from datetime import date, datetime, timedelta

import polars as pl

from ebbtide.features.language import annotate_texts
from ebbtide.insight.triggers import rate_rising


def _frame(before_hits: int, recent_hits: int, n: int = 100) -> pl.DataFrame:
    start = datetime(2025, 1, 1)
    rows = []
    for i in range(n):  # 100 messages before 1 March, 100 after
        rows.append({"timestamp": start + timedelta(hours=i), "sender": "Sam", "conflict": i < before_hits})
    for i in range(n):
        rows.append({"timestamp": datetime(2025, 3, 1) + timedelta(hours=i), "sender": "Sam",
                     "conflict": i < recent_hits})
    return pl.DataFrame(rows)


def test_a_steady_rate_of_curt_words_is_not_rising_conflict():
    assert not rate_rising(_frame(5, 5), ("conflict",), since=date(2025, 3, 1), min_hits=3)


def test_conflict_that_doubles_against_their_own_past_triggers():
    assert rate_rising(_frame(2, 6), ("conflict",), since=date(2025, 3, 1), min_hits=3)


def test_too_few_recent_messages_never_trigger():
    assert not rate_rising(_frame(0, 2), ("conflict",), since=date(2025, 3, 1), min_hits=3)


def test_plain_fine_is_not_conflict_but_a_fight_is():
    texts = ["fine", "it was fine, nothing special", "I'm scared I'm annoying you", "why are you mad?"]
    records = list(annotate_texts([{"text": t, "lang": "en"} for t in texts]))
    assert [r["conflict"] for r in records] == [False, False, False, True]


def test_wording_reads_as_plain_english_for_any_count():
    from ebbtide.insight.wording import fill

    assert fill("about {n} week(s)", n=1) == "about 1 week"
    assert fill("about {n} week(s)", n=8) == "about 8 weeks"
    assert fill("{n} earlier quieter stretch(es) came back", n=2) == "2 earlier quieter stretches came back"
