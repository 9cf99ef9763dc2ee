"""The store: round trip, dedup of repeated and overlapping imports, all-or-nothing, forgetting."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import textwrap
import time
from datetime import datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from ebbtide.errors import StoreError
from ebbtide.model import (
    MESSAGE_SCHEMA,
    Message,
    MessageKind,
    ParsedExport,
    ParseReport,
    Platform,
    messages_to_frame,
)
from ebbtide.store import Store, default_db_path, derive_conversation_id, resolve_db_path
from ebbtide.store.db import time_slices
from ebbtide.store.paths import wal_path

T0 = datetime(2024, 3, 12, 9, 14)
KEY = ["timestamp", "sender", "kind", "text"]


def chat(n: int = 50, *, cid: str = "whatsapp:alex-sam", start: datetime = T0) -> list[Message]:
    """A chat with real repeats: every 7th message is an "ok" sent twice in the same minute."""
    msgs: list[Message] = [
        Message(start, "", "Messages are end-to-end encrypted.", kind=MessageKind.SYSTEM,
                conversation_id=cid, source_line=1),
    ]
    for i in range(n):
        ts = start + timedelta(minutes=3 * i + 1)
        sender = "Alex" if i % 2 else "Sam"
        if i % 7 == 0:
            msgs += [Message(ts, sender, "ok", conversation_id=cid), Message(ts, sender, "ok", conversation_id=cid)]
        elif i % 11 == 0:
            msgs.append(Message(ts, sender, "", kind=MessageKind.MEDIA, conversation_id=cid))
        else:
            msgs.append(Message(ts, sender, f"message {i}\nsecond line", conversation_id=cid))
    return [
        Message(m.timestamp, m.sender, m.text, kind=m.kind, conversation_id=m.conversation_id,
                source_file="chat.txt", source_line=line)
        for line, m in enumerate(msgs, start=1)
    ]


def export(msgs: list[Message], *, source: str = "chat.txt", participants: tuple[str, ...] = ()) -> ParsedExport:
    report = ParseReport(source, Platform.WHATSAPP, "test dialect", participants=participants)
    return ParsedExport(messages_to_frame(msgs), report)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "store" / "ebbtide.duckdb"


def keys(frame: pl.DataFrame) -> list[tuple]:
    return list(frame.select(KEY).iter_rows())


def test_round_trip_keeps_every_column_and_order(db: Path) -> None:
    msgs = chat(40)
    with Store.open(db) as store:
        result = store.import_export(export(msgs))
        assert (result.added, result.skipped_duplicates, result.total_in_file) == (len(msgs), 0, len(msgs))
        assert result.conversation_id == "whatsapp:alex-sam"
        got = store.messages(result.conversation_id)
    assert dict(got.schema) == MESSAGE_SCHEMA
    assert got.equals(messages_to_frame(msgs))
    # reopening reads the same back (the data is on disk, not just in this connection)
    with Store.open(db, create=False) as store:
        assert store.messages("whatsapp:alex-sam").equals(got)


def test_messages_come_back_chronological_with_stable_ties(db: Path) -> None:
    msgs = chat(10)
    shuffled = [msgs[5], msgs[0], msgs[3], msgs[1], msgs[2], msgs[4], *msgs[6:]]  # out-of-order export
    with Store.open(db) as store:
        cid = store.import_export(export(shuffled)).conversation_id
        got = store.messages(cid)
    assert got.get_column("timestamp").is_sorted()
    assert keys(got) == keys(messages_to_frame(msgs))


def test_reimport_adds_nothing_and_is_recorded(db: Path) -> None:
    msgs = chat(30)
    src = db.parent.parent / "chat.txt"
    src.write_text("pretend export\n", encoding="utf-8")
    with Store.open(db) as store:
        first = store.import_export(export(msgs), source_path=src)
        second = store.import_export(export(msgs), source_path=src)
        assert second.added == 0 and second.skipped_duplicates == len(msgs) == first.added
        assert store.messages(first.conversation_id).height == len(msgs)
        history = store.import_history(first.conversation_id)
        (info,) = store.conversations()
    assert [h["added"] for h in history] == [len(msgs), 0]
    assert history[0]["sha256"] and len(history[0]["sha256"]) == 64
    assert info.imports == 2 and info.messages == len(msgs)
    assert info.participants == ("Sam", "Alex")  # order of first message
    assert info.first == msgs[0].timestamp and info.last == msgs[-1].timestamp


def test_overlapping_exports_give_the_union_and_keep_real_repeats(db: Path) -> None:
    msgs = chat(200)
    n = len(msgs)
    a, b = msgs[: int(n * 0.6)], msgs[int(n * 0.4):]
    whole = messages_to_frame(msgs)
    assert whole.filter(pl.col("text") == "ok").height > 2  # the chat has genuine repeats
    with Store.open(db) as store:
        ra = store.import_export(export(a))
        rb = store.import_export(export(b, source="chat (2).txt"))
        got = store.messages(ra.conversation_id)
    assert rb.added == n - len(a) and rb.skipped_duplicates == len(a) + len(b) - n
    assert keys(got) == keys(whole)
    assert got.filter(pl.col("text") == "ok").height == whole.filter(pl.col("text") == "ok").height


def test_overlap_in_reverse_order_gives_the_same_messages(db: Path) -> None:
    msgs = chat(120)
    n = len(msgs)
    with Store.open(db) as store:
        store.import_export(export(msgs[n // 3:]))
        store.import_export(export(msgs[: 2 * n // 3]))
        got = store.messages("whatsapp:alex-sam")
    assert sorted(keys(got)) == sorted(keys(messages_to_frame(msgs)))


def test_conversation_id_can_be_overridden_and_is_derived_when_missing(db: Path) -> None:
    msgs = [Message(T0, "Zoë", "hi"), Message(T0, "Sam", "hey")]
    with Store.open(db) as store:
        derived = store.import_export(export(msgs, participants=("Zoë", "Sam")))
        forced = store.import_export(export(msgs), conversation_id="mine")
        assert derived.conversation_id == "whatsapp:sam+zoë"
        assert forced.conversation_id == "mine" and forced.added == 2
        assert set(store.messages("mine").get_column("conversation_id")) == {"mine"}
    assert derive_conversation_id("whatsapp", ["B. Jones", "alex"]) == "whatsapp:alex+b-jones"


def test_export_with_several_chats(db: Path) -> None:
    both = chat(5, cid="telegram:1") + chat(5, cid="telegram:2")
    parsed = export(both)
    with Store.open(db) as store:
        with pytest.raises(StoreError, match="2 conversations"):
            store.import_export(parsed)
        assert store.conversations() == []  # refused before writing
        results = store.import_export_all(parsed)
        assert [r.conversation_id for r in results] == ["telegram:1", "telegram:2"]
        assert [i.messages for i in store.conversations()] == [len(both) // 2] * 2


def test_empty_export_writes_nothing(db: Path) -> None:
    with Store.open(db) as store:
        result = store.import_export(export([]))
        assert result.added == 0 and store.conversations() == []


def _counts(store: Store) -> tuple[int, int, int]:
    infos = store.conversations()
    return len(infos), sum(i.messages for i in infos), sum(i.imports for i in infos)


@pytest.mark.parametrize("step", ["_ensure_conversation", "_merge", "_record_import"])
@pytest.mark.parametrize("error", [RuntimeError("injected"), KeyboardInterrupt()])
def test_a_failed_import_leaves_the_store_as_it_was(db: Path, monkeypatch: pytest.MonkeyPatch,
                                                     step: str, error: BaseException) -> None:
    base, more = chat(20), chat(20, start=T0 + timedelta(days=3))
    with Store.open(db) as store:
        store.import_export(export(base))
        before = _counts(store)
        original = getattr(Store, step)

        def boom(self: Store, *args: object, **kwargs: object) -> object:
            original(self, *args, **kwargs)  # the step does its work, then the failure strikes
            raise error

        monkeypatch.setattr(Store, step, boom)
        with pytest.raises(type(error)):
            store.import_export(export(base + more))
        assert _counts(store) == before
        monkeypatch.undo()
        # still usable, and the retry adds exactly the new part
        assert store.import_export(export(base + more)).added == len(more)
    with Store.open(db) as store:
        assert _counts(store) == (1, len(base) + len(more), 2)


def test_a_process_killed_mid_import_leaves_the_store_as_it_was(db: Path, tmp_path: Path) -> None:
    ready = tmp_path / "ready"
    script = textwrap.dedent(f"""
        import time
        from datetime import datetime, timedelta
        from pathlib import Path
        from ebbtide.model import Message, ParsedExport, ParseReport, Platform, messages_to_frame
        from ebbtide.store import Store

        def export(n, day):
            msgs = [Message(datetime(2024, 1, day) + timedelta(seconds=i), "A", f"m{{i}}") for i in range(n)]
            return ParsedExport(messages_to_frame(msgs), ParseReport("x.txt", Platform.WHATSAPP, "t"))

        store = Store.open(Path({str(db)!r}))
        store.import_export(export(100, 1), conversation_id="c")  # committed
        original = Store._record_import
        def stall(self, *args):
            original(self, *args)
            Path({str(ready)!r}).write_text("in the middle")
            time.sleep(120)
        Store._record_import = stall
        store.import_export(export(5000, 2), conversation_id="c")
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while not ready.exists():
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            assert time.monotonic() < deadline, "the import never reached the injected pause"
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    with Store.open(db, create=False) as store:
        (info,) = store.conversations()
        assert (info.messages, info.imports) == (100, 1)


