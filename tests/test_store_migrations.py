"""Schema migrations: recorded, upgraded in place, all-or-nothing, newer stores refused."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from ebbtide.errors import StoreError
from ebbtide.model import Message, ParsedExport, ParseReport, Platform, messages_to_frame
from ebbtide.store import MIGRATIONS, Migration, Store, apply_migrations, current_version, latest_version

V2 = Migration(2, "people (dummy for the test)", (
    "CREATE TABLE people (conversation_id VARCHAR NOT NULL, name VARCHAR NOT NULL, is_me BOOLEAN)",
    "ALTER TABLE imports ADD COLUMN note VARCHAR",
))
BROKEN_V2 = Migration(2, "half good, half broken", (
    "CREATE TABLE people (name VARCHAR)",
    "ALTER TABLE no_such_table ADD COLUMN x INTEGER",
))


def _export() -> ParsedExport:
    msgs = [Message(datetime(2024, 1, 1, 9), "Alex", "hi"), Message(datetime(2024, 1, 1, 9, 1), "Sam", "hey")]
    return ParsedExport(messages_to_frame(msgs), ParseReport("c.txt", Platform.WHATSAPP, "t"))


def _versions(path: Path) -> list[int]:
    con = duckdb.connect(str(path))
    try:
        return [r[0] for r in con.execute("SELECT version FROM schema_migrations ORDER BY version").fetchall()]
    finally:
        con.close()


def _tables(path: Path) -> set[str]:
    con = duckdb.connect(str(path))
    try:
        return {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    finally:
        con.close()


def test_a_new_store_is_at_the_latest_version(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    Store.open(db).close()
    assert _versions(db) == list(range(1, latest_version() + 1))
    assert {"schema_migrations", "conversations", "imports", "messages"} <= _tables(db)
    Store.open(db).close()  # opening again applies nothing twice
    assert _versions(db) == list(range(1, latest_version() + 1))


def test_upgrade_from_version_1_to_2_keeps_the_data(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    v1 = MIGRATIONS[:1]
    with Store.open(db, migrations=v1) as store:
        cid = store.import_export(_export()).conversation_id
    assert _versions(db) == [1] and "people" not in _tables(db)
    with Store.open(db, migrations=(*v1, V2)) as store:
        assert store.messages(cid).height == 2
        assert store.import_export(_export()).added == 0  # dedup still works on the upgraded schema
    assert _versions(db) == [1, 2] and "people" in _tables(db)


def test_a_failing_migration_changes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    v1 = MIGRATIONS[:1]
    Store.open(db, migrations=v1).close()
    with pytest.raises(duckdb.Error):
        Store.open(db, migrations=(*v1, BROKEN_V2))
    assert _versions(db) == [1]
    assert "people" not in _tables(db)  # the first, good statement was rolled back too
    with Store.open(db, migrations=(*v1, V2)):  # and a fixed migration still applies
        pass
    assert _versions(db) == [1, 2]


def test_a_newer_store_is_refused_by_an_older_ebbtide(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    v1 = MIGRATIONS[:1]
    with Store.open(db, migrations=(*v1, V2)) as store:
        store.import_export(_export())
    with pytest.raises(StoreError) as info:
        Store.open(db, migrations=v1)
    assert "newer ebbtide" in info.value.message and "version 2" in info.value.message
    assert "Update ebbtide" in info.value.message
    assert _versions(db) == [1, 2]  # untouched
    with Store.open(db, migrations=(*v1, V2)) as store:
        assert store.conversations()[0].messages == 2


def test_migrations_must_be_numbered_in_order() -> None:
    con = duckdb.connect(":memory:")
    with pytest.raises(ValueError, match="numbered"):
        apply_migrations(con, (MIGRATIONS[0], Migration(3, "gap", ("SELECT 1",))))
    assert apply_migrations(con) == [m.version for m in MIGRATIONS]
    assert current_version(con) == latest_version()
    assert apply_migrations(con) == []
