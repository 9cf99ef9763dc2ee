"""Who is who: sender names in conversations resolved to people, across platforms and exports.

WHY: one person writes as "Alex" on WhatsApp, "alex.k" on Instagram and "+44 7700 900123" in SMS,
and the pulling away may show as a move from one messenger to another. Analysing a couple across
their chats needs one id per person. The rules are kept plain and reversible:

- Each (conversation, sender) is an *alias*. On import a new alias joins an existing person whose
  alias has the same normalised name (case, spacing and the iOS ``~ `` prefix ignored), else it
  gets a new person. The exporting user ("me", from the export or asked once) is one person for
  every conversation.
- ``merge_people(keep, other)`` moves ``other``'s aliases to ``keep`` and remembers it
  (``people.merged_into``); ``split_person(other)`` undoes it (aliases return to the person they
  were first given, ``home_person_id``).

Tables come from migration 3. Like the rest of the store, this module is where their SQL lives.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ebbtide.errors import StoreError
from ebbtide.store.core import StoreCore

_INVISIBLE = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff"


def normalise_name(name: str) -> str:
    """The form two spellings of one name share: NFC, case-folded, spaces collapsed, no iOS '~ '."""
    text = unicodedata.normalize("NFC", name).strip(_INVISIBLE + " \t\u00a0\u202f")
    if text.startswith("~"):
        text = text[1:]
    text = "".join(ch for ch in text if ch not in _INVISIBLE)
    return re.sub(r"\s+", " ", text).strip().casefold()


@dataclass(frozen=True, slots=True)
class Alias:
    """A sender name as it appears in one conversation."""

    conversation_id: str
    platform: str
    sender: str


@dataclass(frozen=True, slots=True)
class Person:
    """A person with every alias currently joined to them."""

    id: int
    name: str
    is_me: bool
    aliases: tuple[Alias, ...]
    merged_from: tuple[int, ...] = ()  # people merged into this one (``people split`` can undo)

    @property
    def platforms(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(a.platform for a in self.aliases))


def has_people(store: StoreCore) -> bool:
    """Whether this store's schema has the people tables (stores opened with old migrations do not)."""
    return bool(store._rows(
        "SELECT 1 FROM duckdb_tables() WHERE table_name = 'aliases' AND database_name = current_database()"))


def _new_person(store: StoreCore, name: str, is_me: bool) -> int:
    new_id = int(store._rows("SELECT coalesce(max(id), 0) + 1 FROM people")[0][0])
    store._rows("INSERT INTO people (id, name, is_me, merged_into, created_at) VALUES ($1, $2, $3, NULL, $4)",
                [new_id, name, is_me, datetime.now()])
    return new_id


def me_person(store: StoreCore) -> int | None:
    """The user's person id, if known."""
    # ``is_me`` stays on the person first marked; after a merge "me" is whoever they were merged into,
    # so splitting them off again gives "me" back to them.
    rows = store._rows("SELECT coalesce(merged_into, id) FROM people WHERE is_me ORDER BY id LIMIT 1")
    return int(rows[0][0]) if rows else None


def register_senders(store: StoreCore, conversation_id: str, platform: str, senders: Iterable[str],
                     me: str | None = None) -> dict[str, int]:
    """Give every sender of a conversation a person (new aliases only); return sender -> person id.

    A new alias joins the person with the same normalised name, the user included. ``me`` (the
    export says who exported it) links a new, unmatched alias to the user's person (the user under
    another name on another messenger), unless someone else in this chat already is the user: then
    the export came from the partner's phone and its "me" is the partner. The first export that says
    who "me" is, when the store does not know yet, makes that person the user (``people me`` or
    ``--me`` corrects it). Runs inside the import's transaction: a failed import leaves no people.
    """
    have = {str(s): int(p) for s, p in store._rows(
        "SELECT sender, person_id FROM aliases WHERE conversation_id = $1", [conversation_id])}
    user = me_person(store)
    new = [s for s in dict.fromkeys(senders) if s and s not in have]
    user_is_someone_else = user is not None and any(pid == user for s, pid in have.items() if s != me)
    if user is not None and me and not user_is_someone_else:
        # Names never link two people, but they may stop a link: if someone else in this chat has one
        # of the user's names, or "me" has the name of another known person, the export probably came
        # from the partner's phone, and its "me" is not the user.
        aliases = store._rows("SELECT sender, person_id FROM aliases")
        user_names = {normalise_name(str(a)) for a, pid in aliases if int(pid) == user}
        other_names = {normalise_name(str(a)) for a, pid in aliases if int(pid) != user}
        user_is_someone_else = (any(normalise_name(x) in user_names for x in senders if x and x != me)
                                or normalise_name(me) in other_names)
    for sender in new:
        pid = None  # equal names are not evidence of one person: see ``suggested_links``
        if sender == me and user is not None and not user_is_someone_else:
            pid = user
        if pid is None:
            pid = _new_person(store, sender, False)
        store._rows("INSERT INTO aliases (conversation_id, sender, platform, person_id, home_person_id) "
                    "VALUES ($1, $2, $3, $4, $4)", [conversation_id, sender, platform, pid])
        have[sender] = pid
    if me and me in have and me_person(store) is None:
        store._rows("UPDATE people SET is_me = true WHERE id = $1", [have[me]])
    return have


