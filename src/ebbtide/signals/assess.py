"""``assess``: the signals layer end to end, from a feature frame to one ``Assessment``.

Order: weekly table -> change points -> recent and baseline periods -> five signs per person ->
verdict -> dips -> safety flags -> coverage. Method and thresholds: docs/signals.md.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import cast

import polars as pl

from ebbtide.errors import EbbtideError, UnknownParticipant
from ebbtide.model import Assessment, Coverage, Pattern, SignId, SignResult, SignStatus
from ebbtide.signals import baseline as bl
from ebbtide.signals import changepoints as cp
from ebbtide.signals.dips import find_dips
from ebbtide.signals.evidence import in_period, with_matches
from ebbtide.signals.pattern import (
    INSUFFICIENT_TEXT,
    joint_recent_drop,
    pursuing,
    too_early_text,
    verdict,
    withdrawing,
)
from ebbtide.signals.safety import safety_scan
from ebbtide.signals.signs import judge_person, person_context
from ebbtide.signals.weekly import prepare, weekly_metrics

MIN_LANGUAGE_SHARE = 0.5  # share of text messages with language features to read language-based signs
LIMITS_NOTE = ("a chat log does not see time spent together, calls, or talk on other apps; "
               "changes here are patterns in messages, not feelings")
LIMITS_NOTE_CALLS = ("calls in this export count as time together on the line (in conversations and in time apart); "
                     "a chat log does not see time spent together in person or talk on other apps; changes here "
                     "are patterns in messages and calls, not feelings")


def _pick_partner(features: pl.DataFrame, me: str) -> str:
    counts = (features.get_column("sender").value_counts(name="len")
              .filter((pl.col("sender") != me) & (pl.col("sender") != ""))
              .sort(["len", "sender"], descending=[True, False]))
    if counts.height == 0:
        raise EbbtideError(f"only {me!r} wrote in this conversation", where="analysis",
                           fix="analyse a two-person chat with messages from both people")
    return str(counts.get_column("sender")[0])


def assess(features: pl.DataFrame, *, me: str, partner: str | None = None,
           baseline: tuple[date, date] | None = None, today: date | None = None, seed: int = 0) -> Assessment:
    """Measure the five signs for both people against their own baseline and give one verdict.

    ``features``: ``ebbtide.features.build_features`` output for one conversation. ``me``: the user's
    name as in the export; ``partner``: the other main sender (default: the other person who wrote the
    most). ``baseline``: explicit (start, end) dates instead of the automatic closest stretch.
    ``today``: analyse as of this date (later messages ignored; weeks of silence up to it count).
    ``seed``: seed of the bootstrap (results are deterministic for a seed).
    """
    if "sender" not in features.columns or "timestamp" not in features.columns:
        raise EbbtideError("the feature frame has no sender/timestamp columns", where="analysis",
                           fix="build it with ebbtide.features.build_features")
    if features.height == 0:
        raise EbbtideError("the conversation has no messages to analyse", where="analysis",
                           fix="check that the export holds messages (a chat exported 'without media' still has text)")
    senders = set(features.get_column("sender").unique().to_list()) - {""}
    if me not in senders:
        raise UnknownParticipant(f"{me!r} did not write in this conversation", where="--me",
                                 fix="choose one of: " + ", ".join(sorted(senders)) if senders else "")
    if partner is None:
        partner = _pick_partner(features, me)
    elif partner not in senders:
        raise UnknownParticipant(f"{partner!r} did not write in this conversation", where="--partner",
                                 fix="choose one of: " + ", ".join(sorted(senders - {me})))
    if today is not None:
        features = features.filter(pl.col("timestamp") < datetime.combine(today + timedelta(days=1),
                                                                          datetime.min.time()))
    prepared = prepare(features, me, partner)
    last = today or (cast(datetime, prepared.get_column("timestamp").max()).date() if prepared.height else None)
    weekly = weekly_metrics(prepared, me, partner, last=last)
    has_calls = bool(prepared.height) and bool((prepared.get_column("kind") == "call").any())
    coverage_notes = [LIMITS_NOTE_CALLS if has_calls else LIMITS_NOTE]
    language = _language_ok(prepared)
    if not language and prepared.height:
        coverage_notes.append("the chat's language is not one the tool reads, so signs read from words "
                              "(affection, warmth, plans, meeting up, vague answers) are not measured")
    if prepared.height and _minute_precision(prepared):
        coverage_notes.append("times in this export are to the minute: replies within the same minute read as 0")
    series = {p: cp.engagement_series(weekly, p) for p in (me, partner)} if weekly.height else {}
    cps = [c for p, (wk, y) in series.items() for c in cp.detect_series(wk, y, p)]
    declines = {p: cp.decline_onset(wk, y, cps, p) for p, (wk, y) in series.items()}
    periods = bl.choose(weekly, [o for o in declines.values() if o is not None], override=baseline) \
        if weekly.height else bl.Periods(None, None, (), (), f"no messages from {me} or {partner} up to {last}")
    if periods.baseline_weeks:  # the onset of a decline that began after the (possibly chosen) baseline
        base_end = periods.baseline_weeks[-1]
        declines = {p: cp.decline_onset(wk, y, cps, p, after=base_end) for p, (wk, y) in series.items()}
    if periods.note:
        coverage_notes.append(periods.note)
    recent_rows = with_matches(in_period(prepared, periods.recent), features)
    signs: list[SignResult] = []
    away: dict[str, bool] = {}
    pursues: dict[str, bool] = {}
    for person in (me, partner):
        ctx = person_context(weekly, recent_rows, person, periods, cps, language, seed=seed,
                             onset=declines.get(person))
        results, _ = judge_person(ctx)
        signs.extend(results)
        away[person] = withdrawing(results, ctx)
        pursues[person] = pursuing(ctx) if periods.baseline_weeks else False
    if not periods.baseline_weeks or all(s.status is SignStatus.INSUFFICIENT_DATA for s in signs
                                         if s.sign is SignId.DECREASED_COMMUNICATION):
        pattern, explanation = Pattern.INSUFFICIENT_DATA, INSUFFICIENT_TEXT
    else:
        pattern, explanation = verdict(me, partner, away[me], away[partner], pursues[me], pursues[partner])
        if pattern is Pattern.MUTUAL_DRIFT and joint_recent_drop(signs, me, partner, last):
            pattern, explanation = Pattern.TOO_EARLY, too_early_text(me, partner)
    dips = tuple(d for person in (me, partner) for d in find_dips(weekly, person, declines.get(person)))
    vc = dict(prepared.get_column("sender").value_counts(name="n").iter_rows())
    by_person = {p: int(vc.get(p, 0)) for p in (me, partner)}
    platforms = tuple(sorted(prepared.get_column("platform").unique().to_list())) if "platform" in prepared.columns \
        and prepared.height else ()
    coverage = Coverage(
        first=cast(datetime, prepared.get_column("timestamp").min()).date() if prepared.height else None,
        last=last, messages=prepared.height, by_person=by_person,
        weeks=weekly.get_column("week").n_unique() if weekly.height else 0, platforms=platforms,
        notes=tuple(coverage_notes),
    )
    clear, ambiguous, _ = safety_scan(prepared, me)
    return Assessment(
        me=me, partner=partner, pattern=pattern, pattern_explanation=explanation, coverage=coverage,
        baseline=periods.baseline, recent=periods.recent, signs=tuple(signs), dips=dips, weekly=weekly,
        change_points=tuple(sorted({c.week for c in cps})), safety_flags=clear, safety_ambiguous=ambiguous,
    )


def _language_ok(prepared: pl.DataFrame) -> bool:
    n_text, n_lang = prepared.select(pl.col("is_text").sum(), pl.col("lang_ok").sum()).row(0)
    return bool(n_text) and n_lang / n_text >= MIN_LANGUAGE_SHARE


def _minute_precision(prepared: pl.DataFrame) -> bool:
    p = prepared.get_column("latency_precision_s").drop_nulls()
    if p.len():
        return bool(p.max() == 60)  # type: ignore[comparison-overlap]
    return bool((prepared.get_column("timestamp").dt.second() == 0).all())
