"""Versioned schema migrations, applied in one transaction every time the store is opened.

Each migration is a numbered list of SQL statements. ``schema_migrations(version, applied_at)``
records what has run, so a store made by an older ebbtide is upgraded in place and a store made
by a *newer* ebbtide is refused (we cannot know what its extra tables mean) instead of damaged.
Add new tables (people, events, ...) as new migrations at the end; never edit a released one.

SQL lives here as Python strings rather than ``.sql`` files so it ships inside the package with
no package-data rules to keep in sync.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import duckdb

from ebbtide.errors import StoreError


@dataclass(frozen=True, slots=True)
class Migration:
    """One step of the schema: ``version`` counts up from 1 with no gaps."""

    version: int
    description: str
    statements: tuple[str, ...]


# Notes on the design of version 1:
# - No foreign keys or indexes on ``messages``: DuckDB checks them eagerly, which slows bulk inserts
#   and makes delete-then-insert in one transaction fail; the store keeps the links itself.
# - ``seq`` is the order of arrival (file order within one import) and breaks ties between
#   messages written in the same minute, so reading back is stable.
_V1 = (
    """
    CREATE TABLE conversations (
        id VARCHAR PRIMARY KEY,
        platform VARCHAR NOT NULL,
        created_at TIMESTAMP NOT NULL
    )
    """,
    """
    CREATE TABLE imports (
        id BIGINT PRIMARY KEY,
        conversation_id VARCHAR NOT NULL,
        source_file VARCHAR NOT NULL,
        sha256 VARCHAR,
        imported_at TIMESTAMP NOT NULL,
        platform VARCHAR NOT NULL,
        dialect VARCHAR NOT NULL,
        date_order VARCHAR,
        me VARCHAR,
        total_in_file BIGINT NOT NULL,
        added BIGINT NOT NULL,
        skipped_duplicates BIGINT NOT NULL
    )
    """,
    """
    CREATE TABLE messages (
        conversation_id VARCHAR NOT NULL,
        seq BIGINT NOT NULL,
        import_id BIGINT NOT NULL,
        "timestamp" TIMESTAMP NOT NULL,
        utc_offset_min INTEGER,
        sender VARCHAR NOT NULL,
        text VARCHAR NOT NULL,
        kind VARCHAR NOT NULL,
        edited BOOLEAN NOT NULL,
        platform VARCHAR NOT NULL,
        source_file VARCHAR NOT NULL,
        source_line BIGINT NOT NULL
    )
    """,
)

# Version 2: the user's own journal (store/journal.py): events they log, weekly check-ins, a
# count of analysis runs per day (for a gentle note when it is re-run many times a day) and the
# web app's settings. ``conversation_id`` of an event may be null (an event about the couple).
_V2 = (
    """
    CREATE TABLE events (
        id BIGINT PRIMARY KEY,
        conversation_id VARCHAR,
        date DATE NOT NULL,
        kind VARCHAR NOT NULL,
        note VARCHAR NOT NULL,
        created_at TIMESTAMP NOT NULL
    )
    """,
    """
    CREATE TABLE checkins (
        id BIGINT PRIMARY KEY,
        date DATE NOT NULL,
        closeness INTEGER NOT NULL,
        saw_each_other BOOLEAN,
        outside_stress VARCHAR NOT NULL,
        afraid BOOLEAN,
        controlled BOOLEAN,
        note VARCHAR NOT NULL,
        created_at TIMESTAMP NOT NULL
    )
    """,
    """
    CREATE TABLE runs (
        day DATE NOT NULL,
        kind VARCHAR NOT NULL,
        n INTEGER NOT NULL,
        PRIMARY KEY (day, kind)
    )
    """,
    """
    CREATE TABLE settings (
        key VARCHAR PRIMARY KEY,
        value VARCHAR NOT NULL
    )
    """,
)

# Version 3: who is who and what each export can hold (store/people.py, store/timeline.py).
# - ``people``: one row per person; ``merged_into`` points at the person a merge joined it to (the
#   row stays, so ``people split`` can undo the merge); ``is_me`` marks the user (at most one root).
# - ``aliases``: a sender name in one conversation -> its person now (``person_id``) and the person
#   it was first given (``home_person_id``, what a split returns it to).
# - ``import_capabilities``: what each import's format can contain (reactions, replies, ...).
# - ``imports.time_zone`` / ``time_zone_source``: the zone given to times that had none, and why.
# No primary keys (see version 1): the store keeps these links itself.
_V3 = (
    """
    CREATE TABLE people (
        id BIGINT NOT NULL,
        name VARCHAR NOT NULL,
        is_me BOOLEAN NOT NULL,
        merged_into BIGINT,
        created_at TIMESTAMP NOT NULL
    )
    """,
    """
    CREATE TABLE aliases (
        conversation_id VARCHAR NOT NULL,
        sender VARCHAR NOT NULL,
        platform VARCHAR NOT NULL,
        person_id BIGINT NOT NULL,
        home_person_id BIGINT NOT NULL
    )
    """,
    """
    CREATE TABLE import_capabilities (
        import_id BIGINT NOT NULL,
        conversation_id VARCHAR NOT NULL,
        capability VARCHAR NOT NULL,
        present BOOLEAN NOT NULL
    )
    """,
    "ALTER TABLE imports ADD COLUMN time_zone VARCHAR",
    "ALTER TABLE imports ADD COLUMN time_zone_source VARCHAR",
)

MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "conversations, imports and messages", _V1),
    Migration(2, "journal: events, check-ins, runs per day, settings", _V2),
    Migration(3, "people, aliases, import capabilities, time zones of imports", _V3),
)

_CREATE_LEDGER = """
    CREATE TABLE IF NOT EXISTS schema_migrations (
        version INTEGER PRIMARY KEY,
        applied_at TIMESTAMP NOT NULL
    )
