"""The safety path end to end: a real-looking export through ``ebbtide analyze``.

A calm chat with one ambiguous word shows the question, never safety first; the answer is
remembered in the store; clear danger in the messages puts safety first and names "these messages".
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from ebbtide.cli import app

runner = CliRunner()


def _export(tmp: Path, extra: str | None, seed: int = 5) -> Path:
    from ebbtide.simulate import simulate_couple, write_whatsapp_export

    msgs = simulate_couple("stable", seed=seed, weeks=16).messages
    if extra is not None:  # one message of Sam's, half-way through, gets the given words
        idx = msgs.with_row_index().filter(pl.col("sender") == "Sam").get_column("index")[200]
        msgs = msgs.with_row_index().with_columns(
            pl.when(pl.col("index") == idx).then(pl.lit(extra)).otherwise(pl.col("text")).alias("text")
        ).drop("index")
    return write_whatsapp_export(msgs, tmp / "chat.txt")


def _analyze(path: Path, db: Path, *flags: str) -> tuple[str, dict]:
    out = db.parent / "r.json"
    result = runner.invoke(app, ["analyze", str(path), "--me", "Alex", "--db", str(db), "--json", str(out),
                                 "--country", "uk", *flags], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    # The report as one line: at a narrow terminal a quoted message wraps inside its panel.
    flat = re.sub(r"[│╭╮╰╯─\s]+", " ", result.stdout)
    return flat, json.loads(out.read_text(encoding="utf-8"))


@pytest.fixture()
def calm(tmp_path: Path) -> Path:
    return _export(tmp_path, "you hurt me so much yesterday")


def test_a_calm_chat_with_one_ambiguous_word_asks_the_question(calm: Path, tmp_path: Path) -> None:
    text, data = _analyze(calm, tmp_path / "s.duckdb")
    assert data["safety"]["level"] == "ask" and not data["safety"]["safety_first"]
    assert "you hurt me so much yesterday" in text and "Your safety comes first" not in text
    assert text.index("are you safe?") < text.index("What you can do")
    assert data["reasons"] and data["faq"]  # the usual report below


def test_the_answer_is_remembered_in_the_store(calm: Path, tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    _, first = _analyze(calm, db, "--not-afraid")
    assert first["safety"]["level"] == "none"
    _, again = _analyze(calm, db)
    assert again["safety"]["level"] == "none"  # the "no" is kept: no question again
    text, yes = _analyze(calm, db, "--afraid")
    assert yes["safety"]["level"] == "first" and "You said" in text
    _, still = _analyze(calm, db)
    assert still["safety"]["level"] == "first"


def test_clear_danger_in_the_messages_puts_safety_first_and_names_them(tmp_path: Path) -> None:
    path = _export(tmp_path, "give me your phone password or you'll regret it")
    text, data = _analyze(path, tmp_path / "s.duckdb", "--not-afraid")
    assert data["safety"]["level"] == "first" and data["safety"]["message"].startswith("These messages")
    assert data["reasons"] == [] and data["faq"] == []
    assert text.index("999") < text.index("What you can do")
