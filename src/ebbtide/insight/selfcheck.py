"""The guided self-check: the five signs as questions, for people without a chat export.

WHY through ``explain()``: the answers become an Assessment of the same shape the signals layer
makes (no weekly numbers, no messages), so the reasons, the plan, the FAQ and the safety path are
chosen by exactly the same code as for a chat. Only the headline and one limit differ, because
the source is the user's impression rather than a measurement (wording in data/selfcheck.toml).
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from importlib import resources
from typing import Any

import polars as pl

from ebbtide.errors import EbbtideError
from ebbtide.insight.explain import explain
from ebbtide.insight.wording import fill
from ebbtide.model import Assessment, Coverage, Insight, Pattern, ReasonId, SignId, SignResult, SignStatus

_CHAT_WORDS = re.compile(r"\bchat|\btext\b|message|export|not enough data|own past|\bwords?\b", re.IGNORECASE)
UNSURE = -1
DEFAULT_WEEKS = 6
MAX_WEEKS = 520
DETECTED_FOR_PATTERN = 2  # signs a person must show (by the answers) for "pulling back"


@functools.cache
def selfcheck_text() -> dict[str, Any]:
    """The parsed ``insight/data/selfcheck.toml`` (questions, scales, headlines)."""
    raw = resources.files("ebbtide.insight").joinpath("data", "selfcheck.toml").read_text(encoding="utf-8")
    return tomllib.loads(raw)


@dataclass(frozen=True, slots=True)
class SelfCheckAnswers:
    """Validated answers. Sign answers: 0 same .. 3 much less, -1 can't tell."""

    signs: Mapping[SignId, int]
    pulling_back: int = 0  # 0 no, 1 a little, 2 clearly (the user's own side)
    reaching_out: int = 0
    reflection: Mapping[ReasonId, int] = field(default_factory=dict)
    afraid: bool | None = None
    weeks: int = DEFAULT_WEEKS
    partner: str = ""


