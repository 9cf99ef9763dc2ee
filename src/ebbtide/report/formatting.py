"""Small formatting helpers shared by the terminal and HTML reports.

WHY: both reports must say the same numbers the same way (baseline -> recent, change with its
interval, dates), so the wording of figures lives in one place.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any

from ebbtide.insight.wording import date_words, fill, load, onset_words
from ebbtide.model import Evidence, MetricChange


def words(key: str, **values: Any) -> str:
    """A report heading or note from patterns.toml [report]."""
    return fill(str(load("patterns")["report"].get(key, key)), **values)


def number(x: float | None, unit: str = "") -> str:
    """A figure for people: no false precision."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "n/a"
    ax = abs(x)
    text = f"{x:.0f}" if ax >= 20 else f"{x:.1f}" if ax >= 1 else f"{x:.2f}"
    if float(text) == 0:  # "0", never "0.00" or "-0.00"
        text = "0"
    return f"{text} {unit}".strip()


def signed_pct(x: float) -> str:
    text = f"{x * 100:+.0f}"
    return ("0%" if int(text) == 0 else f"{text}%").replace("-", "−")


def value_text(x: float | None, unit: str) -> str:
    """A metric's value as the reports show it ("45%", "175 per week", "3.9 minutes")."""
    return _value(x, unit)


def _value(x: float | None, unit: str) -> str:
    if unit == "share" and x is not None and math.isfinite(x):
        return f"{x * 100:.0f}%"
    return number(x, "" if unit == "score" else unit)


def is_relative(m: MetricChange) -> bool:
    """Whether ``change`` is relative (recent/baseline - 1) rather than a plain difference.

    WHY: the signals layer gives shares and scores as differences (a share going 5% -> 30% is
    "+25 points", not "+500%"); the record does not say which, so we check the arithmetic.
    """
    if m.change is None or m.baseline in (None, 0) or m.recent is None:
        return False
    return abs((m.recent / m.baseline - 1) - m.change) <= abs(m.recent - m.baseline - m.change)


def _delta(x: float, m: MetricChange, relative: bool) -> str:
    if relative:
        return signed_pct(x)
    if m.unit == "share":
        points = int(f"{x * 100:+.0f}")
        return "0 points" if points == 0 else f"{points:+d} {'point' if abs(points) == 1 else 'points'}".replace("-", "−")
    text = f"{x:+.2f}"
    return "0" if float(text) == 0 else text.replace("-", "−")


def change_text(m: MetricChange) -> str:
    """e.g. "118 per week -> 64 per week (−46%, likely between −58% and −34%)"."""
    base = f"{_value(m.baseline, m.unit)} → {_value(m.recent, m.unit)}"
    if m.change is None or not math.isfinite(m.change):
        return base
    relative = is_relative(m)
    interval = ""
    if m.ci_low is not None and m.ci_high is not None and math.isfinite(m.ci_low) and math.isfinite(m.ci_high):
        interval = f", likely between {_delta(m.ci_low, m, relative)} and {_delta(m.ci_high, m, relative)}"
    return f"{base} ({_delta(m.change, m, relative)}{interval})"


def when(ts: datetime | date | None) -> str:
    if ts is None:
        return ""
    if isinstance(ts, datetime):
        return f"{date_words(ts.date())}, {ts:%H:%M}"
    return date_words(ts)


def day(d: date | None) -> str:
    return date_words(d) if d else "—"


def since_text(s: Any) -> str:
    """When a detected sign began, with its range ("around early July 2025, between mid June and late
    July"); "—" when undated."""
    if getattr(s, "since", None) is None:
        return "—"
    return onset_words(s.since, getattr(s, "since_low", None), getattr(s, "since_high", None))


def evidence_line(e: Evidence) -> str:
    """One evidence message as plain text (no markup)."""
    text = e.text if e.text else "(no message: a silence)"
    return f"{when(e.timestamp)} · {e.sender}: “{text}” — {e.why}"


def context_line(e: Evidence, lead: str = "after") -> str:
    """What the evidence answers, saying who wrote it: 'after Alex's “k”'."""
    if not e.context_before:
        return ""
    who = f"{e.context_sender}'s " if e.context_sender else "the message "
    return f"{lead} {who}“{e.context_before}”"
