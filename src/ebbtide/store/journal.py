"""The user's journal in the local store: events, weekly check-ins, runs per day, settings.

WHY in the same store: a chat log cannot see a talk over dinner, a weekend away or a job change.
What the user writes down sits beside their messages, in the same private file, so it is
forgotten together with them and exported only when they ask (``export_journal``).

Tables come from migration 2 (store/migrations.py). Like the rest of the store, this module is
the only place the journal's SQL lives.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from ebbtide.errors import EbbtideError

if TYPE_CHECKING:
    from ebbtide.store.db import Store

NOTE_MAX = 2000  # characters: a note, not a diary dump


class EventKind(StrEnum):
    TALK = "talk"
    TOGETHER = "together"
    APART = "apart"
    TRIP = "trip"
    FIGHT = "fight"
    JOB_CHANGE = "job_change"
    OTHER = "other"


EVENT_LABELS: dict[EventKind, str] = {
    EventKind.TALK: "A talk",
    EventKind.TOGETHER: "Time together",
    EventKind.APART: "Time apart",
    EventKind.TRIP: "A trip",
    EventKind.FIGHT: "A fight",
    EventKind.JOB_CHANGE: "A change of job",
    EventKind.OTHER: "Something else",
}


@dataclass(frozen=True, slots=True)
class JournalEvent:
    id: int
    date: date
    kind: EventKind
    note: str
    conversation_id: str | None = None
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class CheckIn:
    """A weekly check-in. ``closeness`` 1 (far apart) .. 5 (very close)."""

    date: date
    closeness: int
    saw_each_other: bool | None = None
    outside_stress: str = ""
    afraid: bool | None = None
    controlled: bool | None = None
    note: str = ""
    id: int = 0
    created_at: datetime | None = None


def _note(text: str | None, where: str) -> str:
    text = (text or "").strip()
    if len(text) > NOTE_MAX:
        raise EbbtideError(f"the note is {len(text):,} characters long", where=where,
                           fix=f"Keep it under {NOTE_MAX:,} characters.")
    return text


def _next_id(store: Store, table: str) -> int:
    return int(store._rows(f"SELECT coalesce(max(id), 0) + 1 FROM {table}")[0][0])


# --------------------------------------------------------------------------- events
def add_event(store: Store, *, day: date, kind: EventKind | str, note: str = "",
              conversation_id: str | None = None) -> JournalEvent:
    """Log an event; returns it with its id. Unknown kinds are refused with the allowed list."""
    try:
        kind = EventKind(kind)
    except ValueError:
        raise EbbtideError(f"'{kind}' is not a kind of event", where="event kind",
                           fix="Use one of: " + ", ".join(k.value for k in EventKind)) from None
    if day > date.today():
        raise EbbtideError(f"{day} is in the future", where="event date", fix="Log events that have happened.")
    note = _note(note, "event note")
    if conversation_id is not None and not store.has_conversation(conversation_id):
        conversation_id = None
    new_id = _next_id(store, "events")
    now = datetime.now()
    store._rows("INSERT INTO events (id, conversation_id, date, kind, note, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
                [new_id, conversation_id, day, kind.value, note, now])
    return JournalEvent(new_id, day, kind, note, conversation_id, now)


def events(store: Store, conversation_id: str | None = None) -> list[JournalEvent]:
    """Events, oldest first; with ``conversation_id``, that conversation's and the couple-wide ones."""
    sql = "SELECT id, date, kind, note, conversation_id, created_at FROM events"
    params: list[Any] = []
    if conversation_id is not None:
        sql += " WHERE conversation_id IS NULL OR conversation_id = $1"
        params = [conversation_id]
    rows = store._rows(sql + " ORDER BY date, id", params)
    return [JournalEvent(int(r[0]), r[1], EventKind(r[2]), r[3], r[4], r[5]) for r in rows]


def delete_event(store: Store, event_id: int) -> bool:
    """Remove one event for good (the file is rewritten so its note leaves no bytes behind);
    False when there was none with this id."""
    found = store._rows("SELECT count(*) FROM events WHERE id = $1", [event_id])[0][0]
    store._rows("DELETE FROM events WHERE id = $1", [event_id])
    if found:
        store.compact()
    return bool(found)


def restore_event(store: Store, event: JournalEvent) -> JournalEvent:
    """Put back an event removed a moment ago (undo), with its id, or a new id if that one is taken."""
    taken = store._rows("SELECT 1 FROM events WHERE id = $1", [event.id])
    new_id = _next_id(store, "events") if taken else event.id
    cid = event.conversation_id if event.conversation_id and store.has_conversation(event.conversation_id) else None
    store._rows("INSERT INTO events (id, conversation_id, date, kind, note, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
                [new_id, cid, event.date, event.kind.value, event.note, event.created_at or datetime.now()])
    return JournalEvent(new_id, event.date, event.kind, event.note, cid, event.created_at)


def get_event(store: Store, event_id: int) -> JournalEvent | None:
    return next((e for e in events(store) if e.id == event_id), None)


# --------------------------------------------------------------------------- check-ins
def _valid_checkin(checkin: CheckIn) -> tuple[str, str]:
    if not 1 <= int(checkin.closeness) <= 5:
        raise EbbtideError(f"closeness {checkin.closeness} is outside 1..5", where="check-in",
                           fix="Choose 1 (far apart) to 5 (very close).")
    if checkin.date > date.today():
        raise EbbtideError(f"{checkin.date} is in the future", where="check-in date", fix="Use today or earlier.")
    return _note(checkin.outside_stress, "check-in: outside stress"), _note(checkin.note, "check-in note")


