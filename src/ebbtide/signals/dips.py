"""Earlier (and current) dips: stretches where a person's own engagement fell well below their usual.

Used to answer "can we recover?" and "how long should I give space?" from the couple's own past.
Detection reads the person's own-initiative summary (``changepoints.engagement_series`` without
message volume: conversations started, reply rate, reply speed, each in robust standard units over
the whole history), because message counts fall for both people when only one of them pulls back.
A dip is at least ``MIN_WEEKS`` consecutive weeks at or below ``LOW`` (allowing one better week
inside that is not a recovery). It has recovered when the summary is back at or above ``BACK`` for
``RECOVERY_WEEKS`` weeks in a row; its end is the last week before that. A dip still running at the
last week has ``end=None``. ``depth`` is the lowest weekly message count in the dip relative to the
person's median week (e.g. -0.6: 60 % fewer messages than usual).
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import polars as pl

from ebbtide.model import Dip
from ebbtide.signals.changepoints import engagement_series

LOW = -1.5
BACK = -0.75
MIN_WEEKS = 3
RECOVERY_WEEKS = 2


def find_dips(weekly: pl.DataFrame, person: str) -> list[Dip]:
    weeks, y = engagement_series(weekly, person, with_volume=False)
    p = weekly.filter(pl.col("person") == person).sort("week")
    x = p.get_column("messages").cast(pl.Float64).to_numpy()
    n = len(y)
    if n < MIN_WEEKS + RECOVERY_WEEKS:
        return []
    usual = float(np.median(x))
    rel = x / usual - 1.0 if usual > 0 else np.zeros_like(x)
    low = y <= LOW
    ok = y >= BACK
    dips: list[Dip] = []
    i = 0
    while i < n:
        if not low[i]:
            i += 1
            continue
        j = last_low = i
        # Extend while low, allowing one week in between that is not a recovery.
        while j + 1 < n and (low[j + 1] or (j + 2 < n and low[j + 2] and not ok[j + 1])):
            j += 1
            if low[j]:
                last_low = j
        if last_low - i + 1 >= MIN_WEEKS:
            dips.append(_dip(person, weeks, rel, low, ok, i, last_low))
        i = last_low + 1
    return dips


def _dip(person: str, weeks: list, rel: np.ndarray, low: np.ndarray, ok: np.ndarray, i: int, last_low: int) -> Dip:
    n = len(weeks)
    depth = round(float(rel[i:last_low + 1].min()), 3)
    k = last_low + 1
    while k + RECOVERY_WEEKS <= n:
        if ok[k:k + RECOVERY_WEEKS].all():
            return Dip(person, weeks[i], weeks[k - 1] + timedelta(days=6), True, k - i, depth)
        if low[k]:
            break
        k += 1
    if last_low >= n - RECOVERY_WEEKS:
        return Dip(person, weeks[i], None, False, n - i, depth)
    return Dip(person, weeks[i], weeks[last_low] + timedelta(days=6), False, last_low - i + 1, depth)
