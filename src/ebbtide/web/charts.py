"""Chart figures for the web pages: the HTML report's charts, plus journal events as markers.

WHY reuse ``report.html.charts``: one definition of what is charted, the baseline bands and the
change points. The report inlines a ``Plotly.newPlot(...)`` call; the web app's CSP forbids inline
code, so the figure JSON is taken back out of that call and shipped as a JSON data block that the
app's own script draws.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from ebbtide.model import Assessment
from ebbtide.report.html import charts as report_charts
from ebbtide.store.journal import EVENT_LABELS, JournalEvent

_CALL = re.compile(r'Plotly\.newPlot\("([^"]+)",')
EVENT_COLOR = "#2f855a"


def _figure_parts(html: str) -> tuple[Any, Any] | None:
    """(data, layout) from the report's inline ``Plotly.newPlot("id",DATA,LAYOUT,CONFIG)`` call."""
    m = _CALL.search(html)
    if not m:
        return None
    decoder = json.JSONDecoder()
    data, end = decoder.raw_decode(html, m.end())
    layout, _ = decoder.raw_decode(html, end + 1)
    return data, layout


def figures(assessment: Assessment, events: Sequence[JournalEvent] = (), only: Sequence[str] = (), *,
            drawn: Sequence[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Charts as {id, label, alt, data, layout}; journal events drawn as green vertical lines.

    ``drawn``: the report's charts of this assessment if already made (``report.html.charts``)."""
    out = []
    for chart in report_charts(assessment) if drawn is None else drawn:
        if only and chart["id"] not in only:
            continue
        parts = _figure_parts(chart["html"])
        if parts is None:
            continue
        data, layout = parts
        shapes = list(layout.get("shapes", []))
        annotations = list(layout.get("annotations", []))
        for e in events:
            x = e.date.isoformat()
            shapes.append({"type": "line", "xref": "x", "yref": "paper", "x0": x, "x1": x, "y0": 0, "y1": 1,
                           "line": {"color": EVENT_COLOR, "width": 2, "dash": "dot"}})
            annotations.append({"text": EVENT_LABELS[e.kind], "xref": "x", "yref": "paper", "x": x, "y": 0.02,
                                "showarrow": False, "textangle": -90, "xanchor": "right", "yanchor": "bottom",
                                "font": {"size": 10, "color": EVENT_COLOR}})
        layout["shapes"], layout["annotations"] = shapes, annotations
        alt = chart["alt"]
        if events:
            alt += " Journal events marked: " + "; ".join(
                f"{EVENT_LABELS[e.kind].lower()} on {e.date.isoformat()}" for e in events) + "."
        out.append({"id": chart["id"], "label": chart["label"], "alt": alt, "data": data, "layout": layout})
    return out


def chart_json(made: Sequence[dict[str, Any]]) -> str:
    """The figures as the page's JSON data block (safe inside <script type="application/json">)."""
    data = [{"id": f["id"], "data": f["data"], "layout": f["layout"]} for f in made]
    return json.dumps(data, separators=(",", ":")).replace("</", "<\\/")


__all__ = ["chart_json", "figures"]
