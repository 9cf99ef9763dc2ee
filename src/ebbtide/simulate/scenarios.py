"""Scenario specs: how each person's behaviour changes week by week, and the truth that goes with it.

A scenario does not write messages itself. It gives, for every week and each role ("me", "partner"),
three levels between 0 and 1 that the message generator (``couple.py``) turns into rates:

* ``withdraw`` — pulling away: fewer initiations, slower and rarer replies, shorter, less affection,
  more noncommittal answers, fewer meet-ups;
* ``pursue`` — pursuing: more messages, double texts, questions, "are we ok?";
* ``stress`` — outside stress: stress talk, short replies, a bit slower (not a withdrawal of warmth);
* ``evasive`` (optional) — an extra chance of answering plan questions vaguely;

plus a couple-level ``quiet`` (holiday/away: both write much less). Keeping the levels separate from the
wording means the planted truth is exact (we know the week it starts) and the tests can check it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ebbtide.model import Pattern

ROLES: tuple[str, str] = ("me", "partner")


@dataclass(slots=True)
class Trajectory:
    """Weekly levels per role (lists of length ``weeks``) plus the planted events in week indexes."""

    weeks: int
    withdraw: dict[str, list[float]] = field(default_factory=dict)
    pursue: dict[str, list[float]] = field(default_factory=dict)
    stress: dict[str, list[float]] = field(default_factory=dict)
    quiet: list[float] = field(default_factory=list)
    evasive: dict[str, list[float]] = field(default_factory=dict)  # extra chance of a vague answer to plans
    change_week: int | None = None  # first week of the planted change
    change_end_week: int | None = None  # first week back to normal (recovered), if any
    holiday_weeks: tuple[int, ...] = ()
    stress_weeks: tuple[int, ...] = ()
    space_request_week: int | None = None  # week the withdrawing person asks for space (once)
    dip_span: tuple[int, int] | None = None  # [start, end) weeks of a temporary dip that recovered

    @classmethod
    def flat(cls, weeks: int) -> Trajectory:
        zeros = [0.0] * weeks
        return cls(
            weeks=weeks,
            withdraw={r: list(zeros) for r in ROLES},
            pursue={r: list(zeros) for r in ROLES},
            stress={r: list(zeros) for r in ROLES},
            quiet=list(zeros),
        )


@dataclass(frozen=True, slots=True)
class ScenarioSpec:
    """One named scenario: its verdict, who withdraws/pursues, and how to build its trajectory."""

    name: str
    pattern: Pattern
    description: str
    withdrawing: tuple[str, ...]  # roles ("me"/"partner")
    pursuing: tuple[str, ...]
    build: Callable[[int], Trajectory]
    dipped: tuple[str, ...] = ()  # roles with a temporary dip that recovered
    default_weeks: int = 40


def _ramp(levels: list[float], start: int, length: int, top: float, end: int | None = None) -> None:
    """Rise linearly from 0 to ``top`` over ``length`` weeks from ``start``, hold until ``end`` (exclusive)."""
    stop = len(levels) if end is None else min(end, len(levels))
    for week in range(max(start, 0), stop):
        step = min(1.0, (week - start + 1) / max(length, 1))
        levels[week] = max(levels[week], top * step)


def _change_week(weeks: int) -> int:
    """Where a planted change starts: after a baseline of at least ~60 % of the chat (close phase first)."""
    return max(4, round(weeks * 0.6))


def _stable(weeks: int) -> Trajectory:
    return Trajectory.flat(weeks)


def _stable_with_holiday(weeks: int) -> Trajectory:
    t = Trajectory.flat(weeks)
    week = max(2, weeks // 2)
    t.quiet[week] = 1.0
    t.holiday_weeks = (week,)
    return t


def _stable_with_stress_week(weeks: int) -> Trajectory:
    t = Trajectory.flat(weeks)
    week = max(2, round(weeks * 0.55))
    t.stress["partner"][week] = 1.0
    t.stress_weeks = (week,)
    return t


def _partner_pulling_away(weeks: int) -> Trajectory:
    t = Trajectory.flat(weeks)
    c = _change_week(weeks)
    _ramp(t.withdraw["partner"], c, 3, 0.85)
    t.change_week = c
    t.space_request_week = min(weeks - 1, c + 4)
    return t


def _pursue_withdraw(weeks: int) -> Trajectory:
    t = Trajectory.flat(weeks)
    c = _change_week(weeks)
    _ramp(t.withdraw["partner"], c, 3, 0.85)
    _ramp(t.pursue["me"], c, 3, 1.0)
    t.change_week = c
    t.space_request_week = min(weeks - 1, c + 5)
    return t


def _mutual_drift(weeks: int) -> Trajectory:
    t = Trajectory.flat(weeks)
    c = _change_week(weeks)
    span = max(weeks - c, 1)
    _ramp(t.withdraw["me"], c, span, 0.75)
    _ramp(t.withdraw["partner"], c, span, 0.75)
    t.change_week = c
    return t


def _me_pulling_away(weeks: int) -> Trajectory:
    t = Trajectory.flat(weeks)
    c = _change_week(weeks)
    _ramp(t.withdraw["me"], c, 3, 0.85)
    t.change_week = c
    return t


def _recovered_dip(weeks: int) -> Trajectory:
    t = Trajectory.flat(weeks)
    c = max(4, round(weeks * 0.45))
    end = min(weeks, c + 5)
    _ramp(t.withdraw["partner"], c, 1, 0.6, end=end)
    _ramp(t.stress["partner"], c, 1, 0.7, end=end)
    t.change_week = c
    t.change_end_week = end if end < weeks else None
    t.stress_weeks = tuple(range(c, end))
    t.dip_span = (c, end)
    return t


def _partner_slow_fade(weeks: int) -> Trajectory:
    """The partner fades gradually over 12 weeks, starting 20 weeks before the end."""
    t = Trajectory.flat(weeks)
    c = max(4, weeks - 20)
    _ramp(t.withdraw["partner"], c, 12, 0.85)
    t.change_week = c
    return t


def _partner_withdrew_long_ago(weeks: int) -> Trajectory:
    """The partner pulled away 26 weeks (six months) before the end and stayed there: the new normal."""
    t = Trajectory.flat(weeks)
    c = max(4, weeks - 26)
    _ramp(t.withdraw["partner"], c, 3, 0.85)
    t.change_week = c
    t.space_request_week = min(weeks - 1, c + 4)
    return t


def _partner_withdrew_a_year_ago(weeks: int) -> Trajectory:
    t = Trajectory.flat(weeks)
    c = max(4, weeks - 52)
    _ramp(t.withdraw["partner"], c, 3, 0.85)
    t.change_week = c
    return t


def _recovered_long_dip(weeks: int) -> Trajectory:
    """The partner dips for eight weeks (busy, withdrawn), then comes fully back."""
    t = Trajectory.flat(weeks)
    c = max(4, round(weeks * 0.4))
    end = min(weeks, c + 8)
    _ramp(t.withdraw["partner"], c, 1, 0.6, end=end)
    t.change_week = c
    t.change_end_week = end if end < weeks else None
    t.dip_span = (c, end)
    return t


def _partner_evasive(weeks: int) -> Trajectory:
    """The partner pulls back a little and answers most plan questions vaguely or not at all."""
    t = Trajectory.flat(weeks)
    c = _change_week(weeks)
    _ramp(t.withdraw["partner"], c, 2, 0.45)
    t.evasive = {"me": [0.0] * weeks, "partner": [0.0] * weeks}
    _ramp(t.evasive["partner"], c, 2, 0.6)
    t.change_week = c
    return t


def _demo(weeks: int) -> Trajectory:
    """~9 months: close start, a stress dip that recovered, then the partner pulling away at the end."""
    t = Trajectory.flat(weeks)
    dip = max(4, round(weeks * 0.38))
    dip_end = dip + 5
    _ramp(t.withdraw["partner"], dip, 1, 0.55, end=dip_end)
    _ramp(t.stress["partner"], dip, 1, 0.75, end=dip_end)
    c = max(dip_end + 4, weeks - 8)
    _ramp(t.withdraw["partner"], c, 3, 0.85)
    t.change_week = c
    t.stress_weeks = tuple(range(dip, dip_end))
    t.space_request_week = min(weeks - 1, c + 4)
    t.dip_span = (dip, dip_end)
    return t


SCENARIOS: dict[str, ScenarioSpec] = {
    spec.name: spec
    for spec in (
        ScenarioSpec(
            "stable", Pattern.STABLE, "A steady couple with natural week-to-week noise.", (), (), _stable
        ),
        ScenarioSpec(
            "stable_with_holiday",
            Pattern.STABLE,
            "Steady, with one quiet week where both write much less (away together).",
            (),
            (),
            _stable_with_holiday,
        ),
        ScenarioSpec(
            "stable_with_stress_week",
            Pattern.STABLE,
            "Steady, with one stressful week for the partner (short replies, 'so busy'), then back to normal.",
            (),
            (),
            _stable_with_stress_week,
        ),
        ScenarioSpec(
            "partner_pulling_away",
            Pattern.PARTNER_PULLING_AWAY,
            "Close phase, then the partner initiates less, replies slower, shorter, with less affection and more "
            "noncommittal answers, and asks for space; the user keeps going (starts more of the conversations) without pursuing.",
            ("partner",),
            (),
            _partner_pulling_away,
        ),
        ScenarioSpec(
            "pursue_withdraw",
            Pattern.PURSUE_WITHDRAW,
            "The partner withdraws while the user clearly pursues more: more messages, double texts, 'are we ok?'.",
            ("partner",),
            ("me",),
            _pursue_withdraw,
        ),
        ScenarioSpec(
            "mutual_drift",
            Pattern.MUTUAL_DRIFT,
            "Both fade gradually together.",
            ("me", "partner"),
            (),
            _mutual_drift,
        ),
        ScenarioSpec(
            "me_pulling_away",
            Pattern.ME_PULLING_AWAY,
            "The user withdraws; the partner stays steady.",
            ("me",),
            (),
            _me_pulling_away,
        ),
        ScenarioSpec(
            "recovered_dip",
            Pattern.STABLE,
            "The partner dips for about five weeks with stress talk, then recovers to their usual.",
            (),
            (),
            _recovered_dip,
            dipped=("partner",),
        ),
        ScenarioSpec(
            "partner_slow_fade",
            Pattern.PARTNER_PULLING_AWAY,
            "The partner fades gradually over twelve weeks, beginning 20 weeks before the end.",
            ("partner",),
            (),
            _partner_slow_fade,
        ),
        ScenarioSpec(
            "partner_withdrew_long_ago",
            Pattern.PARTNER_PULLING_AWAY,
            "The partner pulled away six months before the end and stayed withdrawn: the new normal.",
            ("partner",),
            (),
            _partner_withdrew_long_ago,
            default_weeks=52,
        ),
        ScenarioSpec(
            "partner_withdrew_a_year_ago",
            Pattern.PARTNER_PULLING_AWAY,
            "The partner pulled away a year before the end and stayed withdrawn.",
            ("partner",),
            (),
            _partner_withdrew_a_year_ago,
            default_weeks=78,
        ),
        ScenarioSpec(
            "recovered_long_dip",
            Pattern.STABLE,
            "The partner dips for eight weeks, then comes fully back to their usual.",
            (),
            (),
            _recovered_long_dip,
            dipped=("partner",),
        ),
        ScenarioSpec(
            "partner_evasive",
            Pattern.PARTNER_PULLING_AWAY,
            "The partner pulls back a little and answers most plan questions vaguely or not at all.",
            ("partner",),
            (),
            _partner_evasive,
        ),
        ScenarioSpec(
            "demo",
            Pattern.PARTNER_PULLING_AWAY,
            "The bundled demo (~9 months): a close start, an earlier stress dip that recovered, then the partner "
            "pulling away over the last ~8 weeks with a request for space and noncommittal answers.",
            ("partner",),
            (),
            _demo,
            dipped=("partner",),
            default_weeks=39,
        ),
    )
}
