"""Change points in each person's weekly engagement, to date when a change began.

The summary series (``engagement_series``) is the mean of standardised weekly signals of one person:
log initiations, reply rate and minus log median reply minutes (slower is lower), and, only where
asked (``with_volume=True``), log messages. The analysis uses it without messages (the person's own
doing: a person's message count rises when the other writes more to them, which hid a partner's
withdrawal while the other pursued; docs/validation.md). Each is centred on
its median and scaled by its **week-to-week noise** (the MAD of successive differences / sqrt 2),
not by the spread of its levels: a withdrawal that lasts half the history widens the spread of the
levels (and used to shrink its own size to below the confirmation threshold), while the
week-to-week noise stays what it was. Values are clipped at +-``CLIP`` so one silent week cannot
dominate. Penalised least-squares segmentation (optimal partitioning, the exact problem PELT solves;
``segment`` below, vectorised with numpy cumulative sums so 15 years of weeks take milliseconds,
where ruptures' pure-Python loop took ~20 s) finds shifts in the mean; the penalty is
``PENALTY_FACTOR * sigma^2 * log(n)`` with sigma the noise level of the summary, and segments are
at least ``MIN_SEGMENT`` weeks, so a single quiet week cannot form a segment of its own. A change
point is reported as the Monday of the first week of the new segment.

**Onset** (``onset``): the segmentation places a step; a withdrawal often unfolds over weeks. The
onset of a decline is refined by fitting "level, then a linear slide over L weeks to a new level"
(L = 1 is a step, up to ``RAMPS[-1]`` weeks) around the segmentation's first drop, for every
candidate start week. The best start is the onset; the uncertainty range comes from the profile
likelihood of the start week (each start weighted by exp(-(SSE - SSE_min) / 2 s^2), s^2 the
residual variance of the best fit), cut at its 5th and 95th percentiles.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

PENALTY_FACTOR = 3.0
MIN_SEGMENT = 4
MIN_WEEKS = 8  # fewer weeks: no change-point search
MIN_SHIFT = 1.0  # smaller shifts of the mean are not reported (noise units of the weekly signals)
CONFIRM_SHIFT = 1.2  # a decline must add up to this many noise units to confirm a change (docs/validation.md)
CLIP = 6.0
RAMPS = (1, 2, 3, 4, 6, 8, 10, 12, 16)  # weeks over which a change may unfold (1: a step)
ONSET_BEFORE = 16  # candidate onsets: this many weeks before the segmentation's first drop ...
ONSET_AFTER = 4  # ... to this many after it
ONSET_LEVEL = 0.90  # two-sided probability of the onset range


@dataclass(frozen=True, slots=True)
class ChangePoint:
    person: str
    week: date
    shift: float  # mean after minus mean before, in noise units (negative: less engaged)


@dataclass(frozen=True, slots=True)
class Onset:
    """When a change began: the best start week and its uncertainty range (Mondays)."""

    week: date
    low: date
    high: date
    drop: float  # fitted level after minus before (noise units; negative: a drop)


def noise_scale(x: np.ndarray) -> float:
    """Week-to-week noise of a series (MAD of successive differences / sqrt 2), robust to level shifts."""
    v = x[~np.isnan(x)]
    if v.size < 3:
        return 1.0
    d = np.diff(v)
    s = float(np.median(np.abs(d - np.median(d))) * 1.4826 / np.sqrt(2))
    if not np.isfinite(s) or s < 1e-9:
        s = float(np.std(d) / np.sqrt(2))
    return s if s > 1e-9 else 1.0


def noise_z(x: np.ndarray) -> np.ndarray:
    """Centre on the median, scale by the week-to-week noise, clip; weeks without the signal read 0."""
    ok = ~np.isnan(x)
    if ok.sum() < 3:
        return np.zeros_like(x)
    z = (x - np.nanmedian(x)) / noise_scale(x)
    return np.where(ok, np.clip(z, -CLIP, CLIP), 0.0)


def engagement_series(weekly: pl.DataFrame, person: str, *, with_volume: bool = False
                      ) -> tuple[list[date], np.ndarray]:
    """The person's weekly engagement summary (documented in the module docstring).

    By default (what the analysis and the dips use) it leaves out the message count, which
    follows the other person: it falls for both when one of them starts fewer conversations, and rises
    for a withdrawing partner when the other pursues (more to answer). The rest (initiations, reply
    rate, reply speed) is the person's own doing; a week without replies (no reply rate or time) is
    summed up by the parts it has, not pulled towards the usual level by the missing ones.
    """
    p = weekly.filter(pl.col("person") == person).sort("week")
    weeks = p.get_column("week").to_list()
    inits = np.log1p(p.get_column("initiations").cast(pl.Float64).to_numpy())
    rr = p.get_column("reply_rate").cast(pl.Float64).fill_null(np.nan).to_numpy()
    lat = -np.log1p(p.get_column("median_reply_min").cast(pl.Float64).fill_null(np.nan).to_numpy())
    parts = [noise_z(inits), noise_z(rr), noise_z(lat)]
    if with_volume:
        parts.append(noise_z(np.log1p(p.get_column("messages").cast(pl.Float64).to_numpy())))
        return weeks, np.mean(parts, axis=0)
    # Own doing only: a week without replies has no reply rate or reply time; it is summed up by what
    # the person did do (their starts), not pulled towards their usual level by the missing parts.
    parts[1] = np.where(np.isnan(rr), np.nan, parts[1])
    parts[2] = np.where(np.isnan(lat), np.nan, parts[2])
    return weeks, np.nanmean(parts, axis=0)


def segment(y: np.ndarray, pen: float, min_size: int) -> list[int]:
    """Breakpoints minimising sum of squared deviations from segment means + ``pen`` per segment.

    Returns segment ends like ruptures (the last is ``len(y)``). Every segment has >= ``min_size``
    points. O(n^2) but each step is one numpy expression over all candidate starts.
    """
    n = len(y)
    if n < 2 * min_size:
        return [n]
    c1 = np.concatenate([[0.0], np.cumsum(y)])
    c2 = np.concatenate([[0.0], np.cumsum(y * y)])
    best = np.full(n + 1, np.inf)
    best[0] = -pen
    last = np.zeros(n + 1, dtype=np.int64)
    for t in range(min_size, n + 1):
        s = np.arange(0, t - min_size + 1)
        s = s[(s == 0) | (s >= min_size)]
        s = s[np.isfinite(best[s])]
        length = t - s
        seg_sum = c1[t] - c1[s]
        cost = (c2[t] - c2[s]) - seg_sum * seg_sum / length
        total = best[s] + cost + pen
        k = int(np.argmin(total))
        best[t] = total[k]
        last[t] = s[k]
    bkps = [n]
    t = n
    while last[t] > 0:
        t = int(last[t])
        bkps.append(t)
    return sorted(bkps)


def series_sigma(y: np.ndarray) -> float:
    """Noise of the summary series (floor 0.15)."""
    n = len(y)
    sigma = float(np.median(np.abs(np.diff(y))) * 1.4826 / np.sqrt(2)) if n > 2 else 1.0
    return max(sigma, 0.15)


def detect_series(weeks: list[date], y: np.ndarray, person: str) -> list[ChangePoint]:
    """Change points of a weekly series, oldest first."""
    n = len(y)
    if n < MIN_WEEKS:
        return []
    sigma = series_sigma(y)
    pen = PENALTY_FACTOR * sigma**2 * np.log(n)
    bkps = segment(y, pen, MIN_SEGMENT)
    out: list[ChangePoint] = []
    edges = [0, *bkps]
    for i in range(1, len(edges) - 1):
        a, b, c = edges[i - 1], edges[i], edges[i + 1]
        shift = float(y[b:c].mean() - y[a:b].mean())
        if abs(shift) >= max(MIN_SHIFT, 2 * sigma / np.sqrt(MIN_SEGMENT)):
            out.append(ChangePoint(person, weeks[b], shift))
    return out


def detect(weekly: pl.DataFrame, person: str) -> list[ChangePoint]:
    """Change points of one person's engagement summary, oldest first."""
    weeks, y = engagement_series(weekly, person)
    return detect_series(weeks, y, person)