def _int(value: Any, allowed: set[int], where: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = None
    if number is None or number not in allowed or isinstance(value, bool):
        raise EbbtideError(f"{value!r} is not a valid answer", where=where,
                           fix="Use one of: " + ", ".join(str(a) for a in sorted(allowed)))
    return number


def _bool(value: Any, where: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"yes", "y", "true", "1", "sometimes"}:
        return True
    if text in {"no", "n", "false", "0", ""}:
        return False
    raise EbbtideError(f"{value!r} is not yes or no", where=where, fix="Answer yes or no (true/false).")


def parse_answers(data: Mapping[str, Any]) -> SelfCheckAnswers:
    """Answers from plain data (a JSON file, a web form), with clear errors for anything wrong.

    Shape: ``{"signs": {"decreased_communication": 2, ...}, "pulling_back": 0, "reaching_out": 1,
    "reflection": {"external_stress": 3, ...}, "afraid": false, "weeks": 6, "partner": "Sam"}``.
    Signs left out count as "can't tell".
    """
    if not isinstance(data, Mapping):
        raise EbbtideError("the answers are not an object", where="answers", fix='Write {"signs": {...}, ...}.')
    known = {"signs", "pulling_back", "reaching_out", "reflection", "afraid", "weeks", "partner"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise EbbtideError(f"unknown answer(s): {', '.join(unknown)}", where="answers",
                           fix="Known: " + ", ".join(sorted(known)))
    raw_signs = data.get("signs") or {}
    if not isinstance(raw_signs, Mapping):
        raise EbbtideError("'signs' is not an object", where="answers.signs",
                           fix='Map each sign to 0..3 or -1, e.g. {"decreased_communication": 2}.')
    signs: dict[SignId, int] = {}
    for key, value in raw_signs.items():
        try:
            sign = SignId(key)
        except ValueError:
            raise EbbtideError(f"'{key}' is not one of the five signs", where="answers.signs",
                               fix="Use: " + ", ".join(s.value for s in SignId)) from None
        signs[sign] = _int(value, {UNSURE, 0, 1, 2, 3}, f"answers.signs.{key}")
    raw_reflection = data.get("reflection") or {}
    if not isinstance(raw_reflection, Mapping):
        raise EbbtideError("'reflection' is not an object", where="answers.reflection",
                           fix='Map reasons to 0..3, e.g. {"external_stress": 2}.')
    reflection: dict[ReasonId, int] = {}
    for key, value in raw_reflection.items():
        try:
            reason = ReasonId(key)
        except ValueError:
            raise EbbtideError(f"'{key}' is not one of the possible reasons", where="answers.reflection",
                               fix="Use: " + ", ".join(r.value for r in ReasonId)) from None
        reflection[reason] = _int(value, {0, 1, 2, 3}, f"answers.reflection.{key}")
    weeks = _int(data.get("weeks", DEFAULT_WEEKS), set(range(1, MAX_WEEKS + 1)), "answers.weeks")
    partner = str(data.get("partner") or "").strip()[:60]
    return SelfCheckAnswers(
        signs=signs,
        pulling_back=_int(data.get("pulling_back", 0), {0, 1, 2}, "answers.pulling_back"),
        reaching_out=_int(data.get("reaching_out", 0), {0, 1, 2}, "answers.reaching_out"),
        reflection=reflection,
        afraid=_bool(data.get("afraid"), "answers.afraid"),
        weeks=weeks,
        partner=partner,
    )


def _status(answer: int) -> tuple[SignStatus, str]:
    if answer == UNSURE:
        return SignStatus.INSUFFICIENT_DATA, "none"
    if answer == 0:
        return SignStatus.NOT_DETECTED, "none"
    return SignStatus.DETECTED, str(selfcheck_text()["strength"][str(answer)])


def _pattern(partner_detected: int, partner_known: int, me_back: int, me_reaching: int) -> Pattern:
    partner_away = partner_detected >= DETECTED_FOR_PATTERN
    me_away = me_back >= 2 or (me_back == 1 and partner_detected < DETECTED_FOR_PATTERN)
    if partner_known < DETECTED_FOR_PATTERN and not me_away:
        return Pattern.INSUFFICIENT_DATA
    if partner_away and me_back >= 1:
        return Pattern.MUTUAL_DRIFT
    if partner_away and me_reaching >= 1:
        return Pattern.PURSUE_WITHDRAW
    if partner_away:
        return Pattern.PARTNER_PULLING_AWAY
    if me_away:
        return Pattern.ME_PULLING_AWAY
    return Pattern.STABLE


def selfcheck_assessment(answers: SelfCheckAnswers, *, today: date | None = None) -> Assessment:
    """The answers as an Assessment (no weekly numbers, no messages; impressions only)."""
    text = selfcheck_text()
    today = today or date.today()
    since = today - timedelta(weeks=answers.weeks)
    me = str(text["me_label"])
    partner = answers.partner or str(text["default_partner"])
    note = "from your answers in the self-check"
    signs: list[SignResult] = []
    for sign in SignId:
        status, strength = _status(answers.signs.get(sign, UNSURE))
        signs.append(SignResult(sign, partner, status, since=since if status is SignStatus.DETECTED else None,
                                strength=strength, note=note if status is not SignStatus.INSUFFICIENT_DATA
                                else "you were not sure"))
    own_status, own_strength = _status(min(3, answers.pulling_back))
    for sign in (SignId.DECREASED_COMMUNICATION, SignId.CHANGE_IN_ENGAGEMENT):
        signs.append(SignResult(sign, me, own_status, since=since if own_status is SignStatus.DETECTED else None,
                                strength=own_strength, note=note))
    detected = sum(1 for s in signs if s.person == partner and s.status is SignStatus.DETECTED)
    known = sum(1 for s in signs if s.person == partner and s.status is not SignStatus.INSUFFICIENT_DATA)
    pattern = _pattern(detected, known, answers.pulling_back, answers.reaching_out)
    coverage = Coverage(first=None, last=today, messages=0, weeks=0, platforms=("self-check",))
    return Assessment(
        me=me, partner=partner, pattern=pattern, pattern_explanation="from the guided self-check",
        coverage=coverage, baseline=None, recent=(since, today), signs=tuple(signs), dips=(),
        weekly=pl.DataFrame(),
    )


def run_selfcheck(answers: SelfCheckAnswers, *, today: date | None = None) -> tuple[Assessment, Insight]:
    """Answers -> (Assessment, Insight) through the same ``explain()`` as a chat analysis."""
    text = selfcheck_text()
    assessment = selfcheck_assessment(answers, today=today)
    insight = explain(assessment, reflection=dict(answers.reflection) or None, safety_answer=answers.afraid,
                      from_answers=True, safety_source="selfcheck")
    # WHY: with safety first, the policy's verdict stays (the self-check's own may reassure).
    headline = insight.headline if insight.safety_first else fill(
        str(text["headline"][assessment.pattern.value]), partner=assessment.partner, weeks=answers.weeks)
    own_limits = tuple(str(t) for t in text["limits"])
    # Only the limits that hold without a chat (no "a chat cannot see...", no per-sign data lines).
    kept = tuple(t for t in insight.limits if not _CHAT_WORDS.search(t))
    return assessment, replace(insight, headline=headline, limits=own_limits + kept)


__all__ = ["SelfCheckAnswers", "parse_answers", "run_selfcheck", "selfcheck_assessment", "selfcheck_text"]
