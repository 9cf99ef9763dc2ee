"""The Share page: a preview of the report to share (no message text, no names), the list of what
is left out, and buttons that download it as HTML (print-ready) or JSON.

The report is the one ``ebbtide analyze --share`` writes (``ebbtide.report.share``); this page only
shows it and hands it over. A download is saved by the browser in its own downloads folder.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from ebbtide.insight import status_label, strength_label
from ebbtide.report.formatting import change_text, since_text
from ebbtide.report.share import anonymous, render_share, share_data, wording
from ebbtide.web.charts import figures
from ebbtide.web.pages import render, state_of

router = APIRouter()


def _extras(a: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    from ebbtide.insight.repair import share_section  # the web app imports no CLI code (layers)

    return share_section(a.assessment, a.insight, a.features)


@router.get("/share")
def share_page(request: Request) -> Response:
    analysis = state_of(request).analysis()
    if analysis is None:
        return RedirectResponse("/import?first=1", status_code=303)
    data_extra, html_extra = _extras(analysis)
    data = share_data(analysis.assessment, analysis.insight, extra=data_extra)
    anon = anonymous(analysis.assessment)
    from ebbtide.insight import sign_label
    from ebbtide.report.json_report import complete_signs

    rows = []
    for s in complete_signs(anon):
        status = status_label(s.status.value)
        if s.strength in ("slight", "clear", "strong"):
            status = f"{status} ({strength_label(s.strength)})"
        rows.append({"role": s.person, "label": sign_label(s.sign.value), "status": status,
                     "status_class": s.status.value, "since": since_text(s) if s.since else "",
                     "metrics": [f"{m.label}: {change_text(m)}" for m in s.metrics]})
    charts = figures(anon, ())
    chart_json = json.dumps([{"id": f["id"], "data": f["data"], "layout": f["layout"]} for f in charts],
                            separators=(",", ":")).replace("</", "<\\/")
    return render(request, "share.html", title="Share without the messages", w=wording(), data=data, rows=rows,
                  extra=html_extra, charts=charts, chart_json=chart_json)


@router.get("/share/download")
def share_download(request: Request, format: str = "html") -> Response:  # noqa: A002 - the query's name
    analysis = state_of(request).analysis()
    if analysis is None:
        return RedirectResponse("/import?first=1", status_code=303)
    as_json = format == "json"
    data_extra, html_extra = _extras(analysis)
    text = render_share(analysis.assessment, analysis.insight, as_json=as_json, messages=analysis.messages,
                        extra=data_extra, extra_html=html_extra, country=state_of(request).setting("country"))
    name = f"ebbtide-share-{date.today().isoformat()}.{'json' if as_json else 'html'}"
    return Response(text, media_type="application/json" if as_json else "text/html; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


__all__ = ["router"]
