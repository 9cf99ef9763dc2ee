"""Analysis commands: ``analyze`` (your own chat) and ``demo`` (the bundled simulated couple).

Pipeline: read exports -> local store -> one conversation -> features -> assess (signals) ->
explain (insight) -> reports. The report goes to stdout; progress, notes and errors to stderr.

Choosing "you": ``--me NAME``; else the name the export itself gives (some formats say who
exported); else, on a terminal, a numbered question; without a terminal the command stops with
status 2 and lists the participants (a script must say who it is analysing for).

Group chats: ebbtide is about a couple. With more than two people who write regularly (5 % of the
messages or more), ``--partner NAME`` says who the other person is; on a terminal it is asked,
without one the command stops with status 2 and says why. Someone who only wrote a few lines is
left out with a note, and the analysis is about you and the person who wrote most besides you.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import polars as pl
import typer
from rich.text import Text

from ebbtide.cli.app import app, err, friendly_errors, report
from ebbtide.errors import EbbtideError, UnknownParticipant, shown
from ebbtide.model import Assessment, DateOrder, Insight, ParsedExport, Platform, senders_by_volume

if TYPE_CHECKING:
    from ebbtide.store import Store

DEMO_ME = "Alex"
DEMO_RESOURCE = ("data", "demo_whatsapp.txt")  # inside the ebbtide.simulate package


# --------------------------------------------------------------------------- options
DbOption = Annotated[
    Path | None,
    typer.Option("--db", envvar="EBBTIDE_DB", help="Store file (default: your data folder; or EBBTIDE_DB).",
                 show_default=False),
]
JsonOption = Annotated[Path | None, typer.Option("--json", help="Also write the JSON report to this file.",
                                                 show_default=False)]
HtmlOption = Annotated[Path | None, typer.Option("--html", help="Also write a self-contained HTML report.",
                                                 show_default=False)]
CountryOption = Annotated[
    str | None,
    typer.Option("--country", help="Your country (us, uk, ie, ca, au, es, fr, de, pt, br; eu: elsewhere) so "
                 "helplines start with its emergency number. See all: ebbtide helplines --all.",
                 show_default=False),
]


# --------------------------------------------------------------------------- helpers
@contextlib.contextmanager
def _step(text: str) -> Iterator[None]:
    """A spinner on stderr for a long step, only when stderr is a terminal."""
    if err.is_terminal:
        with err.status(Text(text)):
            yield
    else:
        yield


def parse_baseline(value: str | None) -> tuple[date, date] | None:
    """``START:END`` (ISO dates, inclusive) -> (start, end); clear errors otherwise."""
    if not value:
        return None
    fix = "Write it as START:END with dates like 2025-01-06:2025-03-02."
    parts = value.split(":")
    if len(parts) != 2:
        raise EbbtideError(f"'{value}' is not a START:END range", where="--baseline", fix=fix)
    try:
        start, end = date.fromisoformat(parts[0].strip()), date.fromisoformat(parts[1].strip())
    except ValueError:
        raise EbbtideError(f"'{value}' does not hold two dates (YYYY-MM-DD)", where="--baseline", fix=fix) from None
    if end < start:
        raise EbbtideError(f"the baseline ends ({end}) before it starts ({start})", where="--baseline", fix=fix)
    return start, end


participants = senders_by_volume  # one definition, in ebbtide.model


def _match(name: str, people: list[str]) -> str | None:
    if name in people:
        return name
    folded = [p for p in people if p.casefold() == name.strip().casefold()]
    return folded[0] if len(folded) == 1 else None


def _interactive() -> bool:
    return sys.stdin.isatty()


def choose_me(people: list[str], me: str | None, hinted: str | None = None, hint_source: str = "the export says so",
              ) -> str:
    """The user's name: --me, the export's own (or the store's remembered) hint, a question, or exit 2."""
    listing = ", ".join(people)
    if not people:
        raise EbbtideError("nobody wrote any messages in this conversation", where="analysis",
                           fix="Check the export holds the chat's messages, not only system lines.")
    if me:
        found = _match(me, people)
        if found is None:
            raise UnknownParticipant(f"'{me}' did not write in this conversation", where="--me",
                                     fix=f"Choose one of the participants: {listing}")
        return found
    if hinted and (found := _match(hinted, people)):
        err.print(f"Analysing as {found} ({hint_source}; use --me to change).", markup=False,
                  highlight=False)
        return found
    if not _interactive():
        raise UnknownParticipant("which participant are you?", where="--me",
                                 fix=f"Add --me with your name as it appears in the chat, one of: {listing}")
    err.print("Which one is you?")
    for i, person in enumerate(people, 1):
        err.print(f"  {i}. {person}", markup=False, highlight=False)
    while True:
        answer = typer.prompt("Number", err=True).strip()
        if answer.isdigit() and 1 <= int(answer) <= len(people):
            return people[int(answer) - 1]
        found = _match(answer, people)
        if found:
            return found
        err.print(f"Please type a number from 1 to {len(people)}.")


ACTIVE_SHARE = 0.05  # in a group, someone who wrote at least 5 % of the messages is taking part


def active_people(messages: pl.DataFrame) -> list[str]:
    """People who wrote at least ACTIVE_SHARE of the messages (most first)."""
    people = messages.filter((pl.col("sender") != "") & (pl.col("kind") != "system"))
    counts = people.group_by("sender").len().sort(["len", "sender"], descending=[True, False])
    floor = ACTIVE_SHARE * max(people.height, 1)
    return [str(s) for s, n in counts.iter_rows() if n >= floor]


def choose_group_partner(messages: pl.DataFrame, me: str, partner: str | None) -> str | None:
    """In a chat with more than two active people, who the analysis is about: --partner, a question, or exit 2.

    WHY refuse: ebbtide measures one relationship between two people. In a group, "the person who
    wrote most besides you" is a guess that can put a friend or a sibling in a partner's place, and
    everything after it would be about the wrong person.
    """
    others = [p for p in active_people(messages) if p != me]
    if len(others) < 2 or partner:
        return None
    listing = ", ".join(others)
    if not _interactive():
        raise EbbtideError(
            f"this is a group chat: {len(others) + 1} people write in it regularly ({me}, {listing})",
            where="analyze",
            fix="ebbtide looks at one relationship between two people. Name the other person with --partner NAME, "
                f"one of: {listing}",
        )
    err.print("This is a group chat. ebbtide looks at one relationship between two people: who is the other person?")
    for i, person in enumerate(others, 1):
        err.print(f"  {i}. {person}", markup=False, highlight=False)
    while True:
        answer = typer.prompt("Number", err=True).strip()
        if answer.isdigit() and 1 <= int(answer) <= len(others):
            return others[int(answer) - 1]
        found = _match(answer, others)
        if found:
            return found
        err.print(f"Please type a number from 1 to {len(others)}.")


def choose_partner(people: list[str], me: str, partner: str | None) -> str:
    others = [p for p in people if p != me]
    if not others:
        raise EbbtideError(f"only {me} wrote in this conversation", where="analysis",
                           fix="ebbtide needs messages from both people.")
    if partner:
        found = _match(partner, others)
        if found is None:
            raise UnknownParticipant(f"'{partner}' did not write in this conversation", where="--partner",
                                     fix="Choose one of: " + ", ".join(others))
        return found
    return others[0]


@dataclass(frozen=True, slots=True)
class Analysis:
    assessment: Assessment
    insight: Insight
    features: pl.DataFrame


def run_analysis(
    messages: pl.DataFrame,
    *,
    me: str,
    partner: str,
    baseline: tuple[date, date] | None = None,
    afraid: bool | str | None = None,
    notes: tuple[str, ...] = (),
) -> Analysis:
    """features -> assess -> explain for one couple (the whole analysis, no I/O)."""
    from dataclasses import replace

    from ebbtide.features import build_features
    from ebbtide.insight import explain
    from ebbtide.signals import assess

    couple = messages.filter(pl.col("sender").is_in([me, partner, ""]))
    with _step("measuring conversations and words"):
        features = build_features(couple)
    with _step("comparing the recent weeks with your own usual"):
        assessment = assess(features, me=me, partner=partner, baseline=baseline)
    if notes:
        coverage = replace(assessment.coverage, notes=tuple(assessment.coverage.notes) + notes)
        assessment = replace(assessment, coverage=coverage)
    insight = explain(assessment, features=features, safety_answer=afraid)
    return Analysis(assessment, insight, features)


def check_report_paths(json_path: Path | None, html_path: Path | None) -> None:
    """Refuse a report path that cannot be written, before anything is read or stored."""
    import os

    for target, flag in ((json_path, "--json"), (html_path, "--html")):
        if target is None:
            continue
        folder = target.expanduser().parent
        if target.expanduser().is_dir() or not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK) or (
                target.expanduser().exists() and not os.access(target.expanduser(), os.W_OK)):
            raise EbbtideError("cannot write the report here", where=f"{flag} {target}",
                               fix="Give a file name in a folder that exists and that you may write to.")


