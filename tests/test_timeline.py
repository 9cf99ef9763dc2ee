"""One timeline: the same chat exported from two phones (Android en-GB minutes, iOS German seconds)
merges without duplicates and without losing real repeats; several messengers merge per person."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ebbtide.importers import read_export
from ebbtide.importers.timezones import ZoneChoice
from ebbtide.model import Message, MessageKind, ParsedExport, ParseReport, Platform, messages_to_frame
from ebbtide.store import Store
from ebbtide.store.people import find_person, merge_people, people
from ebbtide.store.timeline import merged_timeline, pair_id

BERLIN = ZoneChoice("Europe/Berlin", "--tz")

# (day, hh:mm, seconds, sender, english text, german text)
CHAT = [
    ("12/03/2024", "09:14", 5, "Alex", "Good morning ☀️", "Good morning ☀️"),
    ("12/03/2024", "09:14", 40, "Sam", "morning!", "morning!"),
    ("12/03/2024", "09:15", 2, "Sam", "ok", "ok"),
    ("12/03/2024", "09:15", 9, "Sam", "ok", "ok"),  # a real repeat: kept twice
    ("12/03/2024", "09:16", 30, "Alex", "<Media omitted>", "\u200eBild weggelassen"),
    ("12/03/2024", "21:02", 59, "Sam", "This message was deleted", "\u200eDu hast diese Nachricht gelöscht."),
    ("13/03/2024", "07:30", 0, "Alex", "Are we still on for Friday?", "Are we still on for Friday?"),
    ("13/03/2024", "07:45", 31, "Sam", "Yes of course", "yes of course"),
]


def android_en(names: dict[str, str] | None = None, rows: list[tuple] = CHAT) -> str:
    names = names or {}
    return "".join(f"{d}, {t} - {names.get(s, s)}: {en}\n" for d, t, _sec, s, en, _de in rows)


def ios_de(names: dict[str, str] | None = None, rows: list[tuple] = CHAT) -> str:
    names = names or {}
    lines = []
    for d, t, sec, s, _en, de in rows:
        day, month, year = d.split("/")
        lines.append(f"[{day}.{month}.{year[2:]}, {t}:{sec:02d}] {names.get(s, s)}: {de}\n")
    return "".join(lines)


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _people_rows(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.filter(pl.col("kind") != "system")


def test_android_and_ios_exports_of_one_chat_merge_without_duplicates(tmp_path: Path) -> None:
    android = read_export(_write(tmp_path, "WhatsApp Chat with Sam.txt", android_en()))
    ios = read_export(_write(tmp_path, "_chat.txt", ios_de()))
    assert android.messages.get_column("conversation_id")[0] == ios.messages.get_column("conversation_id")[0]
    with Store.open(tmp_path / "s.duckdb") as store:
        first = store.import_export(android, zone=BERLIN)
        second = store.import_export(ios, zone=BERLIN)
        assert first.added == len(CHAT)
        assert second.added == 0 and second.skipped_duplicates == len(CHAT)
        stored = _people_rows(store.messages(first.conversation_id))
    assert stored.height == len(CHAT)
    assert stored.filter(pl.col("text") == "ok").height == 2  # the real repeat survived
    assert stored.get_column("kind").to_list().count(MessageKind.MEDIA.value) == 1
    assert stored.get_column("utc_offset_min").to_list() == [60] * len(CHAT)  # Berlin in March (CET)


def test_ios_first_then_android_also_merges(tmp_path: Path) -> None:
    with Store.open(tmp_path / "s.duckdb") as store:
        a = store.import_export(read_export(_write(tmp_path, "_chat.txt", ios_de())), zone=BERLIN)
        b = store.import_export(read_export(_write(tmp_path, "a.txt", android_en())), zone=BERLIN)
        assert (a.added, b.added) == (len(CHAT), 0)


def test_overlapping_cross_device_exports_give_the_union(tmp_path: Path) -> None:
    with Store.open(tmp_path / "s.duckdb") as store:
        store.import_export(read_export(_write(tmp_path, "a.txt", android_en(rows=CHAT[:5]))), zone=BERLIN)
        r = store.import_export(read_export(_write(tmp_path, "_chat.txt", ios_de(rows=CHAT[3:]))), zone=BERLIN)
        assert r.added == len(CHAT) - 5
        assert _people_rows(store.messages(r.conversation_id)).height == len(CHAT)


def test_renamed_contact_on_the_other_phone_merges_per_person(tmp_path: Path) -> None:
    """Sam saved Alex as 'Alex K ❤️': another conversation id; a people merge joins the two."""
    with Store.open(tmp_path / "s.duckdb") as store:
        a = store.import_export(read_export(_write(tmp_path, "a.txt", android_en())), zone=BERLIN)
        b = store.import_export(read_export(_write(tmp_path, "_chat.txt", ios_de({"Alex": "Alex K ❤️"}))),
                                zone=BERLIN)
        assert a.conversation_id != b.conversation_id and b.added == len(CHAT)
        merge_people(store, "Alex", "Alex K ❤️")
        merge_people(store, "2", "4")  # the two "Sam"s: equal names are only suggested, the user joins them
        alex, sam = find_person(store, "Alex"), find_person(store, "2")
        timeline = merged_timeline(store, alex, sam)
    people_rows = _people_rows(timeline)
    assert people_rows.height == len(CHAT)
    assert set(people_rows.get_column("sender")) == {"Alex", "Sam"}
    assert people_rows.filter(pl.col("text") == "ok").height == 2
    assert set(timeline.get_column("conversation_id")) == {pair_id(alex, sam)}


def _export(platform: Platform, cid: str, rows: list[tuple[datetime, str, str]], me: str | None = None,
            offset: int | None = None) -> ParsedExport:
    msgs = [Message(ts, s, t, platform=platform, conversation_id=cid, utc_offset_min=offset, source_line=i)
            for i, (ts, s, t) in enumerate(rows, 1)]
    senders = tuple(dict.fromkeys(s for _, s, _ in rows))
    return ParsedExport(messages_to_frame(msgs), ParseReport(f"{cid}.json", platform, "test", participants=senders,
                                                             me=me))


def test_two_messengers_merge_per_person_and_keep_their_platform(tmp_path: Path) -> None:
    wa = _export(Platform.WHATSAPP, "whatsapp:alex+sam", [
        (datetime(2024, 1, 1, 9, 0), "Alex", "hi"), (datetime(2024, 1, 1, 9, 5), "Sam", "hey"),
        (datetime(2024, 2, 1, 9, 0), "Alex", "still here?")], me="Alex")
    tg = _export(Platform.TELEGRAM, "telegram:123", [
        (datetime(2024, 2, 10, 20, 0), "Alex Kim", "moved here"), (datetime(2024, 2, 10, 20, 1), "sam.b", "yes"),
        (datetime(2024, 2, 11, 8, 0), "sam.b", "morning")], me="Alex Kim", offset=60)
    with Store.open(tmp_path / "s.duckdb") as store:
        store.import_export(wa, zone=BERLIN)
        store.import_export(tg)
        me = find_person(store, "me")
        assert find_person(store, "Alex Kim") == me  # both exports say who the user is: one person
        merge_people(store, "Sam", "sam.b")
        timeline = merged_timeline(store, me, find_person(store, "Sam"))
    assert timeline.height == 6
    assert timeline.get_column("sender").to_list() == ["Alex", "Sam", "Alex", "Alex", "Sam", "Sam"]
    assert timeline.get_column("platform").to_list() == ["whatsapp"] * 3 + ["telegram"] * 3
    assert timeline.get_column("timestamp").is_sorted()


def test_no_shared_conversation_is_a_clear_error(tmp_path: Path) -> None:
    wa = _export(Platform.WHATSAPP, "w", [(datetime(2024, 1, 1), "Alex", "hi"), (datetime(2024, 1, 1), "Sam", "x")])
    tg = _export(Platform.TELEGRAM, "t", [(datetime(2024, 1, 1), "Kim", "hi"), (datetime(2024, 1, 1), "Lou", "x")])
    with Store.open(tmp_path / "s.duckdb") as store:
        store.import_export(wa)
        store.import_export(tg)
        from ebbtide.errors import StoreError

        with pytest.raises(StoreError, match="no stored conversation"):
            merged_timeline(store, find_person(store, "Alex"), find_person(store, "Lou"))


# --------------------------------------------------------------------------- property
_row = st.tuples(
    st.sampled_from([0, 0, 1, 2, 45]),  # minutes since the previous message
    st.sampled_from(["Alex", "Sam"]),
    st.sampled_from([MessageKind.TEXT, MessageKind.TEXT, MessageKind.MEDIA]),
    st.sampled_from(["ok", "ok", "hi", "see you ✨"]),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(_row, min_size=1, max_size=30), cut=st.integers(0, 30), renamed=st.booleans())
def test_a_chat_stored_twice_under_other_names_merges_back_to_itself(tmp_path_factory: pytest.TempPathFactory,
                                                                     rows: list, cut: int, renamed: bool) -> None:
    """The same chat from the partner's phone (Alex renamed, seconds added, another conversation id),
    overlapping from message ``cut`` on: the merged timeline equals the chat, repeats included."""
    ts, msgs, copy = datetime(2024, 5, 1, 8, 0), [], []
    for i, (gap, sender, kind, text) in enumerate(rows):
        ts += timedelta(minutes=gap)
        body = "<Media omitted>" if kind is MessageKind.MEDIA else text
        msgs.append(Message(ts, sender, body, kind=kind, conversation_id="w:mine", source_line=i))
        if i >= cut:
            other = "Alex ❤️" if renamed and sender == "Alex" else sender
            copy.append(Message(ts + timedelta(seconds=17), other, "Bild weggelassen" if kind is MessageKind.MEDIA
                                else text.upper(), kind=kind, conversation_id="w:theirs", source_line=i))
    db = tmp_path_factory.mktemp("prop") / "s.duckdb"
    with Store.open(db) as store:
        store.import_export(ParsedExport(messages_to_frame(msgs), ParseReport("a.txt", Platform.WHATSAPP, "t")))
        if copy:
            store.import_export(ParsedExport(messages_to_frame(copy), ParseReport("b.txt", Platform.WHATSAPP, "t")))
        if {m.sender for m in msgs} != {"Alex", "Sam"}:
            return  # one person only: no couple to merge
        # Equal names in two chats are only suggested (suggested_links): the user joins them.
        ids = {p.name: p.id for p in people(store) if p.aliases[0].conversation_id == "w:mine"}
        for p in people(store):
            if p.aliases[0].conversation_id != "w:mine":
                merge_people(store, str(ids["Alex" if p.name.startswith("Alex") else p.name]), str(p.id))
        alex, sam = ids["Alex"], ids["Sam"]
        timeline = merged_timeline(store, alex, sam)
    got = sorted((t.replace(second=0), s, k) for t, s, k in timeline.select("timestamp", "sender", "kind").iter_rows())
    want = sorted((m.timestamp, m.sender, m.kind.value) for m in msgs)
    assert got == want
