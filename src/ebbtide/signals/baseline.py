"""Which weeks are "recent" and which are the couple's own "close" baseline.

Recent period: from the **onset** of either person's current, confirmed decline (the dated start of
the change, ``changepoints.onset``) to the end of the chat, however long ago that was (a withdrawal
that began a year ago is judged over the whole year), when the onset is at least ``MIN_RECENT``
weeks before the end; otherwise the last ``DEFAULT_RECENT`` weeks. Why: the comparison should cover
the change itself, not an arbitrary window that dilutes it or cuts it short.

Baseline ("when they were close"): among the ``BASELINE_WEEKS``-week windows that end before the
earliest week the change may have begun (the low end of the onset range) and start at most
``BASELINE_LOOKBACK`` weeks before it, the one with the highest joint engagement (the median of the
couple's weekly messages plus the median of their weekly sessions, each relative to its median over
those weeks): the close stretch right before the change, not a honeymoon years earlier. With fewer
weeks of history, all the weeks before (at least ``MIN_BASELINE``). The user can override it with
explicit dates. Choosing the best stretch is deliberate (the question is "compared with when we were
close"); its cost is a small upward bias, which the thresholds absorb.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import polars as pl

from ebbtide.signals.changepoints import Onset

BASELINE_WEEKS = 8
BASELINE_LOOKBACK = 52
MIN_BASELINE = 4
DEFAULT_RECENT = 6
MIN_RECENT = 4


@dataclass(frozen=True, slots=True)
class Periods:
    baseline: tuple[date, date] | None  # Monday of first week, Sunday of last week
    recent: tuple[date, date] | None
    baseline_weeks: tuple[date, ...]
    recent_weeks: tuple[date, ...]
    note: str = ""


def _span(weeks: list[date]) -> tuple[date, date]:
    return weeks[0], weeks[-1] + timedelta(days=6)


def recent_start_index(weeks: list[date], onsets: list[Onset]) -> tuple[int, int]:
    """Index of the first recent week, and the index before which the baseline must end."""
    n = len(weeks)
    idx = max(n - DEFAULT_RECENT, 0)
    pos = {w: i for i, w in enumerate(weeks)}
    usable = [o for o in onsets if o.week in pos and n - pos[o.week] >= MIN_RECENT]
    if not usable:
        return idx, idx
    first = min(usable, key=lambda o: o.week)
    start = pos[first.week]
    low = min(pos.get(o.low, start) for o in usable)
    return start, max(min(low, start), 0)


def choose(weekly: pl.DataFrame, onsets: list[Onset], *, override: tuple[date, date] | None = None) -> Periods:
    """Pick the recent and baseline periods from the weekly table and the dated onsets of declines."""
    couple = weekly.group_by("week").agg(pl.col("messages").sum(), pl.col("initiations").sum()).sort("week")
    weeks = couple.get_column("week").to_list()
    n = len(weeks)
    r0, b_end = recent_start_index(weeks, onsets)
    recent_weeks = weeks[r0:]
    if override is not None:
        lo, hi = override
        if hi < lo:
            lo, hi = hi, lo
        base = [w for w in weeks if w + timedelta(days=6) >= lo and w <= hi]
        if len(base) < MIN_BASELINE:
            return Periods(None, _span(recent_weeks) if recent_weeks else None, tuple(base), tuple(recent_weeks),
                           f"the chosen baseline {lo}..{hi} holds {len(base)} weeks of this chat; "
                           f"at least {MIN_BASELINE} are needed")
        # Recent weeks never overlap the chosen baseline.
        recent_weeks = [w for w in recent_weeks if w > base[-1]] or weeks[-DEFAULT_RECENT:]
        recent_weeks = [w for w in recent_weeks if w > base[-1]]
        return Periods(_span(base), _span(recent_weeks) if recent_weeks else None, tuple(base),
                       tuple(recent_weeks), "baseline chosen by the user")
    if b_end < MIN_BASELINE or n - r0 < MIN_RECENT:
        return Periods(None, _span(recent_weeks) if recent_weeks else None, (), tuple(recent_weeks),
                       f"{n} week{'s' if n != 1 else ''} of chat; at least "
                       f"{n + max(0, MIN_BASELINE - b_end) + max(0, MIN_RECENT - (n - r0))} are needed to compare "
                       "recent weeks with an earlier stretch")
    if b_end <= BASELINE_WEEKS:
        base = weeks[:b_end]
        return Periods(_span(base), _span(recent_weeks), tuple(base), tuple(recent_weeks),
                       "baseline: all weeks before the recent period (short history)")
    first = max(0, b_end - BASELINE_LOOKBACK)
    m = couple.get_column("messages").cast(pl.Float64).to_numpy()[first:b_end]
    s = couple.get_column("initiations").cast(pl.Float64).to_numpy()[first:b_end]
    m = m / max(np.median(m), 1.0)
    s = s / max(np.median(s), 1.0)
    win = np.lib.stride_tricks.sliding_window_view
    score = np.median(win(m, BASELINE_WEEKS), axis=1) + np.median(win(s, BASELINE_WEEKS), axis=1)
    best = first + int(np.argmax(score))  # earliest of equals
    base = weeks[best:best + BASELINE_WEEKS]
    return Periods(_span(base), _span(recent_weeks), tuple(base), tuple(recent_weeks),
                   f"baseline: the {BASELINE_WEEKS} weeks with the most contact in the year before the recent weeks")
