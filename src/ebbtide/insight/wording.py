"""Loading the wording data files and filling their placeholders.

WHY a separate module: every sentence people read lives in ``insight/data/*.toml`` so wording can be
reviewed (hedging, no labels, no scores) without reading code; the code only selects and fills.
"""

from __future__ import annotations

import functools
import re
import string
import tomllib
from datetime import date
from importlib import resources
from typing import Any

from ebbtide.counts import counted, number_words  # noqa: F401  (re-exported: the insight layer's words)

WORDING_FILES: tuple[str, ...] = ("reasons", "plan", "faq", "patterns", "safety", "limits", "share", "repair", "guess")


@functools.cache
def load(name: str) -> dict[str, Any]:
    """The parsed TOML file ``insight/data/<name>.toml`` (cached; package data, works from a wheel)."""
    if name not in WORDING_FILES:
        raise KeyError(f"unknown wording file {name!r}; known: {', '.join(WORDING_FILES)}")
    text = resources.files("ebbtide.insight").joinpath("data", f"{name}.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


class _Blank(dict[str, Any]):
    """format_map mapping that leaves unknown placeholders visible instead of raising.

    WHY: a missing value must never crash a report for someone in distress; a visible ``{name}``
    is caught by the tests instead.
    """

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def fill(template: str, **values: Any) -> str:
    """Fill ``{placeholders}`` in a wording template; dates become words ("3 March 2025")."""
    prepared = {k: (date_words(v) if isinstance(v, date) else v) for k, v in values.items()}
    return plural_words(string.Formatter().vformat(template, (), _Blank(prepared)))


_COUNTED = re.compile(r"(?<![\d.,])(\d[\d,]*(?:\.\d+)?)((?:\s+[^\W\d]+){0,2}?)\s+([^\W\d]+)\((s|es)\)")


def plural_words(text: str) -> str:
    """Resolve "5 week(s)" to "5 weeks" and "1 week(s)" to "1 week" after filling a template.

    WHY: wording files are written once for any count; the reader should see plain English,
    not "(s)". A counted noun may follow its number after up to two words ("2 earlier stretch(es)").
    """

    def resolve(match: re.Match[str]) -> str:
        number, between, noun, suffix = match.groups()
        word = noun if float(number.replace(",", "")) == 1 else noun + suffix
        return f"{number}{between} {word}"

    return _COUNTED.sub(resolve, text)


def date_words(d: date) -> str:
    """A date as people say it, without locale surprises: "3 March 2025"."""
    return f"{d.day} {d:%B %Y}"


def part_of_month(d: date, *, year: bool = True) -> str:
    """Roughly when in a month: "early July 2025", "mid June", "late July"."""
    part = "early" if d.day <= 10 else "mid" if d.day <= 20 else "late"
    return f"{part} {d:%B %Y}" if year else f"{part} {d:%B}"


def onset_words(since: date, low: date | None = None, high: date | None = None) -> str:
    """When a change began, with its uncertainty: "around early July 2025, between mid June and late July".

    ``since``/``low``/``high`` are Mondays of weeks; the middle of the week is what is described.
    """
    from datetime import timedelta

    mid = since + timedelta(days=3)
    text = f"around {part_of_month(mid)}"
    if low is None or high is None or (high - low).days < 7:
        return text
    lo, hi = low + timedelta(days=3), high + timedelta(days=3)
    same_year = lo.year == hi.year == mid.year
    a, b = part_of_month(lo, year=not same_year), part_of_month(hi, year=not same_year)
    return text if a == b else f"{text}, between {a} and {b}"


def month_words(d: date) -> str:
    """A month as people say it: "March 2025"."""
    return f"{d:%B %Y}"


def sign_label(sign: str) -> str:
    return str(load("patterns")["sign_label"].get(sign, sign.replace("_", " ")))


def status_label(status: str) -> str:
    return str(load("patterns")["status_label"].get(status, status.replace("_", " ")))


def strength_label(strength: str) -> str:
    return str(load("patterns")["strength_label"].get(strength, strength))


def pattern_label(pattern: str, **values: Any) -> str:
    return fill(str(load("patterns")["pattern_label"].get(pattern, pattern)), **values)