def emit(analysis: Analysis, *, json_path: Path | None, html_path: Path | None, simulated: bool,
         country: str | None) -> None:
    """Terminal report on stdout; files if asked (written atomically)."""
    from ebbtide.report.terminal import render_terminal

    check_report_paths(json_path, html_path)
    render_terminal(analysis.assessment, analysis.insight, report, simulated=simulated, country=country)
    try:
        if json_path is not None:
            from ebbtide.report.json_report import write_json

            write_json(json_path.expanduser(), analysis.assessment, analysis.insight, simulated=simulated,
                       country=country)
            err.print(f"JSON report: {shown(json_path)}", markup=False, highlight=False)
        if html_path is not None:
            from ebbtide.report.html import write_html

            with _step("drawing the HTML report"):
                write_html(html_path.expanduser(), analysis.assessment, analysis.insight, simulated=simulated,
                           country=country)
            err.print(f"HTML report: {shown(html_path)} (self-contained; opens offline)", markup=False, highlight=False)
    except OSError as exc:
        raise EbbtideError(f"cannot write the report ({exc.strerror})", where=str(exc.filename or ""),
                           fix="Check the folder exists and you may write there.") from None


def stored_conversation(db: Path | None, me: str | None) -> str:
    """``analyze`` without a file: the stored conversation to reuse (the one you are in, or the only one).

    WHY: once a chat is imported, ``ebbtide analyze --me Alex`` should look at it again, as the
    README says; it must not ask for the export a second time.
    """
    from ebbtide.store import Store

    nothing = EbbtideError("nothing to analyse: no export given and no chat stored yet", where="analyze",
                           fix="Give an export file: ebbtide analyze chat.txt --me NAME")
    try:
        with Store.open(db, create=False) as store:
            infos = store.conversations()
    except EbbtideError:
        raise nothing from None
    if not infos:
        raise nothing
    mine = [i for i in infos if me is None or _match(me, list(i.participants))]
    if me and not mine:
        raise UnknownParticipant(f"'{me}' did not write in any stored chat", where="--me",
                                 fix="Check the name (ebbtide conversations lists who wrote), or give an export file.")
    if len(mine) == 1:
        return mine[0].id
    listing = "\n  ".join(f"{i.id}  ({', '.join(i.participants)})" for i in mine)
    raise EbbtideError(f"{len(mine)} stored chats{f' have {me} in them' if me else ''}", where="analyze",
                       fix=f"Choose one with --conversation ID, or give an export file. Stored:\n  {listing}")