def add_checkin(store: Store, checkin: CheckIn, *, keep_id: bool = False) -> CheckIn:
    """Store a check-in (validated: closeness 1..5, a date not in the future).

    ``keep_id``: put back a removed check-in under its own id (undo) when that id is free.
    """
    stress, note = _valid_checkin(checkin)
    free = keep_id and checkin.id and not store._rows("SELECT 1 FROM checkins WHERE id = $1", [checkin.id])
    new_id = checkin.id if free else _next_id(store, "checkins")
    now = checkin.created_at if free and checkin.created_at else datetime.now()
    store._rows("INSERT INTO checkins (id, date, closeness, saw_each_other, outside_stress, afraid, controlled, note, "
                "created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                [new_id, checkin.date, int(checkin.closeness), checkin.saw_each_other, stress,
                 checkin.afraid, checkin.controlled, note, now])
    return CheckIn(checkin.date, int(checkin.closeness), checkin.saw_each_other, stress, checkin.afraid,
                   checkin.controlled, note, new_id, now)


def get_checkin(store: Store, checkin_id: int) -> CheckIn | None:
    return next((c for c in checkins(store) if c.id == checkin_id), None)


def update_checkin(store: Store, checkin_id: int, checkin: CheckIn) -> CheckIn:
    """Change a check-in (same checks as a new one); the old wording leaves no bytes behind."""
    old = get_checkin(store, checkin_id)
    if old is None:
        raise EbbtideError("this check-in is not in the journal any more", where="check-in",
                           fix="Go back to the journal; it may have been removed.")
    stress, note = _valid_checkin(checkin)
    store._rows("UPDATE checkins SET date = $2, closeness = $3, saw_each_other = $4, outside_stress = $5, "
                "afraid = $6, controlled = $7, note = $8 WHERE id = $1",
                [checkin_id, checkin.date, int(checkin.closeness), checkin.saw_each_other, stress, checkin.afraid,
                 checkin.controlled, note])
    if (old.note, old.outside_stress) != (note, stress):
        store.compact()
    return CheckIn(checkin.date, int(checkin.closeness), checkin.saw_each_other, stress, checkin.afraid,
                   checkin.controlled, note, checkin_id, old.created_at)


def delete_checkin(store: Store, checkin_id: int) -> CheckIn | None:
    """Remove one check-in for good (file rewritten); returns it (for an undo) or None if absent."""
    old = get_checkin(store, checkin_id)
    if old is None:
        return None
    store._rows("DELETE FROM checkins WHERE id = $1", [checkin_id])
    store.compact()
    return old


def checkins(store: Store) -> list[CheckIn]:
    rows = store._rows("SELECT date, closeness, saw_each_other, outside_stress, afraid, controlled, note, id, "
                       "created_at FROM checkins ORDER BY date, id")
    return [CheckIn(r[0], int(r[1]), r[2], r[3], r[4], r[5], r[6], int(r[7]), r[8]) for r in rows]


# --------------------------------------------------------------------------- runs per day
def record_run(store: Store, kind: str = "analysis", day: date | None = None) -> int:
    """Count one run today; returns how many runs of ``kind`` there have been on that day."""
    day = day or date.today()
    store._rows("INSERT INTO runs (day, kind, n) VALUES ($1, $2, 1) ON CONFLICT (day, kind) DO UPDATE SET n = n + 1",
                [day, kind])
    return runs_on(store, kind, day)


def runs_on(store: Store, kind: str = "analysis", day: date | None = None) -> int:
    rows = store._rows("SELECT n FROM runs WHERE day = $1 AND kind = $2", [day or date.today(), kind])
    return int(rows[0][0]) if rows else 0


# --------------------------------------------------------------------------- settings
def get_setting(store: Store, key: str, default: str | None = None) -> str | None:
    rows = store._rows("SELECT value FROM settings WHERE key = $1", [key])
    return str(rows[0][0]) if rows else default


def set_setting(store: Store, key: str, value: str | None) -> None:
    """Set (or, with ``None``, remove) one setting."""
    if value is None:
        store._rows("DELETE FROM settings WHERE key = $1", [key])
    else:
        store._rows("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    [key, value])


def settings(store: Store) -> dict[str, str]:
    return {str(k): str(v) for k, v in store._rows("SELECT key, value FROM settings ORDER BY key")}


# --------------------------------------------------------------------------- export
def _jsonable(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, date | datetime) else v) for k, v in obj.items()}


def export_journal(store: Store) -> dict[str, Any]:
    """Everything the user wrote down, as plain JSON-ready data (for a download)."""
    return {
        "format": "ebbtide-journal",
        "version": 1,
        "exported_at": datetime.now().isoformat(timespec="seconds"),
        "events": [_jsonable(asdict(e)) for e in events(store)],
        "checkins": [_jsonable(asdict(c)) for c in checkins(store)],
    }


def forget_journal(store: Store) -> None:
    """Delete every event, check-in, run count and setting (the messages are left alone)."""
    for table in ("events", "checkins", "runs", "settings"):
        store._rows(f"DELETE FROM {table}")
    store.compact()  # DuckDB keeps deleted rows' bytes in the file until it is rewritten


__all__ = [
    "EVENT_LABELS", "CheckIn", "EventKind", "JournalEvent", "add_checkin", "add_event", "checkins",
    "delete_checkin", "delete_event", "events", "export_journal", "forget_journal", "get_checkin", "get_event",
    "get_setting", "record_run", "restore_event", "runs_on", "set_setting", "settings", "update_checkin",
]
