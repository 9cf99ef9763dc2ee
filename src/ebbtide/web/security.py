"""Who may talk to the local web app: this browser tab, and nothing else.

WHY: the app shows someone's most private messages. It listens on 127.0.0.1 only, but other
users of the same computer and any web page open in the browser can still reach 127.0.0.1. So:
- a per-run random token (from the URL the user opens, then a strict same-site cookie) gates
  every request, static files included;
- a foreign ``Host`` (DNS rebinding) or ``Origin`` (another site posting a form) gets 403;
- a strict Content-Security-Policy: the page can load and send nothing but to itself.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable, Iterable
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

COOKIE = "ebbtide_token"
TOKEN_PARAM = "t"
# Plotly writes a few <style> rules at run time, hence 'unsafe-inline' for styles only. Scripts:
# our own files only (chart data travels as JSON, never as inline code).
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
       "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'none'")
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",  # "no-referrer" would make Chromium send "Origin: null" on our own forms
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Cache-Control": "no-store",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
}

_FORBIDDEN = """<!doctype html><html lang="en"><meta charset="utf-8"><title>ebbtide: not allowed</title>
<body style="font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;line-height:1.5">
<h1>This page needs the link from ebbtide</h1><p>{why}</p>
<p>Open the address that <code>ebbtide serve</code> printed in your terminal (it ends with
<code>?t=</code> and a code). The code changes every time ebbtide starts, so other people and other
web pages cannot read what is shown here.</p></body></html>"""


_USED = "This link has already been used. For a new one, stop ebbtide (Ctrl-C) and start it again."

_LAUNCHED = """<!doctype html><html lang="en"><meta charset="utf-8"><title>ebbtide</title>
<meta http-equiv="refresh" content="0;url=/"><body style="font-family:system-ui,sans-serif;max-width:36rem;
margin:3rem auto;line-height:1.5"><p>Opening ebbtide… <a href="/">Continue</a></p></body></html>"""


def new_token() -> str:
    return secrets.token_urlsafe(24)


def _forbidden(why: str) -> Response:
    return HTMLResponse(_FORBIDDEN.format(why=why), status_code=403, headers=HEADERS)


def cookie_name(port: int | None) -> str:
    """The cookie for one app: two ``ebbtide serve`` on different ports must not overwrite each other."""
    return f"{COOKIE}_{port}" if port else COOKIE


class Guard:
    """The check every request passes (an HTTP middleware of ``create_app``).

    ``codes`` are one-time codes: the one in the printed link (``?t=``) and the one in the launcher
    file ``serve --open`` hands the browser (posted to ``/launch``). Each works once and is exchanged
    for a cookie holding another secret (``session``), so a code left in the browser's history or
    seen on a screen is worth nothing afterwards.
    """

    def __init__(self, codes: Iterable[str], allowed_hosts: Iterable[str], cookie: str = COOKIE,
                 session: str | None = None, on_use: Callable[[str], None] | None = None) -> None:
        self.codes = set(codes)
        self.used: set[str] = set()
        self.session = session or new_token()
        self.cookie = cookie  # per port: browsers share cookies across ports of one host
        self.on_use = on_use
        self.hosts = frozenset(h.lower() for h in allowed_hosts)
        self.origins = frozenset(f"{scheme}://{h}" for h in self.hosts for scheme in ("http", "https"))

    def _session_ok(self, value: str | None) -> bool:
        return bool(value) and hmac.compare_digest(str(value), self.session)

    def _take(self, code: str | None) -> bool | None:
        """True: a valid code, now used up; None: one that was used before; False: not a code."""
        for known in self.codes:
            if code and hmac.compare_digest(str(code), known):
                self.codes.discard(known)
                self.used.add(known)
                if self.on_use is not None:
                    self.on_use(known)
                return True
        if code and any(hmac.compare_digest(str(code), u) for u in self.used):
            return None
        return False

    def _with_cookie(self, response: Response) -> Response:
        response.set_cookie(self.cookie, self.session, httponly=True, samesite="strict", path="/")
        return response

    async def __call__(self, request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        host = (request.headers.get("host") or "").lower()
        if host not in self.hosts:
            return _forbidden("The request came through an address this app does not answer to.")
        if request.url.path == "/launch" and request.method == "POST":
            # From the launcher file (file://: Origin "null", cross-site): the one-time code in the
            # body is the proof; it never appears in an address bar or in history.
            try:
                form = await request.form()
            except Exception:  # noqa: BLE001 - a malformed body is simply not a code
                return _forbidden("The request did not carry a code.")
            code = form.get("code")
            launched = self._take(code if isinstance(code, str) else None)
            if not launched:
                return _forbidden(_USED if launched is None else "The code is not the current one.")
            # 200 and a same-site refresh, not a redirect: a strict cookie set during a cross-site
            # navigation would not be sent on its redirect.
            return self._with_cookie(HTMLResponse(_LAUNCHED, headers=HEADERS))
        origin = request.headers.get("origin")
        if origin is not None and origin.lower() not in self.origins:
            return _forbidden("The request came from another web page.")
        if request.headers.get("sec-fetch-site") == "cross-site":
            return _forbidden("The request came from another web site.")
        given = request.query_params.get(TOKEN_PARAM)
        if given is not None:
            if self._session_ok(request.cookies.get(self.cookie)) and given in self.used:
                taken: bool | None = True  # this browser already has it (a reload of the link)
            else:
                taken = self._take(given)
            if not taken:
                return _forbidden(_USED if taken is None else "The code in this link is not the current one.")
            rest = [(k, v) for k, v in request.query_params.multi_items() if k != TOKEN_PARAM]
            target = request.url.path + (("?" + urlencode(rest)) if rest else "")
            return self._with_cookie(RedirectResponse(target, status_code=303, headers=HEADERS))
        if not self._session_ok(request.cookies.get(self.cookie)):
            return _forbidden("This browser has not been given the code for this session.")
        response = await call_next(request)
        for key, value in HEADERS.items():
            response.headers.setdefault(key, value)
        return response


__all__ = ["COOKIE", "CSP", "HEADERS", "TOKEN_PARAM", "Guard", "cookie_name", "new_token"]
