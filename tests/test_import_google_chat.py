"""Google Chat Takeout importer: messages.json, folders, zip, locale dates, me from user_info.json."""

from __future__ import annotations

import json
import shutil
import zipfile
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shared_data import shared_names

from ebbtide.errors import ChooseChat, EbbtideError, UnreadableInput
from ebbtide.importers import read_export
from ebbtide.importers.google_chat import IMPORTER, parse_created_date, read_google_chat
from ebbtide.model import MESSAGE_SCHEMA, validate_messages_frame

ROOT = Path(__file__).parent / "fixtures" / "google_chat" / "Takeout"
CHAT = ROOT / "Google Chat"
DM = CHAT / "Groups" / "DM 7Hq2xAAAAE"
SAMPLES = Path(__file__).parents[2] / "shared" / "samples" / "google"

GOLDEN = [
    (datetime(2024, 3, 8, 21, 3), "Jo Park", "are you free sunday?", "text", 1),
    (datetime(2024, 3, 8, 21, 10, 15), "River Kim", "maybe!\nlet me check", "text", 2),
    (datetime(2024, 3, 9, 0, 5), "River Kim", "", "media", 3),
    (datetime(2024, 3, 9, 7, 30), "", "", "deleted", 4),
]


def rows(parsed):
    return [(r["timestamp"], r["sender"], r["text"], r["kind"], r["source_line"]) for r in parsed.messages.iter_rows(named=True)]


def test_golden_messages_json_with_me_from_user_info() -> None:
    parsed = IMPORTER.read(DM / "messages.json")
    validate_messages_frame(parsed.messages)
    assert rows(parsed) == GOLDEN
    rep = parsed.report
    assert rep.me == "Jo Park"
    assert rep.participants == ("Jo Park", "River Kim")
    assert set(parsed.messages["conversation_id"]) == {"google_chat:DM 7Hq2xAAAAE"}
    assert set(parsed.messages["utc_offset_min"]) == {0}
    assert any("deleted" in w for w in rep.warnings)


def test_group_folder_and_google_chat_folder() -> None:
    assert IMPORTER.sniff(DM) and IMPORTER.sniff(CHAT)
    assert rows(IMPORTER.read(DM)) == GOLDEN
    whole = read_export(CHAT, chat="DM 7Hq2xAAAAE")
    assert rows(whole) == GOLDEN
    with pytest.raises(ChooseChat) as several:  # no choice: the groups are listed, busiest first
        read_export(CHAT)
    assert [c[0] for c in several.value.chats] == ["DM 7Hq2xAAAAE", "Space AAAAqw3e"]
    space = read_google_chat(CHAT, group="Space AAAAqw3e")
    assert rows(space) == [(datetime(2024, 3, 10, 21, 54, 36), "Mia Lopez", "szia", "text", 1)]
    with pytest.raises(ChooseChat, match="no group called 'DM nope'"):
        read_google_chat(CHAT, group="DM nope")


def test_takeout_zip(tmp_path: Path) -> None:
    archive = tmp_path / "takeout-20240310.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for f in ROOT.rglob("*.json"):
            zf.write(f, f.relative_to(ROOT.parent).as_posix())
    assert IMPORTER.sniff(archive)
    parsed = read_export(archive, chat="dm 7hq2xaaaae")  # a name in any case
    assert rows(parsed) == GOLDEN and parsed.report.me == "Jo Park"


