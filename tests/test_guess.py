"""Your guess first: parsing answers, the side-by-side sentences, the store table, the terminal flow
(never in a script) and the web pages."""

from __future__ import annotations

import re
import stat
from datetime import datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

import ebbtide.cli.guess_cmd as guess_cmd
from ebbtide.cli import app
from ebbtide.insight.guess import compare, measured, parse_answer, questions
from ebbtide.pipeline import run_analysis
from ebbtide.simulate import DEMO_PATH
from ebbtide.simulate.demo import demo_chat
from ebbtide.store import Store
from ebbtide.store.guesses import Guess, guess_rounds, save_guesses


@pytest.fixture(scope="module")
def demo():
    chat = demo_chat()
    return run_analysis(chat.messages, me="Alex", partner="Sam").assessment


def test_parse_answer() -> None:
    assert parse_answer("reply_minutes_me", "5") == 5.0
    assert parse_answer("reply_minutes_me", "2h") == 120.0
    assert parse_answer("reply_minutes_me", "1,5 hours") == 90.0
    assert parse_answer("messages_me", "150") == 150.0
    assert parse_answer("messages_me", "lots") is None
    assert parse_answer("starts_me", "11") is None and parse_answer("starts_me", "3") == 3.0
    assert parse_answer("trend_partner", "LESS") == "less" and parse_answer("trend_partner", "same") == "same"
    assert parse_answer("trend_partner", "") is None


def test_side_by_side_sentences_use_the_report_s_figures(demo) -> None:
    assert [f for f, _ in questions(demo)] == ["reply_minutes_me", "reply_minutes_partner", "messages_me",
                                                "messages_partner", "starts_me", "trend_me", "trend_partner"]
    assert all("Sam" in q for f, q in questions(demo) if f.endswith("partner"))
    m = measured(demo, "messages_partner")
    assert isinstance(m, float)
    rows = {r.figure: r for r in compare(demo, {"messages_partner": m * 3, "reply_minutes_partner": 19.0,
                                                "messages_me": 1.0, "starts_me": 2.0, "trend_partner": "less"})}
    assert rows["messages_partner"].sentence == "The chat shows less than you guessed."
    assert rows["reply_minutes_partner"].sentence == "Close to what the chat shows."
    assert rows["messages_me"].sentence == "The chat shows more than you guessed."
    assert "very human response" in rows["starts_me"].sentence  # the user's own side of a pursue-withdraw loop
    assert rows["trend_partner"].sentence == "The chat shows the same."
    for r in rows.values():
        assert not re.search(r"\b(wrong|score|accura|mistaken)", r.sentence, re.I)
    earlier = [(datetime(2025, 10, 1), {"messages_partner": 20.0})]
    row = compare(demo, {"messages_partner": 60.0}, earlier)[0]
    assert "Last time (1 October 2025) you guessed 20 a week." in row.sentence


def test_store_keeps_rounds_and_forget_clears_them(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    with Store.open(path) as store:
        from ebbtide.importers import read_export

        cid = store.import_export(read_export(DEMO_PATH), source_path=DEMO_PATH).conversation_id
        save_guesses(store, cid, [Guess("messages_me", 10.0), Guess("trend_partner", None, "less")],
                     made=datetime(2025, 1, 1, 9))
        save_guesses(store, cid, [Guess("messages_me", 12.0)], made=datetime(2025, 2, 1, 9))
        rounds = guess_rounds(store, cid)
        assert [w for w, _ in rounds] == [datetime(2025, 1, 1, 9), datetime(2025, 2, 1, 9)]
        assert rounds[0][1]["trend_partner"].label == "less" and rounds[1][1]["messages_me"].value == 12.0
        store.forget(cid)
        assert guess_rounds(store, cid) == []
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_script_is_never_asked(tmp_path: Path) -> None:
    r = CliRunner().invoke(app, ["analyze", str(DEMO_PATH), "--me", "Alex", "--no-store", "--not-afraid"])
    assert r.exit_code == 0 and "Guess first?" not in r.output and "Your guess and the chat" not in r.output


def test_terminal_flow_shows_and_remembers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(guess_cmd, "_terminal", lambda: True)
    db = tmp_path / "s.duckdb"
    args = ["analyze", str(DEMO_PATH), "--me", "Alex", "--db", str(db), "--not-afraid"]
    r = CliRunner().invoke(app, args, input="y\n2\n30\nlots\n150\n60\n3\nsame\nless\n")
    assert r.exit_code == 0, r.output
    assert "Your guess and the chat" in r.output and "Please type a number" in r.output
    assert r.output.index("Your guess and the chat") < r.output.index("What the chat suggests")
    r = CliRunner().invoke(app, ["analyze", "--me", "Alex", "--db", str(db), "--guess"], input="5\n\n\n\n\n\nsame\n")
    assert r.exit_code == 0, r.output
    assert "Guess first?" not in r.output and "Last" in r.output  # "Last time (...) you guessed ..." (wrapped)
    with Store.open(db) as store:
        cid = store.conversations()[0].id
        rounds = guess_rounds(store, cid)
    assert len(rounds) == 2 and rounds[1][1]["trend_partner"].label == "same"
    r = CliRunner().invoke(app, ["analyze", "--me", "Alex", "--db", str(db), "--no-guess"])
    assert r.exit_code == 0 and "Your guess and the chat" not in r.output
    r = CliRunner().invoke(app, ["analyze", "--me", "Alex", "--db", str(db)], input="\n")  # Enter skips
    assert r.exit_code == 0 and "Guess first?" in r.output and "Your guess and the chat" not in r.output


def test_web_guess_first(tmp_path: Path) -> None:
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from ebbtide.web import create_app

    client = TestClient(create_app(tmp_path / "store.duckdb", token="t-guess", allowed_hosts=("testserver",)))
    assert client.get("/?t=t-guess").status_code == 200
    r = client.post("/import", files=[("files", ("demo_whatsapp.txt", Path(DEMO_PATH).read_bytes(), "text/plain"))])
    cid = re.search(r'name="conversation_id" value="([^"]+)"', r.text)
    assert cid
    client.post("/choose", data={"conversation_id": cid.group(1), "me": "Alex"})
    client.post("/safety", data={"afraid": "no", "controlled": "no", "country": "uk"})
    assert 'href="/guess"' in client.get("/overview").text
    page = client.get("/guess").text
    assert "how long do they usually take to answer you" in page and "19.1" not in page  # no figures before
    r = client.post("/guess", data={"reply_minutes_partner": "30", "trend_partner": "less", "messages_me": ""})
    assert r.status_code == 200 and "Your guess and the chat" in r.text and "19.1 minutes" in r.text
    assert 'href="/guess"' not in client.get("/overview").text.split("<main", 1)[1].split("Week by week")[0]
    r = client.post("/guess", data={"reply_minutes_partner": "20"})
    assert "Last time" in r.text
