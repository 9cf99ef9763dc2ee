"""Commands about what is stored: ``conversations`` (list, or join two on purpose) and ``forget``
(one conversation or everything, for good)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.table import Table
from rich.text import Text

from ebbtide.cli.app import app, err, friendly_errors, out
from ebbtide.cli.data_cmds import DbOption, coverage_report
from ebbtide.errors import EbbtideError, shown
from ebbtide.insight.wording import counted


# --------------------------------------------------------------------------- conversations
def _day(value: Any) -> str:
    return f"{value:%Y-%m-%d}" if value is not None else "-"


conversations_app = typer.Typer(help="List the conversations in your local store, or join two on purpose.",
                                no_args_is_help=False)
app.add_typer(conversations_app, name="conversations")


@conversations_app.callback(invoke_without_command=True)
@friendly_errors
def conversations_cmd(
    ctx: typer.Context,
    db: DbOption = None,
    coverage: Annotated[bool, typer.Option("--coverage", help="Also show each conversation's coverage "
                                           "report (gaps, people, messengers, what is missing).")] = False,
) -> None:
    """List the conversations in your local store."""
    if ctx.invoked_subcommand is None:
        _list_conversations(db, coverage)


@conversations_app.command("merge")
@friendly_errors
def conversations_merge_cmd(
    keep: Annotated[str, typer.Argument(help="The conversation to keep (id, its start, or a name).",
                                        show_default=False)],
    other: Annotated[str, typer.Argument(help="The conversation that is the same chat (joined into KEEP).",
                                         show_default=False)],
    db: DbOption = None,
) -> None:
    """Say that two stored conversations are one chat: OTHER joins KEEP (messages already there are not
    doubled)."""
    from ebbtide.store import Store

    with Store.open(db, create=False) as store:
        a, b = store.resolve_conversation(keep), store.resolve_conversation(other)
        result = store.merge_conversations(a, b)
    out.print(f"{b} joined {a}: {result.added:,} messages added, {result.skipped_duplicates:,} were already "
              "there.", markup=False, highlight=False, soft_wrap=True)


def _list_conversations(db: Path | None, coverage: bool) -> None:
    from ebbtide.store import Store, resolve_db_path

    path = resolve_db_path(db)
    if not path.exists():
        out.print(f"Nothing stored yet ({shown(path)}). Add a chat with: ebbtide import EXPORT.txt",
                  markup=False, highlight=False, soft_wrap=True)
        return
    with Store.open(path, create=False) as store:
        infos = store.conversations()
        reports = [coverage_report(store, i.id) for i in infos] if coverage else []
        pending = store.forget_pending
    if not infos:
        out.print(f"Nothing stored yet ({shown(path)}).", markup=False, highlight=False, soft_wrap=True)
        return
    if pending:  # said first, on every kind of output (terminal table or piped lines)
        err.print("A forget could not finish rewriting the store (full disk?). Free some space: it completes the "
                  "next time ebbtide opens the store.", markup=False, highlight=False, soft_wrap=True)
    if not out.is_terminal:  # piped or redirected: one full line each, never a table cropped to a width
        out.print(f"Stored in {path}", markup=False, highlight=False, soft_wrap=True)
        for i in infos:
            platform = "" if i.id.startswith(f"{i.platform}:") else f" [{i.platform}]"
            out.print(f"{i.id}{platform}: {', '.join(i.participants)}; {counted(i.messages, 'message')} from "
                      f"{_day(i.first)} to {_day(i.last)}; {counted(i.imports, 'import')}",
                      markup=False, highlight=False, soft_wrap=True)
        for lines in reports:
            out.print("")
            for line in lines:
                out.print(line, markup=False, highlight=False, soft_wrap=True)
        return
    # The platform is shown only when an id does not already start with it (ids are "whatsapp:…").
    show_platform = any(not i.id.startswith(f"{i.platform}:") for i in infos)
    table = Table(title=Text(f"Stored in {shown(path)}"), title_justify="left", box=box.SIMPLE_HEAD)
    columns = [("id", "left", False), ("people", "left", True), ("messages", "right", False),
               ("first", "left", False), ("last", "left", False), ("imports", "right", False)]
    if show_platform:
        columns.insert(1, ("platform", "left", True))
    for name, justify, wrap in columns:
        table.add_column(name, justify=justify, overflow="fold", no_wrap=not wrap)  # type: ignore[arg-type]
    for i in infos:
        cells = [i.id, ", ".join(i.participants), f"{i.messages:,}", _day(i.first), _day(i.last), str(i.imports)]
        if show_platform:
            cells.insert(1, i.platform)
        table.add_row(*(Text(c) for c in cells))  # names come from the files: never markup
    out.print(table)
    for lines in reports:
        out.print("")
        for line in lines:
            out.print(line, markup=False, highlight=False, soft_wrap=True)


# --------------------------------------------------------------------------- forget
def _interactive() -> bool:
    """Whether a person can answer a question (stdin is a terminal)."""
    return sys.stdin.isatty()


def _confirm(question: str) -> None:
    if not _interactive():
        raise EbbtideError("not deleting without confirmation", where="forget",
                           fix="Nobody can answer a question here; add --yes to confirm.")
    if not typer.confirm(question, default=False, err=True):
        err.print("Nothing deleted.")
        raise typer.Exit(1)


@app.command("forget")
@friendly_errors
def forget_cmd(
    conversation: Annotated[str | None, typer.Argument(help="Conversation id, its start, or a name.",
                                                       show_default=False)] = None,
    all_: Annotated[bool, typer.Option("--all", help="Delete every stored conversation.")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    db: DbOption = None,
) -> None:
    """Delete a conversation (or everything) from your store, for good."""
    from ebbtide.store import Store, resolve_db_path

    if bool(conversation) == all_:
        raise EbbtideError("say what to forget: a conversation or --all (not both)", where="forget",
                           fix="e.g. ebbtide forget Sam   or   ebbtide forget --all --yes")
    path = resolve_db_path(db)
    if not path.exists():
        if all_:
            out.print(f"Nothing stored ({shown(path)}); nothing to delete.", markup=False, highlight=False)
            return
        raise EbbtideError("there is no store here yet", where=str(path),
                           fix="Nothing to forget. See ebbtide conversations --db PATH.")
    with Store.open(path, create=False) as store:
        if all_:
            infos = store.conversations()
            total = sum(i.messages for i in infos)
            if not yes:
                _confirm(f"Delete all {len(infos)} conversations ({total:,} messages) in {shown(path)} for good?")
            store.forget_all()
            out.print(f"Deleted everything: {len(infos)} conversations, {total:,} messages.",
                      markup=False, highlight=False)
            return
        cid = store.resolve_conversation(conversation or "")
        info = next(i for i in store.conversations() if i.id == cid)
        if not yes:
            _confirm(f"Delete '{cid}' ({', '.join(info.participants)}; {info.messages:,} messages) for good?")
        store.forget(cid)
        out.print(f"Deleted '{cid}' ({info.messages:,} messages).", markup=False, highlight=False)
