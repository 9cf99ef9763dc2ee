"""What the journal adds to the analysis: time apart the chat cannot see, before/after an event,
and safety language in the user's own notes.

WHY here (pure functions over records and the weekly frame, no SQL): the chat alone cannot see
evenings together; the user's journal can. When the chat says ``not_measurable`` for time apart,
the journal's own before/after (the user's own earlier weeks against the recent ones, never a
population norm) takes its place, clearly labelled as coming from the journal.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

import polars as pl

from ebbtide.insight.wording import plural_words
from ebbtide.model import Assessment, Evidence, MetricChange, ReasonId, SignId, SignResult, SignStatus
from ebbtide.store.journal import CheckIn, EventKind, JournalEvent

MIN_ENTRIES = 2  # journal entries needed on each side of the comparison
CLEAR_DROP = 0.25  # share of weeks together falling by this much (absolute) counts as seen
BEFORE_AFTER_WEEKS = 4
USUAL_TOLERANCE = 0.15  # within 15% of the before-median reads as "about as before"

def notes_raise_safety(texts: Sequence[str]) -> bool:
    """True when any of the user's own notes holds clear danger or words that may point to harm
    (the same grammar as the messages, signals/safety.py; insults alone do not count)."""
    kept = tuple(t for t in texts if t and t.strip())
    return bool(kept) and _notes_raise_safety(kept)


@functools.lru_cache(maxsize=16)
def _notes_raise_safety(texts: tuple[str, ...]) -> bool:
    # WHY cached: every page asks, and the notes rarely change between two pages.
    from ebbtide.signals.safety import classify_texts

    return any(c not in (None, "contempt") for c in classify_texts(list(texts)))


def _together_weeks(events: Sequence[JournalEvent], checkins: Sequence[CheckIn]) -> dict[date, bool]:
    """Week (Monday) -> did the user note time together that week (True) or apart (False)."""
    weeks: dict[date, bool] = {}
    for c in checkins:
        if c.saw_each_other is not None:
            wk = c.date - timedelta(days=c.date.weekday())
            weeks[wk] = weeks.get(wk, False) or bool(c.saw_each_other)
    for e in events:
        wk = e.date - timedelta(days=e.date.weekday())
        if e.kind is EventKind.TOGETHER:
            weeks[wk] = True
        elif e.kind in (EventKind.APART, EventKind.TRIP):
            weeks.setdefault(wk, False)
    return weeks


def time_apart_from_journal(
    events: Sequence[JournalEvent], checkins: Sequence[CheckIn], *, person: str, since: date,
) -> SignResult | None:
    """``increased_time_apart`` from the journal: share of weeks together before vs since ``since``.

    None when the journal has too few entries on either side to compare (we do not guess).
    """
    weeks = _together_weeks(events, checkins)
    before = [v for wk, v in weeks.items() if wk < since]
    after = [v for wk, v in weeks.items() if wk >= since]
    if len(before) < MIN_ENTRIES or len(after) < MIN_ENTRIES:
        return None
    share_before, share_after = sum(before) / len(before), sum(after) / len(after)
    drop = share_before - share_after
    status = SignStatus.DETECTED if drop >= CLEAR_DROP else SignStatus.NOT_DETECTED
    strength = "none" if status is SignStatus.NOT_DETECTED else ("strong" if drop >= 0.5 else "clear")
    change = (share_after / share_before - 1) if share_before else None
    metric = MetricChange("weeks_together_share", "share of journal weeks with time together", share_before,
                          share_after, change, unit="", withdrawal_direction="down")
    evidence = tuple(
        Evidence(_midday(e.date), "journal", e.note or e.kind.value, f"journal: {e.kind.value.replace('_', ' ')}")
        for e in events if e.kind in (EventKind.TOGETHER, EventKind.APART, EventKind.TRIP) and e.date >= since
    )[:5]
    return SignResult(SignId.INCREASED_TIME_APART, person, status, since=since if status is SignStatus.DETECTED
                      else None, strength=strength, metrics=(metric,), evidence=evidence,
                      note=plural_words(f"from your journal ({len(before)} week(s) before, {len(after)} since)"))


def _midday(d: date) -> datetime:
    return datetime.combine(d, time(12))


def apply_journal(assessment: Assessment, events: Sequence[JournalEvent], checkins: Sequence[CheckIn]) -> Assessment:
    """Replace a ``not_measurable`` time-apart result of the partner with the journal's, if it can tell."""
    since = assessment.recent[0] if assessment.recent else None
    if since is None:
        return assessment
    signs = list(assessment.signs)
    changed = False
    for i, s in enumerate(signs):
        if s.sign is SignId.INCREASED_TIME_APART and s.person == assessment.partner and s.status in (
            SignStatus.NOT_MEASURABLE, SignStatus.INSUFFICIENT_DATA
        ):
            found = time_apart_from_journal(events, checkins, person=s.person, since=since)
            if found is not None:
                signs[i] = found
                changed = True
    return replace(assessment, signs=tuple(signs)) if changed else assessment


