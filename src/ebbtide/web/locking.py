"""The store's passphrase in the web app: the page that asks for it while the store is locked, and
locking or unlocking the store from Settings (the same atomic conversions as ``ebbtide lock``/``unlock``).

While the store is locked, every page but this one (and the static files) leads here; the page is drawn
without touching the store. The one-time-link guard runs before this gate, so only the user gets here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ebbtide.errors import EbbtideError, StoreError
from ebbtide.insight.safety import device_note, exit_url, help_line
from ebbtide.web.pages import state_of, templates

router = APIRouter()
_OPEN_WHILE_LOCKED = ("/unlock", "/favicon.ico")


async def lock_gate(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    """While the store is locked, send every page to the passphrase page."""
    path = request.url.path
    if state_of(request).locked and path not in _OPEN_WHILE_LOCKED and not path.startswith("/static/"):
        return RedirectResponse("/unlock", status_code=303)
    return await call_next(request)


def _unlock_page(request: Request, error: str = "", status_code: int = 200) -> HTMLResponse:
    state = state_of(request)
    context = {"request": request, "nav": (), "path": "/unlock", "title": "Unlock your store", "error": error,
               "db_path": str(state.locked_path or ""), "exit_url": exit_url(), "help_line": help_line(None),
               "device_note": device_note(), "safety": None}
    return templates.TemplateResponse(request, "unlock.html", context, status_code=status_code)


@router.get("/unlock")
def unlock_page(request: Request) -> Response:
    if not state_of(request).locked:
        return RedirectResponse("/", status_code=303)
    return _unlock_page(request)


@router.post("/unlock")
def unlock_submit(request: Request, passphrase: Annotated[str, Form()] = "") -> Response:
    state = state_of(request)
    if state.locked:
        if not passphrase:
            return _unlock_page(request, "Type the passphrase.", 400)
        try:
            state.unlock(passphrase)
        except StoreError as exc:
            return _unlock_page(request, exc.what[:1].upper() + exc.what[1:] + ".", 400)
    return RedirectResponse("/", status_code=303)


@router.post("/settings/lock")
def lock_store(request: Request, passphrase: Annotated[str, Form()] = "", again: Annotated[str, Form()] = "") -> Response:
    if not passphrase:
        raise EbbtideError("the passphrase is empty", where="settings", fix="Type a passphrase (several words).")
    if passphrase != again:
        raise EbbtideError("the two passphrases differ", where="settings",
                           fix="Type the same passphrase twice. Nothing was changed.")
    with state_of(request).store() as s:
        s.lock(passphrase)
    return RedirectResponse("/settings?saved=1", status_code=303)


@router.post("/settings/unlock")
def unlock_store(request: Request, passphrase: Annotated[str, Form()] = "") -> Response:
    with state_of(request).store() as s:
        if not s.encrypted:
            raise EbbtideError("the store is not locked", where="settings", fix="Nothing to do.")
        if not s.is_passphrase(passphrase):
            raise EbbtideError("the passphrase is wrong", where="settings",
                               fix="Type the store's current passphrase to remove it. Nothing was changed.")
        s.unlock()
    return RedirectResponse("/settings?saved=1", status_code=303)


__all__ = ["lock_gate", "router"]
