"""Ruptures and repairs in words: history lines (with the messages behind them), one hedged summary
for the FAQ and the plan, and a name-free section for the share report.

Only what the chat supports: the summary needs at least ``MIN_PAST`` past spells with a measured time
to reconnect; an ongoing spell is said as ongoing. When safety comes first (or is being asked about),
nothing here is shown: hostility that may be fear or control is not a quarrel to repair
(docs/safety.md, evidence.md 4.2).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import polars as pl

from ebbtide.insight.wording import date_words, fill, load, month_words
from ebbtide.model import Assessment, FaqId, Insight, StrategyId
from ebbtide.model.repair import RepairLine, Rupture

MIN_PAST = 2
LAST = 3
MAX_EVIDENCE = 6


def _w() -> dict[str, Any]:
    return load("repair")


def days_words(days: int) -> str:
    """4 -> "4 days", 1 -> "1 day", 21 -> "3 weeks" (two weeks and more in weeks)."""
    days = max(days, 1)
    if days >= 14:
        weeks = round(days / 7)
        return f"{weeks} weeks"
    return f"{days} day" if days == 1 else f"{days} days"


def _who(person: str, me: str, names: dict[str, str]) -> tuple[str, str, str, str]:
    """(subject, 'was'/'were', own, 'is'/'are') for ``person``: "you were ... your" or "Sam was ... their"."""
    if person == me:
        return "you", "were", "your", "are"
    return names.get(person, person), "was", "their", "is"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def rupture_line(r: Rupture, me: str, partner: str, names: dict[str, str] | None = None) -> str:
    """One history sentence (no message text): what happened, when each person was back, who reached out."""
    w = _w()
    names = names or {}
    label = {me: "you", partner: names.get(partner, partner)}
    if r.kind == "cold_spell" and r.quiet:
        other = partner if r.quiet == me else me
        first = fill(w["cold_spell"], date=date_words(r.start), quiet=label[r.quiet], other=label[other])
    else:
        first = fill(w["conflict"], date=date_words(r.start))
    parts = []
    for p in (me, partner):
        days = r.days_to_reconnect.get(p)
        if r.usual.get(p, 0.0) < 0.5:
            parts.append(fill(w["not_measured"], person=label[p]))
        elif days is None:
            parts.append(fill(w["not_back"], person=label[p]))
        elif days == 0:
            parts.append(fill(w["kept"], person=label[p]))
        else:
            parts.append(fill(w["back_days"], person=label[p], days=days_words(days)))
    back = fill(w["back"], parts="; ".join(parts))
    bid_parts = []
    for p in (me, partner):
        kinds = [w["kinds"][k] for k in r.bid_kinds(p)]
        if kinds:
            bid_parts.append(fill(w["bid_part"], person=label[p], kinds=_and(kinds)))
    bids = fill(w["bids"], parts="; ".join(bid_parts)) if bid_parts else w["no_bids"]
    return _cap(f"{first} {_cap(back)} {bids}")


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def couple_days(r: Rupture, people: tuple[str, str]) -> int | None:
    """Days until both were back to their own usual contact (None: someone not back, or nothing measured)."""
    measured = [p for p in people if r.usual.get(p, 0.0) >= 0.5]
    vals = [r.days_to_reconnect.get(p) for p in measured]
    if not vals or any(v is None for v in vals):
        return None
    return max(int(v) for v in vals if v is not None)


def summary(ruptures: tuple[Rupture, ...], me: str, partner: str, names: dict[str, str] | None = None,
            last_day: date | None = None) -> str:
    """"After the last 3 tense or quiet spells in this chat, you were both back to your usual contact within
    4 days to 9 days; the longest was 3 weeks (March 2025)." or "" when the chat does not support it
    (fewer than MIN_PAST past spells with a measured time)."""
    w = _w()["summary"]
    names = names or {}
    measured = [(r, d) for r in ruptures if not r.ongoing and (d := couple_days(r, (me, partner))) is not None]
    if len(measured) < MIN_PAST:
        return ""
    last = measured[-LAST:]
    vals = [d for _, d in last]
    low, high = days_words(min(vals)), days_words(max(vals))
    text = fill(w["same"] if low == high else w["range"], count=len(last), low=low, high=high)
    longest_r, longest_d = max(measured, key=lambda x: x[1])
    if longest_d > max(vals) and days_words(longest_d) != high:
        text += fill(w["longest"], longest=days_words(longest_d), month=month_words(longest_r.start))
    text += ". " + w["caveat"]
    now = ruptures[-1] if ruptures and ruptures[-1].ongoing else None
    if now is not None and now.quiet and last_day is not None and last_day > now.start:
        subject, _, own, is_ = _who(now.quiet, me, names)
        text += " " + fill(w["ongoing"], date=date_words(now.start), days=days_words((last_day - now.start).days),
                           person=subject, own=own, **{"is": is_})
    return text


def held(insight: Insight) -> bool:
    """Safety comes first, or is being asked about: ruptures are not framed as quarrels to repair."""
    return insight.safety_level != "none" or insight.safety_first


def apply_repair(assessment: Assessment, insight: Insight) -> Insight:
    """The Insight with the history lines, and the summary in the FAQ and the plan's patience step."""
    if held(insight) or not assessment.ruptures:
        return insight
    me, partner = assessment.me, assessment.partner
    lines = tuple(RepairLine(rupture_line(r, me, partner),
                             (r.tension + r.bids)[:MAX_EVIDENCE]) for r in assessment.ruptures)
    text = summary(assessment.ruptures, me, partner, last_day=assessment.coverage.last)
    w = _w()
    faq = insight.faq
    plan = insight.plan
    if text:
        faq = tuple(replace(a, answer=_with_summary(a.id, a.answer, fill(w["faq"][a.id.value], summary=text)),
                            from_history=True,
                            figures={**a.figures, "ruptures_past": sum(not r.ongoing for r in assessment.ruptures)})
                    if a.id.value in w["faq"] else a for a in faq)
        plan = tuple(replace(s, why=f"{s.why} {fill(w['plan']['patience'], summary=text)}")
                     if s.id is StrategyId.PATIENCE else s for s in plan)
    return replace(insight, repair=lines, faq=faq, plan=plan)


