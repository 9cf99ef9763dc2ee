"""Snapchat chat_history.json importer: both layouts, zip/folder input, malformed input."""

from __future__ import annotations

import json
import zipfile
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shared_data import shared_names

from ebbtide.errors import ChooseChat, EbbtideError
from ebbtide.importers import read_export
from ebbtide.importers.snapchat import IMPORTER, SAVED_ONLY_WARNING, read_snapchat
from ebbtide.model import MESSAGE_SCHEMA, validate_messages_frame

FIX = Path(__file__).parent / "fixtures" / "snapchat"
SAMPLES = Path(__file__).parents[2] / "shared" / "samples" / "snapchat"


def rows(parsed):
    return [
        (r["timestamp"], r["sender"], r["text"], r["kind"], r["source_line"])
        for r in parsed.messages.iter_rows(named=True)
    ]


def test_golden_new_layout() -> None:
    parsed = read_export(FIX / "chat_history_new.json", chat="river.k")
    validate_messages_frame(parsed.messages)
    assert rows(parsed) == [
        (datetime(2024, 5, 2, 21, 10, 5, 250000), "river.k", "are you still up?", "text", 1),
        (datetime(2024, 5, 2, 21, 12, 40), "jo_m", "yeah, just got home\nlong day", "text", 2),
        (datetime(2024, 5, 2, 21, 13), "river.k", "", "media", 3),
        (datetime(2024, 5, 2, 21, 14), "river.k", "", "deleted", 4),
        (datetime(2024, 5, 2, 21, 20), "jo_m", "", "call", 5),
        (datetime(2024, 5, 2, 21, 21), "", "", "system", 6),
    ]
    rep = parsed.report
    assert rep.me == "jo_m"
    assert rep.participants == ("river.k", "jo_m")
    assert rep.warnings == (SAVED_ONLY_WARNING,)
    assert set(parsed.messages["conversation_id"]) == {"snapchat:river.k"}
    assert set(parsed.messages["utc_offset_min"]) == {0}


def test_pick_group_conversation() -> None:
    parsed = read_snapchat(FIX / "chat_history_new.json", conversation="b0a1f5e2-group")
    assert parsed.messages["text"].to_list() == ["team lunch?"]
    assert "Lunch crew" in parsed.report.dialect
    with pytest.raises(ChooseChat, match="no conversation called 'nobody'"):
        read_snapchat(FIX / "chat_history_new.json", conversation="nobody")


def test_golden_old_layout_unescapes_html_and_names_me() -> None:
    parsed = read_export(FIX / "chat_history_old.json", chat="river.k")
    assert rows(parsed) == [
        (datetime(2021, 3, 14, 8, 0, 1), "river.k", "morning 'sunshine' & coffee?", "text", 1),
        (datetime(2021, 3, 14, 8, 2, 30), "Me", "yes please", "text", 4),
        (datetime(2021, 3, 14, 8, 5), "river.k", "", "media", 2),
    ]
    assert parsed.report.me == "Me"
    assert "older" in parsed.report.dialect


def test_zip_and_folder_inputs(tmp_path: Path) -> None:
    archive = tmp_path / "mydata.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(FIX / "chat_history_new.json", "mydata/json/chat_history.json")
        zf.writestr("mydata/json/account.json", "{}")
    assert IMPORTER.sniff(archive)
    assert read_export(archive, chat="river.k").messages.height == 6
    folder = tmp_path / "export" / "json"
    folder.mkdir(parents=True)
    (folder / "chat_history.json").write_bytes((FIX / "chat_history_new.json").read_bytes())
    assert IMPORTER.sniff(tmp_path / "export")
    assert read_export(tmp_path / "export", chat="river.k").messages.height == 6


def test_sniff_does_not_claim_other_json(tmp_path: Path) -> None:
    other = tmp_path / "result.json"
    other.write_text('{"name": "Sam", "messages": [{"date": "2024-01-01T00:00:00"}]}')
    assert not IMPORTER.sniff(other)
    assert IMPORTER.sniff(FIX / "chat_history_old.json")
    assert not IMPORTER.sniff(tmp_path / "nothing.json")


@pytest.mark.parametrize("name", shared_names(SAMPLES, "*.json"))
def test_shared_samples_read(name: str) -> None:
    parsed = IMPORTER.read(SAMPLES / name)
    assert dict(parsed.messages.schema) == MESSAGE_SCHEMA
    assert parsed.messages.height > 0


def test_shared_samples_present_or_skip() -> None:
    if not SAMPLES.exists():
        pytest.skip("shared/samples/snapchat not present")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=12,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    field=st.sampled_from(["From", "Media Type", "Created", "Content", "IsSender", "Created(microseconds)"]),
    value=json_values,
)
def test_wrong_types_raise_only_our_errors(tmp_path: Path, field: str, value: object) -> None:
    data = json.loads((FIX / "chat_history_new.json").read_text())
    data["river.k"][0][field] = value
    bad = tmp_path / "chat_history.json"
    bad.write_text(json.dumps(data))
    try:
        IMPORTER.read(bad)
    except EbbtideError:
        pass


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.integers(min_value=0, max_value=3000), junk=st.binary(max_size=30))
def test_truncated_or_random_bytes_raise_only_our_errors(tmp_path: Path, cut: int, junk: bytes) -> None:
    bad = tmp_path / "chat_history.json"
    bad.write_bytes((FIX / "chat_history_new.json").read_bytes()[:cut] + junk)
    try:
        IMPORTER.read(bad)
    except EbbtideError:
        pass
    IMPORTER.sniff(bad)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=json_values)
def test_any_json_document_raises_only_our_errors(tmp_path: Path, value: object) -> None:
    bad = tmp_path / "chat_history.json"
    bad.write_text(json.dumps(value))
    try:
        IMPORTER.read(bad)
    except EbbtideError:
        pass


@pytest.mark.parametrize("name", ['chat_history_new.json', 'chat_history_old.json'])
def test_registry_sniffs_snapchat_first(name: str) -> None:
    """Through the registry (all importers, in sniff order) our fixtures reach this importer."""

    assert read_export(Path(__file__).parent / "fixtures" / "snapchat" / name, chat="river.k").report.platform.value == "snapchat"


def test_the_chat_variable_picks_a_conversation_as_for_every_format(monkeypatch: pytest.MonkeyPatch) -> None:

    monkeypatch.setenv("EBBTIDE_CHAT", "b0a1f5e2-group")
    parsed = read_export(FIX / "chat_history_new.json")
    assert parsed.messages["text"].to_list() == ["team lunch?"]
    monkeypatch.delenv("EBBTIDE_CHAT")
    with pytest.raises(ChooseChat) as info:  # several conversations and no choice: the list, to ask or exit 2
        read_export(FIX / "chat_history_new.json")
    assert [c[0] for c in info.value.chats] == ["river.k", "b0a1f5e2-group"]
    assert "--chat" in info.value.fix and "EBBTIDE_CHAT" in info.value.fix
