"""The analysis pages: overview (verdict and plan first), one page per sign with the evidence in
context, the reasons with the reflection questionnaire, the plan, and the questions (FAQ)."""

from __future__ import annotations

import json
from typing import Any

import polars as pl
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from ebbtide.insight import pattern_label, sign_label, status_label, strength_label
from ebbtide.insight.rerun import rerun_note
from ebbtide.insight.safety import ASK
from ebbtide.insight.wording import load
from ebbtide.model import Evidence, ReasonId, SignId, SignStatus
from ebbtide.report.formatting import change_text, context_line, day, since_text, when, words
from ebbtide.report.json_report import complete_signs
from ebbtide.web.pages import render, safety_block, state_of
from ebbtide.web.service import WebAnalysis

router = APIRouter()
CONTEXT_ROWS = 3  # messages shown before and after each piece of evidence
SIGN_CHARTS: dict[SignId, tuple[str, ...]] = {
    SignId.DECREASED_COMMUNICATION: ("messages", "initiations", "reply_rate"),
    SignId.DECLINE_IN_INTIMACY: ("affection_per_msg", "warmth"),
    SignId.INCREASED_TIME_APART: ("messages",),
    SignId.CHANGE_IN_ENGAGEMENT: ("median_reply_min", "mean_words", "questions_per_msg", "lsm"),
    SignId.EVASIVE_RESPONSES: ("messages",),
}


def _need_analysis(request: Request) -> WebAnalysis | Response:
    analysis = state_of(request).analysis()
    if analysis is None:
        return RedirectResponse("/import?first=1", status_code=303)
    return analysis


def _page_safety(request: Request, a: WebAnalysis) -> dict[str, Any] | None:
    if not a.insight.safety_first:
        return None
    block = safety_block(state_of(request), from_messages=bool(a.assessment.safety_flags), forced=True)
    if block is not None:
        block["message"] = a.insight.safety_message
    return block


def _sign_rows(a: WebAnalysis) -> list[dict[str, Any]]:
    rows = []
    for s in complete_signs(a.assessment):
        status = status_label(s.status.value)
        if s.status is SignStatus.DETECTED and s.strength in ("slight", "clear", "strong"):
            status = f"{status} ({strength_label(s.strength)})"
        rows.append({"id": s.sign.value, "label": sign_label(s.sign.value), "person": s.person,
                     "status": status, "status_class": s.status.value, "since": since_text(s) if s.since else "",
                     "note": s.note})
    return rows


@router.get("/overview")
def overview(request: Request) -> Response:
    got = _need_analysis(request)
    if isinstance(got, Response):
        return got
    a, state = got, state_of(request)
    runs = state.count_run()
    events = state.events(a.conversation_id)
    charts, chart_json = state.figures(a, events)
    assessment = a.assessment
    return render(
        request, "overview.html", title="Overview", a=assessment, insight=a.insight,
        safety=_page_safety(request, a),
        label=pattern_label(assessment.pattern.value, me=assessment.me, partner=assessment.partner),
        signs=_sign_rows(a), charts=charts, chart_json=chart_json,
        rerun=rerun_note(runs), events=events,
        ask_question=a.insight.safety_question if a.insight.safety_level == ASK else "",
        ask_evidence=[{"when": when(e.timestamp), "sender": e.sender, "text": e.text}
                      for e in assessment.safety_ambiguous] if a.insight.safety_level == ASK else [],
        baseline=assessment.baseline, recent=assessment.recent, day=day,
        guess_first=not a.insight.safety_first and not state.setting(f"guess_seen:{a.conversation_id}"),
    )


Quoted = dict[tuple[Any, str], list[tuple[int, str | None]]]


def quoted_rows(a: WebAnalysis) -> Quoted:
    """(time, sender) of every piece of evidence -> the rows of the chat sent then by them (row number,
    text), found in one pass over the chat per analysis and kept with it."""
    if "quoted" not in a.memo:
        keys = {(e.timestamp, e.sender) for s in a.assessment.signs for e in s.evidence if e.sender != "journal"}
        found: Quoted = {}
        if keys and not a.messages.is_empty():
            stamps = pl.Series(sorted({k[0] for k in keys}), dtype=a.messages.schema["timestamp"])
            hits = (a.messages.select("timestamp", "sender", "text").with_row_index("_i")
                    .filter(pl.col("timestamp").is_in(stamps.implode())))
            for i, ts, sender, text in hits.iter_rows():
                if (ts, sender) in keys:
                    found.setdefault((ts, sender), []).append((int(i), text))
        a.memo["quoted"] = found
    return a.memo["quoted"]  # type: ignore[no-any-return]