def _load_conversation(
    store: Store, parsed: list[tuple[Path, ParsedExport]], conversation: str | None, tz: str | None = None,
    person: str | None = None,
) -> tuple[pl.DataFrame, str | None, str | None, str]:
    """Import the read exports into ``store`` (inside the caller's transaction); return the chosen
    conversation's messages, a 'me' hint, its id and where the hint came from (the export, or the
    store remembering an earlier answer).

    With ``person`` no conversation is chosen here (the id is None): the caller builds the merged
    timeline of the user and that person.
    """
    from ebbtide.importers.timezones import choose_zone

    zone = choose_zone(tz)
    imported: list[str] = []
    for path, p in parsed:
        with _step(f"storing {shown(path.name)}" if not store.in_memory else f"reading {shown(path.name)} into memory"):
            for r in store.import_export_all(p, source_path=path, zone=zone):
                imported.append(r.conversation_id)
                err.print(f"{shown(path.name)}: {r.added:,} new, {r.skipped_duplicates:,} already stored",
                          markup=False, highlight=False)
                if r.note:
                    err.print(f"{shown(path.name)}: {r.note}", markup=False, highlight=False, soft_wrap=True)
    imported = list(dict.fromkeys(imported))
    if person and not conversation:
        return pl.DataFrame(), None, None, ""
    if conversation:
        cid = store.resolve_conversation(conversation)
    elif len(imported) == 1:
        cid = imported[0]
    else:
        infos = {i.id: i for i in store.conversations()}
        listing = "\n  ".join(f"{c}  ({', '.join(infos[c].participants)})" for c in imported if c in infos)
        raise EbbtideError(f"these files hold {len(imported)} conversations", where="analyze",
                           fix=f"Choose one with --conversation ID. Found:\n  {listing}")
    messages = store.messages(cid)
    remembered = remembered_me(store, cid)
    hints = {p.report.me for _, p in parsed if p.report.me}
    if len(hints) == 1:
        return messages, hints.pop(), cid, "the export says so"
    return messages, remembered, cid, "remembered from before"