def _file_bytes(path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in (path, wal_path(path)) if p.exists())


def test_forget_deletes_rows_and_their_bytes(db: Path) -> None:
    marker = "secret-" + secrets.token_hex(24)
    keep = chat(10, cid="whatsapp:keep")
    gone = [Message(T0, "Sam", marker, conversation_id="whatsapp:gone"), *chat(10, cid="whatsapp:gone")]
    with Store.open(db) as store:
        store.import_export(export(keep))
        store.import_export(export(gone))
    assert marker.encode() in _file_bytes(db)  # the check below means something
    with Store.open(db) as store:
        store.forget("whatsapp:gone")
        assert [i.id for i in store.conversations()] == ["whatsapp:keep"]
        with pytest.raises(StoreError, match="no conversation"):
            store.messages("whatsapp:gone")
        assert store.messages("whatsapp:keep").height == len(keep)
    assert marker.encode() not in _file_bytes(db)
    assert not db.with_name(db.name + ".compacting").exists()
    with Store.open(db) as store:  # the rewritten file is a healthy store
        assert store.import_export(export(gone)).added == len(gone)


def test_forget_all_removes_everything(db: Path) -> None:
    marker = "secret-" + secrets.token_hex(24)
    with Store.open(db) as store:
        store.import_export(export([Message(T0, "Sam", marker, conversation_id="whatsapp:alex-sam"), *chat(5)]))
        store.forget_all()
        assert store.conversations() == []
    assert marker.encode() not in _file_bytes(db)
    assert not wal_path(db).exists()


