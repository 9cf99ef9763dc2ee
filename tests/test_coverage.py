"""Coverage report (dates, gaps, people, messengers, capabilities, known truncations) and robustness:
a failed import changes nothing in the store."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

import ebbtide.store.db as store_db
from ebbtide.cli import app
from ebbtide.model import Message, MessageKind, ParsedExport, ParseReport, Platform, messages_to_frame
from ebbtide.report.coverage import Gap, build_coverage, coverage_lines, find_gaps, weekly_platform_counts
from ebbtide.store import Store

runner = CliRunner()
T0 = datetime(2024, 1, 1, 9)  # a Monday


def _frame(rows: list[tuple[int, str, str]], platform: Platform = Platform.WHATSAPP) -> pl.DataFrame:
    return messages_to_frame([Message(T0 + timedelta(days=d), s, "hi", platform=platform, conversation_id="c",
                                      kind=MessageKind.SYSTEM if not s else MessageKind.TEXT)
                              for d, s, _ in rows])


def test_gaps_of_two_weeks_or_more_are_found() -> None:
    days = pl.Series([date(2024, 1, 1), date(2024, 1, 2), date(2024, 1, 16), date(2024, 1, 30), date(2024, 3, 1)])
    assert find_gaps(days) == (Gap(date(2024, 1, 31), date(2024, 2, 29)),)  # 13-day holes are not gaps
    assert find_gaps(days, min_days=13) == (Gap(date(2024, 1, 3), date(2024, 1, 15)),
                                            Gap(date(2024, 1, 17), date(2024, 1, 29)),
                                            Gap(date(2024, 1, 31), date(2024, 2, 29)))
    assert find_gaps(pl.Series([date(2024, 1, 1)])) == ()


def test_coverage_counts_people_and_says_what_cannot_be_measured() -> None:
    frame = _frame([(0, "Alex", ""), (0, "Sam", ""), (1, "Sam", ""), (40, "", ""), (41, "Alex", "")])
    cov = build_coverage(frame, conversation_id="c", capabilities={"calls": True, "edits": True, "reactions": False})
    assert cov.first == date(2024, 1, 1) and cov.last == date(2024, 2, 11)
    assert cov.messages == 4 and cov.per_person == (("Alex", 2), ("Sam", 2))
    assert cov.gaps == (Gap(date(2024, 1, 3), date(2024, 2, 10)),)  # the system line does not fill a gap
    assert cov.not_in_export == ("reactions", "replies", "read_times")
    text = "\n".join(coverage_lines(cov))
    assert "2024-01-03..2024-02-10 (39 days)" in text
    assert "not in this export (cannot be measured): reactions" in text


def test_a_move_from_one_messenger_to_another_shows_per_week() -> None:
    wa = _frame([(d, "Alex" if d % 2 else "Sam", "") for d in range(0, 21)])
    tg = _frame([(d, "Alex" if d % 2 else "Sam", "") for d in range(14, 35)], Platform.TELEGRAM)
    weekly = weekly_platform_counts(pl.concat([wa, tg]))
    assert weekly.columns == ["week", "platform", "messages"]
    by = {(w, p): n for w, p, n in weekly.iter_rows()}
    assert by[(date(2024, 1, 1), "whatsapp")] == 7 and (date(2024, 1, 1), "telegram") not in by
    assert by[(date(2024, 1, 15), "telegram")] == 7 and by[(date(2024, 1, 29), "telegram")] == 7
    lines = coverage_lines(build_coverage(pl.concat([wa, tg]), conversation_id="people:1+2", capabilities={}))
    assert any("telegram: 21 messages" in line for line in lines)
    assert any("per messenger" in line for line in lines)


def test_known_truncations_are_warned() -> None:
    frame = _frame([(0, "Alex", ""), (1, "Sam", "")])
    capped = build_coverage(frame, conversation_id="c", capabilities={},
                            imports=[{"platform": "whatsapp", "total_in_file": 39_990, "source_file": "a.txt"}])
    assert any("40,000 cap" in w and "2024-01-01" in w for w in capped.warnings)
    snap = build_coverage(_frame([(0, "A", "")], Platform.SNAPCHAT), conversation_id="s", capabilities={})
    assert any("saved" in w for w in snap.warnings)
    messenger = build_coverage(_frame([(0, "A", "")], Platform.MESSENGER), conversation_id="m", capabilities={},
                               imports=[{"platform": "messenger", "dialect": "Download your information (JSON)"}])
    assert any("end-to-end" in w for w in messenger.warnings)
    for total in (2, 1_000_000):  # far from the cap: no cut suspected
        other = build_coverage(frame, conversation_id="c", capabilities={},
                               imports=[{"platform": "whatsapp", "total_in_file": total}])
        assert other.warnings == ()


def _export(cid: str, platform: Platform, caps: dict[str, bool]) -> ParsedExport:
    msgs = [Message(T0, "Alex", "hi", platform=platform, conversation_id=cid),
            Message(T0 + timedelta(minutes=1), "Sam", "hey", platform=platform, conversation_id=cid)]
    return ParsedExport(messages_to_frame(msgs), ParseReport(f"{cid}.txt", platform, "t", capabilities=caps))


def test_capabilities_are_stored_per_import_and_merged_with_or(tmp_path: Path) -> None:
    with Store.open(tmp_path / "s.duckdb") as store:
        store.import_export(_export("c", Platform.WHATSAPP, {"reactions": False, "calls": True}))
        assert store.capabilities("c") == {"calls": True, "reactions": False}
        store.import_export(_export("c", Platform.WHATSAPP, {"reactions": True, "calls": False}))
        assert store.capabilities("c") == {"calls": True, "reactions": True}
        store.forget("c")
        store.import_export(_export("d", Platform.WHATSAPP, {}))
        assert store.capabilities("d") == {}


def test_coverage_commands(tmp_path: Path) -> None:
    db = str(tmp_path / "s.duckdb")
    chat = tmp_path / "chat.txt"
    chat.write_text("01/01/2024, 09:00 - Alex: hi\n01/01/2024, 09:01 - Sam: hey\n"
                    "20/02/2024, 10:00 - Sam: back\n", encoding="utf-8")
    imported = runner.invoke(app, ["import", str(chat), "--db", db, "--tz", "UTC"])
    assert imported.exit_code == 0 and "Coverage of whatsapp:alex+sam" in imported.output
    assert "gaps of 14+ days" in imported.output
    shown = runner.invoke(app, ["coverage", "Sam", "--db", db])
    assert shown.exit_code == 0 and "by person: Sam 2, Alex 1" in shown.stdout
    assert "not in this export" in shown.stdout and "reactions" in shown.stdout
    listed = runner.invoke(app, ["conversations", "--coverage", "--db", db])
    assert listed.exit_code == 0 and "Coverage of whatsapp:alex+sam" in listed.stdout
    unknown = runner.invoke(app, ["coverage", "Kim", "--db", db])
    assert unknown.exit_code == 2 and "matches 'Kim'" in unknown.output


# --------------------------------------------------------------------------- robustness
def _snapshot(db: Path) -> dict[str, list[tuple]]:
    with Store.open(db) as store:
        return {t: sorted(map(str, store._rows(f"SELECT * FROM {t}")))  # type: ignore[misc]
                for t in ("conversations", "imports", "messages", "people", "aliases", "import_capabilities")}


def test_an_import_failing_midway_changes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "s.duckdb"
    with Store.open(db) as store:
        store.import_export(_export("c", Platform.WHATSAPP, {"calls": True}))
    before = _snapshot(db)

    def boom(*_a: object, **_k: object) -> None:
        raise RuntimeError("disk on fire")

    # fails after the messages and the import record are written, while people are recorded
    monkeypatch.setattr("ebbtide.store.importing.register_senders", boom)  # where the import calls it
    with Store.open(db) as store, pytest.raises(RuntimeError):
        store.import_export(_export("e", Platform.TELEGRAM, {"replies": True}))
    monkeypatch.undo()
    monkeypatch.setattr(store_db.Store, "_record_import", boom)  # or before the import is recorded
    with Store.open(db) as store, pytest.raises(RuntimeError):
        store.import_export(_export("f", Platform.SIGNAL, {}))
    assert _snapshot(db) == before


def test_a_bad_file_among_several_stores_nothing(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    good = tmp_path / "good.txt"
    good.write_text("01/01/2024, 09:00 - Alex: hi\n01/01/2024, 09:01 - Sam: hey\n", encoding="utf-8")
    bad = tmp_path / "bad.txt"
    bad.write_text("this is not a chat at all\njust words\n", encoding="utf-8")
    result = runner.invoke(app, ["import", str(good), str(bad), "--db", str(db)])
    assert result.exit_code == 2 and "bad.txt" in result.output
    assert not db.exists()  # every file is read before the store is even opened


def test_an_importer_raising_midway_is_a_clear_error_and_stores_nothing(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from ebbtide.errors import UnreadableInput
    from ebbtide.importers import whatsapp

    db = tmp_path / "s.duckdb"
    good = tmp_path / "good.txt"
    good.write_text("01/01/2024, 09:00 - Alex: hi\n01/01/2024, 09:01 - Sam: hey\n", encoding="utf-8")
    assert runner.invoke(app, ["import", str(good), "--db", str(db)]).exit_code == 0
    before = _snapshot(db)
    second = tmp_path / "second.txt"
    second.write_text("02/01/2024, 09:00 - Alex: more\n", encoding="utf-8")

    def broken(path: Path, **_k: object) -> None:
        raise UnreadableInput("the file ended in the middle of a message", where=str(path), fix="Export again.")

    monkeypatch.setattr(whatsapp.IMPORTER, "read", broken)
    result = runner.invoke(app, ["import", str(second), str(good), "--db", str(db)])
    assert result.exit_code == 2 and "ended in the middle" in result.output
    assert _snapshot(db) == before


def test_coverage_of_a_person_shows_the_move_between_messengers(tmp_path: Path) -> None:
    db = str(tmp_path / "s.duckdb")
    chat = tmp_path / "chat.txt"
    chat.write_text("".join(f"{d:02d}/01/2024, 09:00 - {'Alex' if d % 2 else 'Sam'}: hi {d}\n" for d in range(1, 29)),
                    encoding="utf-8")
    other = tmp_path / "later.csv"
    other.write_text("timestamp,sender,text\n" + "".join(
        f"2024-02-{d:02d}T09:00,{'alex.k' if d % 2 else 'Sam'},yo {d}\n" for d in range(1, 29)), encoding="utf-8")
    assert runner.invoke(app, ["import", str(chat), str(other), "--db", db, "--tz", "UTC"]).exit_code == 0
    assert runner.invoke(app, ["people", "merge", "--suggested", "--db", db]).exit_code == 0  # the two "Sam"s
    assert runner.invoke(app, ["people", "merge", "Alex", "alex.k", "--db", db]).exit_code == 0
    no_me = runner.invoke(app, ["coverage", "--person", "Sam", "--db", db])
    assert no_me.exit_code == 2 and "people me" in no_me.output
    assert runner.invoke(app, ["people", "me", "Alex", "--db", db]).exit_code == 0
    shown = runner.invoke(app, ["coverage", "--person", "Sam", "--db", db])
    assert shown.exit_code == 0, shown.output
    assert "56 messages by people" in shown.stdout
    assert "whatsapp: 28 messages" in shown.stdout and "generic: 28 messages" in shown.stdout
    assert "per messenger" in shown.stdout
    both = runner.invoke(app, ["coverage", "Sam", "--person", "Sam", "--db", db])
    assert both.exit_code == 2 and "say what to report on" in both.output