def _with_summary(faq: FaqId, answer: str, sentence: str) -> str:
    """The answer with the summary added; a sentence saying there is no history to draw on is taken out."""
    spec = load("faq").get(faq.value, {})
    for key in ("answer_no_history",):
        if key in spec:
            answer = answer.replace(" " + str(spec[key]), "").replace(str(spec[key]), "").strip()
    return f"{answer} {sentence}"


def add_repair(assessment: Assessment, insight: Insight, features: pl.DataFrame | None, *,
               ruptures: tuple[Rupture, ...] | None = None) -> tuple[Assessment, Insight]:
    """Measure the ruptures (signals) and word them (this module): the one call the pipeline makes.
    ``ruptures``: ``find_ruptures`` of these features and people when already measured."""
    from ebbtide.signals.ruptures import with_ruptures

    if ruptures is None:
        assessment = with_ruptures(assessment, features)
    else:
        assessment = replace(assessment, ruptures=ruptures)
    return assessment, apply_repair(assessment, insight)


def share_section(assessment: Assessment, insight: Insight, features: pl.DataFrame | None,
                  ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The share report's part: figures and dates only (JSON), and lines with roles (HTML). No message text."""
    if held(insight):
        return {}, []
    ruptures = assessment.ruptures
    if not ruptures and features is not None:
        from ebbtide.signals.ruptures import find_ruptures

        ruptures = find_ruptures(features, me=assessment.me, partner=assessment.partner)
    if not ruptures:
        return {}, []
    me, partner = assessment.me, assessment.partner
    role = {me: "you", partner: "partner"}
    names = {partner: "your partner"}
    data = {"ruptures": [{
        "start": r.start.isoformat(), "kind": r.kind, "quiet": role.get(r.quiet) if r.quiet else None,
        "ongoing": r.ongoing, "tense_messages": len(r.tension),
        "days_to_reconnect": {role[p]: r.days_to_reconnect.get(p) for p in (me, partner)},
        "usual_per_day": {role[p]: r.usual.get(p) for p in (me, partner)},
        "repair_bids": {role[p]: list(r.bid_kinds(p)) for p in (me, partner)},
    } for r in ruptures], "ruptures_summary": summary(ruptures, me, partner, names, last_day=assessment.coverage.last)}
    w = _w()
    lines = [rupture_line(r, me, partner, names) for r in ruptures]
    block = {"heading": w["share_heading"], "intro": data["ruptures_summary"], "lines": lines}
    return data, [block]


__all__ = ["add_repair", "apply_repair", "days_words", "held", "rupture_line", "share_section", "summary"]