"""


def latest_version(migrations: Sequence[Migration] = MIGRATIONS) -> int:
    """The schema version this ebbtide writes."""
    return migrations[-1].version if migrations else 0


def _check_order(migrations: Sequence[Migration]) -> None:
    versions = [m.version for m in migrations]
    if versions != list(range(1, len(versions) + 1)):
        raise ValueError(f"migrations must be numbered 1, 2, 3... in order; got {versions}")


def current_version(con: duckdb.DuckDBPyConnection) -> int:
    """The highest version recorded in the store (0 for a new, empty file)."""
    tables = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'schema_migrations' AND database_name = current_database()"
    ).fetchall()
    if not tables[0][0]:
        return 0
    row = con.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchall()
    return int(row[0][0])


def apply_migrations(
    con: duckdb.DuckDBPyConnection, migrations: Sequence[Migration] = MIGRATIONS, *, where: str = ""
) -> list[int]:
    """Bring the store up to the latest version in one transaction; return the versions applied.

    A store newer than ``migrations`` knows raises ``StoreError`` and is left untouched.
    Any failure rolls everything back, so a store is never half-upgraded.
    """
    _check_order(migrations)
    newest = latest_version(migrations)
    applied: list[int] = []
    con.begin()
    try:
        con.execute(_CREATE_LEDGER).fetchall()
        have = current_version(con)
        if have > newest:
            raise StoreError(
                f"this store was written by a newer ebbtide (schema version {have}; "
                f"this ebbtide understands up to version {newest})",
                where=where,
                fix="Update ebbtide, or choose another store file with --db.",
            )
        for migration in migrations:
            if migration.version <= have:
                continue
            for statement in migration.statements:
                con.execute(statement).fetchall()
            con.execute(
                "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)", [migration.version, datetime.now()]
            ).fetchall()
            applied.append(migration.version)
        con.commit()
    except BaseException:
        con.rollback()
        raise
    return applied
