"""Telegram Desktop JSON importer: golden rows, chat choice, both read paths, samples, malformed input."""

from __future__ import annotations

import json
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ebbtide.errors import ChooseChat, EbbtideError, NotAChatExport, UnreadableInput
from ebbtide.importers import read_export
from ebbtide.importers.telegram import IMPORTER
from ebbtide.importers.telegram_messages import message_extras
from ebbtide.model import MESSAGE_SCHEMA, Platform, validate_messages_frame

FIX = Path(__file__).parent / "fixtures" / "telegram"
SAMPLES = Path(__file__).parents[2] / "shared" / "samples" / "telegram"
ALL_FIXTURES = Path(__file__).parent / "fixtures"


def make_telegram_export(n: int, *, start: int = 1_600_000_000) -> dict[str, Any]:
    """A single-chat export of ``n`` messages (used by the speed measurement in the report too)."""
    msgs = []
    for i in range(n):
        t = start + i * 37
        who = ("Alex", "user300") if i % 2 else ("Sam", "user700")
        text = f"message number {i}"
        msgs.append({"id": i + 1, "type": "message",
                     "date": datetime.utcfromtimestamp(t + 3600).strftime("%Y-%m-%dT%H:%M:%S"),
                     "date_unixtime": str(t), "from": who[0], "from_id": who[1], "text": text,
                     "text_entities": [{"type": "plain", "text": text}]})
    return {"name": "Sam", "type": "personal_chat", "id": 700, "messages": msgs}


def test_single_chat_golden() -> None:
    parsed = read_export(FIX / "single_chat.json")
    frame = validate_messages_frame(parsed.messages)
    assert dict(frame.schema) == MESSAGE_SCHEMA
    rows = frame.select("sender", "text", "kind", "edited").rows()
    assert rows == [
        ("", "Robin: joined telegram", "system", False),
        ("Kai", "morning!", "text", False),
        ("Robin", "see https://example.org today", "text", False),  # entities joined, reply kept out
        ("Kai", "typo fixed", "text", True),
        ("Robin", "love you", "text", False),  # 'edited' caused by a reaction: not an edit
        ("Kai", "", "media", False),
        ("Robin", "our view 🌅", "text", False),  # photo with caption: typed words
        ("Kai", "", "media", False),  # voice message
        ("Robin", "", "media", False),  # sticker
        ("Kai", "Dinner?", "other", False),  # poll
        ("Robin", "", "other", False),  # location
        ("Kai", "call (300 s)", "call", False),
        ("Robin", "missed call", "call", False),
        ("Deleted Account", "ghost", "text", False),  # from: null
        ("Kai", "", "other", False),  # unsupported
    ]
    first = frame.row(1, named=True)
    assert first["timestamp"] == datetime(2023, 5, 1, 9, 1)
    assert first["utc_offset_min"] == 120  # local 09:01 vs 07:01 UTC
    assert first["platform"] == "telegram" and first["conversation_id"] == "telegram:222"
    assert first["source_line"] == 2
    report = parsed.report
    assert report.platform is Platform.TELEGRAM
    assert report.me == "Kai"  # the chat id 222 is the other person (Robin)
    assert report.participants == ("Kai", "Robin", "Deleted Account")
    assert report.capabilities == {"reactions": True, "replies": True, "read_times": False,
                                   "calls": True, "edits": True}
    assert any("react" in w for w in report.warnings)


@pytest.mark.parametrize("chat_name", ["Sam", "Deleted Account"])
def test_a_deleted_account_is_the_person_it_was_not_a_third_participant(tmp_path: Path, chat_name: str) -> None:
    """Issue 14: a one-to-one chat whose partner deleted their account is not a group chat."""
    export = make_telegram_export(40)
    for m in export["messages"][20:]:
        if m["from_id"] == "user700":
            m["from"] = None  # what Telegram writes once the account is deleted
    if chat_name != "Sam":
        export["name"] = chat_name
        for m in export["messages"]:
            if m["from_id"] == "user700":
                m["from"] = None
    path = tmp_path / "result.json"
    path.write_text(json.dumps(export), encoding="utf-8")
    parsed = read_export(path)
    senders = set(parsed.messages.get_column("sender").to_list())
    assert len(senders) == 2 and "Alex" in senders
    if chat_name == "Sam":
        assert senders == {"Alex", "Sam"}


