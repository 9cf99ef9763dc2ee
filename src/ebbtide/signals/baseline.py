"""Which weeks are "recent" and which are the couple's own "close" baseline.

Recent period: since the first drop of either person's current, confirmed decline
(``changepoints.decline_start``), when that is at least ``MIN_RECENT`` weeks before the end and at
most ``MAX_RECENT`` weeks back; otherwise the last ``DEFAULT_RECENT`` weeks. Why: a change that began
ten weeks ago should be judged over all ten weeks, not diluted by or cut to an arbitrary window.

Baseline ("when they were close"): among all ``BASELINE_WEEKS``-week windows that end before the
recent period, the one with the highest joint engagement (the median of the couple's weekly
messages plus the median of their weekly sessions, each relative to its overall median). With fewer
weeks of history, all the weeks before the recent period (at least ``MIN_BASELINE``). The user can
override it with explicit dates. Choosing the best stretch is deliberate (the question is "compared
with when we were close"); its cost is a small upward bias, which the thresholds absorb.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import polars as pl

from ebbtide.signals.changepoints import ChangePoint, decline_start

BASELINE_WEEKS = 8
MIN_BASELINE = 4
DEFAULT_RECENT = 6
MIN_RECENT = 4
MAX_RECENT = 16


@dataclass(frozen=True, slots=True)
class Periods:
    baseline: tuple[date, date] | None  # Monday of first week, Sunday of last week
    recent: tuple[date, date] | None
    baseline_weeks: tuple[date, ...]
    recent_weeks: tuple[date, ...]
    note: str = ""


def _span(weeks: list[date]) -> tuple[date, date]:
    return weeks[0], weeks[-1] + timedelta(days=6)


def recent_start_index(weeks: list[date], cps: list[ChangePoint]) -> int:
    """Index of the first recent week (see module docstring)."""
    n = len(weeks)
    idx = max(n - DEFAULT_RECENT, 0)
    starts = []
    for person in {c.person for c in cps}:
        drops = [weeks.index(d) for d in decline_start(cps, person) if d in weeks]
        drops = [i for i in drops if MIN_RECENT <= n - i <= MAX_RECENT]
        if drops:
            starts.append(min(drops))
    if starts:
        idx = min(starts)
    return idx


def choose(weekly: pl.DataFrame, cps: list[ChangePoint], *, override: tuple[date, date] | None = None) -> Periods:
    """Pick the recent and baseline periods from the weekly table."""
    couple = weekly.group_by("week").agg(pl.col("messages").sum(), pl.col("initiations").sum()).sort("week")
    weeks = couple.get_column("week").to_list()
    n = len(weeks)
    r0 = recent_start_index(weeks, cps)
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
    if r0 < MIN_BASELINE or n - r0 < MIN_RECENT:
        return Periods(None, _span(recent_weeks) if recent_weeks else None, (), tuple(recent_weeks),
                       f"{n} week{'s' if n != 1 else ''} of chat; at least {MIN_BASELINE + MIN_RECENT} are needed to compare "
                       "recent weeks with an earlier stretch")
    if r0 <= BASELINE_WEEKS:
        base = weeks[:r0]
        return Periods(_span(base), _span(recent_weeks), tuple(base), tuple(recent_weeks),
                       "baseline: all weeks before the recent period (short history)")
    m = couple.get_column("messages").cast(pl.Float64).to_numpy()[:r0]
    s = couple.get_column("initiations").cast(pl.Float64).to_numpy()[:r0]
    m = m / max(np.median(m), 1.0)
    s = s / max(np.median(s), 1.0)
    win = np.lib.stride_tricks.sliding_window_view
    score = np.median(win(m, BASELINE_WEEKS), axis=1) + np.median(win(s, BASELINE_WEEKS), axis=1)
    best = int(np.argmax(score))  # earliest of equals
    base = weeks[best:best + BASELINE_WEEKS]
    return Periods(_span(base), _span(recent_weeks), tuple(base), tuple(recent_weeks),
                   "baseline: the 8 weeks with the most contact before the recent period")
