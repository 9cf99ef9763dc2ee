"""The Python API (docs/api.md): every example on the page runs, against the bundled demo chat,
and the API gives the same report as the CLI."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import ebbtide
from ebbtide.cli import app
from ebbtide.errors import EbbtideError, UnknownParticipant
from ebbtide.simulate.demo import DEMO_PATH

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "api.md"
BLOCKS = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)


@pytest.fixture
def demo_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copy(DEMO_PATH, tmp_path / "demo.txt")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("EBBTIDE_DB", str(tmp_path / "default.duckdb"))
    return tmp_path


def test_the_page_has_examples() -> None:
    assert len(BLOCKS) >= 5


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_docs_example_runs(index: int, demo_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    exec(compile(BLOCKS[index], f"docs/api.md example {index + 1}", "exec"), {"__name__": "__docs__"})
    assert capsys.readouterr().out.strip(), "every example prints something"
    assert (demo_dir / "demo.txt").read_bytes() == DEMO_PATH.read_bytes()  # inputs never modified


def test_api_report_is_the_cli_report(demo_dir: Path) -> None:
    """ebbtide.analyze and `ebbtide analyze --no-store` give the same JSON report."""
    out = demo_dir / "cli.json"
    result = CliRunner().invoke(app, ["analyze", "demo.txt", "--me", "Alex", "--no-store", "--not-afraid",
                                      "--json", str(out)])
    assert result.exit_code == 0, result.output
    report = ebbtide.analyze("demo.txt", me="Alex", afraid=False)
    assert json.loads(report.to_json()) == json.loads(out.read_text())


def test_api_asks_nothing_and_names_the_choices(demo_dir: Path) -> None:
    chat = ebbtide.read("demo.txt")
    assert set(chat.participants) == {"Alex", "Sam"} and chat.conversation_id in repr(chat)
    with pytest.raises(UnknownParticipant) as no_me:
        ebbtide.analyze(chat.messages)  # a bare frame: nobody says who exported it
    assert "Alex" in no_me.value.message and "Sam" in no_me.value.message
    with pytest.raises(UnknownParticipant, match="'Robin' did not write"):
        ebbtide.analyze(chat, me="Robin")
    with pytest.raises(EbbtideError, match="START:END"):
        ebbtide.analyze(chat, me="Alex", baseline="2025-01-06")
    with pytest.raises(EbbtideError, match="file not found"):
        ebbtide.read("missing.txt")


def test_a_group_chat_needs_the_partner(tmp_path: Path) -> None:
    import polars as pl

    from ebbtide.simulate import generate_large

    two = generate_large(3000, seed=1)
    third = two.head(900).with_columns(sender=pl.lit("Robin"))
    group = pl.concat([two, third]).sort("timestamp")
    with pytest.raises(EbbtideError, match="group chat") as err:
        ebbtide.analyze(group, me="Alex")
    assert "partner=" in err.value.message
    report = ebbtide.analyze(group, me="Alex", partner="Sam")
    assert report.partner == "Sam"
    assert any("group chat" in n for n in report.assessment.coverage.notes)


def test_import_ebbtide_is_light() -> None:
    """`import ebbtide` loads neither Polars nor the API until the API is used."""
    code = ("import sys, ebbtide; heavy = [m for m in ('polars', 'duckdb', 'ebbtide.api') if m in sys.modules];"
            "print(heavy); assert not heavy; assert callable(ebbtide.analyze); assert 'ebbtide.api' in sys.modules")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_read_names_the_chats_of_a_multi_chat_export(monkeypatch: pytest.MonkeyPatch) -> None:
    """As --chat: an export with several chats is read only when one is named; the error lists them."""
    from ebbtide.errors import ChooseChat

    monkeypatch.delenv("EBBTIDE_CHAT", raising=False)
    export = ROOT / "tests" / "fixtures" / "telegram" / "full_export_two_chats.json"
    with pytest.raises(ChooseChat) as several:
        ebbtide.read(export)
    assert "Robin" in several.value.message
    chat = ebbtide.read(export, chat="Robin")
    assert "Robin" in chat.participants and len(chat) >= 15