def test_fast_and_plain_paths_agree() -> None:
    for name in ("single_chat.json",):
        fast = IMPORTER._read(FIX / name, fast=True)
        slow = IMPORTER._read(FIX / name, fast=False)
        assert fast.messages.equals(slow.messages)
        assert fast.report == slow.report


def test_generated_export_fast_path(tmp_path: Path) -> None:
    path = tmp_path / "result.json"
    path.write_text(json.dumps(make_telegram_export(500), indent=1), encoding="utf-8")
    fast = IMPORTER._read(path, fast=True)
    slow = IMPORTER._read(path, fast=False)
    assert fast.messages.height == 500
    assert fast.messages.equals(slow.messages)
    assert fast.messages.get_column("utc_offset_min").unique().to_list() == [60]
    assert fast.report.me == "Alex"


@pytest.mark.parametrize("indent", [1, None])
def test_big_export_read_in_parallel_halves_matches_whole_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, indent: int | None
) -> None:
    """The message array is cut between two messages and read in two threads (big files); the result
    is the same as one read of the whole document, for Telegram's pretty layout and a compact one."""
    from ebbtide.importers import telegram_fast

    path = tmp_path / "result.json"
    export = make_telegram_export(301)
    export["messages"][7]["text"] = 'a "quoted" },\n  { look-alike'  # the gap's bytes inside a string
    export["messages"][7]["text_entities"] = [{"type": "plain", "text": export["messages"][7]["text"]}]
    path.write_text(json.dumps(export, indent=indent, ensure_ascii=False), encoding="utf-8")
    whole = IMPORTER._read(path, fast=True)
    monkeypatch.setattr(telegram_fast, "_SPLIT_MIN_BYTES", 0)
    split = telegram_fast._split_messages(path.read_bytes(), parts=3)
    if indent is None:
        assert split is None  # no pretty-printed gap between messages: the whole document is read
    else:
        assert split is not None and split[1].height == 301
        assert split[0] == {"name": "Sam", "type": "personal_chat", "id": 700}
    halves = IMPORTER._read(path, fast=True)
    assert halves.messages.equals(whole.messages)
    assert halves.report == whole.report
    assert halves.messages.item(7, "text") == 'a "quoted" },\n  { look-alike'


def test_split_read_refuses_other_top_level_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    from ebbtide.importers import telegram_fast

    monkeypatch.setattr(telegram_fast, "_SPLIT_MIN_BYTES", 0)
    export = make_telegram_export(20) | {"extra": [1, 2]}
    assert telegram_fast._split_messages(json.dumps(export, indent=1).encode()) is None


def test_old_export_without_unixtime_or_entities() -> None:
    parsed = read_export(FIX / "old_without_unixtime.json")
    assert parsed.messages.get_column("text").to_list() == ["hi you", "hey"]
    assert parsed.messages.get_column("utc_offset_min").null_count() == 2
    assert any("date_unixtime" in w for w in parsed.report.warnings)


def test_full_export_single_personal_chat_is_chosen() -> None:
    parsed = read_export(FIX / "full_export_one_chat.json")
    assert parsed.messages.get_column("sender").to_list() == ["Mum", "Kai"]
    assert parsed.report.me == "Kai"  # personal_information.user_id
    assert parsed.messages.item(0, "conversation_id") == "telegram:333"
    assert "full export" in parsed.report.dialect


def test_full_export_with_several_chats_lists_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EBBTIDE_CHAT", raising=False)
    with pytest.raises(ChooseChat) as err:
        read_export(FIX / "full_export_two_chats.json")
    assert "Robin" in err.value.fix and "Mum" in err.value.fix and "EBBTIDE_CHAT" in err.value.fix
    monkeypatch.setenv("EBBTIDE_CHAT", "robin")
    assert read_export(FIX / "full_export_two_chats.json").messages.height == 15
    monkeypatch.setenv("EBBTIDE_CHAT", "333")
    assert read_export(FIX / "full_export_two_chats.json").messages.height == 2
    monkeypatch.setenv("EBBTIDE_CHAT", "nobody")
    with pytest.raises(ChooseChat):
        read_export(FIX / "full_export_two_chats.json")


def test_folder_and_zip(tmp_path: Path) -> None:
    folder = tmp_path / "ChatExport_2024-01-01"
    folder.mkdir()
    (folder / "result.json").write_bytes((FIX / "single_chat.json").read_bytes())
    assert IMPORTER.sniff(folder)
    assert read_export(folder).messages.height == 15
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(folder / "result.json", "ChatExport_2024-01-01/result.json")
    assert IMPORTER.sniff(archive)
    assert read_export(archive).messages.height == 15


