"""``explain``: from an Assessment to an Insight (reasons, plan, FAQ, safety, limits).

WHY one entry point: the reports, the web UI and the CLI all need the same selection logic, and
keeping it here (with all wording in data files) means they can never disagree.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime, time

import polars as pl

from ebbtide.insight.faq import answer_faq, history_sentence
from ebbtide.insight.hints import (
    Hints,
    hints_from_assessment,
    hints_from_features,
    merge_hints,
    reason_specs,
    recent_start,
    withdrawing_person,
)
from ebbtide.insight.plan import PlanContext, build_plan
from ebbtide.insight.reasons import rank_reasons
from ebbtide.insight.safety import is_safety_answer, safety_message
from ebbtide.insight.wording import fill, load, sign_label
from ebbtide.model import Assessment, Evidence, Insight, Pattern, ReasonId, SignId, SignStatus

STRENGTH_ORDER = {"strong": 0, "clear": 1, "slight": 2, "none": 3}
SUSTAINED_WEEKS = 4  # evidence.md 4.2 rule 6: 4+ weeks of sustained decline
CONFLICT_HINTS = 3  # conflict messages in the recent stretch that call for a professional
DISTRESS_MIN_MESSAGES = 3
DISTRESS_RATIO = 2.0  # the user's own stress/vulnerability rate at least doubled vs their baseline


def explain(
    assessment: Assessment,
    *,
    reflection: Mapping[ReasonId, int] | None = None,
    safety_answer: bool | str | None = None,
    hints: Mapping[ReasonId, Hints | Sequence[Evidence]] | None = None,
    features: pl.DataFrame | None = None,
) -> Insight:
    """Reasons, plan, FAQ and limits for one assessed couple.

    - ``reflection``: the user's own view of how well each reason fits (0 = not at all .. 3 = very).
    - ``safety_answer``: the user's answer to "do you ever feel afraid of or controlled by your
      partner?" (True / "yes" turns on safety-first, like a safety flag in the messages).
    - ``hints``: extra messages hinting at reasons (e.g. from another analysis); ``features``: the
      features frame of the conversation, whose language columns give the message hints.

    Crisis lines are not part of the Insight: the reports list them (ordered by ``--country``).
    """
    about_me = assessment.pattern is Pattern.ME_PULLING_AWAY
    withdrawer = withdrawing_person(assessment)
    since = recent_start(assessment)
    end = _end(assessment)

    feature_hints = hints_from_features(features, person=withdrawer, since=since) if features is not None else {}
    extra = {k: (v if isinstance(v, Hints) else Hints(len(v), tuple(v))) for k, v in (hints or {}).items()}
    all_hints = merge_hints(hints_from_assessment(assessment, person=withdrawer), feature_hints, extra)

    reasons = rank_reasons(
        all_hints, me=assessment.me, partner=assessment.partner, about_me=about_me, reflection=reflection
    )
    safety = bool(assessment.safety_flags) or is_safety_answer(safety_answer)
    signs = _detected(assessment, withdrawer)
    findings = _findings(all_hints)
    recovered = sorted((d for d in assessment.dips if d.recovered), key=lambda d: (d.start, d.person == withdrawer))
    history = history_sentence(recovered[-1]) if recovered else ""
    weeks = _weeks(since, end) if assessment.pattern not in (Pattern.STABLE, Pattern.INSUFFICIENT_DATA) else None
    triggers = _triggers(assessment, all_hints, features, since=since, end=end, safety=safety)
    ctx = PlanContext(
        me=assessment.me, partner=assessment.partner, pattern=assessment.pattern, signs=signs,
        findings=findings, triggers=triggers, history=history, safety=safety, weeks=weeks,
    )
    faq = answer_faq(
        me=assessment.me, partner=assessment.partner, dips=assessment.dips, withdrawer=withdrawer,
        withdrawer_signs=signs,
    )
    return Insight(
        reasons=reasons,
        plan=build_plan(ctx),
        faq=faq,
        headline=headline(assessment, since=since, weeks=weeks),
        safety_first=safety,
        safety_message=safety_message(from_messages=bool(assessment.safety_flags)) if safety else "",
        limits=limits(assessment),
    )


def headline(assessment: Assessment, *, since: date | None, weeks: int | None) -> str:
    """The verdict in plain, hedged words (patterns.toml)."""
    data = load("patterns")
    since_phrase = fill(data["since_phrase"], since=since) if since and weeks else ""
    weeks_phrase = fill(data["weeks_phrase"], weeks=weeks) if weeks else ""
    return fill(
        data["headline"][assessment.pattern.value], me=assessment.me, partner=assessment.partner,
        since_phrase=since_phrase, weeks_phrase=weeks_phrase,
    )


def limits(assessment: Assessment) -> tuple[str, ...]:
    """What cannot be measured: always-true limits, unmeasurable signs, coverage notes."""
    data = load("limits")
    out = [fill(t, me=assessment.me, partner=assessment.partner) for t in data["always"]]
    for s in assessment.signs:
        if s.status is SignStatus.NOT_MEASURABLE:
            out.append(fill(data["not_measurable_sign"], sign=sign_label(s.sign.value), person=s.person, note=s.note))
        elif s.status is SignStatus.INSUFFICIENT_DATA:
            out.append(fill(data["insufficient_sign"], sign=sign_label(s.sign.value), person=s.person, note=s.note))
    out.extend(n for n in assessment.coverage.notes if n not in out)
    return tuple(dict.fromkeys(t.strip()[0].upper() + t.strip()[1:] for t in out if t.strip()))


def _end(assessment: Assessment) -> date | None:
    if assessment.recent:
        return assessment.recent[1]
    return assessment.coverage.last


def _weeks(since: date | None, end: date | None) -> int | None:
    if not since or not end or end < since:
        return None
    return max(1, round((end - since).days / 7))


def _detected(assessment: Assessment, person: str) -> tuple[SignId, ...]:
    found = [s for s in assessment.signs if s.person == person and s.status is SignStatus.DETECTED]
    found.sort(key=lambda s: STRENGTH_ORDER.get(s.strength, 3))
    return tuple(s.sign for s in found)


def _findings(hints: Mapping[ReasonId, Hints]) -> frozenset[str]:
    """Findings that shape the plan, e.g. {"space_request", "stress"}.

    A reason's finding (its first feature column) counts when one of its messages came from that
    feature column or matches its ``finding_patterns`` (reasons.toml).
    """
    found: set[str] = set()
    for reason, spec in reason_specs().items():
        cols = spec.get("features", [])
        h = hints.get(reason)
        if not cols or not h:
            continue
        patterns = [re.compile(p, re.IGNORECASE) for p in spec.get("finding_patterns", [])]
        if any(
            e.why == spec.get("hint_why") or any(p.search(e.why) or p.search(e.text) for p in patterns)
            for e in h.evidence
        ):
            found.add(cols[0])
    return frozenset(found)


def _triggers(
    assessment: Assessment,
    hints: Mapping[ReasonId, Hints],
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
        if assessment.pattern not in (Pattern.STABLE, Pattern.INSUFFICIENT_DATA):
            fired.append("sustained_decline")
    conflict_count = sum(
        1 for e in hints.get(ReasonId.COMMUNICATION_BREAKDOWN, Hints()).evidence if "conflict" in e.why
        or e.why == reason_specs()[ReasonId.COMMUNICATION_BREAKDOWN].get("hint_why")
    )
    conflict_rising = (
        features is None
        or since is None
        or rate_rising(features, ("conflict",), since=since, min_hits=CONFLICT_HINTS)
    )
    if conflict_count >= CONFLICT_HINTS and conflict_rising:
        fired.append("conflict")
    if features is not None and since is not None and own_distress_rising(features, me=assessment.me, since=since):
        fired.append("own_distress")
    return tuple(fired)


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


__all__ = ["explain", "headline", "limits", "own_distress_rising", "rate_rising"]
