"""Ruptures and repairs: tense or cold spells, the bids to repair them, and the time to reconnect.

Method (docs/repair.md):

1. Per message, the words (``features.repair.mark_repair``: hostile words, apologies, taking the blame,
   offers to talk, laughter) and the language layer's ``conflict`` column. A **tense** message is
   hostile or conflict.
2. Per person and day (a full calendar, silent days are zeros): messages written, tense messages.
3. A **conflict** rupture: a day with at least ``TENSE_PER_DAY`` tense messages (either person), one of
   them hostile, or ``TENSE_ALONE`` tense messages from both people;
   tense days within ``MERGE_DAYS`` of each other are one episode, starting on the first.
   A **cold spell**: a person who usually writes every day (at least ``COLD_MIN_USUAL`` messages a day
   over the 4 weeks before) silent for ``COLD_DAYS`` days or more, while the other wrote on at least two
   of those days, and right after a normal week (a sharp change, not a slow fade: the weekly signs
   and dips measure those). A cold spell that starts within ``MERGE_DAYS`` of a conflict is its
   aftermath: one episode.
4. **Usual contact** of each person: their mean messages a day over the ``USUAL_DAYS`` days before the
   episode. **Back to usual**: the first day from which their mean over ``BACK_WINDOW`` days reaches
   ``BACK_SHARE`` of that usual, with no tense message in those days. **Time to reconnect**: days from
   the start to that day. Not back by the end of the chat: ongoing.
5. **Repair bids** between the start and the day after the reconnection (at most ``BID_DAYS`` days): an apology, taking
   the blame, an offer to talk, a call, and laughter after a tense message; a message that is itself
   hostile ("sorry but you never listen") is not a bid.

Per-message work is vectorised (Polars); the loop is over episodes (a handful per year).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import numpy as np
import polars as pl

from ebbtide.model import Assessment, Evidence
from ebbtide.model.repair import Rupture

TENSE_PER_DAY = 2  # tense messages in a day, at least one of them hostile ...
TENSE_ALONE = 3  # ... or this many tense messages (misunderstandings: "that's not what I meant")
MERGE_DAYS = 3
USUAL_DAYS = 28
MIN_HISTORY_DAYS = 21  # days of chat before an episode needed to know the usual
COLD_DAYS = 3
COLD_MIN_USUAL = 2.0
BACK_WINDOW = 3
BACK_SHARE = 0.6
BID_DAYS = 28
MAX_EVIDENCE = 3
BID_WHY = {"apology": "an apology", "own_fault": "taking a share of the blame", "talk": "an offer to talk",
           "call": "a call", "humour": "humour after a tense moment"}


def _daily(f: pl.DataFrame, people: list[str], first: date, last: date) -> pl.DataFrame:
    """One row per day and person: messages, tense messages (zeros on silent days)."""
    days = pl.DataFrame({"day": pl.date_range(first, last, "1d", eager=True)})
    grid = days.join(pl.DataFrame({"person": people}), how="cross")
    counts = f.group_by("day", pl.col("sender").alias("person")).agg(
        pl.len().cast(pl.Int64).alias("messages"), pl.col("tense").sum().cast(pl.Int64).alias("tense"),
        pl.col("hostile").sum().cast(pl.Int64).alias("hostile"))
    return (grid.join(counts, on=["day", "person"], how="left")
            .with_columns(pl.col("messages").fill_null(0), pl.col("tense").fill_null(0), pl.col("hostile").fill_null(0))
            .sort(["person", "day"]))


def _prepared(features: pl.DataFrame, me: str, partner: str) -> pl.DataFrame:
    from ebbtide.features.repair import mark_repair

    keep = [c for c in ("timestamp", "sender", "text", "kind", "conflict") if c in features.columns]
    f = features.lazy().select(keep).filter(pl.col("sender").is_in([me, partner]) & (pl.col("kind") != "system")).collect()
    if f.is_empty():
        return f
    f = mark_repair(f)
    conflict = pl.col("conflict").fill_null(False) if "conflict" in f.columns else pl.lit(False)
    return f.with_columns(
        pl.col("timestamp").dt.date().alias("day"),
        (pl.col("hostile") | conflict).alias("tense"),
    ).sort("timestamp", maintain_order=True)


def _relevant(f: pl.DataFrame) -> pl.DataFrame:
    """The rows ``_bids`` and the tension evidence can use: tense messages and possible repair bids (a few
    in a hundred), so the per-episode work does not scan every message."""
    return f.filter(pl.col("tense") | pl.col("apology") | pl.col("own_fault") | pl.col("talk_bid")
                    | (pl.col("kind") == "call") | pl.col("laugh"))


def _runs(flags: pl.DataFrame, col: str) -> pl.DataFrame:
    """Runs of consecutive True days of ``col`` per person: person, start, end, days."""
    return (flags.with_columns((pl.col(col) != pl.col(col).shift(1).over("person")).fill_null(True)
                               .cum_sum().over("person").alias("_run"))
            .filter(pl.col(col))
            .group_by("person", "_run").agg(pl.col("day").min().alias("start"), pl.col("day").max().alias("end"),
                                             pl.len().alias("days"), pl.col("other_active").sum().alias("other_days"))
            .sort("start"))


def _tense_days(daily: pl.DataFrame) -> pl.DataFrame:
    """Per day: whether it is a quarrel (see the module docstring, step 3)."""
    both = daily.group_by("day").agg(pl.col("tense").sum(), pl.col("hostile").sum(),
                                     (pl.col("tense") > 0).sum().alias("tense_people")).sort("day")
    return both.with_columns((((pl.col("tense") >= TENSE_PER_DAY) & (pl.col("hostile") >= 1))
                              | ((pl.col("tense") >= TENSE_ALONE) & (pl.col("tense_people") >= 2))).alias("rupture_day"))


def _episodes(daily: pl.DataFrame, tense: pl.DataFrame, people: list[str], first: date) -> list[tuple[date, str, str]]:
    """(start, kind, quiet person) of every episode, oldest first (``tense``: ``_tense_days(daily)``)."""
    tense_days = tense.filter(pl.col("rupture_day")).get_column("day").to_list()
    d = daily.with_columns(
        pl.col("messages").shift(1).rolling_mean(USUAL_DAYS, min_samples=MIN_HISTORY_DAYS).over("person")
        .alias("usual"),
        pl.col("messages").shift(1).rolling_mean(7, min_samples=7).over("person").alias("last_week"),
    )
    other = d.select("day", pl.col("person").alias("_other"), (pl.col("messages") > 0).alias("other_active"))
    pairs = {people[0]: people[1], people[1]: people[0]}
    d = d.with_columns(pl.col("person").replace_strict(pairs).alias("_other")).join(
        other, on=["day", "_other"], how="left")
    d = d.with_columns((pl.col("messages") == 0).alias("silent"))
    cold = []
    for row in _runs(d, "silent").filter((pl.col("days") >= COLD_DAYS) & (pl.col("other_days") >= 2)).iter_rows(
            named=True):
        at = d.filter((pl.col("person") == row["person"]) & (pl.col("day") == row["start"]))
        usual, week = at.get_column("usual")[0], at.get_column("last_week")[0]
        if usual is None or week is None or usual < COLD_MIN_USUAL or week < 0.5 * usual:
            continue
        cold.append((row["start"], "cold_spell", str(row["person"])))
    events = sorted([(t, "conflict", "") for t in tense_days] + cold)
    merged: list[tuple[date, str, str]] = []
    latest: date | None = None  # the last event of the current episode
    for start, kind, quiet in events:
        if start < first + timedelta(days=MIN_HISTORY_DAYS):
            continue
        if merged and latest is not None and (start - latest).days <= MERGE_DAYS:
            prev = merged[-1]
            merged[-1] = (prev[0], prev[1], prev[2] or quiet)  # a cold spell right after a quarrel: its aftermath
            latest = max(latest, start)
            continue
        merged.append((start, kind, quiet))
        latest = start
    return merged


def _ahead(daily: pl.DataFrame, tense: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """Per person, each day's mean messages over the BACK_WINDOW days from it and whether one of those days
    is a quarrel (a rupture-level day): what ``_back`` reads, computed once for every episode."""
    t_all = tense.select("day", pl.col("rupture_day").cast(pl.Int64).alias("t_all"))
    out = {}
    for person in daily.get_column("person").unique(maintain_order=True).to_list():
        out[person] = (daily.filter(pl.col("person") == person).join(t_all, on="day").sort("day").with_columns(
            pl.col("messages").rolling_mean(BACK_WINDOW).shift(-(BACK_WINDOW - 1)).alias("ahead"),
            pl.col("t_all").rolling_sum(BACK_WINDOW).shift(-(BACK_WINDOW - 1)).alias("t_ahead"))
            .filter((pl.col("messages") > 0) & (pl.col("t_ahead") == 0))
            .select("day", "ahead"))
    return out


def _back(ahead: pl.DataFrame, start: date, last: date, usual: float) -> date | None:
    """First day after ``start`` from which the person's mean over BACK_WINDOW days reaches BACK_SHARE of
    ``usual`` with no quarrel (a rupture-level day) in those days (``ahead``: ``_ahead``'s frame of the person)."""
    ok = ahead.filter((pl.col("day") > start) & (pl.col("ahead") >= BACK_SHARE * usual))
    if ok.is_empty():
        return None
    day = ok.get_column("day")[0]
    return day if day <= last else None


def _evidence(rows: pl.DataFrame, why: str | pl.Series) -> tuple[Evidence, ...]:
    whys = [why] * rows.height if isinstance(why, str) else why.to_list()
    return tuple(Evidence(timestamp=r["timestamp"], sender=r["sender"],
                          text=r["text"] or ("(a call)" if r["kind"] == "call" else ""), why=w)
                 for r, w in zip(rows.iter_rows(named=True), whys, strict=True))


def _days(f: pl.DataFrame, day: np.ndarray, start: date, until: date) -> pl.DataFrame:
    """The rows of ``f`` (sorted by time; ``day``: its days as numpy dates) from ``start`` to ``until``, both
    included."""
    lo = int(np.searchsorted(day, np.datetime64(start, "D"), side="left"))
    hi = int(np.searchsorted(day, np.datetime64(until, "D"), side="right"))
    return f.slice(lo, hi - lo)


def _bids(window: pl.DataFrame) -> tuple[tuple[Evidence, ...], tuple[tuple[str, str], ...]]:
    """The repair bids among the rows of an episode's window (``_days``)."""
    first_tense = window.filter(pl.col("tense")).get_column("timestamp").min()
    after_tension = (pl.col("timestamp") > first_tense) if first_tense is not None else pl.lit(False)
    kind = (pl.when(pl.col("hostile")).then(None)
            .when(pl.col("apology")).then(pl.lit("apology"))
            .when(pl.col("own_fault")).then(pl.lit("own_fault"))
            .when(pl.col("talk_bid")).then(pl.lit("talk"))
            .when(pl.col("kind") == "call").then(pl.lit("call"))
            .when(pl.col("laugh") & after_tension).then(pl.lit("humour"))
            .otherwise(None))
    bids = window.with_columns(kind.alias("_bid")).filter(pl.col("_bid").is_not_null())
    if bids.is_empty():
        return (), ()
    # Per person, the first bid of each kind (the evidence the user can check), oldest first.
    firsts = bids.group_by("sender", "_bid").agg(pl.all().first()).sort("timestamp")
    kinds = firsts.get_column("_bid").to_list()
    evidence = _evidence(firsts, pl.Series([BID_WHY[k] for k in kinds]))
    return evidence, tuple(zip(firsts.get_column("sender").to_list(), kinds, strict=True))


def find_ruptures(features: pl.DataFrame, *, me: str, partner: str) -> tuple[Rupture, ...]:
    """Every rupture of the couple with its repair bids and each person's time to reconnect, oldest first."""
    need = {"timestamp", "sender", "text", "kind"}
    if features is None or features.is_empty() or not need <= set(features.columns):
        return ()
    f = _prepared(features, me, partner)
    if f.is_empty():
        return ()
    first, last = f.get_column("day").min(), f.get_column("day").max()
    assert isinstance(first, date) and isinstance(last, date)
    people = [me, partner]
    daily = _daily(f, people, first, last)
    tense = _tense_days(daily)
    ahead = _ahead(daily, tense)
    f = _relevant(f)
    day = f.get_column("day").to_numpy().astype("datetime64[D]")
    # each person's messages per day (the full calendar from ``first``) and their running sums, for the usual
    counts = {p: daily.filter(pl.col("person") == p).sort("day").get_column("messages").to_numpy() for p in people}
    sums = {p: np.concatenate([[0], np.cumsum(c)]) for p, c in counts.items()}
    out = []
    for start, kind, quiet in _episodes(daily, tense, people, first):
        i = (start - first).days  # the days before: [i - USUAL_DAYS, i - 1], within the chat
        lo = max(0, i - USUAL_DAYS)
        usual = {p: (float(sums[p][i] - sums[p][lo]) / (i - lo) if i > lo else 0.0) for p in people}
        back_on: dict[str, date | None] = {}
        days: dict[str, int | None] = {}
        for p in people:
            when = _back(ahead[p], start, last - timedelta(days=BACK_WINDOW - 1), usual[p]) if usual[p] >= 0.5 else None
            back_on[p] = when
            days[p] = None if when is None else 0 if (when - start).days <= 1 else (when - start).days
        measured = [p for p in people if usual[p] >= 0.5]
        ongoing = any(back_on[p] is None for p in measured)
        ends = [d for d in back_on.values() if d is not None]
        until = min(max(ends) + timedelta(days=1) if ends and not ongoing else last, start + timedelta(days=BID_DAYS))
        bids, bid_list = _bids(_days(f, day, start, until))
        tense_rows = _days(f, day, start, start + timedelta(days=MERGE_DAYS)).filter(pl.col("tense"))
        out.append(Rupture(
            start=start, kind=kind, quiet=quiet, tension=_evidence(tense_rows.head(MAX_EVIDENCE), "tense message"),
            bids=bids, bid_list=bid_list, usual={p: round(usual[p], 2) for p in people}, back_on=back_on,
            days_to_reconnect=days, ongoing=ongoing,
        ))
    return tuple(out)


def with_ruptures(assessment: Assessment, features: pl.DataFrame | None) -> Assessment:
    """The assessment with its ruptures measured (``Assessment.ruptures``)."""
    if features is None:
        return assessment
    return replace(assessment, ruptures=find_ruptures(features, me=assessment.me, partner=assessment.partner))


__all__ = ["find_ruptures", "with_ruptures"]