# --------------------------------------------------------------------------- people across chats
def remembered_me(store: Store, cid: str) -> str | None:
    """The user's name in this conversation if the store remembers it (asked once, kept)."""
    from ebbtide.store.people import has_people, me_sender

    return me_sender(store, cid) if has_people(store) else None


def remember_and_merge(store: Store, cid: str, me: str, partner: str, *, explicit_conversation: bool,
                       ) -> tuple[pl.DataFrame, str, str, tuple[str, ...]] | None:
    """Remember who the user is; if the couple has several one-to-one chats, their merged timeline.

    Returns (messages, me, partner, notes) for the merged timeline, or None to keep the one
    conversation (only one chat between them, or the user picked one with --conversation).
    """
    from ebbtide.store.people import conversation_people, conversations_between, has_people, set_me

    if not has_people(store):
        return None
    senders = conversation_people(store, cid)
    if me not in senders or partner not in senders:
        return None
    me_id = set_me(store, cid, me)
    if explicit_conversation:
        return None
    chats = conversations_between(store, me_id, senders[partner], only_the_two=True)
    if len(chats) < 2 or cid not in chats:
        return None
    return _timeline(store, me_id, senders[partner], chats)


def _timeline(store: Store, me_id: int, partner_id: int, chats: list[str],
              ) -> tuple[pl.DataFrame, str, str, tuple[str, ...]]:
    from ebbtide.store.people import person_name
    from ebbtide.store.timeline import merged_timeline

    frame = merged_timeline(store, me_id, partner_id, chats)
    platforms = ", ".join(dict.fromkeys(frame.get_column("platform").to_list()))
    note = (f"Merged {len(chats)} chats between you ({platforms}) into one timeline: {', '.join(chats)}. "
            "Use --conversation ID to analyse one of them alone.")
    err.print(note, markup=False, highlight=False, soft_wrap=True)
    return frame, person_name(store, me_id), person_name(store, partner_id), (note,)


def person_timeline(store: Store, person: str, me: str | None,
                    ) -> tuple[pl.DataFrame, str, str, tuple[str, ...]]:
    """``analyze --person NAME``: the user's one-to-one chats with NAME, on every messenger, merged."""
    from ebbtide.store.people import conversations_between, find_person, has_people, me_person, people, set_me

    if True:  # one indentation level kept from when this opened the store itself
        if not has_people(store):  # pragma: no cover - stores opened by this ebbtide are migrated
            raise EbbtideError("this store does not know people yet", where="--person", fix="Update ebbtide.")
        me_id = find_person(store, me) if me else me_person(store)
        if me and me_id is not None:  # remembered: next time --me is not needed
            alias = next(a for p in people(store) if p.id == me_id for a in p.aliases)
            me_id = set_me(store, alias.conversation_id, alias.sender)
        if me_id is None:
            listing = ", ".join(p.name for p in people(store))
            raise UnknownParticipant("which person are you?", where="--person",
                                     fix=f"Add --me with your name (one of: {listing}), or run "
                                         "'ebbtide people me NAME' once.")
        partner_id = find_person(store, person)
        if partner_id == me_id:
            raise EbbtideError(f"'{person}' is you", where="--person", fix="Give your partner's name.")
        chats = conversations_between(store, me_id, partner_id, only_the_two=True) or \
            conversations_between(store, me_id, partner_id)
        if not chats:
            raise EbbtideError(f"no stored chat between you and '{person}'", where="--person",
                               fix="Import your chats first, and join names with: ebbtide people merge A B")
        return _timeline(store, me_id, partner_id, chats)


