"""Pages to get started and to set things: home, the safety question, import, choosing who is
who, settings and forgetting everything."""

from __future__ import annotations

import re
import secrets
import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from ebbtide.errors import ChooseChat, EbbtideError
from ebbtide.insight.safety import REGIONS, countries, crisis_resources
from ebbtide.report.parse_report import parse_report_lines
from ebbtide.web.pages import render, state_of
from ebbtide.web.service import participants
from ebbtide.web.upload_stream import Received, receive_files

router = APIRouter()
COUNTRIES = (("", "Not chosen (show all)"), *countries())
MAX_FILES = 20


def _see(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


@router.get("/")
def home(request: Request) -> Response:
    state = state_of(request)
    conversations = state.conversations()
    return render(request, "home.html", title="Welcome", conversations=conversations,
                  chosen=state.conversation(), countries=COUNTRIES)


@router.post("/safety")
def safety_answer(request: Request, afraid: Annotated[str, Form()] = "no",
                  controlled: Annotated[str, Form()] = "no", country: Annotated[str, Form()] = "",
                  back: Annotated[str, Form()] = "/") -> Response:
    """The first-run question: afraid of, or controlled by, the partner? (asked gently, stored locally)."""
    state = state_of(request)
    state.set("safety_afraid", "yes" if afraid == "yes" else "no")
    state.set("safety_controlled", "yes" if controlled == "yes" else "no")
    if country in REGIONS or country in ("ie", "gb", ""):
        state.set("country", country or None)
    return _see(back if back.startswith("/") and not back.startswith("//") else "/")


@router.get("/help")
def help_page(request: Request) -> Response:
    """Every helpline, the user's country first, and the note on monitored or shared devices."""
    state = state_of(request)
    return render(request, "help.html", title="Where to get help",
                  resources=crisis_resources(state.setting("country"), everywhere=True))


# --------------------------------------------------------------------------- import
@router.get("/import")
def import_page(request: Request) -> Response:
    return render(request, "import.html", title="Import a chat")


def _safe_name(name: str) -> str:
    """A plain file name for an upload: no folders, no leading dots ("..", ".", ".hidden" too)."""
    base = Path((name or "export").replace("\\", "/")).name
    cleaned = re.sub(r"[^\w.\- ]+", "_", base)[:120].lstrip(". ")
    return cleaned or "export"


@router.post("/import")
async def import_upload(request: Request) -> Response:
    """Read the uploaded exports into the store, then show what was found (the parse report).

    The files are streamed to private files with the size cap enforced as they arrive (web/upload_stream.py).
    """
    with tempfile.TemporaryDirectory(prefix="ebbtide-upload-") as tmp:
        received = await receive_files(request, Path(tmp), max_files=MAX_FILES, safe_name=_safe_name)
        return await run_in_threadpool(_import_received, request, received)


def _import_received(request: Request, received: list[Received]) -> Response:
    from ebbtide.importers import read_export

    if not received:
        raise EbbtideError("no file was chosen", where="import", fix="Choose or drop one or more chat exports.")
    state = state_of(request)
    found: list[dict[str, Any]] = []
    for upload in received:
        path = upload.path
        try:
            if upload.error is not None:
                raise upload.error
            parsed = read_export(path)
        except ChooseChat as exc:  # several chats: keep the file privately and ask which one
            token = state.pending.keep(path, exc.chats)
            found.append(_choice(path.name, token, exc.chats, exc.what))
            continue
        except EbbtideError as exc:
            found.append({"file": path.name, "error": exc.what, "fix": exc.fix})
            continue
        found += _store_parsed(state, parsed, path)
    return _found(state, found)


def _store_parsed(state: Any, parsed: Any, path: Path) -> list[dict[str, Any]]:
    """Store one read export; what the result page shows for each conversation in it."""
    from ebbtide.importers.timezones import choose_zone

    found = []
    with state.store() as s:
        zone = choose_zone(state.setting("timezone") or None)  # as `ebbtide import --tz`
        results = s.import_export_all(parsed, source_path=path, zone=zone)
        for r in results:
            msgs = s.messages(r.conversation_id)
            found.append({
                "note": r.note, "note_join": "conversations merge" in r.note,
                "file": path.name, "conversation_id": r.conversation_id, "added": r.added,
                "skipped": r.skipped_duplicates, "people": participants(msgs),
                "me_hint": parsed.report.me or "",
                "report": parse_report_lines(parsed.report, parsed.messages),
            })
    return found


def _choice(name: str, token: str, chats: tuple[tuple[str, str], ...], what: str, *, another: bool = False) -> dict[str, Any]:
    return {"file": name, "choose": token, "what": what, "another": another,
            "chats": [{"value": value, "label": label} for value, label in chats]}


def _found(state: Any, found: list[dict[str, Any]]) -> Response:
    state.invalidate()
    batch = secrets.token_urlsafe(8)
    state.imports[batch] = found
    return _see(f"/import/{batch}")


@router.post("/import/pick")
def import_pick(request: Request, token: Annotated[str, Form()], chat: Annotated[str, Form()]) -> Response:
    """Read the chosen chat from an upload that holds several (kept privately since the upload)."""
    from ebbtide.importers import read_export

    state = state_of(request)
    pending = state.pending.get(token)
    if pending is None:
        raise EbbtideError("that upload is no longer kept (ebbtide was restarted, or everything was forgotten)",
                           where="import", fix="Import the file again and choose the chat.")
    if chat not in {value for value, _ in pending.chats}:
        raise EbbtideError("that chat is not in this file", where="import", fix="Choose one of the chats listed.")
    try:
        parsed = read_export(pending.path, chat=chat)
    except EbbtideError as exc:
        return _found(state, [{"file": pending.path.name, "error": exc.what, "fix": exc.fix}])
    found = _store_parsed(state, parsed, pending.path)
    if len(pending.chats) > 1:
        found.append(_choice(pending.path.name, token, pending.chats, "this file holds other chats too",
                             another=True))
    return _found(state, found)


@router.get("/import/{batch}")
def import_result(request: Request, batch: str) -> Response:
    found = state_of(request).imports.get(batch)
    if found is None:
        return _see("/import")
    return render(request, "import_result.html", title="What was found", found=found)


@router.post("/choose")
def choose(request: Request, conversation_id: Annotated[str, Form()], me: Annotated[str, Form()],
           partner: Annotated[str, Form()] = "") -> Response:
    """Remember which conversation to look at and which participant is the user."""
    state = state_of(request)
    with state.store() as s:
        if not s.has_conversation(conversation_id):
            raise EbbtideError("this conversation is not in the store any more", where="choose",
                               fix="Import the export again.")
        people = participants(s.messages(conversation_id))
    if me not in people:
        raise EbbtideError(f"'{me}' did not write in this conversation", where="choose",
                           fix="Choose one of: " + ", ".join(people))
    others = [p for p in people if p != me]
    if not others:
        raise EbbtideError(f"only {me} wrote in this conversation", where="choose",
                           fix="ebbtide needs messages from both people.")
    state.set("conversation", conversation_id)
    state.set("me", me)
    state.set("partner", partner if partner in others else others[0])
    return _see("/overview")


# --------------------------------------------------------------------------- stored chats
@router.get("/conversations")
def conversations_page(request: Request) -> Response:
    state = state_of(request)
    with state.store() as s:
        conversations = s.conversations()
    return render(request, "conversations.html", title="Your chats", conversations=conversations,
                  chosen=state.conversation())


@router.get("/conversations/choose")
def choose_page(request: Request, id: str = "") -> Response:  # noqa: A002 - the query's name
    """Switch to another stored chat: say who is who there (the same form as after an import)."""
    state = state_of(request)
    with state.store() as s:
        if not s.has_conversation(id):
            raise EbbtideError("this chat is not stored (any more)", where="chats",
                               fix="Choose one from the list on the Chats page.")
        from ebbtide.store.people import has_people, me_sender

        people = participants(s.messages(id))
        hint = me_sender(s, id) if has_people(s) else None
    found = [{"file": ", ".join(people) or id, "conversation_id": id, "people": people, "me_hint": hint or "",
              "report": []}]
    return render(request, "import_result.html", title="Look at this chat", found=found)


@router.post("/conversations/merge")
def merge_conversations(request: Request, keep: Annotated[str, Form()], other: Annotated[str, Form()],
                        confirm: Annotated[str, Form()] = "") -> Response:
    """The user says two stored chats are one (ebbtide never joins them by names alone)."""
    if confirm != "yes":
        raise EbbtideError("joining was not confirmed", where="chats",
                           fix="Tick the box that says these are the same chat.")
    state = state_of(request)
    with state.store() as s:
        s.merge_conversations(keep, other)
        if state.setting("conversation") == other:
            state.set("conversation", keep)
    state.invalidate()
    return _see("/conversations?done=merged")


@router.post("/conversations/forget")
def forget_one(request: Request, conversation_id: Annotated[str, Form()], confirm: Annotated[str, Form()] = "",
               ) -> Response:
    """Delete one chat for good (the store file is rewritten; see docs/store.md)."""
    if confirm != "yes":
        raise EbbtideError("forgetting was not confirmed", where="chats",
                           fix="Tick the box that says you understand this chat will be deleted.")
    state = state_of(request)
    with state.store() as s:
        s.forget(conversation_id)
    if state.setting("conversation") == conversation_id:
        for key in ("conversation", "me", "partner"):
            state.set(key, None)
    state.invalidate()
    return _see("/conversations?done=forgotten")


# --------------------------------------------------------------------------- settings
@router.get("/settings")
def settings_page(request: Request) -> Response:
    state = state_of(request)
    with state.store() as s:
        conversations = s.conversations()
    baseline = state.baseline()
    return render(request, "settings.html", title="Settings", countries=COUNTRIES, conversations=conversations,
                  chosen=state.conversation(), baseline=baseline, timezone=state.setting("timezone") or "",
                  db_path=str(s.path), encrypted=s.encrypted, in_memory=s.in_memory)


def _day(value: str, where: str) -> date | None:
    if not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise EbbtideError(f"'{value}' is not a date", where=where, fix="Use the date picker or YYYY-MM-DD.") from None


@router.post("/settings")
def settings_save(request: Request, baseline_start: Annotated[str, Form()] = "",
                  baseline_end: Annotated[str, Form()] = "", timezone: Annotated[str, Form()] = "",
                  country: Annotated[str, Form()] = "") -> Response:
    state = state_of(request)
    start, end = _day(baseline_start, "baseline start"), _day(baseline_end, "baseline end")
    if (start is None) != (end is None):
        raise EbbtideError("only one end of the baseline was given", where="settings",
                           fix="Give both dates, or leave both empty to let ebbtide choose.")
    if start and end and end < start:
        raise EbbtideError(f"the baseline ends ({end}) before it starts ({start})", where="settings",
                           fix="Swap the dates.")
    if start and end and (end - start).days < 21:
        raise EbbtideError("the baseline is shorter than 3 weeks", where="settings",
                           fix="Choose at least 3 weeks when things felt usual, so one odd week does not decide.")
    tz = timezone.strip()
    if tz:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise EbbtideError(f"'{tz}' is not a time zone name", where="settings",
                               fix="Use a name like Europe/London or America/New_York, or leave it empty.") from None
    state.set("baseline_start", start.isoformat() if start else None)
    state.set("baseline_end", end.isoformat() if end else None)
    state.set("timezone", tz or None)
    if country in {c for c, _ in COUNTRIES}:
        state.set("country", country or None)
    return _see("/settings?saved=1")


@router.post("/settings/forget")
def forget_everything(request: Request, confirm: Annotated[str, Form()] = "") -> Response:
    """Delete the whole store: chats, journal, check-ins and settings (the file is removed)."""
    if confirm != "yes":
        raise EbbtideError("forgetting was not confirmed", where="settings",
                           fix="Tick the box that says you understand everything will be deleted.")
    state = state_of(request)
    with state.store() as s:
        s.forget_all()
    state.invalidate()
    state.imports.clear()
    state.pending.drop_all()
    return _see("/?forgotten=1")
