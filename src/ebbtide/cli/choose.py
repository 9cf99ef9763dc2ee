"""The questions ``analyze`` asks when the command line does not say: who you are, who the other
person is in a group chat, which stored chat, and the safety question.

Choosing "you": ``--me NAME``; else the name the export itself gives (some formats say who
exported); else, on a terminal, a numbered question; without a terminal the command stops with
status 2 and lists the participants (a script must say who it is analysing for).

Group chats: ebbtide is about a couple. With more than two people who write regularly (5 % of the
messages or more), ``--partner NAME`` says who the other person is; on a terminal it is asked,
without one the command stops with status 2 and says why. Someone who only wrote a few lines is
left out with a note, and the analysis is about you and the person who wrote most besides you.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl
import typer

from ebbtide.cli.app import err
from ebbtide.errors import EbbtideError, UnknownParticipant
from ebbtide.pipeline import active_people, group_refusal, match_name, named, nobody_wrote, other_people

if TYPE_CHECKING:
    from ebbtide.store import Store


def _interactive() -> bool:
    return sys.stdin.isatty()


def choose_me(people: list[str], me: str | None, hinted: str | None = None, hint_source: str = "the export says so",
              ) -> str:
    """The user's name: --me, the export's own (or the store's remembered) hint, a question, or exit 2."""
    listing = ", ".join(people)
    if not people:
        raise nobody_wrote("analysis")
    if me:
        found = match_name(me, people)
        if found is None:
            raise UnknownParticipant(f"'{me}' did not write in this conversation", where="--me",
                                     fix=f"Choose one of the participants: {listing}")
        return found
    if hinted and (found := match_name(hinted, people)):
        err.print(f"Analysing as {found} ({hint_source}; use --me to change).", markup=False,
                  highlight=False)
        return found
    if not _interactive():
        raise UnknownParticipant("which participant are you?", where="--me",
                                 fix=f"Add --me with your name as it appears in the chat, one of: {listing}")
    return _ask("Which one is you?", people)


def _ask(question: str, people: list[str]) -> str:
    """A numbered question on the terminal: a number, or a name from the list."""
    err.print(question)
    for i, person in enumerate(people, 1):
        err.print(f"  {i}. {person}", markup=False, highlight=False)
    while True:
        answer = typer.prompt("Number", err=True).strip()
        if answer.isdigit() and 1 <= int(answer) <= len(people):
            return people[int(answer) - 1]
        found = match_name(answer, people)
        if found:
            return found
        err.print(f"Please type a number from 1 to {len(people)}.")


def choose_group_partner(messages: pl.DataFrame, me: str, partner: str | None) -> str | None:
    """In a chat with more than two active people, who the analysis is about: --partner, a question, or exit 2.

    WHY refuse: ebbtide measures one relationship between two people. In a group, "the person who
    wrote most besides you" is a guess that can put a friend or a sibling in a partner's place, and
    everything after it would be about the wrong person.
    """
    others = [p for p in active_people(messages) if p != me]
    if len(others) < 2 or partner:
        return None
    if not _interactive():
        raise group_refusal(me, others, "analyze", "--partner NAME")
    return _ask("This is a group chat. ebbtide looks at one relationship between two people: who is the other "
                "person?", others)


def choose_partner(people: list[str], me: str, partner: str | None) -> str:
    others = other_people(people, me, "analysis")
    return named(partner, others, "--partner") if partner else others[0]


def stored_conversation(db: Path | None, me: str | None) -> str:
    """``analyze`` without a file: the stored conversation to reuse (the one you are in, or the only one).

    WHY: once a chat is imported, ``ebbtide analyze --me Alex`` should look at it again, as the
    README says; it must not ask for the export a second time.
    """
    from ebbtide.store import Store, resolve_db_path

    nothing = EbbtideError("nothing to analyse: no export given and no chat stored yet", where="analyze",
                           fix="Give an export file: ebbtide analyze chat.txt --me NAME")
    if not resolve_db_path(db).exists():
        raise nothing
    with Store.open(db, create=False) as store:  # a locked, busy or damaged store says so itself
        infos = store.conversations()
    if not infos:
        raise nothing
    mine = [i for i in infos if me is None or match_name(me, list(i.participants))]
    if me and not mine:
        raise UnknownParticipant(f"'{me}' did not write in any stored chat", where="--me",
                                 fix="Check the name (ebbtide conversations lists who wrote), or give an export file.")
    if len(mine) == 1:
        return mine[0].id
    listing = "\n  ".join(f"{i.id}  ({', '.join(i.participants)})" for i in mine)
    raise EbbtideError(f"{len(mine)} stored chats{f' have {me} in them' if me else ''}", where="analyze",
                       fix=f"Choose one with --conversation ID, or give an export file. Stored:\n  {listing}")


SAFETY_KEYS = ("safety_afraid", "safety_controlled")


def safety_answer(store: Store, flag: bool | None) -> tuple[bool | str | None, str | None]:
    """The answer to the safety question: (answer for explain(), value to remember after success).

    ``--afraid``/``--not-afraid`` answer it; otherwise the answer remembered in the store (the same one
    the web app asks); otherwise, on a terminal, the two questions are asked once per store
    (evidence.md section 4.2 rule 5). Without a terminal and without an answer: None (not asked).
    """
    from ebbtide.store.journal import get_setting

    if flag is not None:
        return (True if flag else "no"), ("yes" if flag else "no")
    stored = [get_setting(store, k) for k in SAFETY_KEYS]
    if "yes" in stored:
        return True, None
    if stored[0] == "no":
        return "no", None
    if not _interactive():
        return None, None
    from rich.prompt import Prompt

    from ebbtide.insight.selfcheck import selfcheck_text

    t = selfcheck_text()
    err.print(f"{t['safety_intro']} {t['safety_help']}", markup=False, highlight=False)
    said = [Prompt.ask(t[k], console=err, choices=["yes", "no"], default="no")
            for k in ("safety_afraid_question", "safety_controlled_question")]
    yes = "yes" in said
    return (True if yes else "no"), ("yes" if yes else "no")


def remember_safety_answer(store: Store, value: str) -> None:
    """Keep the answer (the web app reads the same settings), so it is asked once per store."""
    from ebbtide.store.journal import set_setting

    for key in SAFETY_KEYS:
        set_setting(store, key, value)


__all__ = ["SAFETY_KEYS", "choose_group_partner", "choose_me", "choose_partner", "remember_safety_answer",
           "safety_answer", "stored_conversation"]
