"""Merging by evidence, not by name; phones in two time zones; order by the instant (issue 15)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl
import pytest
from typer.testing import CliRunner

from ebbtide.cli import app
from ebbtide.importers import read_export
from ebbtide.importers.timezones import ZoneChoice
from ebbtide.store import Store

runner = CliRunner()
LONDON, NEW_YORK = ZoneInfo("Europe/London"), ZoneInfo("America/New_York")


def _android(rows: list[tuple[datetime, str, str]]) -> str:
    return "".join(f"{t:%d/%m/%Y, %H:%M} - {s}: {x}\n" for t, s, x in rows)


def _write(folder: Path, name: str, rows: list[tuple[datetime, str, str]]) -> Path:
    path = folder / name
    path.write_text(_android(rows), encoding="utf-8")
    return path


def _chat(start: datetime, days: int, tag: str) -> list[tuple[datetime, str, str]]:
    """Alex and Sam, a few messages a day; every text names the day so texts are rare, as in life."""
    rows = []
    for d in range(days):
        base = start + timedelta(days=d)
        rows += [(base.replace(hour=9, minute=5), "Alex", f"morning {tag} {d}"),
                 (base.replace(hour=9, minute=7), "Sam", f"hey you {tag} {d}"),
                 (base.replace(hour=9, minute=8), "Sam", "ok"),
                 (base.replace(hour=20, minute=30), "Alex", f"how was work {tag} {d}?")]
    return rows


def test_another_couple_with_the_same_names_is_not_merged(tmp_path: Path) -> None:
    ours = _write(tmp_path, "ours.txt", _chat(datetime(2025, 3, 1), 20, "a"))
    theirs = _write(tmp_path, "theirs.txt", _chat(datetime(2023, 5, 1), 3, "b"))  # another Alex and Sam
    db = str(tmp_path / "s.duckdb")
    assert runner.invoke(app, ["import", str(ours), "--db", db]).exit_code == 0
    second = runner.invoke(app, ["import", str(theirs), "--db", db])
    assert second.exit_code == 0, second.output
    assert "whatsapp:alex+sam~2" in second.output and "no messages in common" in second.output
    with Store.open(db) as store:
        infos = {i.id: i.messages for i in store.conversations()}
    assert infos == {"whatsapp:alex+sam": 80, "whatsapp:alex+sam~2": 12}
    # importing either again finds its own chat (evidence), not a third one
    again = runner.invoke(app, ["import", str(theirs), str(ours), "--db", db])
    assert again.exit_code == 0 and "0 added" in again.output and "~3" not in again.output
    with Store.open(db) as store:
        assert len(store.conversations()) == 2


def test_an_overlapping_later_export_joins_and_the_user_can_join_two_on_purpose(tmp_path: Path) -> None:
    rows = _chat(datetime(2025, 3, 1), 20, "a")
    first, later = _write(tmp_path, "1.txt", rows[:50]), _write(tmp_path, "2.txt", rows[40:])
    with Store.open(tmp_path / "s.duckdb") as store:
        a = store.import_export(read_export(first), source_path=first)
        b = store.import_export(read_export(later), source_path=later)
        assert a.conversation_id == b.conversation_id and b.added == 30 and not b.note
        # no overlap at all: a separate chat unless the user says so (conversation_id)
        gap = _write(tmp_path, "3.txt", _chat(datetime(2025, 6, 1), 2, "c"))
        assert store.import_export(read_export(gap)).conversation_id.endswith("~2")
        said = store.import_export(read_export(gap), conversation_id=a.conversation_id)
        assert said.conversation_id == a.conversation_id and said.added == 8


def _wall(rows: list[tuple[datetime, str, str]], zone: ZoneInfo) -> list[tuple[datetime, str, str]]:
    """The same messages as a phone set to ``zone`` shows them (rows are London wall clock)."""
    return [(t.replace(tzinfo=LONDON).astimezone(zone).replace(tzinfo=None), s, x) for t, s, x in rows]


def test_one_chat_exported_in_london_and_new_york_is_stored_once(tmp_path: Path) -> None:
    # 1 March to 19 April: across both countries' spring clock changes (US 9 March, UK 30 March),
    # when the gap is 4 hours for three weeks instead of 5
    rows = _chat(datetime(2025, 3, 1), 50, "a")
    london = _write(tmp_path, "london.txt", rows)
    new_york = _write(tmp_path, "newyork.txt", _wall(rows, NEW_YORK))
    zone = ZoneChoice("Europe/London", "--tz")
    with Store.open(tmp_path / "s.duckdb") as store:
        a = store.import_export(read_export(london), zone=zone)
        b = store.import_export(read_export(new_york), zone=zone)
        stored = store.messages(a.conversation_id)
        assert b.conversation_id == a.conversation_id
        assert b.added == 0 and b.clock_shift_min == 300 and "another time" in b.note
        assert stored.height == len(rows)
        # and the other way round: New York first, then London
        c = store.import_export(read_export(new_york), zone=zone, conversation_id="ny")
        d = store.import_export(read_export(london), zone=zone, conversation_id="ny")
        assert (c.added, d.added, d.clock_shift_min) == (len(rows), 0, -300)


def test_a_new_york_export_adds_only_its_new_messages_on_the_stored_clock(tmp_path: Path) -> None:
    rows = _chat(datetime(2025, 1, 10), 30, "a")
    london = _write(tmp_path, "london.txt", rows[:80])
    new_york = _write(tmp_path, "newyork.txt", _wall(rows[60:], NEW_YORK))
    with Store.open(tmp_path / "s.duckdb") as store:
        cid = store.import_export(read_export(london)).conversation_id
        b = store.import_export(read_export(new_york))
        stored = store.messages(cid)
    assert b.added == len(rows) - 80
    want = sorted(t for t, _, _ in rows)
    assert stored.get_column("timestamp").to_list() == want  # on the London clock, in order


def test_the_repeated_autumn_hour_keeps_its_order(tmp_path: Path) -> None:
    """26 October 2025, London: 01:00-01:59 happens twice. Ordered by the instant, not the wall clock."""
    day = datetime(2025, 10, 26)
    rows = [(day.replace(hour=0, minute=50), "Alex", "still up?"),
            (day.replace(hour=1, minute=20), "Sam", "yes, first 1:20"),
            (day.replace(hour=1, minute=40), "Alex", "first 1:40"),
            (day.replace(hour=1, minute=5), "Sam", "clocks went back, second 1:05"),
            (day.replace(hour=1, minute=25), "Alex", "second 1:25"),
            (day.replace(hour=2, minute=10), "Sam", "night")]
    path = _write(tmp_path, "dst.txt", rows)
    with Store.open(tmp_path / "s.duckdb") as store:
        cid = store.import_export(read_export(path), zone=ZoneChoice("Europe/London", "--tz")).conversation_id
        stored = store.messages(cid)
    assert stored.get_column("text").to_list() == [x for _, _, x in rows]

    from ebbtide.features.timing import conversation_structure

    replies = conversation_structure(stored).get_column("reply_latency_s").drop_nulls().to_list()
    assert replies and all(0 < r <= 45 * 60 for r in replies)  # no negative or hour-long replies


def test_people_with_the_same_name_are_suggested_not_joined(tmp_path: Path) -> None:
    db = str(tmp_path / "s.duckdb")
    a = tmp_path / "a.csv"
    a.write_text("timestamp,sender,text\n2024-01-01T09:00,Alex,hi\n2024-01-01T09:01,Sam,hey\n", encoding="utf-8")
    b = tmp_path / "b.csv"
    b.write_text("timestamp,sender,text\n2022-05-01T09:00,Sam,hello\n2022-05-01T09:01,Kim,yo\n", encoding="utf-8")
    assert runner.invoke(app, ["import", str(a), "--db", db]).exit_code == 0
    second = runner.invoke(app, ["import", str(b), "--db", db])
    assert second.exit_code == 0 and "Same names in different chats" in second.output
    assert "people merge 2 3" in second.output
    listed = runner.invoke(app, ["people", "--db", db])
    assert "Same names in different chats" in listed.stdout and "people merge" in listed.stdout
    from ebbtide.store.people import people

    with Store.open(db) as store:
        sams = [p for p in people(store) if p.name == "Sam"]
    assert len(sams) == 2


def test_order_by_instant_across_a_trip(tmp_path: Path) -> None:
    """Telegram-like rows that know their offset: a flight from London to New York."""
    from ebbtide.model import Message, ParsedExport, ParseReport, Platform, messages_to_frame

    msgs = [Message(datetime(2025, 5, 1, 12, 0), "Alex", "boarding", utc_offset_min=60, conversation_id="t:1"),
            Message(datetime(2025, 5, 1, 9, 30), "Alex", "landed (NY time)", utc_offset_min=-240,
                    conversation_id="t:1"),
            Message(datetime(2025, 5, 1, 14, 45), "Sam", "welcome! (London time)", utc_offset_min=60,
                    conversation_id="t:1")]
    parsed = ParsedExport(messages_to_frame(msgs), ParseReport("t.json", Platform.TELEGRAM, "t"))
    with Store.open(tmp_path / "s.duckdb") as store:
        stored = store.messages(store.import_export(parsed).conversation_id)
    assert stored.get_column("text").to_list() == ["boarding", "landed (NY time)", "welcome! (London time)"]
    assert stored.filter(pl.col("sender") == "Alex").height == 2


@pytest.mark.parametrize("shift_h", [-7, 3, 9])
def test_other_clock_gaps_are_found_too(tmp_path: Path, shift_h: int) -> None:
    rows = _chat(datetime(2025, 7, 1), 10, "a")
    moved = [(t + timedelta(hours=shift_h), s, x) for t, s, x in rows]
    with Store.open(tmp_path / "s.duckdb") as store:
        store.import_export(read_export(_write(tmp_path, "a.txt", rows)))
        b = store.import_export(read_export(_write(tmp_path, "b.txt", moved)))
    assert b.added == 0 and b.clock_shift_min == -shift_h * 60


def test_conversations_merge_joins_two_chats_on_purpose(tmp_path: Path) -> None:
    rows = _chat(datetime(2025, 3, 1), 10, "a")
    db = str(tmp_path / "s.duckdb")
    a = _write(tmp_path, "a.txt", rows[:20])
    b = _write(tmp_path, "b.txt", _chat(datetime(2025, 5, 1), 5, "b"))  # no overlap: kept apart
    assert runner.invoke(app, ["import", str(a), str(b), "--db", db]).exit_code == 0
    with Store.open(db) as store:
        assert [i.id for i in store.conversations()] == ["whatsapp:alex+sam", "whatsapp:alex+sam~2"]
    joined = runner.invoke(app, ["conversations", "merge", "whatsapp:alex+sam", "whatsapp:alex+sam~2",
                                 "--db", db])
    assert joined.exit_code == 0 and "20 messages added" in joined.output, joined.output
    listed = runner.invoke(app, ["conversations", "--db", db])
    assert listed.exit_code == 0 and "~2" not in listed.output
    from ebbtide.store.people import people

    with Store.open(db) as store:
        (info,) = store.conversations()
        assert info.messages == 40 and info.imports == 2
        assert sorted(p.name for p in people(store)) == ["Alex", "Sam"]
    same = runner.invoke(app, ["conversations", "merge", "Sam", "Sam", "--db", db])
    assert same.exit_code == 2 and "same conversation" in same.output


def test_the_same_chat_under_other_names_is_suggested_not_joined(tmp_path: Path) -> None:
    """Sam's phone calls Alex 'Alex K': another id. The shared messages make ebbtide suggest a join."""
    rows = _chat(datetime(2025, 3, 1), 10, "a")
    theirs = [(t, "Alex K" if s == "Alex" else s, x) for t, s, x in rows]
    db = str(tmp_path / "s.duckdb")
    assert runner.invoke(app, ["import", str(_write(tmp_path, "a.txt", rows)), "--db", db]).exit_code == 0
    second = runner.invoke(app, ["import", str(_write(tmp_path, "b.txt", theirs)), "--db", db])
    assert second.exit_code == 0
    assert "shares 30 messages with 'whatsapp:alex+sam'" in second.output
    assert "conversations merge whatsapp:alex+sam whatsapp:alex-k+sam" in second.output
    with Store.open(db) as store:
        assert len(store.conversations()) == 2  # suggested, not done
    # an unrelated chat gets no such hint
    other = runner.invoke(app, ["import", str(_write(tmp_path, "c.txt", _chat(datetime(2025, 3, 1), 3, "z"))),
                                "--db", db])
    assert "shares" not in other.output