def test_forget_unknown_conversation_is_a_clear_error(db: Path) -> None:
    with Store.open(db) as store, pytest.raises(StoreError, match="conversations"):
        store.forget("nope")


def test_resolve_conversation_by_id_prefix_or_name(db: Path) -> None:
    def two(a: str, b: str, cid: str) -> list[Message]:
        return [Message(T0, a, "hi", conversation_id=cid), Message(T0, b, "hey", conversation_id=cid)]

    with Store.open(db) as store:
        store.import_export(export(two("Alex", "Sam", "whatsapp:alex-sam")))
        store.import_export(export(two("Alex", "Robin", "whatsapp:alex-robin")))
        store.import_export(export(two("Kim", "Lee", "telegram:42")))
        assert store.resolve_conversation("whatsapp:alex-sam") == "whatsapp:alex-sam"
        assert store.resolve_conversation("tele") == "telegram:42"
        assert store.resolve_conversation("sam") == "whatsapp:alex-sam"
        assert store.resolve_conversation("ROBIN") == "whatsapp:alex-robin"
        with pytest.raises(StoreError) as ambiguous:
            store.resolve_conversation("whatsapp:alex")
        assert "whatsapp:alex-sam" in ambiguous.value.message and "whatsapp:alex-robin" in ambiguous.value.message
        with pytest.raises(StoreError) as by_name:
            store.resolve_conversation("Alex")
        assert "matches 2" in by_name.value.message
        with pytest.raises(StoreError) as none:
            store.resolve_conversation("Jordan")
        assert "no conversation matches" in none.value.message and "telegram:42" in none.value.message