def suggested_links(store: StoreCore) -> list[tuple[Person, Person]]:
    """Pairs of people with the same name (case, spacing, the iOS ``~ `` ignored) in different chats.

    Only suggested, never done: two couples can both be "Alex" and "Sam". The user joins them with
    ``ebbtide people merge`` (their word), and ``people split`` undoes it.
    """
    everyone = people(store)
    by_name: dict[str, list[Person]] = {}
    for person in everyone:
        for key in {normalise_name(a.sender) for a in person.aliases} | {normalise_name(person.name)}:
            if key:
                by_name.setdefault(key, []).append(person)
    pairs: dict[tuple[int, int], tuple[Person, Person]] = {}
    for group in by_name.values():
        unique = list({p.id: p for p in group}.values())
        for i, a in enumerate(unique):
            for b in unique[i + 1:]:
                if a.is_me and b.is_me:
                    continue
                pairs.setdefault((min(a.id, b.id), max(a.id, b.id)), (a, b) if a.id < b.id else (b, a))
    return [pairs[k] for k in sorted(pairs)]


def join_aliases(store: StoreCore, keep: str, other: str) -> None:
    """``other``'s names move to ``keep`` (the user joined the two chats); a name in both is one person."""
    kept = conversation_people(store, keep)
    for sender, pid in conversation_people(store, other).items():
        if sender in kept:
            if kept[sender] != pid:
                _merge(store, kept[sender], pid)
            store._rows("DELETE FROM aliases WHERE conversation_id = $1 AND sender = $2", [other, sender])
        else:
            store._rows("UPDATE aliases SET conversation_id = $1 WHERE conversation_id = $2 AND sender = $3",
                        [keep, other, sender])
    prune_people(store)


def conversation_people(store: StoreCore, conversation_id: str) -> dict[str, int]:
    """Sender name -> person id for one conversation."""
    return {str(s): int(p) for s, p in store._rows(
        "SELECT sender, person_id FROM aliases WHERE conversation_id = $1", [conversation_id])}


def me_sender(store: StoreCore, conversation_id: str) -> str | None:
    """The user's sender name in this conversation, if the store knows it."""
    me = me_person(store)
    if me is None:
        return None
    rows = store._rows("SELECT sender FROM aliases WHERE conversation_id = $1 AND person_id = $2 ORDER BY sender",
                       [conversation_id, me])
    return str(rows[0][0]) if len(rows) == 1 else None


def set_me(store: StoreCore, conversation_id: str, sender: str) -> int:
    """Remember that ``sender`` in this conversation is the user (asked once, kept for next time).

    If another person is already the user and does not write in this chat, this alias's person is
    merged into them ("me" is one person across every chat, e.g. "Alex" and "Alex Kim"). If they
    do write in this chat, the earlier guess was wrong (say, an export from the partner's phone):
    "me" moves to ``sender``.
    """
    rows = store._rows("SELECT person_id FROM aliases WHERE conversation_id = $1 AND sender = $2",
                       [conversation_id, sender])
    if not rows:
        raise StoreError(f"'{sender}' did not write in '{conversation_id}'", where=str(store.path),
                         fix="See who wrote there with: ebbtide people")
    pid = int(rows[0][0])
    me = me_person(store)
    if me is None:
        store._rows("UPDATE people SET is_me = true WHERE id = $1", [pid])
        return pid
    if me == pid:
        return me
    if me in conversation_people(store, conversation_id).values():
        store._rows("UPDATE people SET is_me = false WHERE is_me")
        store._rows("UPDATE people SET is_me = true WHERE id = $1", [pid])
        return pid
    _merge(store, me, pid)
    return me


