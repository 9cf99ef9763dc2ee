"""Your guess first, in the terminal: before the report, ``analyze`` offers to ask for a few guesses
(reply times, messages a week, who starts conversations, now against before), then shows each guess
beside the chat's figure with a neutral sentence, and keeps the guesses in the store to show the change
next time.

Never in the way: only on a terminal (stdin and stdout), one question first ("Guess first?", Enter
skips), Enter skips any question, ``--no-guess`` never asks, ``--guess`` asks without the first question.
A script or a pipe is never asked anything.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from ebbtide.cli.app import err, report

if TYPE_CHECKING:
    from ebbtide.model import Assessment
    from ebbtide.store import Store

GuessOption = Annotated[
    bool | None,
    typer.Option("--guess/--no-guess", help="Your guess first: on a terminal, guess a few figures before the "
                 "report and see them side by side (default: asked once, Enter skips). Never asked in a script.",
                 show_default=False),
]


def _terminal() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def ask_guesses(assessment: Assessment, flag: bool | None) -> dict[str, float | str]:
    """The user's guesses ({} when skipped, not asked, or not on a terminal)."""
    from ebbtide.insight.guess import parse_answer, questions
    from ebbtide.insight.wording import load

    if flag is False or not _terminal():
        return {}
    asked = questions(assessment)
    if not asked:
        return {}
    w = load("guess")
    if flag is None:
        err.print(Text(w["intro"]))
        if not typer.confirm("Guess first?", default=False, err=True):
            return {}
    err.print(Text(w["skip_hint"], style="dim"))
    answers: dict[str, float | str] = {}
    for figure, question in asked:
        for _attempt in range(2):
            text = typer.prompt(question, default="", show_default=False, err=True)
            if not text.strip():
                break
            value = parse_answer(figure, text)
            if value is not None:
                answers[figure] = value
                break
            err.print("Please type a number (for reply times also like 2h), or press Enter to skip.")
    return answers


def show_guesses(assessment: Assessment, guesses: dict[str, float | str], store: Store | None,
                 conversation_id: str | None) -> None:
    """Print guess and measurement side by side (stdout, before the report); keep the guesses."""
    from ebbtide.insight.guess import compare
    from ebbtide.insight.wording import load

    if not guesses:
        return
    earlier: list = []
    if store is not None and conversation_id:
        from ebbtide.store.guesses import Guess, guess_rounds, save_guesses

        earlier = [(when, {k: (g.label if g.label is not None else g.value) for k, g in items.items()})
                   for when, items in guess_rounds(store, conversation_id)]
        save_guesses(store, conversation_id, [Guess(k, None if isinstance(v, str) else float(v),
                                                    v if isinstance(v, str) else None) for k, v in guesses.items()])
    w = load("guess")
    rows = compare(assessment, guesses, earlier)
    table = Table(title=escape(w["heading"]), show_lines=False, expand=False)
    for column in ("", "your guess", "the chat", ""):
        table.add_column(column, overflow="fold")
    for r in rows:
        table.add_row(escape(r.label), escape(r.guess), escape(r.measured), escape(r.sentence))
    report.print(table)
    report.print(Text(f"{w['note']} ({w['citation']})", style="dim"))
    report.print()


__all__ = ["GuessOption", "ask_guesses", "show_guesses"]