def test_resolve_in_an_empty_store(db: Path) -> None:
    with Store.open(db) as store, pytest.raises(StoreError, match="no conversations yet"):
        store.resolve_conversation("Sam")


def test_opening_problems_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no store here yet"):
        Store.open(tmp_path / "missing.duckdb", create=False)
    assert not (tmp_path / "missing.duckdb").exists()
    with pytest.raises(StoreError, match="folder"):
        Store.open(tmp_path)
    junk = tmp_path / "notes.duckdb"
    junk.write_text("this is not a database\n" * 200)
    with pytest.raises(StoreError, match="cannot be opened") as info:
        Store.open(junk)
    assert "--db" in info.value.message
    assert junk.read_text().startswith("this is not a database")  # left alone


def test_a_store_in_use_by_another_process_is_reported(db: Path) -> None:
    Store.open(db).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb, sys, time; c = duckdb.connect({str(db)!r}); print('open', flush=True);"
         " time.sleep(60)"], stdout=subprocess.PIPE)
    try:
        assert holder.stdout and holder.stdout.readline().strip() == b"open"
        with pytest.raises(StoreError, match="in use"):
            Store.open(db)
    finally:
        holder.kill()
        holder.wait()


def test_store_location(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("EBBTIDE_DB", raising=False)
    assert default_db_path().name == "ebbtide.duckdb" and "ebbtide" in str(default_db_path().parent)
    monkeypatch.setenv("EBBTIDE_DB", str(tmp_path / "x.duckdb"))
    assert default_db_path() == tmp_path / "x.duckdb"
    assert resolve_db_path(None) == tmp_path / "x.duckdb"
    assert resolve_db_path(tmp_path / "y.duckdb") == tmp_path / "y.duckdb"
    with Store.open() as store:
        assert store.path == tmp_path / "x.duckdb"
    assert (tmp_path / "x.duckdb").exists()


def test_store_file_is_private(db: Path) -> None:
    Store.open(db).close()
    if os.name == "posix":
        assert db.stat().st_mode & 0o077 == 0


def test_time_slices_never_split_one_moment() -> None:
    ts = pl.Series([T0 + timedelta(minutes=m) for m in (5, 0, 0, 1, 1, 1, 1, 2, 3, 3)])
    slices = time_slices(ts, 3)
    assert slices[0] == (T0, T0 + timedelta(minutes=1))  # the four rows at minute 1 stay together
    assert slices[-1][1] == T0 + timedelta(minutes=5)
    covered = [sum(lo <= t <= hi for lo, hi in slices) for t in ts]
    assert covered == [1] * len(ts)  # every row in exactly one slice
    assert time_slices(ts, 100) == [(T0, T0 + timedelta(minutes=5))]


def test_forget_clears_every_table_that_names_the_conversation(db: Path) -> None:
    from ebbtide.store import MIGRATIONS, Migration

    notes = Migration(len(MIGRATIONS) + 1, "test: a later table tied to conversations", (
        "CREATE TABLE test_notes (conversation_id VARCHAR, body VARCHAR)",))
    marker = "note-" + secrets.token_hex(24)
    with Store.open(db, migrations=(*MIGRATIONS, notes)) as store:
        store.import_export(export(chat(5)))
        store._rows("INSERT INTO test_notes VALUES ('whatsapp:alex-sam', $1), (NULL, 'about us')", [marker])
        store.forget("whatsapp:alex-sam")
        assert store._rows("SELECT body FROM test_notes") == [("about us",)]
    assert marker.encode() not in _file_bytes(db)
