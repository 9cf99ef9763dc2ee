"""Signal importer: sigexport data.json and chat.md (both styles), signalbackup-tools and sigtop text."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shared_data import shared_names

from ebbtide.errors import EbbtideError, NotAChatExport
from ebbtide.importers.signal import IMPORTER
from ebbtide.model import MESSAGE_SCHEMA, validate_messages_frame

FIX = Path(__file__).parent / "fixtures" / "signal"
SAMPLES = Path(__file__).parents[2] / "shared" / "samples" / "signal"


def rows(parsed):
    return [
        (r["timestamp"], r["utc_offset_min"], r["sender"], r["text"], r["kind"], r["edited"], r["source_line"])
        for r in parsed.messages.iter_rows(named=True)
    ]


def test_folder_prefers_data_json() -> None:
    parsed = IMPORTER.read(FIX / "River")
    validate_messages_frame(parsed.messages)
    assert parsed.report.source_file.endswith("data.json")
    assert rows(parsed) == [
        (datetime(2024, 3, 9, 8, 15), None, "Me", "good morning\nslept ok?", "text", False, 1),
        (datetime(2024, 3, 9, 8, 20, 41), None, "River", "not really", "text", False, 2),
        (datetime(2024, 3, 9, 8, 21), None, "River", "", "media", False, 3),
        (datetime(2024, 3, 9, 9, 0), None, "Me", "", "deleted", False, 4),
        (datetime(2024, 3, 9, 12, 30), None, "River", "", "call", False, 5),
        (datetime(2024, 3, 9, 12, 31), None, "River", "", "media", False, 6),
    ]
    assert parsed.report.me == "Me"
    assert parsed.report.participants == ("Me", "River")
    assert set(parsed.messages["conversation_id"]) == {"signal:river"}


def test_chat_md_golden() -> None:
    parsed = IMPORTER.read(FIX / "River" / "chat.md")
    assert rows(parsed) == [
        (datetime(2024, 3, 9, 8, 15), None, "Me", "good morning\nslept ok?", "text", False, 1),
        (datetime(2024, 3, 9, 8, 20, 41), None, "River", "not really", "text", False, 3),
        (datetime(2024, 3, 9, 8, 21), None, "River", "", "media", False, 9),
        (datetime(2024, 3, 9, 9, 0), None, "Me", "", "deleted", False, 10),
        (datetime(2024, 3, 9, 12, 30), None, "River", "", "call", False, 11),
        (datetime(2024, 3, 9, 12, 32), None, "River", "look at this", "text", False, 12),
    ]
    assert set(parsed.messages["conversation_id"]) == {"signal:river"}


def test_old_md_style_with_comma_and_minutes() -> None:
    parsed = IMPORTER.read(FIX / "old" / "chat.md")
    assert rows(parsed) == [
        (datetime(2019, 12, 24, 9, 5), None, "River Stone", "merry christmas eve", "text", False, 1),
        (datetime(2019, 12, 24, 21, 49), None, "Me", "you too\nsee you tomorrow", "text", False, 2),
    ]
    assert "minutes only" in parsed.report.dialect


def test_signalbackup_tools_golden() -> None:
    parsed = IMPORTER.read(FIX / "signalbackup_river.txt")
    assert rows(parsed) == [
        (datetime(2024, 3, 9, 8, 15), None, "Me", "good morning", "text", False, 1),
        (datetime(2024, 3, 9, 8, 20, 41), None, "River", "not really", "text", False, 2),
        (datetime(2024, 3, 9, 8, 21), None, "River", "", "media", False, 3),
        (datetime(2024, 3, 9, 8, 22), None, "River", "", "other", False, 4),
        (datetime(2024, 3, 9, 8, 23), None, "Me", "two lines\nsecond (not: a reaction)", "text", False, 7),
        (datetime(2024, 3, 9, 12, 30), None, "", "", "call", False, 9),
        (datetime(2024, 3, 9, 12, 40), None, "", "River changed their profile name", "system", False, 10),
    ]
    assert any("deleted" in w for w in parsed.report.warnings)
    assert set(parsed.messages["conversation_id"]) == {"signal:river"}


def test_sigtop_golden_with_offsets() -> None:
    parsed = IMPORTER.read(FIX / "sigtop_river.txt")
    assert rows(parsed) == [
        (datetime(2024, 3, 9, 8, 15), -300, "You", "good morning\nslept ok?", "text", False, 3),
        (datetime(2024, 3, 9, 8, 20, 41), -300, "River", "not really", "text", False, 10),
        (datetime(2024, 3, 9, 8, 25), -300, "You", "sorry to hear\n\nthat", "text", True, 23),
    ]
    assert parsed.report.me == "You"
    assert set(parsed.messages["conversation_id"]) == {"signal:river"}


def test_sniff_claims_signal_only() -> None:
    assert IMPORTER.sniff(FIX / "River")
    assert IMPORTER.sniff(FIX / "River" / "data.json")
    assert IMPORTER.sniff(FIX / "River" / "chat.md")
    assert IMPORTER.sniff(FIX / "signalbackup_river.txt")
    assert IMPORTER.sniff(FIX / "sigtop_river.txt")
    assert not IMPORTER.sniff(FIX)


def test_md_lines_in_a_txt_are_not_claimed(tmp_path: Path) -> None:
    """Some WhatsApp dialects write '[2024-01-04 19:04:02] Sam: hi' too: only chat.md is claimed."""
    txt = tmp_path / "WhatsApp Chat.txt"
    txt.write_text("[2024-01-04 19:04:02] Sam: hi\n")
    assert not IMPORTER.sniff(txt)
    assert IMPORTER.read(txt).messages.height == 1  # but reads when asked for explicitly


def test_not_signal_raises(tmp_path: Path) -> None:
    bad = tmp_path / "chat.md"
    bad.write_text("# notes\nhello\n")
    with pytest.raises(NotAChatExport):
        IMPORTER.read(bad)


@pytest.mark.parametrize("name", shared_names(SAMPLES, "*"))
def test_shared_samples_read(name: str) -> None:
    parsed = IMPORTER.read(SAMPLES / name)
    assert dict(parsed.messages.schema) == MESSAGE_SCHEMA and parsed.messages.height > 0


def test_shared_samples_present_or_skip() -> None:
    if not SAMPLES.exists():
        pytest.skip("shared/samples/signal not present")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=10,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(field=st.sampled_from(["date", "sender", "body", "deleted", "attachments", "sticker"]), value=json_values)
def test_wrong_types_raise_only_our_errors(tmp_path: Path, field: str, value: object) -> None:
    lines = (FIX / "River" / "data.json").read_text().splitlines()
    rec = json.loads(lines[1])
    rec[field] = value
    lines[1] = json.dumps(rec)
    path = tmp_path / "data.json"
    path.write_text("\n".join(lines))
    try:
        IMPORTER.read(path)
    except EbbtideError:
        pass


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    which=st.sampled_from(["River/data.json", "River/chat.md", "signalbackup_river.txt", "sigtop_river.txt"]),
    cut=st.integers(min_value=0, max_value=1500),
    junk=st.binary(max_size=20),
)
def test_truncated_or_random_bytes_raise_only_our_errors(tmp_path: Path, which: str, cut: int, junk: bytes) -> None:
    path = tmp_path / Path(which).name
    path.write_bytes((FIX / which).read_bytes()[:cut] + junk)
    IMPORTER.sniff(path)
    try:
        IMPORTER.read(path)
    except EbbtideError:
        pass


def test_fast_and_exact_data_json_readers_agree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import ebbtide.importers.signal as sig

    assert sig._read_data_json_fast(FIX / "River" / "data.json").height == 6
    fast = IMPORTER.read(FIX / "River" / "data.json").messages

    def refuse(path: Path) -> None:
        raise sig._SlowPath

    monkeypatch.setattr(sig, "_read_data_json_fast", refuse)
    slow = IMPORTER.read(FIX / "River" / "data.json").messages
    assert fast.equals(slow)


@pytest.mark.parametrize("name", ['River', 'River/data.json', 'River/chat.md', 'old/chat.md', 'signalbackup_river.txt', 'sigtop_river.txt'])
def test_registry_sniffs_signal_first(name: str) -> None:
    """Through the registry (all importers, in sniff order) our fixtures reach this importer."""
    from ebbtide.importers import read_export

    assert read_export(Path(__file__).parent / "fixtures" / "signal" / name).report.platform.value == "signal"


def test_md_attachments_stickers_and_reactions_as_sigexport_writes_them(tmp_path: Path) -> None:
    md = tmp_path / "chat.md"
    md.write_text(
        "[2024-03-09 10:00:00] River: look\n(- Me: 👍 -)![IMG_9.jpg](./media/IMG_9.jpg)  \n"
        "[2024-03-09 10:01:00] River: [notes.pdf](./media/notes.pdf)  \n"
        "[2024-03-09 10:02:00] Me: \n(( 🐱 ))\n"
        "[2024-03-09 10:03:00] Me: read [this](https://example.org/a) -)\n"
    )
    parsed = IMPORTER.read(md)
    assert [(r["sender"], r["text"], r["kind"]) for r in parsed.messages.iter_rows(named=True)] == [
        ("River", "look", "text"),
        ("River", "", "media"),
        ("Me", "", "media"),
        ("Me", "read [this](https://example.org/a) -)", "text"),
    ]


def make_large_data_json(path: Path, n: int) -> Path:
    """A generated sigexport data.json of ``n`` messages (used to measure speed)."""
    from datetime import timedelta

    start = datetime(2020, 1, 1)
    with path.open("w", encoding="utf-8") as out:
        for i in range(n):
            rec = {
                "date": (start + timedelta(seconds=37 * i)).isoformat(), "sender": ["Me", "River"][i % 2],
                "body": f"message {i}  " if i % 7 else "", "quote": "", "sticker": None, "reactions": [],
                "attachments": [] if i % 7 else [{"name": "a.jpg", "path": "media/a.jpg"}],
                "deleted": i % 97 == 0, "call": False, "missed": False,
            }
            out.write(json.dumps(rec) + "\n")
    return path


def test_generated_data_json_takes_the_fast_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import ebbtide.importers.signal as sig

    path = make_large_data_json(tmp_path / "data.json", 3000)
    assert sig._read_data_json_fast(path).height == 3000
    fast = IMPORTER.read(path).messages
    monkeypatch.setattr(sig, "_read_data_json_fast", lambda p: (_ for _ in ()).throw(sig._SlowPath()))
    assert fast.equals(IMPORTER.read(path).messages)
