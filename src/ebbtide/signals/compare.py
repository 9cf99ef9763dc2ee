"""Recent weeks against baseline weeks for one metric: effect size, bootstrap interval, persistence.

Why pooled ratios: a week with 3 received questions and a week with 30 should not weigh the same, so a
rate is sum(numerator) / sum(denominator) over the weeks of a period. The interval resamples WEEKS
(not messages), because messages within a week are not independent; it is a percentile bootstrap,
vectorised with numpy (one index matrix per period).

Why persistence: a change only counts when it holds in most recent weeks (at least 3), or in every one
of the last 3 or more weeks (a change that began inside the recent period), so one quiet holiday week
or one stressful week cannot make a sign on its own. A sparse share (a few plan questions a week, so
that one week's share is noisier than half the threshold) says little in a single week; it may
instead hold in both halves of the recent period, each pooled.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import polars as pl

from ebbtide.model import MetricChange

N_BOOT = 1000
CI_LEVEL = 0.90  # two-sided: 5th and 95th percentiles
MIN_PERSIST_WEEKS = 3
PERSIST_SHARE = 0.6  # share of recent weeks (with data) that must show at least half the threshold


@dataclass(frozen=True, slots=True)
class MetricSpec:
    """How a metric is read from the weekly table and judged."""

    id: str
    label: str
    num: str  # weekly column summed in the numerator (or averaged when den is None)
    den: str | None  # weekly column summed in the denominator; None: the mean of the weekly values
    direction: str  # "down" or "up": which way counts as pulling away
    threshold: float  # minimal meaningful change (relative, or absolute when mode == "abs")
    mode: str = "rel"  # "rel": recent/baseline - 1; "abs": recent - baseline
    unit: str = ""
    min_den: float = 0.0  # minimal denominator summed over a period to judge at all
    language: bool = False  # needs language features
    min_abs: float = 0.0  # the recent-baseline difference must also be at least this (in the metric's unit)
    min_num: float = 0.0  # a rate of rare events needs at least this many events (numerator) in the baseline


@dataclass(frozen=True, slots=True)
class Judgement:
    """A MetricChange plus what the sign logic needs to decide."""

    change: MetricChange
    moved: bool  # withdrawal-direction change beyond threshold, interval excludes none, persistent
    level: int  # 0 none, 1 slight, 2 clear, 3 strong
    persistent_weeks: int
    judged: bool  # False: too little data to judge this metric


def _period_arrays(weekly: pl.DataFrame, spec: MetricSpec) -> tuple[np.ndarray, np.ndarray]:
    num = weekly.get_column(spec.num).cast(pl.Float64).to_numpy()
    if spec.den is None:
        den = np.where(np.isnan(num), 0.0, 1.0)
    else:
        den = weekly.get_column(spec.den).cast(pl.Float64).fill_null(0).to_numpy()
    num = np.where(np.isnan(num) | (den == 0), 0.0, num)
    return num, den


def _pooled(num: np.ndarray, den: np.ndarray) -> float | None:
    d = den.sum()
    return float(num.sum() / d) if d > 0 else None


def _effect(b: np.ndarray | float, r: np.ndarray | float, mode: str) -> np.ndarray | float:
    if mode == "abs":
        return r - b
    with np.errstate(divide="ignore", invalid="ignore"):
        return r / b - 1.0


def compare(spec: MetricSpec, base: pl.DataFrame, recent: pl.DataFrame, *, seed: int = 0) -> Judgement:
    """Judge one metric for one person. ``base``/``recent``: that person's weekly rows of each period."""
    nb, db = _period_arrays(base, spec)
    nr, dr = _period_arrays(recent, spec)
    b = _pooled(nb, db)
    r = _pooled(nr, dr)
    judged = (
        b is not None and r is not None and db.sum() >= spec.min_den and dr.sum() >= spec.min_den * 0.5
        and (spec.mode == "abs" or b > 0) and (spec.min_num <= 0 or nb.sum() >= spec.min_num)
    )
    if not judged:
        mc = MetricChange(spec.id, spec.label, b, r, None, unit=spec.unit, withdrawal_direction=spec.direction)
        return Judgement(mc, False, 0, 0, False)
    assert b is not None and r is not None
    eff = float(_effect(b, r, spec.mode))
    rng = np.random.default_rng(seed)
    ib = rng.integers(0, len(nb), size=(N_BOOT, len(nb)))
    ir = rng.integers(0, len(nr), size=(N_BOOT, len(nr)))
    with np.errstate(divide="ignore", invalid="ignore"):
        bb = nb[ib].sum(1) / db[ib].sum(1)
        rr = nr[ir].sum(1) / dr[ir].sum(1)
        boot = np.asarray(_effect(bb, rr, spec.mode))
    boot = boot[np.isfinite(boot)]
    alpha = (1 - CI_LEVEL) / 2
    lo, hi = (float(np.quantile(boot, alpha)), float(np.quantile(boot, 1 - alpha))) if boot.size else (None, None)
    sgn = -1.0 if spec.direction == "down" else 1.0
    toward = sgn * eff  # positive: toward pulling away
    cautious = None if lo is None or hi is None else (sgn * hi if sgn < 0 else sgn * lo)  # nearest to zero
    # Persistence: recent weeks whose own value is beyond half the threshold in the withdrawal direction.
    with np.errstate(divide="ignore", invalid="ignore"):
        wk = np.where(dr > 0, nr / np.where(dr > 0, dr, 1), np.nan)
        wk_eff = sgn * np.asarray(_effect(b, wk, spec.mode))
    has = ~np.isnan(wk_eff)
    hit = wk_eff[has] >= spec.threshold / 2
    beyond = int(np.sum(hit))
    need = max(MIN_PERSIST_WEEKS, math.ceil(PERSIST_SHARE * int(has.sum())))
    trailing = int(np.argmin(hit[::-1])) if not hit.all() else int(hit.size)  # run of hits up to the last week
    persistent = beyond >= need or trailing >= MIN_PERSIST_WEEKS
    if not persistent and spec.den is not None and has.sum() >= 2 * MIN_PERSIST_WEEKS \
            and _sparse(b, dr.sum() / max(int(has.sum()), 1), spec):
        persistent = _halves_hold(b, nr, dr, spec, sgn)
    big_enough = abs(r - b) >= spec.min_abs
    moved = toward >= spec.threshold and cautious is not None and cautious > 0 and persistent and big_enough
    level = 0
    if moved:
        assert cautious is not None
        level = 1
        if cautious >= spec.threshold / 2:
            level = 2
        if toward >= 2 * spec.threshold and cautious >= spec.threshold:
            level = 3
    mc = MetricChange(spec.id, spec.label, b, r, eff, lo, hi, unit=spec.unit, withdrawal_direction=spec.direction)
    return Judgement(mc, moved, level, beyond, True)


def _sparse(b: float, per_week: float, spec: MetricSpec) -> bool:
    """A share whose weekly value is noisier (binomial standard error) than half its threshold."""
    if not 0.0 < b < 1.0 or per_week <= 0:
        return per_week < 2
    half = spec.threshold / 2 * (1.0 if spec.mode == "abs" else b)
    return math.sqrt(b * (1 - b) / per_week) > half


def _halves_hold(b: float, nr: np.ndarray, dr: np.ndarray, spec: MetricSpec, sgn: float) -> bool:
    """Persistence for sparse ratios (a few questions a week, so single weeks say little): the pooled
    value of each half of the recent period is beyond half the threshold."""
    cum = np.cumsum(dr)
    k = int(np.searchsorted(cum, cum[-1] / 2)) + 1
    halves = [(nr[:k], dr[:k]), (nr[k:], dr[k:])]
    for n_, d_ in halves:
        v = _pooled(n_, d_)
        if v is None or d_.sum() < max(spec.min_den / 2, 2) or sgn * float(_effect(b, v, spec.mode)) < spec.threshold / 2:
            return False
    return True


STRENGTH_WORDS = {0: "none", 1: "slight", 2: "clear", 3: "strong"}
