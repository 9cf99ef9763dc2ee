"""Records exchanged by the analysis layers: signals -> insight -> report/web.

Everything is frozen. Dates are ``datetime.date``; names are the display names as in the export.
The JSON report (``report/json_report.py``) is a documented projection of these records.
New optional fields may be added; existing ones are not renamed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:
    from ebbtide.model.repair import RepairLine, Rupture


class SignId(StrEnum):
    """The five signs of pulling away."""

    DECREASED_COMMUNICATION = "decreased_communication"
    DECLINE_IN_INTIMACY = "decline_in_intimacy"
    INCREASED_TIME_APART = "increased_time_apart"
    CHANGE_IN_ENGAGEMENT = "change_in_engagement"
    EVASIVE_RESPONSES = "evasive_responses"


class SignStatus(StrEnum):
    DETECTED = "detected"
    NOT_DETECTED = "not_detected"
    INSUFFICIENT_DATA = "insufficient_data"
    NOT_MEASURABLE = "not_measurable"


class Pattern(StrEnum):
    """One verdict for the couple (never a score)."""

    PARTNER_PULLING_AWAY = "partner_pulling_away"
    ME_PULLING_AWAY = "me_pulling_away"
    MUTUAL_DRIFT = "mutual_drift"
    PURSUE_WITHDRAW = "pursue_withdraw"
    STABLE = "stable"
    # Both people's contact dropped from the same week, and less than JOINT_HOLD_WEEKS ago: often a
    # shared circumstance (away or busy together, talking elsewhere) a chat cannot see; no verdict yet.
    TOO_EARLY = "too_early"
    INSUFFICIENT_DATA = "insufficient_data"


class ReasonId(StrEnum):
    """Possible reasons behind pulling away (always offered as possibilities, several at once)."""

    EMOTIONAL_ROLLERCOASTER = "emotional_rollercoaster"
    COMMUNICATION_BREAKDOWN = "communication_breakdown"
    FEAR_OF_VULNERABILITY = "fear_of_vulnerability"
    PERSONAL_SPACE = "personal_space"
    PAST_BAGGAGE = "past_baggage"
    EXTERNAL_STRESS = "external_stress"


class StrategyId(StrEnum):
    OPEN_COMMUNICATION = "open_communication"
    SPACE_BUT_CONNECTED = "space_but_connected"
    SELF_CARE = "self_care"
    PROFESSIONAL_GUIDANCE = "professional_guidance"
    PATIENCE = "patience"


class FaqId(StrEnum):
    PULL_AWAY_IN_LOVE = "pull_away_in_love"
    LOST_INTEREST = "lost_interest"
    CAN_RECOVER = "can_recover"
    HOW_LONG_SPACE = "how_long_space"


@dataclass(frozen=True, slots=True)
class Evidence:
    """An actual message (or a silence) behind a claim, so the user can check it themselves."""

    timestamp: datetime
    sender: str
    text: str  # the message as written ("" for a silence)
    why: str  # short reason this is evidence, e.g. "noncommittal answer to a plan question"
    spans: tuple[tuple[int, int], ...] = ()  # character spans in ``text`` that matched
    context_before: str = ""  # e.g. the question being answered
    context_sender: str = ""  # who wrote ``context_before``


@dataclass(frozen=True, slots=True)
class MetricChange:
    """One weekly metric: the person's baseline against the recent stretch, with uncertainty."""

    id: str  # e.g. "messages_per_week", "median_reply_minutes"
    label: str  # plain words for people
    baseline: float | None
    recent: float | None
    change: float | None  # relative change (recent/baseline - 1) where meaningful
    ci_low: float | None = None  # bootstrap interval of ``change``
    ci_high: float | None = None
    unit: str = ""
    withdrawal_direction: str = "down"  # "down" or "up": which way counts as pulling away