def decline_start(cps: list[ChangePoint] | tuple[ChangePoint, ...], person: str, *,
                  after: date | None = None) -> list[date]:
    """The drops of ``person``'s current decline, oldest first (empty when there is none).

    A drop is "current" when all shifts from it to the end of the chat (drops and partial rises)
    add up to at least ``CONFIRM_SHIFT`` noise units down. The latest such drop anchors the decline,
    and drops right before it (no rise in between) join it: a withdrawal often comes in steps, and
    its first step is when it began. An earlier dip that came back up is history, not part of it;
    one small step is not enough.
    """
    own = sorted((c for c in cps if c.person == person and (after is None or c.week > after)),
                 key=lambda c: c.week)
    anchor = None
    for i in range(len(own) - 1, -1, -1):
        if own[i].shift < 0 and sum(x.shift for x in own[i:]) <= -CONFIRM_SHIFT:
            anchor = i
            break
    if anchor is None:
        return []
    first = anchor
    while first > 0 and own[first - 1].shift < 0:
        first -= 1
    return [x.week for x in own[first:] if x.shift < 0]


def _hinge_designs(m: int, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Design vectors h (start, ramp): 0 before the start, rising linearly to 1 over ``ramp`` weeks."""
    t = np.arange(m, dtype=float)
    s_grid, r_grid = np.meshgrid(starts.astype(float), np.array(RAMPS, dtype=float), indexing="ij")
    s_flat, r_flat = s_grid.ravel(), r_grid.ravel()
    h = np.clip((t[None, :] - s_flat[:, None] + 1.0) / r_flat[:, None], 0.0, 1.0)
    return h, s_flat.astype(np.int64), r_flat.astype(np.int64)


def onset(weeks: list[date], y: np.ndarray, first_drop: int, *, lo: int = 0, hi: int | None = None,
          direction: float = -1.0, before: int = ONSET_BEFORE, after: int = ONSET_AFTER) -> Onset | None:
    """Date the start of a change near index ``first_drop`` of series ``y`` (see module docstring).

    Data used: indexes ``lo``..``hi`` (the stretch from the previous change to the next rise or the end).
    ``direction`` -1 looks for a drop, +1 for a rise. Candidate starts: ``before`` weeks before
    ``first_drop`` to ``after`` weeks after it. None when no change in that direction fits.
    """
    n = len(y)
    hi = n if hi is None else min(hi, n)
    lo = max(0, lo, first_drop - 3 * ONSET_BEFORE)
    seg = y[lo:hi]
    m = len(seg)
    if m < 6:
        return None
    cand = np.arange(max(first_drop - before, lo + 2), min(first_drop + after, hi - 2) + 1) - lo
    if cand.size == 0:
        return None
    h, s_idx, _ = _hinge_designs(m, cand)
    hc = h - h.mean(axis=1, keepdims=True)
    yc = seg - seg.mean()
    sxx = (hc * hc).sum(axis=1)
    sxy = hc @ yc
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = np.where(sxx > 1e-12, sxy / sxx, 0.0)
        sse = float(yc @ yc) - np.where(sxx > 1e-12, sxy * sxy / sxx, 0.0)
    sse = np.where(direction * slope > 0, sse, np.inf)
    if not np.isfinite(sse).any():
        return None
    # profile over the ramp length: the best fit for each start week
    starts = np.unique(s_idx)
    prof = np.array([sse[s_idx == s].min() for s in starts])
    best_k = int(np.argmin(prof))
    k_all = int(np.argmin(sse))
    s2 = max(float(prof[best_k]) / max(m - 3, 1), 1e-6)
    w = np.exp(-(prof - prof[best_k]) / (2 * s2))
    w = np.where(np.isfinite(w), w, 0.0)
    cdf = np.cumsum(w) / w.sum()
    a = (1 - ONSET_LEVEL) / 2
    i_lo = int(starts[np.searchsorted(cdf, a)])
    i_hi = int(starts[min(int(np.searchsorted(cdf, 1 - a)), len(starts) - 1)])
    best = int(starts[best_k])
    return Onset(weeks[lo + best], weeks[lo + min(i_lo, best)], weeks[lo + max(i_hi, best)], float(slope[k_all]))


def decline_onset(weeks: list[date], y: np.ndarray, cps: list[ChangePoint] | tuple[ChangePoint, ...],
                  person: str, *, after: date | None = None) -> Onset | None:
    """The dated onset of ``person``'s current decline in series ``y`` (None: no current decline).

    The fit uses the stretch from the change point before the decline (or the start) to the first
    rise after it (or the end), so an older dip or a later partial recovery does not pull the date.
    """
    drops = decline_start(cps, person, after=after)
    if not drops:
        return None
    pos = {w: i for i, w in enumerate(weeks)}
    first = pos[drops[0]]
    own = sorted((c for c in cps if c.person == person), key=lambda c: c.week)
    lo = max([pos[c.week] for c in own if c.week < drops[0]], default=0)
    hi = min([pos[c.week] for c in own if c.week > drops[0] and c.shift > 0], default=len(weeks))
    if after is not None and after in pos:
        lo = max(lo, pos[after] + 1)
    found = onset(weeks, y, first, lo=lo, hi=hi)
    return found or Onset(drops[0], drops[0], drops[0], float("nan"))
