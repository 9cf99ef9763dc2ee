"""Analysis commands: ``analyze`` (your own chat) and ``demo`` (the bundled simulated couple).

Read exports -> local store -> one conversation -> ``ebbtide.pipeline`` (features -> assess ->
explain) -> reports. The report goes to stdout; progress, notes and errors to stderr. The questions
(who you are, who the other person is, the safety question) are in ``cli/choose.py``; the store
side (importing, choosing and merging chats) in ``cli/conversation.py``; the output in
``cli/output.py``.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Annotated

import typer

from ebbtide.cli.app import app, err, friendly_errors
from ebbtide.cli.choose import (
    choose_group_partner,
    choose_me,
    choose_partner,
    remember_safety_answer,
    safety_answer,
    stored_conversation,
)
from ebbtide.cli.conversation import (
    command_store,
    gentle_rerun_note,
    load_conversation,
    person_timeline,
    remember_and_merge,
)
from ebbtide.cli.guess_cmd import GuessOption, ask_guesses, show_guesses
from ebbtide.cli.output import check_report_paths, emit, step
from ebbtide.cli.share_cmd import ShareFormatOption, ShareOption, share_format
from ebbtide.errors import EbbtideError
from ebbtide.model import DateOrder, ParsedExport, Platform
from ebbtide.pipeline import group_note, parse_baseline, participants, run_analysis

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
    share_path: ShareOption = None,
    share_fmt: ShareFormatOption = None,
    guess: GuessOption = None,
) -> None:
    """Analyse your chat: signs of pulling away against your own past, possible reasons, a plan."""
    from ebbtide.cli.data_cmds import read_all
    from ebbtide.importers.timezones import choose_zone

    window = parse_baseline(baseline)
    share_json = share_format(share_path, share_fmt)
    check_report_paths(json_path, html_path, share_path)  # before reading or storing anything
    choose_zone(tz)
    all_paths = list(paths or [])
    if not all_paths and not conversation and not person and not no_store:
        conversation = stored_conversation(db, me)  # README: analyze --me NAME reuses your store
    if no_store and not all_paths:
        raise EbbtideError("--no-store needs export files to analyse", where="--no-store",
                           fix="Give the export files: ebbtide analyze chat.txt --no-store")
    parsed: list[tuple[Path, ParsedExport]] = []
    if all_paths:
        with step("reading the exports"):
            parsed = read_all(all_paths, platform, date_order, chat)
    with command_store(db, create=bool(all_paths), memory=no_store) as store:
        # One transaction: a refusal (wrong --me or --partner, no terminal to ask, an unwritable
        # report), Ctrl-C at the question or a crash leaves the store exactly as it was.
        with store.transaction():
            messages, hinted, cid, hint_source = load_conversation(store, parsed, conversation, tz, person)
            parsed.clear()
            notes: tuple[str, ...] = ()
            if cid is None and person:
                messages, who, other, notes = person_timeline(store, person, me)
            else:
                people = participants(messages)
                who = choose_me(people, me, hinted, hint_source)
                other = choose_partner(people, who, partner or choose_group_partner(messages, who, partner))
                notes = group_note(people, who, other)
                if notes:
                    err.print(notes[0], markup=False, highlight=False)
                if cid is not None:  # remembers who you are; in a one-to-one chat, may merge your other chats
                    merged = remember_and_merge(store, cid, who, other, explicit_conversation=bool(conversation))
                    if merged is not None:
                        messages, who, other, notes = merged
            answer, remember = safety_answer(store, afraid)
            analysis = run_analysis(messages, me=who, partner=other, baseline=window, afraid=answer, notes=notes,
                                    step=step)
            gentle_rerun_note(store)
            if not analysis.insight.safety_first:  # your guess first (cli/guess_cmd.py); never in a script
                show_guesses(analysis.assessment, ask_guesses(analysis.assessment, guess), store, cid)
            emit(analysis, json_path=json_path, html_path=html_path, simulated=False, country=country,
                 share=(share_path, bool(share_json)) if share_path else None, messages=messages)
            if remember is not None:  # in the same transaction: a failed report stores no answer
                remember_safety_answer(store, remember)
        if store.in_memory:
            err.print("Nothing was stored (--no-store).", markup=False, highlight=False)


@app.command("demo")
@friendly_errors
def demo_cmd(
    json_path: JsonOption = None,
    html_path: HtmlOption = None,
    afraid: Annotated[bool | None, typer.Option("--afraid/--not-afraid", help="Answer the safety question for "
                                                "the demo: --afraid shows how the report looks when safety comes "
                                                "first; --not-afraid as when you said you are not afraid.")] = None,
    country: CountryOption = None,
    share_path: ShareOption = None,
    share_fmt: ShareFormatOption = None,
    guess: Annotated[bool, typer.Option("--guess", help="Guess a few figures first (on a terminal).")] = False,
) -> None:
    """Run the whole analysis on a bundled, simulated couple (Alex and Sam). Your store is not touched."""
    from ebbtide.api import analyze, read

    resource = resources.files("ebbtide.simulate").joinpath(*DEMO_RESOURCE)
    share_json = share_format(share_path, share_fmt)
    check_report_paths(json_path, html_path, share_path)
    with resources.as_file(resource) as demo_path:
        if not demo_path.exists():
            raise EbbtideError("the bundled demo chat is missing", where=str(demo_path),
                               fix="Reinstall ebbtide (pip install --force-reinstall ebbtide).")
        with step("reading the demo chat"):
            chat = read(demo_path, tz="UTC")  # the demo's times are its own: no zone to guess
    result = analyze(chat, me=DEMO_ME, afraid=afraid, simulated=True, country=country)
    if guess and not result.insight.safety_first:
        show_guesses(result.assessment, ask_guesses(result.assessment, True), None, None)
    emit(result, json_path=json_path, html_path=html_path, simulated=True, country=country,
         share=(share_path, bool(share_json)) if share_path else None, messages=chat.messages)
