"""Your guess first: a few figures the user estimates before seeing them, put beside the measurement.

WHY: people misjudge reply speed and their share of contact, their own and their partner's, in both
directions; a figure shown beside one's own guess corrects it more gently than the figure alone and can
show the user their own side of a pursue-withdraw loop (Hakobyan & Drimalla 2026). Wording in
``insight/data/guess.toml``; no sentence grades the guess or the partner.

The measured values are the report's own (``Assessment.signs`` metrics, recent weeks), so the figures
beside the guesses are the same as in the report.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ebbtide.insight.wording import fill, load, number_words
from ebbtide.model import Assessment, Pattern

# figure -> (whose: "me"/"partner", metric id, scale applied to the metric for people)
FIGURES: dict[str, tuple[str, str, float]] = {
    "reply_minutes_me": ("me", "median_reply_minutes", 1.0),
    "reply_minutes_partner": ("partner", "median_reply_minutes", 1.0),
    "messages_me": ("me", "messages_per_week", 1.0),
    "messages_partner": ("partner", "messages_per_week", 1.0),
    "starts_me": ("me", "initiation_share", 10.0),
    "trend_me": ("me", "messages_per_week", 1.0),
    "trend_partner": ("partner", "messages_per_week", 1.0),
}
TREND_BAND = 0.15  # a relative change smaller than this is "about the same"
CLOSE = 0.25  # a guess within this share of the measurement is "close"
CLOSE_STARTS = 1.0  # out of 10


def _w() -> dict[str, Any]:
    return load("guess")


def metric(assessment: Assessment, person: str, metric_id: str) -> tuple[float | None, float | None, float | None]:
    """(baseline, recent, change) of one metric for one person, from the report's signs."""
    for s in assessment.signs:
        if s.person != person:
            continue
        for m in s.metrics:
            if m.id == metric_id and m.recent is not None and math.isfinite(m.recent):
                return m.baseline, m.recent, m.change
    return None, None, None


def measured(assessment: Assessment, figure: str) -> float | str | None:
    whose, metric_id, scale = FIGURES[figure]
    person = assessment.me if whose == "me" else assessment.partner
    _, recent, change = metric(assessment, person, metric_id)
    if figure.startswith("trend"):
        if change is None or not math.isfinite(change):
            return None
        return "more" if change > TREND_BAND else "less" if change < -TREND_BAND else "same"
    return None if recent is None else recent * scale


def questions(assessment: Assessment) -> list[tuple[str, str]]:
    """(figure, question) for every figure the chat can answer, in order."""
    w = _w()["questions"]
    return [(f, fill(w[f], partner=assessment.partner)) for f in FIGURES if measured(assessment, f) is not None]


_UNITS = {"h": 60.0, "hr": 60.0, "hrs": 60.0, "hour": 60.0, "hours": 60.0, "min": 1.0, "mins": 1.0,
          "minute": 1.0, "minutes": 1.0, "m": 1.0, "d": 1440.0, "day": 1440.0, "days": 1440.0}


def parse_answer(figure: str, text: str) -> float | str | None:
    """A typed answer to a value ("5", "2h", "1.5 hours", "more"); None when empty or not understood."""
    text = (text or "").strip().lower().replace(",", ".")
    if not text:
        return None
    if figure.startswith("trend"):
        for key, words in (("more", ("more", "+", "m")), ("less", ("less", "-", "l", "fewer")),
                           ("same", ("same", "=", "s", "about the same"))):
            if text in words:
                return key
        return None
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([a-z]*)", text)
    if not m:
        return None
    value = float(m.group(1))
    unit = m.group(2)
    if figure.startswith("reply"):
        if unit and unit not in _UNITS:
            return None
        value *= _UNITS.get(unit, 1.0)
    elif unit:
        return None
    if figure.startswith("starts") and value > 10:
        return None
    return value


@dataclass(frozen=True, slots=True)
class Row:
    figure: str
    label: str
    guess: str
    measured: str
    sentence: str


def _shown(figure: str, value: float | str | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        return str(_w()["trend"][value])
    if figure.startswith("reply"):
        if value >= 90:
            return f"{number_words(round(value / 60, 1))} hours"
        return f"{number_words(round(value, 1))} minutes"
    if figure.startswith("starts"):
        return f"{number_words(round(value, 1))} of 10"
    return f"{number_words(round(value))} a week"


def compare(assessment: Assessment, guesses: dict[str, float | str],
            earlier: list[tuple[datetime, dict[str, float | str | None]]] | None = None) -> list[Row]:
    """One row per guessed figure: the guess, the measurement, and a neutral sentence."""
    w = _w()
    rows = []
    for figure, guess in guesses.items():
        if figure not in FIGURES or guess is None:
            continue
        value = measured(assessment, figure)
        if value is None:
            sentence = w["no_measure"]
        elif isinstance(value, str) or isinstance(guess, str):
            sentence = w["trend_same"] if value == guess else w["trend_differs"]
        else:
            g = float(guess)
            tolerance = CLOSE_STARTS if figure.startswith("starts") else CLOSE * max(abs(value), 1e-9)
            if abs(g - value) <= tolerance or round(g) == round(value):
                sentence = w["close"]
            else:
                sentence = w["higher"] if g > value else w["lower"]
                if (figure == "starts_me" and value - g >= 2
                        and assessment.pattern in (Pattern.PARTNER_PULLING_AWAY, Pattern.PURSUE_WITHDRAW)):
                    sentence += " " + w["pursue"]
        for when, before in reversed(earlier or []):
            if figure in before and before[figure] is not None:
                when_text = f"{when.day} {when:%B %Y}"
                same = before[figure] == guess
                sentence += " " + (fill(w["unchanged"], when=when_text) if same else
                                   fill(w["before"], when=when_text, before=_shown(figure, before[figure])))
                break
        rows.append(Row(figure, fill(w["labels"][figure], partner=assessment.partner), _shown(figure, guess),
                        _shown(figure, value), sentence))
    return rows


__all__ = ["FIGURES", "Row", "compare", "measured", "parse_answer", "questions"]
