"""The JSON report: a documented, versioned projection of Assessment + Insight.

WHY: other tools (and the user's own scripts) should be able to read the results without
importing ebbtide. The structure is documented in docs/json-report.md, and a test checks the
output against that document. Bump ``SCHEMA_VERSION`` only for incompatible changes; new keys
may be added within a version.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ebbtide.insight import crisis_resources, pattern_label, sign_label
from ebbtide.insight.safety import help_line
from ebbtide.model import (
    Assessment,
    Dip,
    Evidence,
    FaqAnswer,
    Insight,
    MetricChange,
    PlanStep,
    Reason,
    SignId,
    SignResult,
    SignStatus,
)

SCHEMA_VERSION = 1


def _day(d: date | datetime | None) -> str | None:
    if d is None:
        return None
    if isinstance(d, datetime):
        d = d.date()
    return d.isoformat()


def _num(x: float | int | None) -> float | int | None:
    """Numbers as JSON allows them: NaN and infinities become null."""
    if x is None:
        return None
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def evidence_dict(e: Evidence) -> dict[str, Any]:
    return {
        "timestamp": e.timestamp.isoformat(timespec="minutes") if e.timestamp else None,
        "date": _day(e.timestamp),
        "sender": e.sender,
        "text": e.text,
        "why": e.why,
        "spans": [list(s) for s in e.spans],
        "context_before": e.context_before,
        "context_sender": e.context_sender,
    }


def metric_dict(m: MetricChange) -> dict[str, Any]:
    return {
        "id": m.id,
        "label": m.label,
        "baseline": _num(m.baseline),
        "recent": _num(m.recent),
        "change": _num(m.change),
        "ci_low": _num(m.ci_low),
        "ci_high": _num(m.ci_high),
        "unit": m.unit,
        "withdrawal_direction": m.withdrawal_direction,
    }


def sign_dict(s: SignResult) -> dict[str, Any]:
    return {
        "id": s.sign.value,
        "label": sign_label(s.sign.value),
        "person": s.person,
        "status": s.status.value,
        "since": _day(s.since),
        "since_low": _day(s.since_low),
        "since_high": _day(s.since_high),
        "deciding_metric": s.deciding or None,
        "strength": s.strength,
        "note": s.note,
        "metrics": [metric_dict(m) for m in s.metrics],
        "evidence": [evidence_dict(e) for e in s.evidence],
    }


def reason_dict(r: Reason) -> dict[str, Any]:
    return {
        "id": r.id.value,
        "title": r.title,
        "text": r.text,
        "hints": r.hints,
        "evidence": [evidence_dict(e) for e in r.evidence],
        "citations": list(r.citations),
    }


def plan_dict(p: PlanStep) -> dict[str, Any]:
    return {
        "id": p.id.value,
        "title": p.title,
        "why": p.why,
        "actions": list(p.actions),
        "starters": list(p.starters),
        "rhythm": p.rhythm,
        "triggers": list(p.triggers),
        "evidence": [evidence_dict(e) for e in p.evidence],
        "citations": list(p.citations),
    }


def faq_dict(f: FaqAnswer) -> dict[str, Any]:
    return {
        "id": f.id.value,
        "question": f.question,
        "answer": f.answer,
        "from_history": f.from_history,
        "figures": {k: _num(v) if not isinstance(v, str) else v for k, v in f.figures.items()},
        "citations": list(f.citations),
    }


def dip_dict(d: Dip) -> dict[str, Any]:
    return {
        "person": d.person,
        "start": _day(d.start),
        "end": _day(d.end),
        "recovered": d.recovered,
        "weeks": d.weeks,
        "depth": _num(d.depth),
    }


def complete_signs(assessment: Assessment) -> list[SignResult]:
    """Exactly one result per sign per person (me first); missing ones read insufficient_data.

    WHY: readers of the JSON can rely on ten entries, whatever the signals layer returned.
    """
    by_key = {(s.person, s.sign): s for s in assessment.signs}
    out: list[SignResult] = []
    for person in (assessment.me, assessment.partner):
        for sign in SignId:
            out.append(
                by_key.get((person, sign))
                or SignResult(sign, person, SignStatus.INSUFFICIENT_DATA, note="not assessed")
            )
    return out


def _weekly_rows(assessment: Assessment) -> list[dict[str, Any]]:
    frame = assessment.weekly
    if frame is None or frame.is_empty():
        return []
    rows: Iterable[dict[str, Any]] = frame.iter_rows(named=True)
    out = []
    for row in rows:
        clean: dict[str, Any] = {}
        for key, value in row.items():
            if isinstance(value, date | datetime):
                clean[key] = _day(value)
            elif isinstance(value, float | int | str | bool) or value is None:
                clean[key] = _num(value) if isinstance(value, float) else value
        out.append(clean)
    return out


def rupture_dict(r: Any, text: str) -> dict[str, Any]:
    """One past rupture (signals/ruptures.py) with its sentence and the messages behind it."""
    return {
        "start": _day(r.start),
        "kind": r.kind,
        "quiet": r.quiet or None,
        "ongoing": r.ongoing,
        "days_to_reconnect": dict(r.days_to_reconnect),
        "back_on": {k: _day(v) for k, v in r.back_on.items()},
        "usual_per_day": dict(r.usual),
        "repair_bids": {p: list(r.bid_kinds(p)) for p in r.usual},
        "text": text,
        "tension": [evidence_dict(e) for e in r.tension],
        "bids": [evidence_dict(e) for e in r.bids],
    }


def report_dict(
    assessment: Assessment, insight: Insight, *, simulated: bool = False, country: str | None = None
) -> dict[str, Any]:
    """The whole report as plain JSON-ready data (see docs/json-report.md)."""
    from ebbtide import __version__

    a, c = assessment, assessment.coverage
    return {
        "schema_version": SCHEMA_VERSION,
        "generator": f"ebbtide {__version__}",
        "simulated": simulated,
        "me": a.me,
        "partner": a.partner,
        "pattern": a.pattern.value,
        "pattern_label": pattern_label(a.pattern.value, me=a.me, partner=a.partner),
        "pattern_explanation": a.pattern_explanation,
        "headline": insight.headline,
        "baseline": {"start": _day(a.baseline[0]), "end": _day(a.baseline[1])} if a.baseline else None,
        "recent": {"start": _day(a.recent[0]), "end": _day(a.recent[1])} if a.recent else None,
        "coverage": {
            "first": _day(c.first),
            "last": _day(c.last),
            "messages": c.messages,
            "by_person": dict(c.by_person),
            "weeks": c.weeks,
            "platforms": list(c.platforms),
            "notes": list(c.notes),
        },
        "signs": [sign_dict(s) for s in complete_signs(a)],
        "reasons": [reason_dict(r) for r in insight.reasons],
        "plan": [plan_dict(p) for p in insight.plan],
        "faq": [faq_dict(f) for f in insight.faq],
        "history": {
            "dips": [dip_dict(d) for d in sorted(a.dips, key=lambda d: d.start)],
            "change_points": [_day(d) for d in a.change_points],
            "ruptures": [rupture_dict(r, line.text) for r, line in zip(a.ruptures, insight.repair, strict=False)],
        },
        "safety": {
            "level": insight.safety_level,
            "safety_first": insight.safety_first,
            "message": insight.safety_message,
            "question": insight.safety_question,
            "held_back": insight.held_back,
            "flags": [evidence_dict(e) for e in a.safety_flags],
            "ambiguous": [evidence_dict(e) for e in a.safety_ambiguous],
            "help_line": help_line(country),
            "resources": [
                {"region": r.region, "region_name": r.region_name, "name": r.name, "contact": r.contact,
                 "for": r.for_what, "kind": r.kind}
                for r in crisis_resources(country)
            ],
        },
        "limits": list(insight.limits),
        "weekly": _weekly_rows(a),
    }


def to_json(assessment: Assessment, insight: Insight, *, simulated: bool = False, country: str | None = None) -> str:
    return json.dumps(
        report_dict(assessment, insight, simulated=simulated, country=country), ensure_ascii=False, indent=2
    )


def write_json(
    path: str | Path, assessment: Assessment, insight: Insight, *, simulated: bool = False,
    country: str | None = None,
) -> Path:
    """Write the JSON report (UTF-8) atomically: a half-written report never replaces a good one."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(to_json(assessment, insight, simulated=simulated, country=country) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path
