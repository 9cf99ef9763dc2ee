"""Safety flags: messages whose words may point to self-harm, fear or control.

These are surfaced before anything else (crisis resources first, normal advice steps aside). The
user's own messages come first, because their safety is the tool's first concern; recall matters
more than precision here, so nothing is filtered by period: the whole chat is screened.
"""

from __future__ import annotations

import polars as pl

from ebbtide.model import Evidence

MAX_FLAGS = 10
WHY = "words that may point to self-harm, fear or control"


def safety_flags(prepared: pl.DataFrame, me: str, features: pl.DataFrame | None = None) -> tuple[Evidence, ...]:
    """Flagged messages, the user's own first, most recent first (``features``: to fetch match spans)."""
    if "safety_concern" not in prepared.columns:
        return ()
    rows = prepared.filter(pl.col("safety_concern").fill_null(False))
    if rows.height == 0:
        return ()
    rows = rows.with_columns((pl.col("sender") == me).alias("_mine")).sort(
        ["_mine", "timestamp"], descending=[True, True]
    ).head(MAX_FLAGS)
    if features is not None and "matches" in features.columns and "src_row" in rows.columns:
        rows = rows.with_columns(features.get_column("matches").gather(rows.get_column("src_row")).alias("matches"))
    out = []
    for r in rows.iter_rows(named=True):
        spans: tuple[tuple[int, int], ...] = ()
        m = r.get("matches")
        if isinstance(m, list):
            spans = tuple((int(x["start"]), int(x["end"])) for x in m
                          if isinstance(x, dict) and x.get("feature") == "safety_concern")
        out.append(Evidence(r["timestamp"], r["sender"], r.get("text") or "", WHY, spans))
    return tuple(out)
