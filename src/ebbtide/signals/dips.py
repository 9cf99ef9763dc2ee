"""Earlier (and current) dips: stretches where a person's messages fell well below their own usual.

Used to answer "can we recover?" and "how long should I give space?" from the couple's own past.
The summary metric is the person's weekly message count; "usual" is its median over the whole
history (robust to the dips themselves). A dip is at least ``MIN_WEEKS`` consecutive weeks at
``DROP`` or more below usual, allowing a single better week inside. It has recovered when the person
is back within ``RECOVERED`` of usual for ``RECOVERY_WEEKS`` weeks in a row; its end is the last
week before that recovery. A dip still running at the last week has ``end=None``.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import polars as pl

from ebbtide.model import Dip

DROP = 0.30
RECOVERED = 0.15
MIN_WEEKS = 3
RECOVERY_WEEKS = 2


def find_dips(weekly: pl.DataFrame, person: str) -> list[Dip]:
    p = weekly.filter(pl.col("person") == person).sort("week")
    weeks = p.get_column("week").to_list()
    x = p.get_column("messages").cast(pl.Float64).to_numpy()
    if len(x) < MIN_WEEKS + RECOVERY_WEEKS:
        return []
    usual = float(np.median(x))
    if usual <= 0:
        return []
    rel = x / usual - 1.0
    low = rel <= -DROP
    ok = rel >= -RECOVERED
    dips: list[Dip] = []
    i, n = 0, len(x)
    while i < n:
        if not low[i]:
            i += 1
            continue
        j = i
        last_low = i
        # Extend while low, allowing one non-low week that is not a recovery.
        while j + 1 < n and (low[j + 1] or (j + 2 < n and low[j + 2] and not ok[j + 1])):
            j += 1
            if low[j]:
                last_low = j
        length = last_low - i + 1
        if length >= MIN_WEEKS:
            k = last_low + 1
            rec_at = None
            while k + RECOVERY_WEEKS <= n:
                if ok[k:k + RECOVERY_WEEKS].all():
                    rec_at = k
                    break
                if low[k]:
                    break
                k += 1
            depth = float(rel[i:last_low + 1].min())
            if rec_at is not None:
                end = weeks[rec_at - 1] + timedelta(days=6)
                dips.append(Dip(person, weeks[i], end, True, rec_at - i, round(depth, 3)))
            elif last_low >= n - RECOVERY_WEEKS:
                dips.append(Dip(person, weeks[i], None, False, n - i, round(depth, 3)))
            else:
                dips.append(Dip(person, weeks[i], weeks[last_low] + timedelta(days=6), False, length,
                                round(depth, 3)))
        i = last_low + 1
    return dips
