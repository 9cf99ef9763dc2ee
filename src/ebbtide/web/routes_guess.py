"""Your guess first, in the web app: a form with a few figures to guess (no figures shown on it), then the
guesses beside the chat's figures with a neutral sentence. Skippable; the Overview links to it until
the user has guessed or skipped for this chat. Guesses are kept in the store (store/guesses.py) to show
the change next time.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from ebbtide.insight.guess import compare, parse_answer, questions
from ebbtide.insight.wording import load
from ebbtide.store.guesses import Guess, guess_rounds, save_guesses
from ebbtide.web.pages import render, state_of

router = APIRouter()


def seen_key(conversation_id: str) -> str:
    return f"guess_seen:{conversation_id}"


@router.get("/guess")
def guess_page(request: Request) -> Response:
    state = state_of(request)
    a = state.analysis()
    if a is None:
        return RedirectResponse("/import?first=1", status_code=303)
    if a.insight.safety_first:
        return RedirectResponse("/overview", status_code=303)
    return render(request, "guess.html", title="Your guess first", w=load("guess"),
                  questions=questions(a.assessment), rows=None)


@router.post("/guess")
async def guess_save(request: Request) -> Response:
    state = state_of(request)
    a = state.analysis()
    if a is None:
        return RedirectResponse("/import?first=1", status_code=303)
    form = await request.form()
    state.set(seen_key(a.conversation_id), "1")
    if form.get("skip"):
        return RedirectResponse("/overview", status_code=303)
    guesses: dict[str, float | str] = {}
    for figure, _q in questions(a.assessment):
        raw = form.get(figure)
        value = parse_answer(figure, raw) if isinstance(raw, str) else None
        if value is not None:
            guesses[figure] = value
    with state.store() as s:
        earlier = [(when, {k: (g.label if g.label is not None else g.value) for k, g in items.items()})
                   for when, items in guess_rounds(s, a.conversation_id)]
        save_guesses(s, a.conversation_id, [Guess(k, None if isinstance(v, str) else float(v),
                                                  v if isinstance(v, str) else None) for k, v in guesses.items()])
    rows = compare(a.assessment, guesses, earlier)
    return render(request, "guess.html", title="Your guess and the chat", w=load("guess"), questions=[], rows=rows)


__all__ = ["router", "seen_key"]
