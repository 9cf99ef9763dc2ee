"""The HTML report: one self-contained file (no CDN, no fonts, no network) with charts.

WHY self-contained: the report holds intimate messages; it must open offline, be safe to keep on
a USB stick, and never make the browser fetch anything from anywhere. Plotly's JavaScript is
inlined from the installed plotly package; every chart has a text alternative.
"""

from __future__ import annotations

import functools
import json
import math
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import jinja2
import polars as pl

from ebbtide.insight import crisis_resources, load, pattern_label, sign_label, status_label, strength_label
from ebbtide.insight.safety import ASK, device_note, exit_url, help_line
from ebbtide.insight.wording import counted, fill
from ebbtide.model import Assessment, Insight, MetricChange, SignStatus
from ebbtide.report.formatting import (
    change_text,
    context_line,
    day,
    number,
    since_text,
    value_text,
    when,
    words,
)
from ebbtide.report.json_report import complete_signs

# Weekly columns charted when present (see signals/weekly.py): id -> (label, unit).
CHART_METRICS: dict[str, tuple[str, str]] = {
    "messages": ("Messages per week", ""),
    "initiations": ("Conversations started", ""),
    "reply_rate": ("Share of messages answered", ""),
    "median_reply_min": ("Typical reply time", "min"),
    "mean_words": ("Words per message", ""),
    "affection_per_msg": ("Affection per message", ""),
    "warmth": ("Warmth (average tone)", ""),
    "questions_per_msg": ("Questions per message", ""),
    "double_texts": ("Messages in a row without a reply", ""),
    "lsm": ("Style matching between you", ""),
}
COLORS = ("#2b6cb0", "#c05621")  # partner, me: distinguishable for common colour-vision deficiencies
PLOTLY_CONFIG = {"displaylogo": False, "responsive": True, "displayModeBar": False}


