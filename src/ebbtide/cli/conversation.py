"""The conversation ``analyze`` looks at: exports stored (or read into memory) in one transaction,
the chosen chat, the user remembered, and a couple's chats on several messengers merged into one
timeline (``--person``, or automatically when the two have more than one chat)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from ebbtide.cli.app import err
from ebbtide.cli.output import step
from ebbtide.errors import EbbtideError, UnknownParticipant, shown
from ebbtide.model import ParsedExport

if TYPE_CHECKING:
    from ebbtide.store import Store


def load_conversation(
    store: Store, parsed: list[tuple[Path, ParsedExport]], conversation: str | None, tz: str | None = None,
    person: str | None = None,
) -> tuple[pl.DataFrame, str | None, str | None, str]:
    """Import the read exports into ``store`` (inside the caller's transaction); return the chosen
    conversation's messages, a 'me' hint, its id and where the hint came from (the export, or the
    store remembering an earlier answer).

    With ``person`` no conversation is chosen here (the id is None): the caller builds the merged
    timeline of the user and that person.
    """
    from ebbtide.api import choose_conversation
    from ebbtide.importers.timezones import choose_zone

    zone = choose_zone(tz)
    imported: list[str] = []
    for path, p in parsed:
        with step(f"storing {shown(path.name)}" if not store.in_memory else f"reading {shown(path.name)} into memory"):
            for r in store.import_export_all(p, source_path=path, zone=zone):
                imported.append(r.conversation_id)
                err.print(f"{shown(path.name)}: {r.added:,} new, {r.skipped_duplicates:,} already stored",
                          markup=False, highlight=False)
                if r.note:
                    err.print(f"{shown(path.name)}: {r.note}", markup=False, highlight=False, soft_wrap=True)
    imported = list(dict.fromkeys(imported))
    if person and not conversation:
        return pl.DataFrame(), None, None, ""
    cid = choose_conversation(store, imported, conversation, where="analyze", flag="--conversation ID")
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


@contextlib.contextmanager
def command_store(db: Path | None, *, create: bool, memory: bool) -> Iterator[Store]:
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


def gentle_rerun_note(store: Store) -> None:
    """Count this run in the store; from the fifth run in a day, say gently that once a week is plenty."""
    from ebbtide.insight.rerun import rerun_note
    from ebbtide.store.journal import record_run

    note = rerun_note(record_run(store, "analysis"))
    if note:
        err.print(note, markup=False, highlight=False)


__all__ = ["command_store", "gentle_rerun_note", "load_conversation", "person_timeline", "remember_and_merge",
           "remembered_me"]
