"""The journal (events and weekly check-ins, with a JSON download) and the guided self-check."""

from __future__ import annotations

import json
import secrets
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from ebbtide.errors import EbbtideError
from ebbtide.insight import crisis_resources, pattern_label, sign_label
from ebbtide.insight.selfcheck import parse_answers, run_selfcheck, selfcheck_text
from ebbtide.insight.wording import load
from ebbtide.model import ReasonId, SignId
from ebbtide.store import journal as jr
from ebbtide.web.journal_link import before_after
from ebbtide.web.pages import render, state_of

router = APIRouter()
# Weekly columns compared around an event: column -> (label, which way means pulling back).
BEFORE_AFTER_METRICS: dict[str, tuple[str, str]] = {
    "messages": ("Messages per week", "down"),
    "reply_rate": ("Share of messages answered", "down"),
    "median_reply_min": ("Typical reply time (minutes)", "up"),
    "affection_per_msg": ("Affection per message", "down"),
}


def _date(value: str, where: str, today: date) -> date:
    try:
        d = date.fromisoformat(value.strip()) if value.strip() else today
    except ValueError:
        raise EbbtideError(f"'{value}' is not a date", where=where, fix="Use the date picker or YYYY-MM-DD.") from None
    return d


def _yes(value: str | None) -> bool | None:
    if value in (None, ""):
        return None
    return value == "yes"


@router.get("/journal")
def journal_page(request: Request) -> Response:
    state = state_of(request)
    chosen = state.conversation()
    events, checkins = state.events(chosen[0] if chosen else None), state.checkins()
    analysis = state.analysis() if chosen else None
    compared: dict[int, list[Any]] = {}
    if analysis is not None:
        a = analysis.assessment
        for e in events:
            label = f"{jr.EVENT_LABELS[e.kind].lower()} on {e.date.isoformat()}"
            compared[e.id] = before_after(a.weekly, e.date, metrics=BEFORE_AFTER_METRICS, event_label=label,
                                          people=(a.partner, a.me), baseline=a.baseline)
    return render(request, "journal.html", title="Journal", events=list(reversed(events)),
                  checkins=list(reversed(checkins)), kinds=jr.EVENT_LABELS, compared=compared,
                  today=state.today().isoformat(), saved=request.query_params.get("saved", ""),
                  undo=request.query_params.get("undo", "") if request.query_params.get("undo", "") in state.undo
                  else "",
                  partner=chosen[2] if chosen else "your partner")


@router.post("/journal/event")
def add_event(request: Request, kind: Annotated[str, Form()], day: Annotated[str, Form()] = "",
              note: Annotated[str, Form()] = "") -> Response:
    state = state_of(request)
    chosen = state.conversation()
    with state.store() as s:
        jr.add_event(s, day=_date(day, "event date", state.today()), kind=kind, note=note,
                     conversation_id=chosen[0] if chosen else None)
    state.invalidate()
    return RedirectResponse("/journal?saved=event", status_code=303)


def _checkin_from_form(state: Any, closeness: int, day: str, saw_each_other: str, outside_stress: str,
                       afraid: str, controlled: str, note: str) -> jr.CheckIn:
    return jr.CheckIn(date=_date(day, "check-in date", state.today()), closeness=closeness,
                      saw_each_other=_yes(saw_each_other), outside_stress=outside_stress,
                      afraid=_yes(afraid), controlled=_yes(controlled), note=note)


@router.get("/journal/event/{event_id}/delete")
def confirm_delete_event(request: Request, event_id: int) -> Response:
    """Ask before removing: one click on the journal page only leads here."""
    with state_of(request).store() as s:
        event = jr.get_event(s, event_id)
    if event is None:
        return RedirectResponse("/journal", status_code=303)
    what = f"{jr.EVENT_LABELS[event.kind]} on {event.date.isoformat()}" + (f": {event.note}" if event.note else "")
    return render(request, "confirm.html", title="Remove an event?", question="Remove this event from your journal?",
                  what=what, action=f"/journal/event/{event_id}/delete", button="Remove the event")


@router.post("/journal/event/{event_id}/delete")
def delete_event(request: Request, event_id: int) -> Response:
    """Remove for good (the file is rewritten); the page offers to undo while the app runs."""
    state = state_of(request)
    with state.store() as s:
        event = jr.get_event(s, event_id)
        jr.delete_event(s, event_id)
    state.invalidate()
    if event is None:
        return RedirectResponse("/journal", status_code=303)
    key = secrets.token_urlsafe(8)
    state.undo[key] = ("event", event)
    return RedirectResponse(f"/journal?saved=deleted&undo={key}", status_code=303)


@router.post("/journal/undo/{key}")
def undo(request: Request, key: str) -> Response:
    """Put back what was just removed (kept in this app's memory only, never on disk)."""
    state = state_of(request)
    item = state.undo.pop(key, None)
    if item is None:
        raise EbbtideError("there is nothing to undo any more", where="journal",
                           fix="Undo works until the app is stopped; add the entry again if you need it.")
    kind, thing = item
    with state.store() as s:
        if kind == "event":
            jr.restore_event(s, thing)
        else:
            jr.add_checkin(s, thing, keep_id=True)
    state.invalidate()
    return RedirectResponse("/journal?saved=restored", status_code=303)