def in_context(messages: pl.DataFrame, evidence: Evidence, rows: int = CONTEXT_ROWS,
               quoted: Quoted | None = None) -> list[dict[str, Any]]:
    """The messages around one piece of evidence (from the store), the evidence itself marked.

    ``quoted``: the rows found for every piece of evidence at once (``quoted_rows``), else searched here."""
    if messages.is_empty():
        return []
    if quoted is None:
        hits = (messages.select("timestamp", "sender", "text").with_row_index("_i")
                .filter((pl.col("timestamp") == evidence.timestamp) & (pl.col("sender") == evidence.sender)))
        exact = [(int(i), text) for i, _, _, text in hits.iter_rows()]
    else:
        exact = quoted.get((evidence.timestamp, evidence.sender), [])
    if evidence.text:
        exact = [hit for hit in exact if hit[1] == evidence.text] or exact
    if not exact:  # a silence, or evidence from elsewhere: the nearest message in time
        pos = int(messages.get_column("timestamp").search_sorted(evidence.timestamp))
        centre, marked = min(pos, messages.height - 1), -1
    else:
        centre = marked = exact[0][0]
    lo, hi = max(0, centre - rows), min(messages.height, centre + rows + 1)
    out = []
    for i, r in enumerate(messages.slice(lo, hi - lo).iter_rows(named=True), start=lo):
        out.append({"when": when(r["timestamp"]), "sender": r["sender"] or "(system)",
                    "text": r["text"] or f"({r['kind']})", "mark": i == marked})
    return out


@router.get("/sign/{sign_id}")
def sign_page(request: Request, sign_id: str) -> Response:
    try:
        sign = SignId(sign_id)
    except ValueError:
        return RedirectResponse("/overview", status_code=303)
    got = _need_analysis(request)
    if isinstance(got, Response):
        return got
    a, state = got, state_of(request)
    events = state.events(a.conversation_id)
    people = []
    chosen = [r for r in complete_signs(a.assessment) if r.sign is sign]
    chosen.sort(key=lambda r: r.person != a.assessment.partner)  # the partner first: the user's question
    for res in chosen:
        status = status_label(res.status.value)
        if res.status is SignStatus.DETECTED and res.strength in ("slight", "clear", "strong"):
            status = f"{status} ({strength_label(res.strength)})"
        people.append({
            "person": res.person, "status": status, "status_class": res.status.value,
            "since": since_text(res) if res.since else "", "note": res.note,
            "metrics": [f"{m.label}: {change_text(m)}" for m in res.metrics],
            "evidence": [{"why": e.why, "when": when(e.timestamp), "sender": e.sender,
                          "text": e.text or "(no message: a silence)", "context_before": context_line(e, "In answer to"),
                          "context": in_context(a.messages, e, quoted=quoted_rows(a))
                          if e.sender != "journal" else []}
                         for e in res.evidence[:8]],
        })
    charts, chart_json = state.figures(a, events, SIGN_CHARTS.get(sign, ()))
    return render(
        request, "sign.html", title=sign_label(sign.value), sign=sign, label=sign_label(sign.value),
        explain=load("patterns").get("sign_explain", {}).get(sign.value, ""), people=people,
        safety=_page_safety(request, a), charts=charts, chart_json=chart_json, signs=list(SignId),
        sign_label=sign_label,
    )


@router.get("/reasons")
def reasons_page(request: Request) -> Response:
    got = _need_analysis(request)
    if isinstance(got, Response):
        return got
    a = got
    reflection = state_of(request).reflection()
    return render(request, "reasons.html", title="Possible reasons", insight=a.insight, a=a.assessment,
                  safety=_page_safety(request, a), reflection={k.value: v for k, v in reflection.items()},
                  scale=_reflection_scale(), when=when, no_reasons=words("no_reasons"),
                  reasons_intro_stable=words("reasons_intro_stable"))


def _reflection_scale() -> list[dict[str, Any]]:
    from ebbtide.insight.selfcheck import selfcheck_text

    return list(selfcheck_text()["reflection_scale"])


@router.post("/reasons")
async def reasons_save(request: Request) -> Response:
    """The user's own weighing of each reason (0..3) feeds explain(reflection=...) and so the plan."""
    form = await request.form()
    reflection: dict[str, int] = {}
    for reason in ReasonId:
        value = form.get(f"r_{reason.value}")
        if isinstance(value, str) and value in {"0", "1", "2", "3"}:
            reflection[reason.value] = int(value)
    state_of(request).set("reflection", json.dumps(reflection) if reflection else None)
    return RedirectResponse("/plan?updated=1", status_code=303)


@router.get("/plan")
def plan_page(request: Request) -> Response:
    got = _need_analysis(request)
    if isinstance(got, Response):
        return got
    a = got
    return render(request, "plan.html", title="A plan", insight=a.insight, a=a.assessment,
                  safety=_page_safety(request, a), updated=request.query_params.get("updated") == "1")


@router.get("/faq")
def faq_page(request: Request) -> Response:
    got = _need_analysis(request)
    if isinstance(got, Response):
        return got
    a = got
    return render(request, "faq.html", title="Questions", insight=a.insight, a=a.assessment,
                  safety=_page_safety(request, a), limits=a.insight.limits, no_reasons=words("no_reasons"),
                  repair_words=load("repair") if a.insight.repair else {}, when=when)