def people(store: StoreCore) -> list[Person]:
    """Every person with aliases (people merged into others are listed under them), me first."""
    alias_rows = store._rows("SELECT person_id, conversation_id, platform, sender FROM aliases "
                             "ORDER BY person_id, platform, conversation_id, sender")
    by_person: dict[int, list[Alias]] = {}
    for pid, cid, platform, sender in alias_rows:
        by_person.setdefault(int(pid), []).append(Alias(str(cid), str(platform), str(sender)))
    merged: dict[int, list[int]] = {}
    for pid, into in store._rows("SELECT id, merged_into FROM people WHERE merged_into IS NOT NULL ORDER BY id"):
        merged.setdefault(int(into), []).append(int(pid))
    me = me_person(store)
    result = [
        Person(int(pid), str(name), int(pid) == me, tuple(by_person.get(int(pid), ())), tuple(merged.get(int(pid), ())))
        for pid, name in store._rows("SELECT id, name FROM people WHERE merged_into IS NULL ORDER BY id")
    ]
    result.sort(key=lambda p: not p.is_me)  # you first
    return [p for p in result if p.aliases]


def find_person(store: StoreCore, ref: str, *, include_merged: bool = False) -> int:
    """A person id from what someone typed: the id number, a name, or any alias (case ignored)."""
    text = ref.strip()
    candidates = [(int(r[0]), str(r[1]), r[2]) for r in store._rows("SELECT id, name, merged_into FROM people")]
    live = {pid for pid, _, into in candidates if into is None}
    pool = {pid for pid, _, _ in candidates} if include_merged else live
    if text.isdigit() and int(text) in pool:
        return int(text)
    if text.casefold() in {"me", "i", "myself"} and (me := me_person(store)) is not None:
        return me
    wanted = normalise_name(text)
    found = {pid for pid, name, _ in candidates if pid in pool and normalise_name(name) == wanted}
    if not found:
        rows = store._rows("SELECT home_person_id, person_id, sender FROM aliases")
        found = {int(home if include_merged else pid) for home, pid, sender in rows
                 if normalise_name(str(sender)) == wanted} & pool
    if len(found) > 1:  # several people share the name once normalised: the exact spelling decides
        exact = {pid for pid, name, _ in candidates if pid in found and name.strip() == text}
        found = exact or found
    if len(found) == 1:
        return found.pop()
    listing = "\n  ".join(f"{p.id}: {p.name} ({', '.join(a.sender for a in p.aliases)})" for p in people(store))
    if not found:
        raise StoreError(f"no person called '{ref}'", where=str(store.path),
                         fix=f"Use a name, an alias or the number shown by 'ebbtide people':\n  {listing}")
    raise StoreError(f"'{ref}' matches {len(found)} people", where=str(store.path),
                     fix=f"Use the number shown by 'ebbtide people':\n  {listing}")


def _merge(store: StoreCore, keep: int, other: int) -> None:
    store._rows("UPDATE aliases SET person_id = $1 WHERE person_id = $2", [keep, other])
    store._rows("UPDATE people SET merged_into = $1 WHERE merged_into = $2", [keep, other])
    store._rows("UPDATE people SET merged_into = $1 WHERE id = $2", [keep, other])


def _in_transaction(store: StoreCore, work: Any) -> Any:
    db = store._db
    db.begin()
    try:
        result = work()
        db.commit()
    except BaseException:
        db.rollback()
        raise
    return result


def merge_people(store: StoreCore, keep_ref: str, other_ref: str) -> Person:
    """Join ``other`` into ``keep`` (all aliases), remembered and reversible with ``split_person``."""
    keep, other = find_person(store, keep_ref), find_person(store, other_ref)
    if keep == other:
        raise StoreError(f"'{keep_ref}' and '{other_ref}' are already the same person", where=str(store.path),
                         fix="See who is who with: ebbtide people")
    _in_transaction(store, lambda: _merge(store, keep, other))
    return next(p for p in people(store) if p.id == keep)