@router.post("/journal/checkin")
def add_checkin(request: Request, closeness: Annotated[int, Form()], day: Annotated[str, Form()] = "",
                saw_each_other: Annotated[str, Form()] = "", outside_stress: Annotated[str, Form()] = "",
                afraid: Annotated[str, Form()] = "", controlled: Annotated[str, Form()] = "",
                note: Annotated[str, Form()] = "") -> Response:
    """A weekly check-in; it always asks, gently, about fear and control (see templates/journal.html)."""
    state = state_of(request)
    checkin = _checkin_from_form(state, closeness, day, saw_each_other, outside_stress, afraid, controlled, note)
    with state.store() as s:
        jr.add_checkin(s, checkin)
    state.invalidate()
    return RedirectResponse("/journal?saved=checkin", status_code=303)


@router.get("/journal/checkin/{checkin_id}/edit")
def edit_checkin_page(request: Request, checkin_id: int) -> Response:
    state = state_of(request)
    with state.store() as s:
        checkin = jr.get_checkin(s, checkin_id)
    if checkin is None:
        return RedirectResponse("/journal", status_code=303)
    chosen = state.conversation()
    return render(request, "checkin_edit.html", title="Change a check-in", c=checkin, today=state.today().isoformat(),
                  partner=chosen[2] if chosen else "your partner")


@router.post("/journal/checkin/{checkin_id}/edit")
def edit_checkin(request: Request, checkin_id: int, closeness: Annotated[int, Form()],
                 day: Annotated[str, Form()] = "", saw_each_other: Annotated[str, Form()] = "",
                 outside_stress: Annotated[str, Form()] = "", afraid: Annotated[str, Form()] = "",
                 controlled: Annotated[str, Form()] = "", note: Annotated[str, Form()] = "") -> Response:
    state = state_of(request)
    checkin = _checkin_from_form(state, closeness, day, saw_each_other, outside_stress, afraid, controlled, note)
    with state.store() as s:
        jr.update_checkin(s, checkin_id, checkin)
    state.invalidate()
    return RedirectResponse("/journal?saved=changed", status_code=303)


@router.get("/journal/checkin/{checkin_id}/delete")
def confirm_delete_checkin(request: Request, checkin_id: int) -> Response:
    with state_of(request).store() as s:
        checkin = jr.get_checkin(s, checkin_id)
    if checkin is None:
        return RedirectResponse("/journal", status_code=303)
    what = f"The check-in of {checkin.date.isoformat()} (closeness {checkin.closeness})"
    return render(request, "confirm.html", title="Remove a check-in?", question="Remove this check-in?", what=what,
                  action=f"/journal/checkin/{checkin_id}/delete", button="Remove the check-in")


@router.post("/journal/checkin/{checkin_id}/delete")
def delete_checkin(request: Request, checkin_id: int) -> Response:
    state = state_of(request)
    with state.store() as s:
        removed = jr.delete_checkin(s, checkin_id)
    state.invalidate()
    if removed is None:
        return RedirectResponse("/journal", status_code=303)
    key = secrets.token_urlsafe(8)
    state.undo[key] = ("checkin", removed)
    return RedirectResponse(f"/journal?saved=deleted&undo={key}", status_code=303)


@router.get("/journal/export.json")
def export_journal(request: Request) -> Response:
    state = state_of(request)
    with state.store() as s:
        data = jr.export_journal(s)
    body = json.dumps(data, indent=2, ensure_ascii=False)
    name = f"ebbtide-journal-{state.today().isoformat()}.json"
    return Response(body, media_type="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


# --------------------------------------------------------------------------- self-check
@router.get("/selfcheck")
def selfcheck_page(request: Request) -> Response:
    text = selfcheck_text()
    reasons = load("reasons")
    reason_list = [{"id": r.value, "title": reasons[r.value]["title"]} for r in ReasonId]
    return render(request, "selfcheck.html", title="Self-check", text=text, sign_label=sign_label,
                  reasons=reason_list, partner=(state_of(request).conversation() or ("", "", ""))[2])


@router.post("/selfcheck")
async def selfcheck_result(request: Request) -> Response:
    """The answers go through the same explain() as a chat: same reasons, plan, FAQ and safety."""
    form = await request.form()

    def get(key: str) -> str:
        value = form.get(key)
        return value if isinstance(value, str) else ""

    data: dict[str, Any] = {
        "signs": {s.value: get(f"s_{s.value}") for s in SignId if get(f"s_{s.value}")},
        "pulling_back": get("pulling_back") or 0,
        "reaching_out": get("reaching_out") or 0,
        "reflection": {r.value: get(f"r_{r.value}") for r in ReasonId if get(f"r_{r.value}")},
        "afraid": "yes" if "yes" in (get("afraid"), get("controlled")) else "no",
        "weeks": get("weeks") or 6,
        "partner": get("partner"),
    }
    state = state_of(request)
    assessment, insight = run_selfcheck(parse_answers(data), today=state.today())
    safety = None
    if insight.safety_first:
        safety = {"message": insight.safety_message, "resources": crisis_resources(state.setting("country"))}
    return render(request, "selfcheck_result.html", title="Your self-check", a=assessment, insight=insight,
                  safety=safety, label=pattern_label(assessment.pattern.value, me=assessment.me,
                                                     partner=assessment.partner))
