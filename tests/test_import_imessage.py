"""iMessage chat.db importer: built in the test from our own DDL subset (never a real database)."""

from __future__ import annotations

import sqlite3
import tempfile
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ebbtide.errors import ChooseChat, EbbtideError, NotAChatExport
from ebbtide.importers.imessage import IMPORTER, decode_attributed_body, list_chats, reactions, read_imessage
from ebbtide.model import MESSAGE_SCHEMA, frame_to_messages, validate_messages_frame

DDL = """
CREATE TABLE handle (ROWID INTEGER PRIMARY KEY, id TEXT NOT NULL, service TEXT NOT NULL);
CREATE TABLE chat (ROWID INTEGER PRIMARY KEY, guid TEXT UNIQUE NOT NULL, style INTEGER,
                   chat_identifier TEXT, service_name TEXT, display_name TEXT);
CREATE TABLE message (ROWID INTEGER PRIMARY KEY, guid TEXT UNIQUE NOT NULL, text TEXT, attributedBody BLOB,
                      handle_id INTEGER DEFAULT 0, service TEXT, date INTEGER, date_read INTEGER,
                      date_delivered INTEGER, date_edited INTEGER, is_from_me INTEGER DEFAULT 0,
                      item_type INTEGER DEFAULT 0, associated_message_guid TEXT,
                      associated_message_type INTEGER DEFAULT 0, associated_message_emoji TEXT,
                      thread_originator_guid TEXT, balloon_bundle_id TEXT, cache_has_attachments INTEGER,
                      is_audio_message INTEGER);
CREATE TABLE chat_message_join (chat_id INTEGER, message_id INTEGER, message_date INTEGER DEFAULT 0);
CREATE TABLE chat_handle_join (chat_id INTEGER, handle_id INTEGER);
"""
APPLE = datetime(2001, 1, 1)


def typedstream(text: str) -> bytes:
    """A minimal NSAttributedString typedstream, shaped like the ones macOS writes."""
    body = text.encode()
    n = len(body)
    length = bytes([n]) if n < 0x80 else b"\x81" + n.to_bytes(2, "little")
    return (
        b"\x04\x0bstreamtyped\x81\xe8\x03\x84\x01@\x84\x84\x84\x12NSAttributedString\x00\x84\x84\x08NSObject"
        b"\x00\x85\x92\x84\x84\x84\x08NSString\x01\x94\x84\x01+" + length + body + b"\x86\x84\x02iI\x01\x05\x92"
    )


def ns(when: datetime) -> int:
    return int((when - APPLE).total_seconds()) * 1_000_000_000


def make_db(path: Path, *, seconds: bool = False) -> Path:
    con = sqlite3.connect(path)
    con.executescript(DDL)
    con.executemany("INSERT INTO handle VALUES (?, ?, ?)", [(1, "+15555550123", "iMessage"), (2, "kim@example.com", "iMessage")])
    con.executemany(
        "INSERT INTO chat VALUES (?, ?, ?, ?, ?, ?)",
        [
            (1, "iMessage;-;+15555550123", 45, "+15555550123", "iMessage", ""),
            (2, "SMS;-;+15555550123", 45, "+15555550123", "SMS", ""),
            (3, "iMessage;-;kim@example.com", 45, "kim@example.com", "iMessage", ""),
        ],
    )
    d = (lambda t: int((t - APPLE).total_seconds())) if seconds else ns
    rows = [
        # rowid, guid, text, body, handle, date, date_edited, from_me, item_type, assoc_type, attach, chat
        (1, "G1", "hey you", None, 1, d(datetime(2024, 1, 4, 18, 3, 15)), None, 0, 0, 0, 0, 1),
        (2, "G2", None, typedstream("hi!\nhow was it?"), 0, d(datetime(2024, 1, 4, 18, 4, 2)), None, 1, 0, 0, 0, 1),
        (3, "G3", "Loved “hi!”", None, 1, d(datetime(2024, 1, 4, 18, 4, 30)), None, 0, 0, 2000, 0, 1),
        (4, "G4", "\ufffc", None, 1, d(datetime(2024, 1, 4, 18, 5, 0)), None, 0, 0, 0, 1, 1),
        (5, "G5", None, None, 0, d(datetime(2024, 1, 4, 18, 6, 0)), d(datetime(2024, 1, 4, 18, 6, 30)), 1, 0, 0, 0, 1),
        (6, "G6", "fixed typo", None, 0, d(datetime(2024, 1, 4, 18, 7, 0)), d(datetime(2024, 1, 4, 18, 7, 9)), 1, 0, 0, 0, 2),
        (7, "G7", None, None, 0, d(datetime(2024, 1, 4, 18, 8, 0)), None, 0, 2, 0, 0, 1),
        (8, "G8", "other chat", None, 2, d(datetime(2024, 1, 4, 18, 9, 0)), None, 0, 0, 0, 0, 3),
    ]
    for r in rows:
        con.execute(
            "INSERT INTO message (ROWID, guid, text, attributedBody, handle_id, date, date_edited, is_from_me, "
            "item_type, associated_message_type, associated_message_guid, cache_has_attachments) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (*r[:10], "p:0/G2" if r[9] else None, r[10]),
        )
        con.execute("INSERT INTO chat_message_join VALUES (?, ?, 0)", (r[11], r[0]))
    con.commit()
    con.close()
    return path


