"""Generic CSV / JSON Lines importer: golden rows, offsets, errors with line numbers, malformed input."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ebbtide.errors import EbbtideError, NotAChatExport, UnreadableInput
from ebbtide.importers import read_export
from ebbtide.importers.generic import IMPORTER
from ebbtide.model import MESSAGE_SCHEMA, Platform, validate_messages_frame

FIX = Path(__file__).parent / "fixtures" / "generic"
ALL_FIXTURES = Path(__file__).parent / "fixtures"


def test_csv_golden() -> None:
    parsed = read_export(FIX / "chat.csv")
    frame = validate_messages_frame(parsed.messages)
    assert dict(frame.schema) == MESSAGE_SCHEMA
    assert frame.select("timestamp", "utc_offset_min", "sender", "text", "kind", "source_line").rows() == [
        (datetime(2024, 2, 1, 8, 0), None, "Ana", "morning, sunshine", "text", 2),
        (datetime(2024, 2, 1, 8, 5), None, "Ben", "two\nlines", "text", 3),
        (datetime(2024, 2, 1, 8, 6, 0, 250000), 0, "", "Ana changed the group name", "system", 5),
        (datetime(2024, 2, 1, 8, 7), -330, "Ana", "", "media", 6),
        (datetime(2024, 2, 1, 8, 8), 60, "Ben", 'she said "hi"', "text", 7),
    ]
    assert frame.item(0, "conversation_id") == "generic:ana+ben"
    assert parsed.report.platform is Platform.GENERIC
    assert parsed.report.me == "Ben" and parsed.report.participants == ("Ana", "Ben")


def test_jsonl_golden() -> None:
    parsed = read_export(FIX / "chat.jsonl")
    assert parsed.messages.select("utc_offset_min", "sender", "text", "kind", "source_line").rows() == [
        (None, "Ana", "hi", "text", 1),
        (120, "Ben", "hey 👋", "text", 3),
        (0, "Ben", "", "call", 4),
    ]
    assert parsed.report.me == "Ben"
    assert parsed.report.capabilities["calls"]


def test_semicolon_bom_and_extra_columns() -> None:
    parsed = read_export(FIX / "chat_semicolon.csv")
    assert parsed.messages.select("sender", "text").rows() == [("Ana", "hi"), ("Ben", "yo")]
    assert parsed.report.me is None


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_bad_timestamp_names_the_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "c.csv", "timestamp,sender,text\n2024-01-01T10:00:00,A,x\n01/02/2024 10:00,B,y\n")
    with pytest.raises(UnreadableInput) as err:
        read_export(path)
    assert err.value.where.endswith("line 3") and "ISO 8601" in err.value.fix


def test_bad_kind_and_is_me(tmp_path: Path) -> None:
    with pytest.raises(UnreadableInput) as err:
        read_export(_write(tmp_path, "k.csv", "timestamp,sender,text,kind\n2024-01-01T10:00,A,x,sticker\n"))
    assert "sticker" in err.value.what
    with pytest.raises(UnreadableInput):
        read_export(_write(tmp_path, "m.csv", "timestamp,sender,text,is_me\n2024-01-01T10:00,A,x,maybe\n"))


def test_conflicting_is_me_warns(tmp_path: Path) -> None:
    path = _write(tmp_path, "c.csv", "timestamp,sender,text,is_me\n2024-01-01T10:00,A,x,1\n2024-01-01T10:01,B,y,1\n")
    parsed = read_export(path)
    assert parsed.report.me is None and parsed.report.warnings


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes("timestamp,sender,text\n2024-01-01T10:00,Zoë,x\n".encode("latin-1"))
    with pytest.raises(UnreadableInput) as err:
        read_export(path)
    assert "UTF-8" in err.value.what


def test_header_only_and_short_rows(tmp_path: Path) -> None:
    with pytest.raises(NotAChatExport):
        read_export(_write(tmp_path, "h.csv", "timestamp,sender,text\n"))
    with pytest.raises(UnreadableInput) as err:
        read_export(_write(tmp_path, "s.csv", "timestamp,sender,text\n2024-01-01T10:00,A\n"))
    assert "line 2" in err.value.where


def test_sniff_claims_only_generic() -> None:
    for path in sorted(ALL_FIXTURES.rglob("*")):
        if path.is_file():
            assert IMPORTER.sniff(path) == (path.parent.name == "generic"), path


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.integers(min_value=0, max_value=400), name=st.sampled_from(["chat.csv", "chat.jsonl"]))
def test_truncated_raises_only_our_errors(tmp_path: Path, cut: int, name: str) -> None:
    data = (FIX / name).read_bytes()
    path = tmp_path / name
    path.write_bytes(data[: cut % len(data)])
    try:
        validate_messages_frame(IMPORTER.read(path).messages)
    except EbbtideError:
        pass


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=6),
                       st.lists(st.integers(), max_size=2)),
       key=st.sampled_from(["timestamp", "sender", "text", "kind", "is_me"]))
def test_wrong_json_types(tmp_path: Path, value: object, key: str) -> None:
    import json

    rec = {"timestamp": "2024-01-01T10:00:00", "sender": "A", "text": "x", key: value}
    path = _write(tmp_path, "x.jsonl", json.dumps(rec) + "\n")
    try:
        validate_messages_frame(IMPORTER.read(path).messages)
    except EbbtideError:
        pass


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(blob=st.binary(max_size=200))
def test_random_bytes(tmp_path: Path, blob: bytes) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(b"timestamp,sender,text\n" + blob)
    try:
        validate_messages_frame(IMPORTER.read(path).messages)
    except EbbtideError:
        pass