def test_without_user_info_me_is_unknown(tmp_path: Path) -> None:
    copy = tmp_path / "DM 7Hq2xAAAAE"
    shutil.copytree(DM, copy)
    assert IMPORTER.read(copy / "messages.json").report.me is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Thursday, November 3, 2016 at 11:59:50 AM UTC", datetime(2016, 11, 3, 11, 59, 50)),
        ("Thursday, November 3, 2016 at 12:05:00\u202fAM UTC", datetime(2016, 11, 3, 0, 5)),
        ("Thursday, November 3, 2016 at 17:13:43 UTC", datetime(2016, 11, 3, 17, 13, 43)),
        ("Thursday, 3 November 2016 at 17:13:43 UTC", datetime(2016, 11, 3, 17, 13, 43)),
        ("2015. február 15., vasárnap 21:54:36 UTC", datetime(2015, 2, 15, 21, 54, 36)),
        ("Donnerstag, 3. November 2016 um 17:13:43 UTC", datetime(2016, 11, 3, 17, 13, 43)),
        ("jeudi 3 novembre 2016 à 17:13:43 UTC", datetime(2016, 11, 3, 17, 13, 43)),
        ("yesterday", None),
        ("2016-11-03 17:13:43", None),
    ],
)
def test_created_date_variants(text: str, expected: datetime | None) -> None:
    assert parse_created_date(text) == expected


def test_unreadable_date_names_the_message(tmp_path: Path) -> None:
    data = json.loads((DM / "messages.json").read_text())
    data["messages"][1]["created_date"] = "星期五 2024年3月8日"
    path = tmp_path / "messages.json"
    path.write_text(json.dumps(data))
    with pytest.raises(UnreadableInput, match="message 2"):
        IMPORTER.read(path)


def test_sniff_rejects_other_json(tmp_path: Path) -> None:
    other = tmp_path / "x.json"
    other.write_text('{"messages": [{"sender_name": "a", "timestamp_ms": 1}]}')
    assert not IMPORTER.sniff(other)


@pytest.mark.parametrize("name", shared_names(SAMPLES, "google_chat__*.json"))
def test_shared_samples_read(name: str) -> None:
    path = SAMPLES / name
    assert IMPORTER.sniff(path)
    parsed = IMPORTER.read(path)
    assert dict(parsed.messages.schema) == MESSAGE_SCHEMA and parsed.messages.height > 0


def test_shared_samples_present_or_skip() -> None:
    if not SAMPLES.exists():
        pytest.skip("shared/samples/google not present")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=10,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    field=st.sampled_from(["creator", "created_date", "text", "attached_files", "message_state", "deleted_date"]),
    value=json_values,
)
def test_wrong_types_raise_only_our_errors(tmp_path: Path, field: str, value: object) -> None:
    data = json.loads((DM / "messages.json").read_text())
    data["messages"][0][field] = value
    path = tmp_path / "messages.json"
    path.write_text(json.dumps(data))
    try:
        IMPORTER.read(path)
    except EbbtideError:
        pass


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.integers(min_value=0, max_value=1500), junk=st.binary(max_size=20))
def test_truncated_or_random_bytes_raise_only_our_errors(tmp_path: Path, cut: int, junk: bytes) -> None:
    path = tmp_path / "messages.json"
    path.write_bytes((DM / "messages.json").read_bytes()[:cut] + junk)
    IMPORTER.sniff(path)
    try:
        IMPORTER.read(path)
    except EbbtideError:
        pass


def test_impossible_date_is_explained(tmp_path: Path) -> None:
    data = json.loads((DM / "messages.json").read_text())
    data["messages"][2]["created_date"] = "Friday, February 30, 2024 at 9:03:00 PM UTC"
    path = tmp_path / "messages.json"
    path.write_text(json.dumps(data))
    with pytest.raises(UnreadableInput, match="message 3"):
        IMPORTER.read(path)


@pytest.mark.parametrize("name", ['Takeout/Google Chat', 'Takeout/Google Chat/Groups/DM 7Hq2xAAAAE', 'Takeout/Google Chat/Groups/DM 7Hq2xAAAAE/messages.json'])
def test_registry_sniffs_google_chat_first(name: str) -> None:
    """Through the registry (all importers, in sniff order) our fixtures reach this importer."""

    assert read_export(Path(__file__).parent / "fixtures" / "google_chat" / name, chat="DM 7Hq2xAAAAE").report.platform.value == "google_chat"


def test_takeout_root_folder() -> None:
    assert IMPORTER.sniff(ROOT)
    assert rows(read_export(ROOT, chat="DM 7Hq2xAAAAE")) == GOLDEN