@pytest.fixture(autouse=True)
def _busier_chat(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fixture databases hold two chats; tests read the busier one unless they say otherwise."""
    monkeypatch.setenv("EBBTIDE_CHAT", "+15555550123")


@pytest.fixture()
def chat_db(tmp_path: Path) -> Path:
    return make_db(tmp_path / "chat.db")


def test_golden_most_messages_chat_merges_sms_and_imessage_rows(chat_db: Path) -> None:
    parsed = IMPORTER.read(chat_db)
    frame = validate_messages_frame(parsed.messages)
    assert dict(frame.schema) == MESSAGE_SCHEMA
    rows = [(m.timestamp, m.sender, m.text, str(m.kind), m.edited, m.source_line) for m in frame_to_messages(frame)]
    assert rows == [
        (datetime(2024, 1, 4, 18, 3, 15), "+15555550123", "hey you", "text", False, 1),
        (datetime(2024, 1, 4, 18, 4, 2), "Me", "hi!\nhow was it?", "text", False, 2),
        (datetime(2024, 1, 4, 18, 4, 30), "+15555550123", "", "other", False, 3),
        (datetime(2024, 1, 4, 18, 5, 0), "+15555550123", "", "media", False, 4),
        (datetime(2024, 1, 4, 18, 6, 0), "Me", "", "deleted", False, 5),
        (datetime(2024, 1, 4, 18, 7, 0), "Me", "fixed typo", "text", True, 6),
        (datetime(2024, 1, 4, 18, 8, 0), "", "", "system", False, 7),
    ]
    assert set(frame["utc_offset_min"].to_list()) == {0}
    assert set(frame["conversation_id"].to_list()) == {"imessage:+15555550123"}
    rep = parsed.report
    assert rep.me == "Me"
    assert rep.participants == ("+15555550123", "Me")
    assert rep.capabilities["reactions"] and rep.capabilities["read_times"]


def test_pick_other_chat_and_unknown_chat_lists_chats(chat_db: Path) -> None:
    parsed = read_imessage(chat_db, chat="kim@example.com")
    assert parsed.messages["text"].to_list() == ["other chat"]
    assert parsed.report.me is None
    with pytest.raises(ChooseChat) as info:
        read_imessage(chat_db, chat="nobody")
    assert "+15555550123" in info.value.fix and "kim@example.com" in info.value.fix
    assert [c[0] for c in info.value.chats] == ["+15555550123", "kim@example.com"]  # busiest first


def test_without_a_choice_the_chats_are_listed(chat_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EBBTIDE_CHAT")
    with pytest.raises(ChooseChat) as info:
        IMPORTER.read(chat_db)
    assert "holds 2 chats" in info.value.what and "--chat" in info.value.fix


def test_seconds_dates_of_old_databases(tmp_path: Path) -> None:
    parsed = IMPORTER.read(make_db(tmp_path / "sms.db", seconds=True))
    assert parsed.messages["timestamp"][0] == datetime(2024, 1, 4, 18, 3, 15)


def test_folder_with_chat_db_is_sniffed_and_read(chat_db: Path) -> None:
    assert IMPORTER.sniff(chat_db.parent)
    assert IMPORTER.read(chat_db.parent).messages.height == 7


def test_database_is_opened_read_only(chat_db: Path) -> None:
    before = chat_db.read_bytes()
    chat_db.chmod(0o444)
    IMPORTER.read(chat_db)
    assert chat_db.read_bytes() == before


def test_reactions_helper_and_list_chats(chat_db: Path) -> None:
    con = sqlite3.connect(chat_db)
    chats = list_chats(con)
    assert chats[0].identifier == "+15555550123" and chats[0].chat_ids == (1, 2)
    assert reactions(con, chats[0].chat_ids) == [
        {"reactor": "+15555550123", "emoji": "❤️", "added": True, "target_guid": "G2"}
    ]
    con.close()


def test_attributed_body_long_strings() -> None:
    text = "x" * 300 + " é"
    assert decode_attributed_body(typedstream(text)) == text
    assert decode_attributed_body(b"garbage") == ""
    assert decode_attributed_body(None) == ""


def test_sniff_rejects_other_files(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE t (x)")
    con.close()
    text = tmp_path / "a.txt"
    text.write_text("SQLite format 3 but not really")
    assert not IMPORTER.sniff(other)
    assert not IMPORTER.sniff(text)
    assert not IMPORTER.sniff(tmp_path / "missing.db")
    with pytest.raises(NotAChatExport):
        IMPORTER.read(other)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.integers(min_value=0, max_value=40_000), noise=st.binary(min_size=0, max_size=64))
def test_damaged_databases_raise_only_our_errors(tmp_path: Path, cut: int, noise: bytes) -> None:
    src = tmp_path / "good.db"
    if not src.exists():
        make_db(src)
    data = src.read_bytes()
    bad = tmp_path / "bad.db"
    bad.write_bytes(data[: cut % (len(data) + 1)] + noise + data[cut % (len(data) + 1) + len(noise) :])
    try:
        IMPORTER.read(bad)
    except EbbtideError:
        pass
    IMPORTER.sniff(bad)


def test_registry_sniffs_imessage_first(chat_db: Path) -> None:
    from ebbtide.importers import read_export

    assert read_export(chat_db).report.platform.value == "imessage"
    assert read_export(chat_db.parent).report.platform.value == "imessage"


TXT = Path(__file__).parent / "fixtures" / "imessage" / "+15555550199.txt"
SAMPLES = Path(__file__).parents[2] / "shared" / "samples" / "imessage"


def test_imessage_exporter_txt_golden() -> None:
    assert IMPORTER.sniff(TXT)
    parsed = IMPORTER.read(TXT)
    validate_messages_frame(parsed.messages)
    rows = [(m.timestamp, m.sender, m.text, str(m.kind), m.source_line) for m in frame_to_messages(parsed.messages)]
    assert rows == [
        (datetime(2024, 3, 8, 21, 3), "Me", "are you free sunday?", "text", 1),
        (datetime(2024, 3, 8, 21, 10, 15), "+15555550199", "maybe!\n\nlet me check", "text", 5),
        (datetime(2024, 3, 8, 21, 12), "Me", "ok, tell me", "text", 14),
        (datetime(2024, 3, 9, 0, 5), "+15555550199", "", "media", 19),
        (datetime(2024, 3, 9, 7, 30), "Me", "", "deleted", 23),
        (datetime(2024, 3, 9, 7, 31), "", '+15555550199 named the conversation "Sunday"', "system", 27),
        (datetime(2024, 3, 10, 10, 0), "Me", "good morning", "text", 29),
    ]
    assert parsed.report.me == "Me"
    assert set(parsed.messages["conversation_id"]) == {"imessage:+15555550199"}
    assert set(parsed.messages["utc_offset_min"].to_list()) == {None}


def test_imessage_exporter_sample_reads() -> None:
    sample = SAMPLES / "imessage-exporter_txt__constructed_from_tests.txt"
    if not sample.exists():
        pytest.skip("shared/samples/imessage not present")
    assert IMPORTER.sniff(sample)
    assert IMPORTER.read(sample).messages.height == 4


def test_txt_that_is_not_an_export(tmp_path: Path) -> None:
    other = tmp_path / "notes.txt"
    other.write_text("[5/17/22, 5:29:42 PM] Sam: hi\n")
    assert not IMPORTER.sniff(other)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.integers(min_value=0, max_value=700), junk=st.binary(max_size=30))
def test_damaged_txt_raises_only_our_errors(tmp_path: Path, cut: int, junk: bytes) -> None:
    bad = tmp_path / "x.txt"
    data = TXT.read_bytes()
    bad.write_bytes(data[:cut] + junk + data[cut:])
    IMPORTER.sniff(bad)
    try:
        IMPORTER.read(bad)
    except EbbtideError:
        pass


def _folder_state(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_input_folder_is_byte_for_byte_unchanged_even_in_wal_mode(tmp_path: Path) -> None:
    """A live Messages database is in WAL mode: opening it, even read-only, would leave -shm/-wal files
    beside it. Nothing may be written to or next to the user's file, and messages still in the -wal
    file (Messages running) are read too."""
    src = tmp_path / "build"
    src.mkdir()
    db = make_db(src / "chat.db")
    writer = sqlite3.connect(db)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("PRAGMA wal_autocheckpoint=0")
    writer.execute(
        "INSERT INTO message (ROWID, guid, text, handle_id, date, is_from_me, item_type, associated_message_type, "
        "cache_has_attachments) VALUES (9, 'G9', 'still in the wal  ', 1, ?, 0, 0, 0, 0)",
        (ns(datetime(2024, 1, 4, 18, 10, 0)),),
    )
    writer.execute("INSERT INTO chat_message_join VALUES (1, 9, 0)")
    writer.commit()
    user = tmp_path / "user"
    user.mkdir()
    for name in ("chat.db", "chat.db-wal"):  # copied while the writer is open: the wal is not merged
        (user / name).write_bytes((src / name).read_bytes())
    writer.close()
    before = _folder_state(user)
    assert set(before) == {"chat.db", "chat.db-wal"}
    assert IMPORTER.sniff(user / "chat.db")
    parsed = IMPORTER.read(user / "chat.db")
    assert _folder_state(user) == before  # no -shm, no checkpoint into chat.db, nothing changed
    assert parsed.messages["text"][-1] == "still in the wal  "  # trailing spaces kept as written
    assert not list(Path(tempfile.gettempdir()).glob("ebbtide-db-*"))  # the private copy is gone

    alone = tmp_path / "alone"  # WAL mode without a -wal file: opened immutable, nothing created
    alone.mkdir()
    (alone / "chat.db").write_bytes((user / "chat.db").read_bytes())
    state = _folder_state(alone)
    assert IMPORTER.read(alone / "chat.db").messages.height == 7
    assert _folder_state(alone) == state
