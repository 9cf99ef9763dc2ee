"""What every page of the web app needs, for the route modules to import: the templates, the
navigation, the app's state (``state_of``), the safety block and ``render``.

WHY its own module: the routes import this, and ``app.py`` imports the routes; with rendering in
``app.py`` the two imported each other.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from ebbtide.insight import crisis_resources
from ebbtide.insight.safety import device_note, exit_url, help_line, safety_message
from ebbtide.insight.wording import counted
from ebbtide.web.service import WebState

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
templates.env.globals["counted"] = counted  # "1 new message", "2 new messages": one formatter for every face

NAV: tuple[tuple[str, str], ...] = (
    ("/", "Home"), ("/import", "Import"), ("/conversations", "Chats"), ("/overview", "Overview"), ("/reasons", "Reasons"), ("/plan", "Plan"),
    ("/faq", "Questions"), ("/journal", "Journal"), ("/selfcheck", "Self-check"), ("/settings", "Settings"),
)


def state_of(request: Request) -> WebState:
    return request.app.state.ebbtide  # type: ignore[no-any-return]


def safety_block(state: WebState, *, from_messages: bool = False, forced: bool = False) -> dict[str, Any] | None:
    """Crisis resources for the top of the page, or None when safety does not come first.

    The message names its real source: the user's answer, a check-in, their notes, or the messages.
    """
    why = state.safety_reasons()
    if not why and not forced and not from_messages:
        return None
    return {
        "message": safety_message(source=why[0] if why else "messages"),
        "resources": crisis_resources(state.setting("country")),
    }


def render(request: Request, name: str, status_code: int = 200, headers: dict[str, str] | None = None,
           **context: Any) -> HTMLResponse:
    """A page with what every page needs: navigation, the privacy notice, the safety block."""
    state = state_of(request)
    context.setdefault("safety", safety_block(state))
    context.setdefault("ask_safety", not state.safety_answered())
    context.setdefault("help_line", help_line(state.setting("country")))
    context.setdefault("device_note", device_note())
    context.setdefault("exit_url", exit_url())
    context.update(request=request, nav=NAV, path=request.url.path, country=state.setting("country") or "")
    return templates.TemplateResponse(request, name, context, status_code=status_code, headers=headers)


__all__ = ["HERE", "NAV", "render", "safety_block", "state_of", "templates"]