# Journal entries that hint at a possible reason (the user's own words; shown as "from your journal").
_EVENT_HINTS: dict[EventKind, tuple[ReasonId, str]] = {
    EventKind.JOB_CHANGE: (ReasonId.EXTERNAL_STRESS, "your journal: a change of job"),
    EventKind.FIGHT: (ReasonId.COMMUNICATION_BREAKDOWN, "your journal: a fight"),
}


def journal_hints(events: Sequence[JournalEvent], checkins: Sequence[CheckIn], *,
                  since: date | None) -> dict[ReasonId, list[Evidence]]:
    """Hints for ``explain(hints=...)`` from the recent journal: outside stress named in check-ins,
    a change of job, a fight. Only entries from ``since`` on (the stretch being explained)."""
    out: dict[ReasonId, list[Evidence]] = {}
    for c in checkins:
        if c.outside_stress.strip() and (since is None or c.date >= since):
            out.setdefault(ReasonId.EXTERNAL_STRESS, []).append(
                Evidence(_midday(c.date), "journal", c.outside_stress.strip(),
                         "your check-in: something outside the relationship weighs on you"))
    for e in events:
        if e.kind in _EVENT_HINTS and (since is None or e.date >= since):
            reason, why = _EVENT_HINTS[e.kind]
            out.setdefault(reason, []).append(Evidence(_midday(e.date), "journal", e.note or why, why))
    return out


@dataclass(frozen=True, slots=True)
class BeforeAfter:
    """One weekly metric of one person around an event."""

    person: str
    metric: str
    label: str
    before: float | None
    after: float | None
    weeks_before: int
    weeks_after: int
    sentence: str


def _median(frame: pl.DataFrame, column: str) -> float | None:
    values = frame.get_column(column).drop_nulls()
    if values.dtype.is_float():
        values = values.filter(values.is_finite())
    if values.len() == 0:
        return None
    m = values.median()
    return float(m) if isinstance(m, int | float) and math.isfinite(float(m)) else None


def before_after(
    weekly: pl.DataFrame, day: date, *, metrics: dict[str, tuple[str, str]], weeks: int = BEFORE_AFTER_WEEKS,
    event_label: str = "the event", people: Sequence[str] = (), baseline: tuple[date, date] | None = None,
) -> list[BeforeAfter]:
    """Median of each weekly metric in the ``weeks`` before ``day`` against the ``weeks`` after it.

    ``metrics`` maps a weekly column to (label, "down"|"up": which way means pulling back). The week
    holding the event itself is left out of both sides (it is neither before nor after). With
    ``baseline``, the sentence also says whether the weeks after are back within the person's usual.
    """
    if weekly is None or weekly.is_empty() or not {"week", "person"} <= set(weekly.columns):
        return []
    event_week = day - timedelta(days=day.weekday())
    lo, hi = event_week - timedelta(weeks=weeks), event_week + timedelta(weeks=weeks)
    out: list[BeforeAfter] = []
    for person in people or weekly.get_column("person").unique(maintain_order=True).to_list():
        mine = weekly.filter(pl.col("person") == person)
        pre = mine.filter((pl.col("week") >= lo) & (pl.col("week") < event_week))
        post = mine.filter((pl.col("week") > event_week) & (pl.col("week") <= hi))
        usual_rows = mine.filter(pl.col("week").is_between(baseline[0], baseline[1])) if baseline else None
        for column, (label, direction) in metrics.items():
            if column not in weekly.columns:
                continue
            b, a = _median(pre, column), _median(post, column)
            usual = _median(usual_rows, column) if usual_rows is not None else None
            out.append(BeforeAfter(person, column, label, b, a, pre.height, post.height,
                                   _sentence(person, label, b, a, direction, event_label, post.height, usual)))
    return out


def _num(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 10 else f"{x:.2g}"


def _sentence(person: str, label: str, before: float | None, after: float | None, direction: str,
              event_label: str, weeks_after: int, usual: float | None = None) -> str:
    if weeks_after == 0:
        return f"No weeks after {event_label} yet to compare."
    if before is None or after is None:
        return f"{person}, {label.lower()}: not enough weeks on both sides of {event_label} to compare."
    base = abs(before) if before else 1.0
    rel = (after - before) / base
    if abs(rel) <= USUAL_TOLERANCE:
        how = "about as before"
    else:
        better = (rel > 0) == (direction == "down")
        how = ("higher" if rel > 0 else "lower") + (", the warmer direction" if better else "")
    back = ""
    if usual is not None and usual != 0 and abs(after - usual) / abs(usual) <= USUAL_TOLERANCE:
        was_off = abs(before - usual) / abs(usual) > USUAL_TOLERANCE
        back = f", back to {person}'s usual" if was_off else f", within {person}'s usual"
    return plural_words(
        f"{person}, {label.lower()}: {how} since {event_label}{back} (a typical week: {_num(after)} after, "
        f"{_num(before)} before{f', {_num(usual)} usually' if usual is not None else ''}). "
        f"With {weeks_after} week(s) after, this is a hint, not proof.")


__all__ = [
    "BeforeAfter", "apply_journal", "before_after", "journal_hints", "notes_raise_safety", "time_apart_from_journal",
]
