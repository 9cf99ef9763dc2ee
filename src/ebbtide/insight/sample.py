"""Hand-made, realistic Assessments for each Pattern.

WHY: the insight layer, the reports and the web UI need to be built and tested against every
verdict without waiting for (or depending on) the signals layer and a matching chat. These are
fabricated numbers in the exact shape ``ebbtide.signals.assess`` returns; never shown to users
except as clearly simulated examples.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import polars as pl

from ebbtide.model import (
    Assessment,
    Coverage,
    Dip,
    Evidence,
    MetricChange,
    Pattern,
    SignId,
    SignResult,
    SignStatus,
)

START = date(2025, 1, 6)
WEEKS = 36


def _weekly(me: str, partner: str, *, drop_me: float, drop_partner: float, pursue: bool, seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    weeks = [START + timedelta(weeks=i) for i in range(WEEKS)]
    rows = []
    for person, drop in ((me, drop_me), (partner, drop_partner)):
        for i, wk in enumerate(weeks):
            late = i >= WEEKS - 8
            dip = 12 <= i < 17 and person == partner  # an earlier dip that recovered
            factor = (1 - drop) if late else (0.6 if dip else 1.0)
            if pursue and person == me and late:
                factor = 1.3
            messages = max(0, int(rng.normal(120 * factor, 10)))
            rows.append({
                "week": wk, "person": person, "messages": messages, "words": messages * 6,
                "initiations": max(0, int(rng.normal(5 * factor, 1))), "sessions": 9,
                "reply_rate": float(np.clip(rng.normal(0.9 * factor, 0.03), 0, 1)),
                "median_reply_min": float(max(1, rng.normal(6 / max(factor, 0.2), 1))),
                "p75_reply_min": float(max(2, rng.normal(20 / max(factor, 0.2), 3))),
                "mean_words": float(rng.normal(6 * factor, 0.5)),
                "questions_per_msg": float(max(0, rng.normal(0.15 * factor, 0.02))),
                "affection_per_msg": float(max(0, rng.normal(0.12 * factor, 0.02))),
                "warmth": float(rng.normal(0.3 * factor, 0.05)),
                "meetup_msgs": max(0, int(rng.normal(6 * factor, 1))),
                "plan_questions_received": 4, "evasive_answers": 1 if not late else 3,
                "unanswered_bids": 1 if not late else 4, "double_texts": 2 if not (pursue and late) else 9,
                "lsm": float(rng.normal(0.85 if not late else 0.7, 0.03)),
            })
    return pl.DataFrame(rows)


def _metric(id_: str, label: str, base: float, recent: float, unit: str = "", direction: str = "down") -> MetricChange:
    change = recent / base - 1 if base else None
    return MetricChange(
        id=id_, label=label, baseline=base, recent=recent, change=change,
        ci_low=None if change is None else change - 0.12, ci_high=None if change is None else change + 0.12,
        unit=unit, withdrawal_direction=direction,
    )


def _signs(person: str, other: str, detected: bool, since: date, *, space: bool) -> list[SignResult]:
    t = datetime.combine(since, datetime.min.time()) + timedelta(days=20, hours=19)
    if not detected:
        return [
            SignResult(sign=s, person=person, status=SignStatus.NOT_DETECTED,
                       metrics=(_metric("messages_per_week", "messages per week", 120, 118),))
            for s in SignId if s is not SignId.INCREASED_TIME_APART
        ] + [SignResult(sign=SignId.INCREASED_TIME_APART, person=person, status=SignStatus.NOT_DETECTED)]
    ev_comm = (Evidence(t, person, "", "no reply for 2 days after a question", context_before="how was your day?",
                        context_sender=other),)
    ev_intim = (Evidence(t - timedelta(days=3), person, "ok see you", "no affection where there usually is"),)
    ev_evasive = (
        Evidence(t - timedelta(days=1), person, "maybe, we'll see", "noncommittal answer to a plan question",
                 spans=((0, 5),), context_before="are we still on for Saturday?", context_sender=other),
    )
    ev_space = (
        Evidence(t - timedelta(days=5), person, "I think I need some space this week", "asked for space",
                 spans=((12, 27),)),
    ) if space else ()
    return [
        SignResult(SignId.DECREASED_COMMUNICATION, person, SignStatus.DETECTED, since, "clear",
                   (_metric("messages_per_week", "messages per week", 118.0, 64.0),
                    _metric("initiation_share", "share of conversations started", 0.5, 0.22)), ev_comm),
        SignResult(SignId.DECLINE_IN_INTIMACY, person, SignStatus.DETECTED, since + timedelta(weeks=1), "clear",
                   (_metric("affection_per_msg", "affectionate messages per message", 0.12, 0.04),), ev_intim),
        SignResult(SignId.INCREASED_TIME_APART, person, SignStatus.NOT_MEASURABLE,
                   note="too few messages about meeting up to compare; a chat cannot see time spent together"),
        SignResult(SignId.CHANGE_IN_ENGAGEMENT, person, SignStatus.DETECTED, since, "slight",
                   (_metric("median_reply_min", "typical reply time", 6.0, 41.0, "min", "up"),), ev_comm),
        SignResult(SignId.EVASIVE_RESPONSES, person, SignStatus.DETECTED, since + timedelta(weeks=2), "strong",
                   (_metric("evasive_share", "plan questions answered vaguely or not at all", 0.1, 0.6),),
                   ev_evasive + ev_space),
    ]


def sample_assessment(
    pattern: Pattern | str,
    *,
    me: str = "Alex",
    partner: str = "Sam",
    history: bool = True,
    space_request: bool = True,
    safety: bool = False,
    seed: int = 7,
) -> Assessment:
    """A realistic Assessment for ``pattern`` (the numbers are made up, the shape is real)."""
    pattern = Pattern(pattern)
    last = START + timedelta(weeks=WEEKS, days=-1)
    since = START + timedelta(weeks=WEEKS - (3 if pattern is Pattern.TOO_EARLY else 8))
    both = (Pattern.MUTUAL_DRIFT, Pattern.TOO_EARLY)
    partner_away = pattern in (Pattern.PARTNER_PULLING_AWAY, Pattern.PURSUE_WITHDRAW, *both)
    me_away = pattern in (Pattern.ME_PULLING_AWAY, *both)
    dips: list[Dip] = []
    if history:
        dips.append(Dip(partner, START + timedelta(weeks=12), START + timedelta(weeks=17), True, 5, -0.4))
        dips.append(Dip(me, START + timedelta(weeks=3), START + timedelta(weeks=5), True, 2, -0.3))
    if partner_away:
        dips.append(Dip(partner, since, None, False, 8, -0.45))
    if pattern is Pattern.INSUFFICIENT_DATA:
        signs = [
            SignResult(s, who, SignStatus.INSUFFICIENT_DATA, note="only 2 weeks of messages; at least 4 are needed")
            for who in (me, partner) for s in SignId
        ]
        coverage = Coverage(last - timedelta(days=13), last, 140, {me: 75, partner: 65}, 2, ("whatsapp",))
        return Assessment(me, partner, pattern, "There is not enough history to compare.", coverage, None, None,
                          tuple(signs), (), pl.DataFrame(), (), ())
    signs = _signs(partner, me, partner_away, since, space=space_request) + _signs(me, partner, me_away, since,
                                                                                       space=False)
    weekly = _weekly(me, partner, drop_me=0.45 if me_away else 0.0, drop_partner=0.45 if partner_away else 0.0,
                     pursue=pattern is Pattern.PURSUE_WITHDRAW, seed=seed)
    flags: tuple[Evidence, ...] = ()
    if safety:
        flags = (Evidence(datetime.combine(last, datetime.min.time()), partner,
                          "you're not going out with them, give me your phone", "controlling language"),)
    coverage = Coverage(
        START, last, 8400, {me: 4300, partner: 4100}, WEEKS, ("whatsapp",),
        ("A chat log does not see time spent together or calls.",),
    )
    return Assessment(
        me=me, partner=partner, pattern=pattern,
        pattern_explanation=f"sample assessment for {pattern.value}",
        coverage=coverage,
        baseline=(START + timedelta(weeks=2), START + timedelta(weeks=10) - timedelta(days=1)),
        recent=(since, last),
        signs=tuple(signs), dips=tuple(dips), weekly=weekly,
        change_points=(START + timedelta(weeks=12), since) if pattern is not Pattern.STABLE else (),
        safety_flags=flags,
    )
