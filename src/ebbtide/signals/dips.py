"""Earlier (and current) dips: stretches where a person's own engagement fell well below their usual.

Used to answer "can we recover?" and "how long should I give space?" from the couple's own past.
Detection reads the person's own-initiative summary (``changepoints.engagement_series`` without
message volume: conversations started, reply rate, reply speed, in noise units), because message
counts fall for both people when only one of them pulls back.

The summary is segmented like the change points (penalised least squares, segments of at least
``MIN_WEEKS`` weeks), and the segments are read in order against a reference level (the level the
person was at before; it follows them up and across changes that are not dips):

* a segment at least ``DROP`` below the reference starts (or continues) a dip;
* a later segment back within ``BACK`` of the reference ends it: the dip **recovered**, and its
  end is the last week before that segment (recovery is dated by the segment's first week);
* a segment in between (partly back) continues the dip; a dip still running at the last week is
  **ongoing** (``end=None``), never "ended, not recovered";
* a slide in steps (each step smaller than ``DROP``) is one dip from its first step, and the
  reference never follows a person down.

``weeks`` is the dip's length, ``depth`` the dip's mean weekly messages relative to the person's
weekly messages in the reference stretch before it (e.g. -0.6: 60 % fewer messages than usual).
The current decline of a person (``changepoints.decline_onset``) and their ongoing dip describe the
same change; the ongoing dip starts at the decline's onset when both exist, so the history and the
signs give one date.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl

from ebbtide.model import Dip
from ebbtide.signals.changepoints import PENALTY_FACTOR, Onset, engagement_series, segment, series_sigma

MIN_WEEKS = 3
DROP = 2.0  # noise units of the summary below the reference level: a dip
BACK = 1.0  # within this many units of the reference: recovered


def find_dips(weekly: pl.DataFrame, person: str, onset: Onset | None = None) -> list[Dip]:
    weeks, y = engagement_series(weekly, person)
    p = weekly.filter(pl.col("person") == person).sort("week")
    x = p.get_column("messages").cast(pl.Float64).to_numpy()
    n = len(y)
    if n < 2 * MIN_WEEKS:
        return []
    sigma = series_sigma(y)
    bkps = segment(y, PENALTY_FACTOR * sigma**2 * np.log(n), MIN_WEEKS)
    edges = [0, *bkps]
    segs = [(edges[i], edges[i + 1], float(y[edges[i]:edges[i + 1]].mean())) for i in range(len(edges) - 1)]
    drop, back = DROP * sigma / 0.5, BACK * sigma / 0.5  # scaled to the series' own noise (0.5: typical)
    ref_level, ref_span = segs[0][2], (segs[0][0], segs[0][1])
    dips: list[Dip] = []
    start = pending = None  # pending: first week of a partial step down (a slide may start there)
    for a, b, level in segs[1:]:
        if start is None:
            if level <= ref_level - drop:
                start = a if pending is None else pending
            elif level < ref_level - back:
                pending = a if pending is None else pending
            else:
                ref_level, ref_span, pending = level, (a, b), None
            continue
        if level >= ref_level - back:  # recovered
            if _sustained(y[start:a], ref_level - drop, ref_level - back):
                dips.append(_dip(person, weeks, x, ref_span, start, a, recovered=True))
            start = pending = None
            ref_level, ref_span = level, (a, b)
    if start is not None and _sustained(y[start:], ref_level - drop, ref_level - back):
        dips.append(_dip(person, weeks, x, ref_span, start, n, recovered=False))
    if onset is not None and dips and not dips[-1].recovered:
        d = dips[-1]
        if abs((onset.week - d.start).days) <= 8 * 7 and onset.week in weeks:
            i0 = weeks.index(onset.week)
            dips[-1] = _dip(person, weeks, x, ref_span, i0, n, recovered=False)
    return dips


def _sustained(y: np.ndarray, low: float, back: float) -> bool:
    """Not one quiet week carrying a short segment: at least ``MIN_WEEKS`` - 1 weeks low and most not back."""
    return int((y <= low).sum()) >= MIN_WEEKS - 1 and float((y < back).mean()) > 0.5


def _dip(person: str, weeks: list[date], x: np.ndarray, ref: tuple[int, int], i: int, j: int, *,
         recovered: bool) -> Dip:
    """The dip over weeks ``i``..``j-1``."""
    usual = float(np.median(x[ref[0]:ref[1]])) if ref[1] > ref[0] else 0.0
    depth = round(float(x[i:j].mean()) / usual - 1.0, 3) if usual > 0 and j > i else None
    end = weeks[j - 1] + timedelta(days=6) if recovered else None
    return Dip(person, weeks[i], end, recovered, j - i, depth)
