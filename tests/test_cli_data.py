"""The data commands end to end: parse, import, conversations, forget (CliRunner, real importer)."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from ebbtide.cli import app, stored_cmds
from ebbtide.model import MESSAGE_SCHEMA, MessageKind, ParseReport, Platform, UnplacedLine, messages_to_frame
from ebbtide.model import Message as Msg
from ebbtide.report.parse_report import parse_report_lines
from ebbtide.store import Store

pytest.importorskip("ebbtide.importers.whatsapp", reason="the WhatsApp importer is not in this tree yet")

HEAD = "12/03/2024, 09:14 - Messages and calls are end-to-end encrypted. No one outside of this chat can read them.\n"
BODY = [
    "12/03/2024, 09:14 - Alex: morning ☀️\n",
    "12/03/2024, 09:20 - Sam: hey you\nhow did you sleep?\n",
    "13/03/2024, 18:02 - Alex: ok\n",
    "13/03/2024, 18:02 - Alex: ok\n",
    "14/03/2024, 21:40 - Sam: <Media omitted>\n",
    "15/03/2024, 07:05 - Alex: see you tonight?\n",
    "15/03/2024, 08:30 - Sam: maybe\n",
]


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(lines), encoding="utf-8")
    return path


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    monkeypatch.setenv("EBBTIDE_DB", str(tmp_path / "default" / "ebbtide.duckdb"))
    monkeypatch.setenv("COLUMNS", "200")  # rich tables and messages on one line each
    return CliRunner()


@pytest.fixture
def chat(tmp_path: Path) -> Path:
    return write(tmp_path / "WhatsApp Chat with Sam.txt", [HEAD, *BODY])


# --------------------------------------------------------------------------- parse
def test_parse_jsonl_to_stdout_with_report_on_stderr(runner: CliRunner, chat: Path) -> None:
    result = runner.invoke(app, ["parse", str(chat)])
    assert result.exit_code == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(records) == 8
    assert set(records[0]) == set(MESSAGE_SCHEMA)
    assert records[0]["kind"] == "system" and records[0]["sender"] == ""
    assert records[1] == {**records[1], "timestamp": "2024-03-12T09:14:00", "sender": "Alex",
                          "text": "morning ☀️", "kind": "text", "platform": "whatsapp"}
    assert records[2]["text"] == "hey you\nhow did you sleep?"
    assert [r["text"] for r in records[3:5]] == ["ok", "ok"]  # real repeats are kept
    assert records[5]["kind"] == "media"
    assert datetime.fromisoformat(records[-1]["timestamp"]) == datetime(2024, 3, 15, 8, 30)
    report = result.stderr
    assert "8 messages from 2024-03-12 to 2024-03-15" in report
    assert "Alex (you): 4" in report and "Sam: 3" in report  # "Chat with Sam": the exporter is Alex
    assert "day-month-year" in report and "decided" in report
    assert "{" not in report  # no data on stderr


def test_parse_csv_and_parquet_files(runner: CliRunner, chat: Path, tmp_path: Path) -> None:
    out_csv, out_pq = tmp_path / "m.csv", tmp_path / "m.parquet"
    assert runner.invoke(app, ["parse", str(chat), "--format", "csv", "-o", str(out_csv)]).exit_code == 0
    rows = list(csv.DictReader(io.StringIO(out_csv.read_text(encoding="utf-8"))))
    assert len(rows) == 8 and list(rows[0]) == list(MESSAGE_SCHEMA)
    assert rows[2]["text"] == "hey you\nhow did you sleep?" and rows[1]["timestamp"] == "2024-03-12T09:14:00"
    assert runner.invoke(app, ["parse", str(chat), "-f", "parquet", "-o", str(out_pq)]).exit_code == 0
    frame = pl.read_parquet(out_pq)
    assert dict(frame.schema) == MESSAGE_SCHEMA and frame.height == 8
    assert not list(tmp_path.glob(".*.tmp"))  # no temporary files left behind
    assert {p.stat().st_mode & 0o777 for p in (out_csv, out_pq)} == {0o600}  # private, like the store
    out_jsonl = tmp_path / "m.jsonl"
    assert runner.invoke(app, ["parse", str(chat), "-o", str(out_jsonl)]).exit_code == 0
    assert [json.loads(x)["text"] for x in out_jsonl.read_text(encoding="utf-8").splitlines()] == [r["text"] for r in rows]
    by_name = tmp_path / "by_name.parquet"  # no --format: the extension decides
    assert runner.invoke(app, ["parse", str(chat), "-o", str(by_name)]).exit_code == 0
    assert pl.read_parquet(by_name).equals(frame)


def test_parse_alone_imports_only_its_command_module(chat: Path, tmp_path: Path) -> None:
    """``ebbtide parse`` is timed as a whole process: it leaves the other command modules (analysis, web,
    store commands) unimported, and writes the same output as the full application."""
    import os
    import subprocess
    import sys

    probe = ("import sys; from ebbtide.cli import main\n"
             "try:\n    main()\nfinally:\n"
             "    print(sorted(m for m in sys.modules if m.startswith('ebbtide.cli.')), file=sys.stderr)")
    out = tmp_path / "fast.jsonl"
    done = subprocess.run([sys.executable, "-c", probe, "parse", str(chat), "-o", str(out)],
                          env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    loaded = done.stderr.strip().splitlines()[-1]
    assert "ebbtide.cli.data_cmds" in loaded
    assert not any(m in loaded for m in ("analysis_cmds", "web_cmds", "people_cmds", "annotate_cmd"))
    full = tmp_path / "full.jsonl"
    assert CliRunner().invoke(app, ["parse", str(chat), "-o", str(full)]).exit_code == 0
    assert out.read_bytes() == full.read_bytes()


def test_every_command_is_registered_for_whoever_runs_the_app(runner: CliRunner) -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("analyze", "demo", "parse", "import", "coverage", "people", "conversations", "serve", "lock"):
        assert command in result.stdout


def test_parse_several_files_are_concatenated(runner: CliRunner, chat: Path, tmp_path: Path) -> None:
    other = write(tmp_path / "second.txt", ["01/04/2024, 10:00 - Kim: hello\n", "01/04/2024, 10:01 - Lee: hi\n"])
    result = runner.invoke(app, ["parse", str(chat), str(other)])
    assert result.exit_code == 0, result.stderr
    senders = [json.loads(line)["sender"] for line in result.stdout.splitlines()]
    assert len(senders) == 10 and senders[-2:] == ["Kim", "Lee"]
    assert "second.txt" in result.stderr and "WhatsApp Chat with Sam.txt" in result.stderr


def test_parse_date_order_override(runner: CliRunner, tmp_path: Path) -> None:
    ambiguous = write(tmp_path / "a.txt", ["03/04/2024, 09:14 - Alex: hi\n", "03/04/2024, 09:15 - Sam: hey\n"])
    guessed = runner.invoke(app, ["parse", str(ambiguous)])
    assert "GUESS" in guessed.stderr and "--date-order" in guessed.stderr
    mdy = runner.invoke(app, ["parse", str(ambiguous), "--date-order", "mdy"])
    assert mdy.exit_code == 0
    assert json.loads(mdy.stdout.splitlines()[0])["timestamp"] == "2024-03-04T09:14:00"


def test_parse_reports_unplaced_lines(runner: CliRunner, tmp_path: Path) -> None:
    junk_first = write(tmp_path / "j.txt", ["not a message header\n", *BODY])
    result = runner.invoke(app, ["parse", str(junk_first)])
    assert result.exit_code == 0
    assert "could not be placed" in result.stderr and "line 1: 'not a message header'" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["parse", "{missing}"], "file not found"),
        (["parse", "{chat}", "{missing}", "-o", "{out}"], "file not found"),
        (["parse", "{notes}"], "does not look like a chat export"),
        (["parse", "{chat}", "-f", "parquet"], "parquet cannot be written to the terminal"),
        (["parse", "{chat}", "-o", "{tmp}/no/such/folder/x.jsonl"], "output folder does not exist"),
        (["parse", "{chat}", "--format", "xml"], "xml"),
        (["import", "{chat}", "{missing}", "--db", "{db}"], "file not found"),
        (["import", "{notes}", "--db", "{db}"], "does not look like a chat export"),
    ],
)
def test_bad_input_exits_2_with_a_message_and_writes_nothing(runner: CliRunner, chat: Path, tmp_path: Path,
                                                             args: list[str], message: str) -> None:
    notes = write(tmp_path / "notes.txt", ["shopping list\n", "milk\n"])
    names = {"missing": tmp_path / "missing.txt", "chat": chat, "notes": notes, "out": tmp_path / "out.jsonl",
             "db": tmp_path / "s.duckdb", "tmp": tmp_path}
    result = runner.invoke(app, [a.format(**{k: str(v) for k, v in names.items()}) for a in args])
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.output
    assert not (tmp_path / "out.jsonl").exists() and not (tmp_path / "s.duckdb").exists()


# --------------------------------------------------------------------------- import and friends
def test_import_twice_then_overlapping_export(runner: CliRunner, chat: Path, tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    first = runner.invoke(app, ["import", str(chat), "--db", str(db)])
    assert first.exit_code == 0, first.stderr
    assert "8 added" in first.stdout and "0 already there" in first.stdout
    assert "Alex (you): 4" in first.stderr  # the parse report
    again = runner.invoke(app, ["import", str(chat), "--db", str(db)])
    assert "0 added" in again.stdout and "8 already there" in again.stdout
    later = write(tmp_path / "later.txt", [*BODY[3:], "16/03/2024, 12:00 - Alex: lunch?\n"])
    overlap = runner.invoke(app, ["import", str(later), "--db", str(db)])
    assert "later.txt -> whatsapp:alex+sam: 1 added, 4 already there (5 in the file)" in overlap.stdout
    with Store.open(db) as store:
        (info,) = store.conversations()
        msgs = store.messages(info.id)
    assert info.messages == 9 and info.imports == 3
    assert msgs.filter(pl.col("text") == "ok").height == 2


def test_conversations_lists_what_is_stored(runner: CliRunner, chat: Path, tmp_path: Path) -> None:
    empty = runner.invoke(app, ["conversations"])
    assert empty.exit_code == 0 and "Nothing stored yet" in empty.stdout
    assert not (tmp_path / "default" / "ebbtide.duckdb").exists()  # listing creates no store
    assert runner.invoke(app, ["import", str(chat)]).exit_code == 0  # EBBTIDE_DB decides where
    listed = runner.invoke(app, ["conversations"])
    assert listed.exit_code == 0
    for expected in ("whatsapp", "Alex, Sam", "2024-03-12", "2024-03-15", " 8 "):
        assert expected in listed.stdout
    assert (tmp_path / "default" / "ebbtide.duckdb").exists()


def test_forget_needs_confirmation_without_a_terminal(runner: CliRunner, chat: Path, tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    runner.invoke(app, ["import", str(chat), "--db", str(db)])
    refused = runner.invoke(app, ["forget", "Sam", "--db", str(db)])
    assert refused.exit_code == 2 and "--yes" in refused.stderr
    with Store.open(db) as store:
        assert len(store.conversations()) == 1
    done = runner.invoke(app, ["forget", "Sam", "--yes", "--db", str(db)])
    assert done.exit_code == 0 and "Deleted" in done.stdout
    with Store.open(db) as store:
        assert store.conversations() == []


def test_forget_asks_on_a_terminal(runner: CliRunner, chat: Path, tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "s.duckdb"
    runner.invoke(app, ["import", str(chat), "--db", str(db)])
    monkeypatch.setattr(stored_cmds, "_interactive", lambda: True)
    kept = runner.invoke(app, ["forget", "alex", "--db", str(db)], input="n\n")
    assert kept.exit_code == 1 and "Nothing deleted" in kept.stderr
    gone = runner.invoke(app, ["forget", "alex", "--db", str(db)], input="y\n")
    assert gone.exit_code == 0, gone.stderr
    with Store.open(db) as store:
        assert store.conversations() == []


def test_forget_all_and_argument_errors(runner: CliRunner, chat: Path, tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    runner.invoke(app, ["import", str(chat), "--db", str(db)])
    for args in (["forget"], ["forget", "Sam", "--all"]):
        bad = runner.invoke(app, [*args, "--yes", "--db", str(db)])
        assert bad.exit_code == 2 and "a conversation or --all" in bad.stderr
    unknown = runner.invoke(app, ["forget", "Jordan", "--yes", "--db", str(db)])
    assert unknown.exit_code == 2 and "no conversation matches 'Jordan'" in unknown.stderr
    everything = runner.invoke(app, ["forget", "--all", "--yes", "--db", str(db)])
    assert everything.exit_code == 0 and "Deleted everything: 1 conversations, 8 messages" in everything.stdout
    assert b"how did you sleep" not in db.read_bytes()
    nothing = runner.invoke(app, ["forget", "--all", "--yes", "--db", str(tmp_path / "none.duckdb")])
    assert nothing.exit_code == 0 and not (tmp_path / "none.duckdb").exists()


def test_parse_report_lines_for_a_synthetic_report() -> None:
    frame = messages_to_frame([
        Msg(datetime(2024, 1, 2, 9), "Me", "hi"), Msg(datetime(2024, 1, 5, 9), "You", "", kind=MessageKind.MEDIA),
        Msg(datetime(2024, 1, 5, 10), "", "sys", kind=MessageKind.SYSTEM),
    ])
    report = ParseReport(
        "c.txt", Platform.WHATSAPP, "iOS, 12 h", me="Me", date_order_decided=False,
        date_order=None, warnings=("something odd",),
        unplaced_lines=tuple(UnplacedLine(i, "x" * 200, "junk") for i in range(1, 9)),
    )
    lines = parse_report_lines(report, frame, max_unplaced=3)
    text = "\n".join(lines)
    assert lines[0] == "c.txt: whatsapp (iOS, 12 h)"
    assert "3 messages from 2024-01-02 to 2024-01-05" in text
    assert "Me (you): 1" in text and "You: 1" in text
    assert "not plain text: media 1, system 1" in text
    assert "8 lines could not be placed" in text and "… and 5 more" in text and "(junk)" in text
    assert max(len(line) for line in lines) < 120  # long lines are clipped
    assert "warning: something odd" in text


def test_import_several_files_and_an_interrupted_import(runner: CliRunner, chat: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "s.duckdb"
    other = write(tmp_path / "kim.txt", ["01/04/2024, 10:00 - Kim: hello\n", "01/04/2024, 10:01 - Lee: hi\n"])
    both = runner.invoke(app, ["import", str(chat), str(other), "--db", str(db)])
    assert both.exit_code == 0, both.stderr
    assert "WhatsApp Chat with Sam.txt -> whatsapp:alex+sam: 8 added" in both.stdout
    assert "kim.txt -> " in both.stdout and ": 2 added" in both.stdout
    assert "reading" not in both.stderr and "━" not in both.stderr  # no progress bar without a terminal

    def interrupted(self: Store, *args: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(Store, "_merge", interrupted)
    later = write(tmp_path / "later.txt", ["20/03/2024, 12:00 - Alex: lunch?\n"])
    stopped = runner.invoke(app, ["import", str(later), "--db", str(db)])
    assert stopped.exit_code == 130 and "nothing from later.txt was stored" in stopped.stderr
    monkeypatch.undo()
    with Store.open(db) as store:
        assert sorted(i.messages for i in store.conversations()) == [2, 8]


def test_import_under_a_chosen_conversation_id(runner: CliRunner, chat: Path, tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    other = write(tmp_path / "renamed.txt", ["16/03/2024, 12:00 - Alex M.: lunch?\n", "16/03/2024, 12:05 - Sam: yes\n"])
    for path in (chat, other):
        result = runner.invoke(app, ["import", str(path), "--conversation-id", "us", "--db", str(db)])
        assert result.exit_code == 0, result.stderr
    with Store.open(db) as store:
        (info,) = store.conversations()
    assert info.id == "us" and info.messages == 10 and info.participants == ("Alex", "Sam", "Alex M.")
