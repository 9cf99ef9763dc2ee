"""Professional-help triggers (evidence.md 4.2 rule 6): which fired, and the messages behind them.

WHY its own module: ``explain`` decides what the report says; whether a sustained decline, repeated
hostility, the user's own rising distress or a safety concern calls for a professional is a separate,
testable rule with its own thresholds.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime, time

import polars as pl

from ebbtide.model import Assessment, Evidence, Pattern, SignStatus

SUSTAINED_WEEKS = 4  # evidence.md 4.2 rule 6: 4+ weeks of sustained decline
HOSTILE_MIN_MESSAGES = 6  # hostile messages in the recent stretch: more than a handful
HOSTILE_EVIDENCE = 5
DISTRESS_MIN_MESSAGES = 3
DISTRESS_RATIO = 2.0  # the user's own stress/vulnerability rate at least doubled vs their baseline


def fired_triggers(
    assessment: Assessment,
    hostile: Sequence[Evidence],
    features: pl.DataFrame | None,
    *,
    since: date | None,
    end: date | None,
    safety: bool,
) -> tuple[str, ...]:
    """Which professional-help triggers fired (evidence.md 4.2 rule 6); keys of plan.toml."""
    fired: list[str] = []
    if safety:
        fired.append("safety")
    detected_since = [s.since for s in assessment.signs if s.status is SignStatus.DETECTED and s.since]
    long_dip = any(d.end is None and d.weeks >= SUSTAINED_WEEKS for d in assessment.dips)
    if long_dip or (end and detected_since and (end - min(detected_since)).days >= 7 * SUSTAINED_WEEKS):
        if assessment.pattern not in (Pattern.STABLE, Pattern.INSUFFICIENT_DATA, Pattern.TOO_EARLY):
            fired.append("sustained_decline")
    if hostile:
        fired.append("conflict")
    if features is not None and since is not None and own_distress_rising(features, me=assessment.me, since=since):
        fired.append("own_distress")
    return tuple(fired)


def hostile_messages(features: pl.DataFrame, *, since: date) -> tuple[Evidence, ...]:
    """The hostile messages of the recent stretch, when hostility rose against the couple's own past.

    Hostile: contempt or insults (the safety grammar, signals/safety.py) or conflict language (the
    language layer's ``conflict`` column). The trigger needs more than a handful of such messages
    recently (``HOSTILE_MIN_MESSAGES``) at least ``DISTRESS_RATIO`` times the couple's earlier rate:
    curt words that were always part of how two people talk are not a reason for a professional.
    Its evidence is those messages, contempt first, most recent first.
    """
    from ebbtide.signals.safety import classified

    if "text" not in features.columns or features.is_empty():
        return ()
    conflict = pl.col("conflict").fill_null(False) if "conflict" in features.columns else pl.lit(False)
    shared = [c for c in ("safety_cls", "safety_what") if c in features.columns]  # the pipeline's one classification
    frame = classified(features.select("timestamp", "sender", "text", *shared, conflict_words=conflict)).with_columns(
        contempt=(pl.col("cls") == "contempt").fill_null(False),
    ).with_columns(hostile=pl.col("contempt") | pl.col("conflict_words"))
    if not rate_rising(frame, ("hostile",), since=since, min_hits=HOSTILE_MIN_MESSAGES):
        return ()
    recent = frame.filter(pl.col("hostile") & (pl.col("timestamp") >= datetime.combine(since, time.min)))
    recent = recent.sort(["contempt", "timestamp"], descending=[True, True]).head(HOSTILE_EVIDENCE)
    why = {True: "contempt or insults", False: "conflict"}
    return tuple(Evidence(r["timestamp"], r["sender"], r["text"] or "", why[bool(r["contempt"])])
                 for r in recent.iter_rows(named=True))


def own_distress_rising(features: pl.DataFrame, *, me: str, since: date) -> bool:
    """True when the user's own stress/feelings messages at least doubled in rate since ``since``.

    WHY: evidence.md 4.2 rule 6 lists the user's own rising distress as a reason to suggest
    professional help; we compare the user with their own earlier rate, never with others.
    """
    return rate_rising(features, ("stress", "vulnerability"), since=since, senders=(me,),
                       min_hits=DISTRESS_MIN_MESSAGES)


def rate_rising(
    features: pl.DataFrame,
    columns: Collection[str],
    *,
    since: date,
    senders: Collection[str] | None = None,
    min_hits: int,
    ratio: float = DISTRESS_RATIO,
) -> bool:
    """True when messages flagged by any of ``columns`` are at least ``ratio`` times as frequent
    since ``since`` as before, with at least ``min_hits`` of them recently.

    WHY: a trigger must compare this couple with their own past; a few curt words that were always
    part of how they talk are not a reason to suggest a professional.
    """
    cols = [c for c in columns if c in features.columns]
    if not cols or features.is_empty():
        return False
    start = datetime.combine(since, time.min)
    flagged = pl.any_horizontal([pl.col(c).fill_null(False) for c in cols])
    rows = features if senders is None else features.filter(pl.col("sender").is_in(list(senders)))
    stats = rows.group_by(pl.col("timestamp") >= start).agg(n=pl.len(), hits=flagged.sum())
    by_period = {row["timestamp"]: (row["n"], row["hits"]) for row in stats.iter_rows(named=True)}
    before_n, before_hits = by_period.get(False, (0, 0))
    recent_n, recent_hits = by_period.get(True, (0, 0))
    if recent_hits < min_hits or recent_n == 0 or before_n == 0:
        return False
    before_rate = max(before_hits, 1) / before_n  # a floor: one hit, so a rate of 0 is not infinitely small
    return (recent_hits / recent_n) >= ratio * before_rate


__all__ = ["fired_triggers", "hostile_messages", "own_distress_rising", "rate_rising"]