@dataclass(frozen=True, slots=True)
class SignResult:
    sign: SignId
    person: str  # the name as in the export
    status: SignStatus
    since: date | None = None  # dated by change-point detection where detected (Monday of the onset week)
    strength: str = "none"  # "none" | "slight" | "clear" | "strong" (words, never a score)
    metrics: tuple[MetricChange, ...] = ()  # the deciding metric (strongest that moved) first
    evidence: tuple[Evidence, ...] = ()
    note: str = ""  # e.g. why insufficient_data / not_measurable
    since_low: date | None = None  # uncertainty range of ``since`` (Mondays; 90 %), where detected
    since_high: date | None = None
    deciding: str = ""  # id of the metric that decided a detected sign (shown first in ``metrics``)


@dataclass(frozen=True, slots=True)
class Dip:
    """An earlier (or current) stretch where a person's engagement fell below their own usual."""

    person: str
    start: date
    end: date | None  # None: still ongoing
    recovered: bool
    weeks: int
    depth: float | None = None  # relative drop of the summary metric at its lowest


@dataclass(frozen=True, slots=True)
class Coverage:
    first: date | None
    last: date | None
    messages: int
    by_person: dict[str, int] = field(default_factory=dict)
    weeks: int = 0
    platforms: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()  # what the export cannot show, truncation warnings...


@dataclass(frozen=True, slots=True)
class Assessment:
    """Everything the signals layer measured about one couple."""

    me: str
    partner: str
    pattern: Pattern
    pattern_explanation: str
    coverage: Coverage
    baseline: tuple[date, date] | None
    recent: tuple[date, date] | None
    signs: tuple[SignResult, ...]
    dips: tuple[Dip, ...]
    weekly: pl.DataFrame  # documented in signals/weekly.py
    change_points: tuple[date, ...] = ()
    safety_flags: tuple[Evidence, ...] = ()  # clear danger in messages: threats, control, self-harm (level a)
    safety_ambiguous: tuple[Evidence, ...] = ()  # words that may point to harm, or may not (level b: ask)
    ruptures: tuple[Rupture, ...] = ()  # tense or cold spells and the time to reconnect (signals/ruptures.py)


@dataclass(frozen=True, slots=True)
class Reason:
    id: ReasonId
    title: str
    text: str  # hedged wording from the data files
    hints: int = 0  # how many messages hint at it
    evidence: tuple[Evidence, ...] = ()
    citations: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PlanStep:
    id: StrategyId
    title: str
    why: str  # why this step is here, from what the data shows
    actions: tuple[str, ...] = ()
    starters: tuple[str, ...] = ()  # I-statement conversation starters (open_communication)
    rhythm: str = ""  # check-in rhythm (space_but_connected)
    triggers: tuple[str, ...] = ()  # when to find a professional (professional_guidance)
    evidence: tuple[Evidence, ...] = ()  # the messages behind a trigger that fired (e.g. the hostile ones)
    citations: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FaqAnswer:
    id: FaqId
    question: str
    answer: str
    from_history: bool = False  # True where the answer uses this couple's own history
    figures: dict[str, float | int | str] = field(default_factory=dict)
    citations: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Insight:
    """What may lie behind it and what to do: the insight layer's result."""

    reasons: tuple[Reason, ...]
    plan: tuple[PlanStep, ...]
    faq: tuple[FaqAnswer, ...]
    headline: str  # the verdict in plain, hedged words
    safety_first: bool = False  # True: crisis resources lead and some advice is held back
    safety_message: str = ""
    safety_level: str = "none"  # "first" (safety first), "ask" (a calm question on top), "none"
    safety_question: str = ""  # level "ask": the question, naming what it rests on
    held_back: str = ""  # level "first": what was held back, and why (shown where it would have been)
    limits: tuple[str, ...] = ()  # what cannot be measured / caveats shown to the user
    reflection_note: tuple[str, ...] = ()  # what the user's own view of the reasons changed in the plan
    repair: tuple[RepairLine, ...] = ()  # past ruptures and repairs for the history (insight/repair.py)