@functools.cache
def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("ebbtide.report", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


@functools.cache
def _plotly_js() -> str:
    """Plotly's JS from the installed package, made safe to inline inside <script>."""
    from plotly.offline import get_plotlyjs

    return get_plotlyjs().replace("</script", "<\\/script")


def _baseline_band(frame: pl.DataFrame, column: str, baseline: tuple[date, date] | None) -> tuple[float, float] | None:
    if baseline is None or frame.is_empty():
        return None
    values = frame.filter(pl.col("week").is_between(baseline[0], baseline[1])).get_column(column).drop_nulls()
    values = values.filter(values.is_finite()) if values.dtype.is_float() else values
    if values.len() < 2:
        return None
    q25, q75 = values.quantile(0.25), values.quantile(0.75)
    if q25 is None or q75 is None:
        return None
    return float(q25), float(q75)


# Chart column -> the sign metric measuring the same thing: the caption then says the report's own
# figures ("175 per week → 53 per week"), never a second estimate of the same quantity.
CHART_METRIC_IDS: dict[str, str] = {
    "messages": "messages_per_week",
    "initiations": "initiations_per_week",
    "median_reply_min": "median_reply_minutes",
    "reply_rate": "reply_rate",
}


def _metric_of(assessment: Assessment | None, person: str, column: str) -> MetricChange | None:
    wanted = CHART_METRIC_IDS.get(column)
    if assessment is None or wanted is None:
        return None
    for s in assessment.signs:
        if s.person == person:
            for m in s.metrics:
                if m.id == wanted and m.baseline is not None and m.recent is not None:
                    return m
    return None


def _summary(frame: pl.DataFrame, column: str, baseline: tuple[date, date] | None, recent: tuple[date, date] | None,
             unit: str, assessment: Assessment | None = None) -> str:
    """Plain-words text alternative: each person's usual vs recent (the sign's figures where it has them)."""
    parts = []
    for person in frame.get_column("person").unique(maintain_order=True).to_list():
        m = _metric_of(assessment, person, column)
        if m is not None:
            parts.append(f"{person} usually {value_text(m.baseline, m.unit)}, recently {value_text(m.recent, m.unit)}")
            continue
        mine = frame.filter(pl.col("person") == person)
        usual = _median(mine, column, baseline)
        latest = _median(mine, column, recent)
        if usual is None and latest is None:
            continue
        parts.append(f"{person} in a typical week usually about {number(usual, unit)}, recently about "
                     f"{number(latest, unit)}")
    return "; ".join(parts) or "no data"


def _median(frame: pl.DataFrame, column: str, period: tuple[date, date] | None) -> float | None:
    if period is not None:
        frame = frame.filter(pl.col("week").is_between(period[0], period[1]))
    values = frame.get_column(column).drop_nulls()
    if values.len() == 0:
        return None
    m = values.median()
    return float(m) if isinstance(m, int | float) and math.isfinite(float(m)) else None


def _clean(values: list[Any]) -> list[Any]:
    """JSON-safe numbers: NaN and infinities become null (gaps in the line)."""
    return [None if isinstance(v, float) and not math.isfinite(v) else v for v in values]


def _plot_html(div_id: str, data: list[dict[str, Any]], layout: dict[str, Any]) -> str:
    """A div and the inline call that draws it (JSON made safe to sit inside <script>)."""
    def dump(obj: object) -> str:
        return json.dumps(obj, separators=(",", ":")).replace("</", "<\\/")

    return (f'<div id="{div_id}" class="plot" style="height:{layout["height"]}px"></div>'
            f'<script>Plotly.newPlot("{div_id}",{dump(data)},{dump(layout)},{dump(PLOTLY_CONFIG)});</script>')


def charts(assessment: Assessment) -> list[dict[str, Any]]:
    """One chart per weekly metric present: both people, baseline bands, change points.

    WHY hand-built figure JSON instead of plotly.graph_objects: the same picture without the
    validation cost (about 10x faster), and nothing but data and layout ends up in the page.
    """
    weekly = assessment.weekly
    if weekly is None or weekly.is_empty() or not {"week", "person"} <= set(weekly.columns):
        return []
    weekly = weekly.sort("week")
    people = [assessment.partner, assessment.me]
    out = []
    for column, (label, unit) in CHART_METRICS.items():
        if column not in weekly.columns or weekly.get_column(column).drop_nulls().len() == 0:
            continue
        data: list[dict[str, Any]] = []
        shapes: list[dict[str, Any]] = []
        annotations: list[dict[str, Any]] = []
        for person, color in zip(people, COLORS, strict=True):
            mine = weekly.filter(pl.col("person") == person)
            if mine.is_empty():
                continue
            data.append({
                "type": "scatter", "mode": "lines+markers", "name": person,
                "x": [d.isoformat() for d in mine.get_column("week").to_list()],
                "y": _clean(mine.get_column(column).to_list()),
                "line": {"color": color, "width": 2}, "marker": {"size": 4},
            })
            band = _baseline_band(mine, column, assessment.baseline)
            if band:
                shapes.append({"type": "rect", "xref": "paper", "x0": 0, "x1": 1, "yref": "y", "y0": band[0],
                               "y1": band[1], "fillcolor": color, "opacity": 0.12, "line": {"width": 0},
                               "layer": "below"})
        if assessment.baseline:
            x0 = assessment.baseline[0].isoformat()
            shapes.append({"type": "rect", "xref": "x", "yref": "paper", "y0": 0, "y1": 1, "x0": x0,
                           "x1": (assessment.baseline[1] + timedelta(days=1)).isoformat(), "fillcolor": "#888",
                           "opacity": 0.08, "line": {"width": 0}, "layer": "below"})
            annotations.append({"text": "usual", "xref": "x", "yref": "paper", "x": x0, "y": 1,
                                "showarrow": False, "xanchor": "left", "yanchor": "top",
                                "font": {"size": 11, "color": "#555"}})
        for cp in assessment.change_points:
            shapes.append({"type": "line", "xref": "x", "yref": "paper", "x0": cp.isoformat(),
                           "x1": cp.isoformat(), "y0": 0, "y1": 1,
                           "line": {"dash": "dash", "color": "#555", "width": 1}})
        layout = {
            "title": {"text": label, "font": {"size": 15}}, "height": 280,
            "margin": {"l": 40, "r": 10, "t": 40, "b": 30}, "legend": {"orientation": "h", "y": -0.2},
            "paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "rgba(0,0,0,0)", "hovermode": "x unified",
            "font": {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif"},
            "xaxis": {"type": "date"}, "shapes": shapes, "annotations": annotations,
        }
        summary = _summary(weekly, column, assessment.baseline, assessment.recent, unit, assessment)
        out.append({
            "id": column,
            "label": label,
            "alt": words("chart_alt", label=label, summary=summary),
            "html": _plot_html(f"chart-{column}", data, layout),
        })
    return out


def render_html(
    assessment: Assessment,
    insight: Insight,
    *,
    simulated: bool = False,
    country: str | None = None,
    include_charts: bool = True,
) -> str:
    """The whole report as one HTML string."""
    a = assessment
    signs = complete_signs(a)
    people = []
    for person in (a.partner, a.me):
        rows = []
        for s in (s for s in signs if s.person == person):
            status = status_label(s.status.value)
            if s.status is SignStatus.DETECTED and s.strength in ("slight", "clear", "strong"):
                status = f"{status} ({strength_label(s.strength)})"
            rows.append({
                "label": sign_label(s.sign.value), "status": status, "status_class": s.status.value,
                "since": since_text(s) if s.since else "", "note": s.note,
                "metrics": [f"{m.label}: {change_text(m)}" for m in s.metrics],
                "evidence": [_ev(e) for e in s.evidence[:5]],
            })
        intro = words("own_side", me=a.me) if person == a.me else words("partner_side", partner=a.partner)
        people.append({"name": person, "intro": intro, "signs": rows})
    dip_words = load("patterns")["dip"]
    dips = [
        fill(dip_words["ongoing" if d.end is None else "recovered" if d.recovered else "not_recovered"],
             person=d.person, start=d.start, end=d.end or d.start, weeks=d.weeks)
        for d in sorted(a.dips, key=lambda d: d.start)
    ]
    c = a.coverage
    context = {
        "w": words,
        "title": words("title"),
        "simulated": simulated,
        "banner": load("patterns")["simulated"]["banner"],
        "safety_first": insight.safety_first,
        "safety_message": insight.safety_message,
        "safety_question": insight.safety_question if insight.safety_level == ASK else "",
        "ask_evidence": [_ev(e) for e in a.safety_ambiguous] if insight.safety_level == ASK else [],
        "held_back": insight.held_back,
        "help_line": help_line(country),
        "device_note": device_note(),
        "exit_url": exit_url(),
        "resources": crisis_resources(country),
        "pattern_label": pattern_label(a.pattern.value, me=a.me, partner=a.partner),
        "pattern": a.pattern.value,
        "headline": insight.headline,
        "plan": insight.plan,
        "people": people,
        "baseline_text": words("baseline_period", start=a.baseline[0], end=a.baseline[1], rstart=a.recent[0],
                               rend=a.recent[1]) if a.baseline and a.recent else "",
        "reasons": [{"r": r, "evidence": [_ev(e) for e in r.evidence[:3]]} for r in insight.reasons],
        "faq": insight.faq,
        "dips": dips,
        "repair": [{"text": line.text, "evidence": [_ev(e) for e in line.evidence]} for line in insight.repair],
        "repair_words": load("repair") if insight.repair else {},
        "coverage": {
            "messages": counted(c.messages, "message"), "first": day(c.first), "last": day(c.last),
            "weeks": counted(c.weeks, "week"),
            "by_person": [f"{k}: {v:,}" for k, v in c.by_person.items()],
        },
        "limits": insight.limits,
        "charts": charts(a) if include_charts else [],
        "plotly_js": _plotly_js() if include_charts else "",
    }
    return _env().get_template("report.html.j2").render(**context)


def _ev(e: Any) -> dict[str, str]:
    return {"when": when(e.timestamp), "sender": e.sender, "text": e.text or "(no message: a silence)",
            "why": e.why, "context": context_line(e)}


def write_html(
    path: str | Path, assessment: Assessment, insight: Insight, *, simulated: bool = False,
    country: str | None = None,
) -> Path:
    """Write the report atomically (a half-written file never replaces a good one)."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(render_html(assessment, insight, simulated=simulated, country=country), encoding="utf-8")
    tmp.replace(path)
    return path


__all__ = ["CHART_METRICS", "charts", "render_html", "write_html"]