# --------------------------------------------------------------------------- commands
@app.command("analyze")
@friendly_errors
def analyze_cmd(
    paths: Annotated[list[Path] | None, typer.Argument(help="Chat export files to import and analyse.",
                                                       show_default=False)] = None,
    me: Annotated[str | None, typer.Option("--me", help="Your name as it appears in the chat.",
                                           show_default=False)] = None,
    partner: Annotated[str | None, typer.Option("--partner", help="For group chats: the other person "
                                                "(default: whoever wrote most besides you).",
                                                show_default=False)] = None,
    json_path: JsonOption = None,
    html_path: HtmlOption = None,
    db: DbOption = None,
    conversation: Annotated[str | None, typer.Option("--conversation", help="A stored conversation: id, "
                                                     "its start, or a participant's name.",
                                                     show_default=False)] = None,
    baseline: Annotated[str | None, typer.Option("--baseline", help="Your 'usual' stretch as START:END "
                                                 "(YYYY-MM-DD:YYYY-MM-DD); default: chosen automatically.",
                                                 show_default=False)] = None,
    date_order: Annotated[DateOrder | None, typer.Option("--date-order", help="How numeric dates are "
                                                         "written, when the file cannot tell.",
                                                         show_default=False)] = None,
    platform: Annotated[Platform | None, typer.Option("--platform", help="Read the files as this "
                                                      "messenger's export.", show_default=False)] = None,
    afraid: Annotated[bool | None, typer.Option("--afraid/--not-afraid", help="Answer the safety question "
                                                "without a terminal: --afraid (you sometimes feel afraid of, or "
                                                "controlled by, your partner; people who can help come first) or "
                                                "--not-afraid. Remembered in your store.",
                                                show_default=False)] = None,
    country: CountryOption = None,
    person: Annotated[str | None, typer.Option("--person", help="Analyse all your chats with this person "
                                               "(every messenger, merged; see 'ebbtide people').",
                                               show_default=False)] = None,
    tz: Annotated[str | None, typer.Option("--tz", help="Time zone of exports without one (default: this "
                                           "computer's).", show_default=False)] = None,
    no_store: Annotated[bool, typer.Option("--no-store", help="Analyse in memory only: nothing is written "
                                           "to your store.")] = False,
    chat: Annotated[str | None, typer.Option("--chat", help="Which conversation to read from an export that "
                                             "holds several (default: asked on a terminal; or EBBTIDE_CHAT).",
                                             show_default=False)] = None,
) -> None:
    """Analyse your chat: signs of pulling away against your own past, possible reasons, a plan."""
    from ebbtide.cli.data_cmds import read_all
    from ebbtide.importers.timezones import choose_zone

    window = parse_baseline(baseline)
    check_report_paths(json_path, html_path)  # before reading or storing anything
    choose_zone(tz)
    all_paths = list(paths or [])
    if not all_paths and not conversation and not person and not no_store:
        conversation = stored_conversation(db, me)  # README: analyze --me NAME reuses your store
    if no_store and not all_paths:
        raise EbbtideError("--no-store needs export files to analyse", where="--no-store",
                           fix="Give the export files: ebbtide analyze chat.txt --no-store")
    parsed: list[tuple[Path, ParsedExport]] = []
    if all_paths:
        with _step("reading the exports"):
            parsed = read_all(all_paths, platform, date_order, chat)
    with _command_store(db, create=bool(all_paths), memory=no_store) as store:
        # One transaction: a refusal (wrong --me or --partner, no terminal to ask, an unwritable
        # report), Ctrl-C at the question or a crash leaves the store exactly as it was.
        with store.transaction():
            messages, hinted, cid, hint_source = _load_conversation(store, parsed, conversation, tz, person)
            parsed.clear()
            notes: tuple[str, ...] = ()
            if cid is None and person:
                messages, who, other, notes = person_timeline(store, person, me)
            else:
                people = participants(messages)
                who = choose_me(people, me, hinted, hint_source)
                other = choose_partner(people, who, partner or choose_group_partner(messages, who, partner))
                if len(people) > 2:
                    left_out = len(people) - 2
                    notes = (f"This is a group chat; only {who} and {other} are analysed ({left_out} other "
                             f"{'person is' if left_out == 1 else 'people are'} left out).",)
                    err.print(notes[0], markup=False, highlight=False)
                if cid is not None:  # remembers who you are; in a one-to-one chat, may merge your other chats
                    merged = remember_and_merge(store, cid, who, other, explicit_conversation=bool(conversation))
                    if merged is not None:
                        messages, who, other, notes = merged
            answer, remember = safety_answer(store, afraid)
            analysis = run_analysis(messages, me=who, partner=other, baseline=window, afraid=answer, notes=notes)
            _gentle_rerun_note(store)
            emit(analysis, json_path=json_path, html_path=html_path, simulated=False, country=country)
            if remember is not None:  # in the same transaction: a failed report stores no answer
                remember_safety_answer(store, remember)
        if store.in_memory:
            err.print("Nothing was stored (--no-store).", markup=False, highlight=False)


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


