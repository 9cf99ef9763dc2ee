"""The local web app (FastAPI): ``create_app(db, token=..., allowed_hosts=...)``.

WHY FastAPI + server-rendered Jinja pages: every page works without JavaScript (forms post, the
server renders), the small ``app.js`` only adds drag and drop, upload progress, copy buttons and
the charts. Nothing is loaded from anywhere but this app (see security.py for the guard).
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from ebbtide.errors import EbbtideError
from ebbtide.web.pages import HERE, NAV, render, safety_block, state_of
from ebbtide.web.security import Guard, cookie_name, new_token
from ebbtide.web.service import WebState

if TYPE_CHECKING:
    from fastapi.telemetry import TelemetryConfig

_HTTP_WORDS: dict[int, tuple[str, str]] = {
    400: ("the form could not be read", "Go back and send it again; if you were uploading, choose the files again."),
    404: ("there is no such page here", "Use the menu above, or start from the home page."),
    405: ("this page cannot be used that way", "Use the buttons and links on the pages."),
    413: ("what was sent is too large", "Send less at once (for example fewer files)."),
}
_PLAIN_500 = ("<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>ebbtide: error</title>"
              "<body style=\"font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto\">"
              "<h1>Something went wrong inside ebbtide</h1><p>Nothing you did caused this. Restart "
              "<code>ebbtide serve</code> and try again.</p></body></html>")


@functools.cache
def plotly_js() -> bytes:
    """Plotly's JS from the installed plotly package (never a CDN)."""
    import plotly

    return (Path(plotly.__file__).parent / "package_data" / "plotly.min.js").read_bytes()


# FastAPI traces requests (paths, and so the link's code) through OpenTelemetry whenever a provider or
# the OTEL_* variables are set; ebbtide must never send anything anywhere, so every part is off.
NO_TELEMETRY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False, "operation_spans": False,
                                "auto_configure": False}
_OTEL_OFF = {"OTEL_SDK_DISABLED": "true", "OTEL_TRACES_EXPORTER": "none", "OTEL_METRICS_EXPORTER": "none",
             "OTEL_LOGS_EXPORTER": "none", "OTEL_PYTHON_DISABLED_INSTRUMENTATIONS": "*",
             "FASTAPI_OTEL_AUTO_CONFIGURE": "false"}


def disable_telemetry() -> None:
    """Switch off OpenTelemetry auto-configuration for this process, whatever the environment says."""
    import os

    os.environ.update(_OTEL_OFF)
    for key in [k for k in os.environ if k.startswith("OTEL_EXPORTER_")]:
        del os.environ[key]


def _each(callbacks: list[Any], code: str) -> None:
    for callback in callbacks:
        callback(code)


def create_app(db: str | Path | None = None, *, token: str | None = None,
               allowed_hosts: tuple[str, ...] = ("127.0.0.1", "localhost"), port: int | None = None,
               memory: bool = False) -> FastAPI:
    """The app for one run. ``allowed_hosts`` get ``:port`` added when a port is given; ``memory``:
    nothing is written to disk (chats, journal and settings vanish when the app stops)."""
    hosts = [f"{h}:{port}" for h in allowed_hosts] if port else list(allowed_hosts)
    state = WebState.open(db, memory=memory)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        state.close()

    disable_telemetry()
    app = FastAPI(title="ebbtide", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan,
                  telemetry=NO_TELEMETRY)
    app.state.ebbtide = state
    app.state.token = token or new_token()  # the code in the printed link (works once)
    app.state.launch_code = new_token()  # the code in the launcher file of ``serve --open`` (works once)
    app.state.on_code_used = []  # callbacks (code) -> None, e.g. removing the launcher file
    guard = Guard((app.state.token, app.state.launch_code), hosts, cookie_name(port),
                  on_use=lambda code: _each(app.state.on_code_used, code))
    from ebbtide.web import locking

    app.middleware("http")(locking.lock_gate)  # inside the guard (added later = runs first): token checked first
    app.middleware("http")(guard)

    @app.middleware("http")
    async def _fresh_after_forms(request: Request, call_next: Any) -> Response:
        """A sent form may have changed the store: cached settings and journal are read again."""
        try:
            return await call_next(request)  # type: ignore[no-any-return]
        finally:
            if request.method not in ("GET", "HEAD"):
                state.changed()

    def issue_code() -> str:
        """Another one-time code (for a second browser or a new launcher), valid until used."""
        code = new_token()
        guard.codes.add(code)
        return code

    app.state.issue_code = issue_code

    @app.exception_handler(EbbtideError)
    async def _friendly(request: Request, exc: EbbtideError) -> Response:
        return render(request, "error.html", status_code=400, error=exc)

    @app.exception_handler(RequestValidationError)
    async def _missing(request: Request, exc: RequestValidationError) -> Response:
        fields = sorted({str(e.get("loc", ("", "?"))[-1]).replace("_", " ") for e in exc.errors()})
        error = EbbtideError("some answers were missing or not valid: " + ", ".join(fields),
                             where=request.url.path, fix="Go back, fill them in, and send the form again.")
        return render(request, "error.html", status_code=400, error=error)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        """404, 405, a body that cannot be read...: a page in the app's style, not raw JSON."""
        what, fix = _HTTP_WORDS.get(exc.status_code, ("the request could not be handled",
                                                      "Go back and try again."))
        error = EbbtideError(what, where=request.url.path, fix=fix)
        headers = dict(exc.headers or {})
        return render(request, "error.html", status_code=exc.status_code, error=error, headers=headers)

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> Response:
        """A bug: say so plainly, keep the details (which may hold chat text) out of the page."""
        error = EbbtideError("something went wrong inside ebbtide", where=request.url.path,
                             fix="Nothing you did caused this. Go back and try again; if it happens again, "
                                 "restart ebbtide serve.")
        try:
            return render(request, "error.html", status_code=500, error=error)
        except Exception:  # noqa: BLE001 - even the store may be the problem: a page without it
            return HTMLResponse(_PLAIN_500, status_code=500)

    @app.get("/static/plotly.min.js", include_in_schema=False)
    def _plotly() -> Response:
        return Response(plotly_js(), media_type="text/javascript")

    @app.get("/favicon.ico", include_in_schema=False)
    def _favicon() -> Response:
        return Response(status_code=204)  # no icon; saves a 404 in the browser's console

    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    from ebbtide.web import routes_analysis, routes_guess, routes_journal, routes_share, routes_start

    app.include_router(routes_start.router)
    app.include_router(routes_analysis.router)
    app.include_router(routes_journal.router)
    app.include_router(locking.router)
    app.include_router(routes_share.router)
    app.include_router(routes_guess.router)
    return app


__all__ = ["NAV", "create_app", "render", "safety_block", "state_of"]
