"""``ebbtide people``: who is who across chats (list, merge, split, me, rename).

WHY a command of its own: ebbtide links names automatically only where it is safe (same name,
or the export says who "me" is). That "Alex", "alex.k" and "+44 7700 900123" are one person only
the user knows; a merge is stored, used by ``analyze``, and can be undone with ``split``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich import box
from rich.table import Table
from rich.text import Text

from ebbtide.cli.app import app, friendly_errors, out
from ebbtide.errors import EbbtideError

if TYPE_CHECKING:
    from ebbtide.store import Store

people_app = typer.Typer(help="Who is who across your chats: list, merge, split, me, rename.",
                         no_args_is_help=False, add_completion=False)
app.add_typer(people_app, name="people")

DbOption = Annotated[
    Path | None,
    typer.Option("--db", envvar="EBBTIDE_DB", help="Store file (default: your data folder; or EBBTIDE_DB).",
                 show_default=False),
]


def _open(db: Path | None) -> Store:
    from ebbtide.store import Store, resolve_db_path

    path = resolve_db_path(db)
    if not path.exists():
        raise EbbtideError("there is no store here yet", where=str(path),
                           fix="Import a chat first: ebbtide import EXPORT.txt")
    store = Store.open(path, create=False)
    from ebbtide.store.people import has_people

    if not has_people(store):  # pragma: no cover - every store opened by this ebbtide is migrated
        store.close()
        raise EbbtideError("this store has no people tables", where=str(path), fix="Update ebbtide.")
    return store


def _show(db: Path | None) -> None:
    from ebbtide.store.people import people

    with _open(db) as store:
        everyone = people(store)
    if not everyone:
        out.print("Nobody yet: import a chat first (ebbtide import EXPORT.txt).", markup=False)
        return
    if not out.is_terminal:  # piped or redirected: one full line each, never a table cropped to a width
        for p in everyone:
            aliases = "; ".join(dict.fromkeys(f"{a.platform}: {a.sender}" for a in p.aliases))
            merged = f" (merged from {', '.join(f'#{i}' for i in p.merged_from)})" if p.merged_from else ""
            who = f"{p.name} (you)" if p.is_me else p.name
            out.print(f"#{p.id} {who}: {aliases}{merged}", markup=False, highlight=False, soft_wrap=True)
    else:
        _table(everyone)
    with _open(db) as store:
        suggestions = suggestion_lines(store)
    for line in suggestions:
        out.print(line, markup=False, highlight=False, soft_wrap=True)


def _table(everyone: list) -> None:  # type: ignore[type-arg]
    table = Table(box=box.SIMPLE_HEAD)
    for name, justify in (("#", "right"), ("person", "left"), ("aliases (platform: name)", "left"),
                          ("merged from", "left")):
        table.add_column(name, justify=justify, overflow="fold")  # type: ignore[arg-type]
    for p in everyone:
        aliases = "\n".join(dict.fromkeys(f"{a.platform}: {a.sender}" for a in p.aliases))
        who = f"{p.name} (you)" if p.is_me else p.name
        table.add_row(*(Text(c) for c in (str(p.id), who, aliases, ", ".join(f"#{i}" for i in p.merged_from))))
    out.print(table)


def suggestion_lines(store: Store, touched: list[str] | None = None, *, join_all: bool = True) -> list[str]:
    """Same names in different chats: suggested, never joined without the user's word.

    ``touched``: only pairs where one of them writes in these chats (after an import).
    """
    from ebbtide.store.people import has_people, suggested_links

    if not has_people(store):
        return []
    pairs = suggested_links(store)
    if touched is not None:
        pairs = [(a, b) for a, b in pairs if {x.conversation_id for x in (*a.aliases, *b.aliases)} & set(touched)]
    if not pairs:
        return []
    lines = ["Same names in different chats (not joined: two people can share a name):"]
    lines += [f"  #{a.id} {a.name} and #{b.id} {b.name}: if one person, ebbtide people merge {a.id} {b.id}"
              for a, b in pairs]
    if join_all:
        lines.append("  Join every pair listed: ebbtide people merge --suggested")
    return lines


@people_app.callback(invoke_without_command=True)
@friendly_errors
def people_cmd(ctx: typer.Context, db: DbOption = None) -> None:
    """List the people in your chats with their names on each messenger."""
    if ctx.invoked_subcommand is None:
        _show(db)


@people_app.command("list")
@friendly_errors
def list_cmd(db: DbOption = None) -> None:
    """List the people in your chats with their names on each messenger."""
    _show(db)


@people_app.command("merge")
@friendly_errors
def merge_cmd(
    keep: Annotated[str | None, typer.Argument(help="The person to keep (name, alias or #).",
                                               show_default=False)] = None,
    others: Annotated[list[str] | None, typer.Argument(help="People who are the same person (joined into KEEP).",
                                                       show_default=False)] = None,
    suggested: Annotated[bool, typer.Option("--suggested", help="Join every same-name pair that "
                                            "'ebbtide people' suggests.")] = False,
    db: DbOption = None,
) -> None:
    """Say that several names are one person, e.g. ebbtide people merge Alex alex.k "+44 7700 900123"."""
    from ebbtide.store.people import merge_people, suggested_links

    if suggested == bool(keep):
        raise EbbtideError("say who to merge: KEEP OTHER... or --suggested (one of them)", where="people merge",
                           fix='e.g. ebbtide people merge Alex alex.k   or   ebbtide people merge --suggested')
    if keep and not others:
        raise EbbtideError("name at least one person to join into " + keep, where="people merge",
                           fix='e.g. ebbtide people merge Alex alex.k')
    with _open(db) as store:
        person = None
        if suggested:
            for a, b in suggested_links(store):
                joined = merge_people(store, str(a.id), str(b.id))
                out.print(f"#{b.id} {b.name} joined into #{a.id} {joined.name}", markup=False, highlight=False)
            return
        for other in others or []:
            person = merge_people(store, keep or "", other)
    if person is not None:
        names = ", ".join(dict.fromkeys(a.sender for a in person.aliases))
        out.print(f"{person.name} is now one person with the names: {names}. Undo with: ebbtide people split NAME",
                  markup=False, highlight=False, soft_wrap=True)


@people_app.command("split")
@friendly_errors
def split_cmd(
    person: Annotated[str, typer.Argument(help="A name that was merged into someone.", show_default=False)],
    conversation: Annotated[str | None, typer.Option("--conversation", help="Only this chat's NAME becomes a "
                                                     "person of its own (two different people with one name).",
                                                     show_default=False)] = None,
    db: DbOption = None,
) -> None:
    """Undo a merge: the person gets their own names back."""
    from ebbtide.store.people import conversation_people, detach_alias, split_person

    with _open(db) as store:
        if conversation:
            cid = store.resolve_conversation(conversation)
            match = [s for s in conversation_people(store, cid) if s.casefold() == person.strip().casefold()]
            if len(match) != 1:
                raise EbbtideError(f"'{person}' did not write in {cid}", where="people split",
                                   fix="Choose one of: " + ", ".join(conversation_people(store, cid)))
            back = detach_alias(store, cid, match[0])
        else:
            back = split_person(store, person)
    out.print(f"{back.name} is a separate person again ({', '.join(a.sender for a in back.aliases)}).",
              markup=False, highlight=False, soft_wrap=True)


@people_app.command("me")
@friendly_errors
def me_cmd(
    name: Annotated[str, typer.Argument(help="Your name as it appears in a chat.", show_default=False)],
    conversation: Annotated[str | None, typer.Option("--conversation", help="The chat (id, its start, or a "
                                                     "name) where you write as NAME.", show_default=False)] = None,
    db: DbOption = None,
) -> None:
    """Tell ebbtide which name is you (remembered for every chat)."""
    from ebbtide.store.people import conversation_people, find_person, people, person_name, set_me

    with _open(db) as store:
        if conversation:
            cid = store.resolve_conversation(conversation)
            senders = conversation_people(store, cid)
            match = [s for s in senders if s.casefold() == name.strip().casefold()]
            if len(match) != 1:
                raise EbbtideError(f"'{name}' did not write in {cid}", where="people me",
                                   fix="Choose one of: " + ", ".join(senders))
            pid = set_me(store, cid, match[0])
        else:
            pid = find_person(store, name)
            alias = next(a for p in people(store) if p.id == pid for a in p.aliases)
            pid = set_me(store, alias.conversation_id, alias.sender)
        out.print(f"Remembered: you are {person_name(store, pid)}.", markup=False, highlight=False)


@people_app.command("rename")
@friendly_errors
def rename_cmd(
    person: Annotated[str, typer.Argument(help="Name, alias or #.", show_default=False)],
    new_name: Annotated[str, typer.Argument(help="The name to show.", show_default=False)],
    db: DbOption = None,
) -> None:
    """Change the name a person is shown under (their names in the chats stay as they are)."""
    from ebbtide.store.people import rename_person

    with _open(db) as store:
        rename_person(store, person, new_name)
    out.print(f"Renamed to {new_name.strip()}.", markup=False, highlight=False)