@contextlib.contextmanager
def _command_store(db: Path | None, *, create: bool, memory: bool) -> Iterator[Store]:
    """The store one command works in; a store file this command created is removed if it fails."""
    from ebbtide.store import Store, resolve_db_path
    from ebbtide.store.paths import wal_path

    if memory:
        with Store.open_memory() as store:
            yield store
        return
    path = resolve_db_path(db)
    existed = path.exists()
    store = Store.open(path, create=create)
    try:
        yield store
    except BaseException:
        store.close()
        if not existed:  # nothing was there before the command: nothing stays after it failed
            for victim in (path, wal_path(path)):
                victim.unlink(missing_ok=True)
        raise
    store.close()


def _gentle_rerun_note(store: Store) -> None:
    """Count this run in the store; from the fifth run in a day, say gently that once a week is plenty."""
    from ebbtide.insight.rerun import rerun_note
    from ebbtide.store.journal import record_run

    note = rerun_note(record_run(store, "analysis"))
    if note:
        err.print(note, markup=False, highlight=False)


@app.command("demo")
@friendly_errors
def demo_cmd(
    json_path: JsonOption = None,
    html_path: HtmlOption = None,
    afraid: Annotated[bool | None, typer.Option("--afraid/--not-afraid", help="Answer the safety question for "
                                                "the demo: --afraid shows how the report looks when safety comes "
                                                "first; --not-afraid as when you said you are not afraid.")] = None,
    country: CountryOption = None,
) -> None:
    """Run the whole analysis on a bundled, simulated couple (Alex and Sam). Your store is not touched."""
    from ebbtide.importers import read_export
    from ebbtide.store import Store

    resource = resources.files("ebbtide.simulate").joinpath(*DEMO_RESOURCE)
    check_report_paths(json_path, html_path)
    with resources.as_file(resource) as demo_path:
        if not demo_path.exists():
            raise EbbtideError("the bundled demo chat is missing", where=str(demo_path),
                               fix="Reinstall ebbtide (pip install --force-reinstall ebbtide).")
        with _step("reading the demo chat"):
            parsed = read_export(demo_path)
        with Store.open_memory() as store:
            cid = store.import_export(parsed, source_path=demo_path).conversation_id
            messages = store.messages(cid)
    people = participants(messages)
    me = choose_me(people, DEMO_ME)
    analysis = run_analysis(messages, me=me, partner=choose_partner(people, me, None), afraid=afraid)
    emit(analysis, json_path=json_path, html_path=html_path, simulated=True, country=country)
