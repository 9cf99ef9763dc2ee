"""--chat NAME: one behaviour for every export that holds several conversations (issue 17, part 5).

Without a choice, the chats are listed and asked for on a terminal; anywhere else the command exits 2
with the list. ``--chat`` works on parse, import and analyze; the EBBTIDE_CHAT variable stays the
fallback.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ebbtide.cli import app, data_cmds

runner = CliRunner()
FIX = Path(__file__).parent / "fixtures"
TELEGRAM = FIX / "telegram" / "full_export_two_chats.json"  # personal chats: Robin (15 messages), Mum (id 333)
SNAPCHAT = FIX / "snapchat" / "chat_history_new.json"  # river.k, b0a1f5e2-group
GOOGLE = FIX / "google_chat" / "Takeout"  # DM 7Hq2xAAAAE, Space AAAAqw3e


@pytest.fixture(autouse=True)
def _no_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EBBTIDE_CHAT", raising=False)


def _parse(*args: str, stdin: str | None = None) -> tuple[int, str, list[dict[str, object]]]:
    result = runner.invoke(app, ["parse", *args, "-o", "-"], input=stdin, env={"COLUMNS": "40"})
    records = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    return result.exit_code, result.stderr, records


@pytest.mark.parametrize(("path", "first", "second"), [(TELEGRAM, "Robin", "Mum"),
                                                        (SNAPCHAT, "river.k", "b0a1f5e2-group"),
                                                        (GOOGLE, "DM 7Hq2xAAAAE", "Space AAAAqw3e")])
def test_without_a_choice_and_no_terminal_the_chats_are_listed_and_exit_2(path: Path, first: str,
                                                                            second: str) -> None:
    code, stderr, records = _parse(str(path))
    assert code == 2 and records == []
    flat = " ".join(stderr.split())
    assert first in flat and second in flat and "--chat" in flat and "EBBTIDE_CHAT" in flat
    assert "Traceback" not in stderr


@pytest.mark.parametrize(("path", "chat", "expected"), [(TELEGRAM, "robin", 15), (TELEGRAM, "333", 2),
                                                         (SNAPCHAT, "b0a1f5e2-group", 1),
                                                         (GOOGLE, "Space AAAAqw3e", 1)])
def test_the_chat_option_reads_that_chat(path: Path, chat: str, expected: int) -> None:
    code, stderr, records = _parse(str(path), "--chat", chat)
    assert code == 0, stderr
    assert len(records) == expected


def test_the_option_wins_over_the_variable_which_stays_the_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EBBTIDE_CHAT", "Mum")
    assert len(_parse(str(TELEGRAM))[2]) == 2
    assert len(_parse(str(TELEGRAM), "--chat", "Robin")[2]) == 15


def test_a_chat_that_is_not_there_lists_the_chats(tmp_path: Path) -> None:
    code, stderr, _ = _parse(str(SNAPCHAT), "--chat", "nobody")
    flat = " ".join(stderr.split())
    assert code == 2 and "no conversation called 'nobody'" in flat and "river.k" in flat


def test_on_a_terminal_the_user_is_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(data_cmds, "can_ask", lambda: True)
    code, stderr, records = _parse(str(TELEGRAM), stdin="2\n")  # the second listed: Mum
    assert code == 0, stderr
    assert "1. Robin" in stderr and "2. Mum" in stderr and "Which chat?" in stderr
    assert len(records) == 2
    code, stderr, records = _parse(str(SNAPCHAT), stdin="river.k\n")  # or by name
    assert code == 0 and len(records) == 6


def test_import_takes_the_option_and_stores_nothing_without_a_choice(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    refused = runner.invoke(app, ["import", str(TELEGRAM), "--db", str(db)], env={"COLUMNS": "40"})
    assert refused.exit_code == 2 and "Robin" in refused.stderr
    assert not db.exists()
    done = runner.invoke(app, ["import", str(TELEGRAM), "--db", str(db), "--chat", "Robin"],
                         env={"COLUMNS": "40"})
    assert done.exit_code == 0, done.stderr
    assert "15 added" in done.stdout


def test_analyze_takes_the_option(tmp_path: Path) -> None:
    refused = runner.invoke(app, ["analyze", str(TELEGRAM), "--me", "Kai", "--no-store"], env={"COLUMNS": "40"})
    assert refused.exit_code == 2 and "Robin" in refused.stderr and "--chat" in refused.stderr
    help_text = runner.invoke(app, ["analyze", "--help"], env={"COLUMNS": "200"}).stdout
    assert "--chat" in help_text


def test_a_zip_of_a_full_export_behaves_the_same(tmp_path: Path) -> None:
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(TELEGRAM, "result.json")
    code, stderr, _ = _parse(str(archive))
    assert code == 2 and "Robin" in stderr
    assert len(_parse(str(archive), "--chat", "Mum")[2]) == 2