def test_message_extras_keeps_replies_and_reactions() -> None:
    raw = json.loads((FIX / "single_chat.json").read_text(encoding="utf-8"))["messages"]
    extras = {e["id"]: e for e in message_extras(raw)}
    assert extras[3]["reply_to"] == 2
    assert extras[5]["reactions"] == [("❤", 1, ("Kai",))]


def test_sniff_claims_only_telegram() -> None:
    for path in sorted(ALL_FIXTURES.rglob("*")):
        if path.is_file():
            assert IMPORTER.sniff(path) == (path.parent.name == "telegram"), path


@pytest.mark.parametrize("name", ["result_single_chat__constructed.json", "result_full_export_skeleton__constructed.json"])
def test_shared_samples(name: str) -> None:
    path = SAMPLES / name
    if not path.exists():
        pytest.skip("shared samples not present")
    assert IMPORTER.sniff(path)
    if "skeleton" in name:  # its message list holds a placeholder string, not messages
        with pytest.raises(EbbtideError):
            read_export(path)
        return
    parsed = read_export(path)
    assert parsed.messages.height == 7
    assert parsed.messages.get_column("kind").to_list() == ["system", "text", "text", "media", "media", "call", "text"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.integers(min_value=0, max_value=4000))
def test_truncated_file_raises_only_our_errors(tmp_path: Path, cut: int) -> None:
    data = (FIX / "single_chat.json").read_bytes()
    path = tmp_path / "result.json"
    path.write_bytes(data[: cut % len(data)])
    try:
        IMPORTER.read(path)
    except EbbtideError:
        pass


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)


_STRING_FIELDS = {"date", "date_unixtime", "from", "type", "photo", "action", "edited"}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(field=st.sampled_from(["date", "date_unixtime", "from", "text", "text_entities", "type", "photo",
                              "reactions", "poll", "action", "edited"]),
       value=_JSON, index=st.integers(min_value=0, max_value=14))
def test_wrong_types_raise_only_our_errors(tmp_path: Path, field: str, value: Any, index: int) -> None:
    doc = json.loads((FIX / "single_chat.json").read_text(encoding="utf-8"))
    doc["messages"][index][field] = value
    path = tmp_path / "result.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    results = []
    for fast in (True, False):
        try:
            parsed = IMPORTER._read(path, fast=fast)
        except EbbtideError:
            continue
        results.append(validate_messages_frame(parsed.messages))
    natural = value is None or isinstance(value, str if field in _STRING_FIELDS else list | dict)
    if len(results) == 2 and natural:  # with the types Telegram writes, both paths read it the same way
        assert results[0].equals(results[1])


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(blob=st.binary(max_size=300))
def test_random_bytes(tmp_path: Path, blob: bytes) -> None:
    path = tmp_path / "result.json"
    path.write_bytes(blob)
    IMPORTER.sniff(path)
    with pytest.raises(EbbtideError):
        IMPORTER.read(path)


def test_not_telegram_json(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text('{"hello": 1}', encoding="utf-8")
    assert not IMPORTER.sniff(path)
    with pytest.raises(NotAChatExport):
        IMPORTER.read(path)
    path.write_text('{"messages": 5}', encoding="utf-8")
    with pytest.raises(UnreadableInput):
        IMPORTER.read(path)


def test_html_export_is_recognised_and_refused(tmp_path: Path) -> None:
    folder = tmp_path / "ChatExport_2024-01-01"
    folder.mkdir()
    (folder / "messages.html").write_text(
        '<!DOCTYPE html><html><body><div class="page_wrap"><div class="message default clearfix" id="message1">'
        "</div></div></body></html>", encoding="utf-8")
    for path in (folder, folder / "messages.html"):
        assert IMPORTER.sniff(path)
        with pytest.raises(NotAChatExport) as err:
            read_export(path)
        assert "JSON" in err.value.fix


def test_an_empty_message_type_reads_the_same_on_both_paths(tmp_path: Path) -> None:
    """Found by Hypothesis: an empty "type" was a message on the slow path and 'other' on the fast one."""
    doc = json.loads((FIX / "single_chat.json").read_text(encoding="utf-8"))
    doc["messages"][1]["type"] = ""
    path = tmp_path / "result.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    fast, slow = (IMPORTER._read(path, fast=f).messages for f in (True, False))
    assert fast.equals(slow) and fast.item(1, "kind") == "text"