def split_person(store: StoreCore, ref: str) -> Person:
    """Undo a merge: the person ``ref`` (merged earlier) gets their own aliases back."""
    pid = find_person(store, ref, include_merged=True)
    rows = store._rows("SELECT merged_into FROM people WHERE id = $1", [pid])
    if not rows or rows[0][0] is None:
        raise StoreError(f"'{ref}' was not merged into anyone", where=str(store.path),
                         fix="Give the name of a person listed under another one in 'ebbtide people'.")

    def work() -> None:
        store._rows("UPDATE aliases SET person_id = $1 WHERE home_person_id = $1", [pid])
        store._rows("UPDATE people SET merged_into = NULL WHERE id = $1", [pid])
        store._rows("UPDATE people SET merged_into = $1 WHERE merged_into = $2 AND id IN "
                    "(SELECT home_person_id FROM aliases WHERE person_id = $1)", [pid, int(rows[0][0])])

    _in_transaction(store, work)
    return next(p for p in people(store) if p.id == pid)


def detach_alias(store: StoreCore, conversation_id: str, sender: str) -> Person:
    """Make one chat's name a person of its own (undoes an automatic same-name link, e.g. two "Sam"s)."""
    rows = store._rows("SELECT person_id FROM aliases WHERE conversation_id = $1 AND sender = $2",
                       [conversation_id, sender])
    if not rows:
        raise StoreError(f"'{sender}' did not write in '{conversation_id}'", where=str(store.path),
                         fix="See who wrote where with: ebbtide people")

    def work() -> int:
        pid = _new_person(store, sender, False)
        store._rows("UPDATE aliases SET person_id = $1, home_person_id = $1 WHERE conversation_id = $2 "
                    "AND sender = $3", [pid, conversation_id, sender])
        return pid

    pid = _in_transaction(store, work)
    return next(p for p in people(store) if p.id == pid)


def conversations_between(store: StoreCore, a: int, b: int, *, only_the_two: bool = False) -> list[str]:
    """Conversations in which both people wrote (oldest-created first).

    ``only_the_two``: just their one-to-one chats (no one else wrote), the couple's own channels.
    """
    alone = ("AND (SELECT count(DISTINCT z.person_id) FROM aliases z WHERE z.conversation_id = c.id) = 2 "
             if only_the_two else "")
    rows = store._rows(
        "SELECT c.id FROM conversations c WHERE "
        "EXISTS (SELECT 1 FROM aliases x WHERE x.conversation_id = c.id AND x.person_id = $1) AND "
        f"EXISTS (SELECT 1 FROM aliases y WHERE y.conversation_id = c.id AND y.person_id = $2) {alone}"
        "ORDER BY c.created_at, c.id", [a, b])
    return [str(r[0]) for r in rows]


def person_name(store: StoreCore, pid: int) -> str:
    rows = store._rows("SELECT name FROM people WHERE id = $1", [pid])
    if not rows:
        raise StoreError(f"no person number {pid}", where=str(store.path), fix="See: ebbtide people")
    return str(rows[0][0])


def rename_person(store: StoreCore, ref: str, name: str) -> None:
    """Set the name a person is shown (and analysed) under."""
    pid = find_person(store, ref)
    if not name.strip():
        raise StoreError("a name cannot be empty", where="people rename", fix="Give the name to show.")
    store._rows("UPDATE people SET name = $1 WHERE id = $2", [name.strip(), pid])


def prune_people(store: StoreCore) -> None:
    """Remove people left with no alias (after a conversation is forgotten): names are private too."""
    store._rows("DELETE FROM people WHERE id NOT IN (SELECT home_person_id FROM aliases) "
                "AND id NOT IN (SELECT person_id FROM aliases)")


__all__ = [
    "Alias", "Person", "conversation_people", "conversations_between", "detach_alias", "find_person", "has_people", "me_person",
    "me_sender", "merge_people", "normalise_name", "people", "person_name", "prune_people", "register_senders",
    "rename_person", "set_me", "split_person", "suggested_links",
]
