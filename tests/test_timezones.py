"""Time zones: exports without a zone get the one the user names (or the machine's), stated in the
report; daylight saving is handled (the repeated autumn hour in file order)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from ebbtide.cli import app
from ebbtide.errors import EbbtideError
from ebbtide.importers.timezones import check_zone, choose_zone, fill_offsets, machine_zone, offsets_in_zone
from ebbtide.model import Message, messages_to_frame
from ebbtide.store import Store

runner = CliRunner()


def test_summer_and_winter_offsets() -> None:
    ts = pl.Series([datetime(2024, 1, 15, 12), datetime(2024, 7, 15, 12)])
    assert offsets_in_zone(ts, "Europe/Berlin").to_list() == [60, 120]
    assert offsets_in_zone(ts, "America/New_York").to_list() == [-300, -240]
    assert offsets_in_zone(ts, "Asia/Kolkata").to_list() == [330, 330]


def test_the_repeated_autumn_hour_is_read_in_file_order() -> None:
    # Berlin, 27 Oct 2024: 02:00-02:59 happens twice (first CEST +120, then CET +60).
    ts = pl.Series([datetime(2024, 10, 27, 1, 55), datetime(2024, 10, 27, 2, 10), datetime(2024, 10, 27, 2, 45),
                    datetime(2024, 10, 27, 2, 5), datetime(2024, 10, 27, 2, 30), datetime(2024, 10, 27, 3, 1)])
    assert offsets_in_zone(ts, "Europe/Berlin").to_list() == [120, 120, 120, 60, 60, 60]


def test_a_time_in_the_skipped_spring_hour_takes_the_offset_before_the_jump() -> None:
    ts = pl.Series([datetime(2024, 3, 31, 1, 59), datetime(2024, 3, 31, 2, 30), datetime(2024, 3, 31, 3, 0)])
    assert offsets_in_zone(ts, "Europe/Berlin").to_list() == [60, 60, 120]


def test_only_missing_offsets_are_filled() -> None:
    frame = messages_to_frame([Message(datetime(2024, 7, 1, 9), "A", "x", utc_offset_min=-420),
                               Message(datetime(2024, 7, 1, 10), "B", "y")])
    filled, n = fill_offsets(frame, "Europe/Paris")
    assert n == 1 and filled.get_column("utc_offset_min").to_list() == [-420, 120]
    same, none = fill_offsets(filled, "Europe/Paris")
    assert none == 0 and same is filled


def test_zone_names_are_checked_with_a_helpful_error() -> None:
    assert check_zone(" Europe/Berlin ") == "Europe/Berlin"
    with pytest.raises(EbbtideError) as info:
        check_zone("Berlin")
    assert "--tz" in info.value.message and "Europe/Berlin" in info.value.fix
    assert choose_zone(None).source == "this computer's zone"
    assert choose_zone("UTC").source == "--tz"


def test_the_machine_zone_comes_from_tz(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "America/Chicago")
    assert machine_zone() == "America/Chicago"
    monkeypatch.setenv("TZ", "not/a zone")
    assert check_zone(machine_zone())  # falls back to something valid


@settings(max_examples=40, deadline=None)
@given(st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2035, 12, 31)),
       st.sampled_from(["Europe/Berlin", "America/Sao_Paulo", "Australia/Lord_Howe", "Asia/Tokyo", "UTC"]))
def test_every_local_time_gets_a_real_offset_of_its_zone(ts: datetime, zone: str) -> None:
    from zoneinfo import ZoneInfo

    got = offsets_in_zone(pl.Series([ts]), zone).to_list()[0]
    candidates = {int(ts.replace(tzinfo=ZoneInfo(zone), fold=f).utcoffset().total_seconds() // 60)  # type: ignore[union-attr]
                  for f in (0, 1)}
    assert got in candidates


def _chat(tmp_path: Path) -> Path:
    path = tmp_path / "chat.txt"
    path.write_text("15/01/2024, 09:00 - Alex: hi\n15/07/2024, 09:00 - Sam: hey\n", encoding="utf-8")
    return path


def test_import_tz_is_stored_and_stated(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    result = runner.invoke(app, ["import", str(_chat(tmp_path)), "--db", str(db), "--tz", "Europe/Berlin"])
    assert result.exit_code == 0, result.output
    assert "read as Europe/Berlin (--tz" in result.output
    with Store.open(db) as store:
        cid = store.conversations()[0].id
        assert store.messages(cid).get_column("utc_offset_min").to_list() == [60, 120]
        history = store.import_history(cid)
    assert history[0]["time_zone"] == "Europe/Berlin" and history[0]["time_zone_source"] == "--tz"


def test_import_without_tz_uses_the_machine_zone_and_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    db = tmp_path / "s.duckdb"
    result = runner.invoke(app, ["import", str(_chat(tmp_path)), "--db", str(db)])
    assert result.exit_code == 0 and "Asia/Tokyo (this computer's zone" in result.output
    with Store.open(db) as store:
        assert store.messages(store.conversations()[0].id).get_column("utc_offset_min").to_list() == [540, 540]


def test_a_bad_tz_stops_before_anything_is_stored(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    result = runner.invoke(app, ["import", str(_chat(tmp_path)), "--db", str(db), "--tz", "Mars/Olympus"])
    assert result.exit_code == 2 and "not a time zone" in result.output
    assert not db.exists()
