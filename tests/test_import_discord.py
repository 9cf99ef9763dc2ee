"""DiscordChatExporter importer: JSON and CSV, golden rows, samples, malformed input."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shared_data import shared_names

from ebbtide.errors import EbbtideError
from ebbtide.importers.discord import IMPORTER, replies_and_reactions
from ebbtide.model import MESSAGE_SCHEMA, DateOrder, validate_messages_frame

FIX = Path(__file__).parent / "fixtures" / "discord"
JSON = FIX / "dm_river.json"
CSV = FIX / "Direct Messages - river [987654321012345678].csv"
SAMPLES = Path(__file__).parents[2] / "shared" / "samples" / "discord"


def rows(parsed):
    return [
        (r["timestamp"], r["utc_offset_min"], r["sender"], r["text"], r["kind"], r["edited"], r["source_line"])
        for r in parsed.messages.iter_rows(named=True)
    ]


def test_golden_json() -> None:
    parsed = IMPORTER.read(JSON)
    validate_messages_frame(parsed.messages)
    assert rows(parsed) == [
        (datetime(2024, 6, 1, 22, 15, 3, 412000), -240, "Jo", "did you get home ok?", "text", False, 1),
        (datetime(2024, 6, 1, 22, 40), -240, "River", "yes\nthanks for asking", "text", True, 2),
        (datetime(2024, 6, 2, 2, 41), 0, "River", "", "media", False, 3),
        (datetime(2024, 6, 2, 20, 0), -240, "Jo", "", "call", False, 4),
        (datetime(2024, 6, 2, 20, 31), -240, "", "Pinned a message.", "system", False, 5),
    ]
    rep = parsed.report
    assert rep.me == "Jo"
    assert rep.participants == ("Jo", "River")
    assert rep.capabilities["reactions"] and rep.capabilities["replies"] and not rep.capabilities["read_times"]
    assert set(parsed.messages["conversation_id"]) == {"discord:987654321012345678"}
    assert rep.warnings == ()


def test_replies_and_reactions_helper() -> None:
    data = json.loads(JSON.read_text())
    out = replies_and_reactions(data["messages"])
    assert out[0]["reactions"] == [{"emoji": "❤️", "count": 1, "users": ["River"]}]
    assert out[1]["reply_to"] == "1"


def test_date_range_filter_warns(tmp_path: Path) -> None:
    data = json.loads(JSON.read_text())
    data["dateRange"]["after"] = "2024-06-01T00:00:00"
    data["messageCount"] = 9
    path = tmp_path / "x.json"
    path.write_text(json.dumps(data))
    warnings = IMPORTER.read(path).report.warnings
    assert any("date range" in w for w in warnings) and any("9 messages" in w for w in warnings)


def test_golden_csv_day_first_inferred() -> None:
    parsed = IMPORTER.read(CSV)
    validate_messages_frame(parsed.messages)
    assert rows(parsed) == [
        (datetime(2024, 6, 1, 22, 15), None, "jo", "did you get home ok?", "text", False, 2),
        (datetime(2024, 6, 1, 22, 40), None, "river", "yes\nthanks, for asking", "text", False, 3),
        (datetime(2024, 6, 2, 2, 41), None, "river", "", "media", False, 5),
        (datetime(2024, 6, 13, 8, 0), None, "jo", 'say "hi"', "text", False, 6),
    ]
    rep = parsed.report
    assert rep.date_order == DateOrder.DMY and rep.date_order_decided
    assert rep.me == "jo"
    assert set(parsed.messages["conversation_id"]) == {"discord:987654321012345678"}


def test_csv_12h_and_undecided_order(tmp_path: Path) -> None:
    path = tmp_path / "chat.csv"
    path.write_text(
        "AuthorID,Author,Date,Content,Attachments,Reactions\n"
        '"1","a","1/4/2024 7:03 PM","hi","",""\n"2","b","1/4/2024 12:10 AM","yo","",""\n'
    )
    parsed = IMPORTER.read(path)
    assert parsed.messages["timestamp"].to_list() == [datetime(2024, 1, 4, 0, 10), datetime(2024, 1, 4, 19, 3)]
    assert not parsed.report.date_order_decided and parsed.report.warnings
    told = IMPORTER.read(path, date_order=DateOrder.DMY)
    assert told.messages["timestamp"][0] == datetime(2024, 4, 1, 0, 10)


def test_sniff() -> None:
    assert IMPORTER.sniff(JSON) and IMPORTER.sniff(CSV)
    assert not IMPORTER.sniff(FIX)
    assert not IMPORTER.sniff(Path(__file__))


@pytest.mark.parametrize("name", shared_names(SAMPLES, "*"))
def test_shared_samples_read(name: str) -> None:
    path = SAMPLES / name
    assert IMPORTER.sniff(path)
    parsed = IMPORTER.read(path)
    assert dict(parsed.messages.schema) == MESSAGE_SCHEMA and parsed.messages.height > 0


def test_shared_samples_present_or_skip() -> None:
    if not SAMPLES.exists():
        pytest.skip("shared/samples/discord not present")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=10,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    field=st.sampled_from(["type", "timestamp", "content", "author", "attachments", "timestampEdited", "reference"]),
    value=json_values,
)
def test_wrong_types_raise_only_our_errors(tmp_path: Path, field: str, value: object) -> None:
    data = json.loads(JSON.read_text())
    data["messages"][1][field] = value
    path = tmp_path / "x.json"
    path.write_text(json.dumps(data))
    try:
        IMPORTER.read(path)
    except EbbtideError:
        pass


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(which=st.sampled_from([JSON, CSV]), cut=st.integers(min_value=0, max_value=3000), junk=st.binary(max_size=20))
def test_truncated_or_random_bytes_raise_only_our_errors(tmp_path: Path, which: Path, cut: int, junk: bytes) -> None:
    path = tmp_path / ("x" + which.suffix)
    path.write_bytes(which.read_bytes()[:cut] + junk)
    IMPORTER.sniff(path)
    try:
        IMPORTER.read(path)
    except EbbtideError:
        pass


def test_fast_and_exact_json_readers_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    import ebbtide.importers.discord as dce

    meta, cols = dce._columns_fast(JSON)
    assert cols.height == 5 and meta["channel"]["id"] == "987654321012345678"
    fast = IMPORTER.read(JSON)

    def refuse(path: Path) -> None:
        raise dce._SlowPath

    monkeypatch.setattr(dce, "_columns_fast", refuse)
    slow = IMPORTER.read(JSON)
    assert fast.messages.equals(slow.messages)
    assert fast.report == slow.report


def test_csv_iso_dates_keep_their_offset(tmp_path: Path) -> None:
    path = tmp_path / "chat.csv"
    path.write_text(
        "AuthorID,Author,Date,Content,Attachments,Reactions\n"
        '"1","a","2024-01-04T19:03:15.123+01:00","hi","",""\n"2","b","04-Jan-24 07:03 PM","x","",""\n'
    )
    with pytest.raises(EbbtideError):
        IMPORTER.read(path)  # mixed styles in one file are refused, not guessed
    path.write_text(
        "AuthorID,Author,Date,Content,Attachments,Reactions\n"
        '"1","a","2024-01-04T19:03:15.123+01:00","hi","",""\n"2","b","2024-01-04T19:04:00-05:30","yo","",""\n'
    )
    parsed = IMPORTER.read(path)
    assert parsed.messages["utc_offset_min"].to_list() == [60, -330]
    assert parsed.messages["timestamp"][0] == datetime(2024, 1, 4, 19, 3, 15, 123000)


def test_csv_month_name_dates(tmp_path: Path) -> None:
    path = tmp_path / "chat.csv"
    path.write_text('AuthorID,Author,Date,Content,Attachments,Reactions\n"1","a","04-Jan-24 07:03 PM","hi","",""\n')
    parsed = IMPORTER.read(path)
    assert parsed.messages["timestamp"][0] == datetime(2024, 1, 4, 19, 3)


@pytest.mark.parametrize("name", ['dm_river.json', 'Direct Messages - river [987654321012345678].csv'])
def test_registry_sniffs_discord_first(name: str) -> None:
    """Through the registry (all importers, in sniff order) our fixtures reach this importer."""
    from ebbtide.importers import read_export

    assert read_export(Path(__file__).parent / "fixtures" / "discord" / name).report.platform.value == "discord"


def make_large_dce_json(path: Path, n: int) -> Path:
    """A generated DiscordChatExporter DM export of ``n`` messages (used to measure speed)."""
    from datetime import timedelta

    start = datetime(2020, 1, 1)
    people = [{"id": "1", "name": "jo", "nickname": "Jo"}, {"id": "2", "name": "river", "nickname": "River"}]
    messages = [
        {
            "id": str(i), "type": "Default", "timestamp": (start + timedelta(seconds=37 * i)).strftime("%Y-%m-%dT%H:%M:%S.000+01:00"),
            "timestampEdited": None, "content": f"message {i}" if i % 9 else "", "author": people[i % 2],
            "attachments": [] if i % 9 else [{"id": "x", "fileName": "a.png"}], "embeds": [], "stickers": [], "reactions": [],
        }
        for i in range(n)
    ]
    channel = {"id": "42", "type": "DirectTextChat", "name": "river"}
    path.write_text(json.dumps({"guild": {"id": "0"}, "channel": channel, "messages": messages, "messageCount": n}))
    return path


def test_generated_json_takes_the_fast_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import ebbtide.importers.discord as dce

    path = make_large_dce_json(tmp_path / "dm.json", 3000)
    assert dce._columns_fast(path)[1].height == 3000
    fast = IMPORTER.read(path)
    monkeypatch.setattr(dce, "_columns_fast", lambda p: (_ for _ in ()).throw(dce._SlowPath()))
    slow = IMPORTER.read(path)
    assert fast.messages.equals(slow.messages) and fast.report == slow.report and fast.report.me == "Jo"
