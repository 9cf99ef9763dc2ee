"""The report to share (``analyze --share``, the web's Share page): no message text, no names.

What is proved, on the bundled demo, on simulated couples (with names, phone numbers, e-mail
addresses, handles and rare words planted in their messages) and on the shared sample exports:

- every word of the share report (HTML with the chart library taken out, and JSON) is a word of our
  own fixed vocabulary (the wording files, the share template, the report/signals/insight source,
  month and day names) or a number: nothing else can have come from the chat;
- in particular no token of 4+ letters of any message that is not one of those ordinary words, no
  name or part of a name of anyone in the chat, no file name or chat id, and no planted phone number,
  e-mail address or handle appears;
- the checker is not vacuous: the full report of the same chat does contain names and message words.
"""

from __future__ import annotations

import calendar
import html as html_lib
import json
import re
import stat
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from ebbtide.cli import app
from ebbtide.model import MESSAGE_SCHEMA, Platform, senders_by_volume
from ebbtide.pipeline import run_analysis
from ebbtide.report.html import _plotly_js, render_html
from ebbtide.report.share import (
    find_leaks,
    forbidden_strings,
    ordinary_words,
    render_share,
    scrub,
    share_data,
)
from ebbtide.simulate import simulate_couple

SRC = Path(__file__).parents[1] / "src" / "ebbtide"
SAMPLES = Path(__file__).parents[2] / "shared" / "samples"
TOKEN = re.compile(r"[^\W\d_]+")
PLANTED = ("+44 7700 900461", "07700900461", "kim.lorenzo@example.org", "@kimlorenzo88", "Quokkaville",
           "zephyrine", "Bartholomäus")


def tokens(text: str) -> set[str]:
    return set(TOKEN.findall(text.casefold()))


@cache
def vocabulary() -> frozenset[str]:
    """Words we wrote: wording files, templates, and the source of the layers the share report is built from."""
    found: set[str] = set()
    files = [*(SRC / "insight" / "data").glob("*.toml"), *(SRC / "report" / "templates").glob("*.j2")]
    for folder in ("report", "signals", "insight"):
        files += (SRC / folder).glob("*.py")
    for f in files:
        found |= tokens(f.read_text(encoding="utf-8"))
    found |= {w.casefold() for w in (*calendar.month_name[1:], *calendar.day_name)}
    found |= {t for p in Platform for t in tokens(p.value)}  # the messengers the chat came from
    return frozenset(found)


def visible(text: str) -> str:
    """The share page without the chart library (the same bytes for every chat, not ours to word), with
    HTML entities read back ("&amp;" is "&", not a word)."""
    return html_lib.unescape(text.replace(_plotly_js(), ""))


def chat_words(messages: pl.DataFrame) -> set[str]:
    texts = messages.filter(pl.col("kind") == "text").get_column("text").to_list()
    return {t for text in texts for t in tokens(text) if len(t) >= 4}


def check_share(messages: pl.DataFrame, me: str, partner: str, *, simulated: bool = False) -> None:
    analysis = run_analysis(messages, me=me, partner=partner)
    a, i = analysis.assessment, analysis.insight
    html = visible(render_share(a, i, as_json=False, messages=messages, simulated=simulated))
    js = render_share(a, i, as_json=True, messages=messages, simulated=simulated)
    json.loads(js)
    for text in (html, js):
        words = tokens(text)
        # 1. Only our own words.
        foreign = words - vocabulary()
        assert not foreign, f"words not from our own wording: {sorted(foreign)[:20]}"
        # 2. No distinctive word of any message.
        leaked = (chat_words(messages) - vocabulary()) & words
        assert not leaked, sorted(leaked)[:20]
        # 3. No name (or part of one), no file name, no chat id.
        assert not find_leaks(text, forbidden_strings(messages, me, partner))
        for name in senders_by_volume(messages):
            for part in re.split(r"[\s._\-@+()]+", name):
                if len(part) >= 3 and part.casefold() not in ordinary_words():
                    assert part.casefold() not in words, part
        # 4. No planted phone number, address or handle, in any spelling.
        flat = re.sub(r"\s", "", text).casefold()
        for item in PLANTED:
            assert re.sub(r"\s", "", item).casefold() not in flat, item
        assert "900461" not in flat
    # The checker can see a leak: the full report of the same chat names the people.
    full = visible(render_html(a, i, include_charts=False))
    assert find_leaks(full, forbidden_strings(messages, me, partner))


def _planted(frame: pl.DataFrame, me: str, partner: str) -> pl.DataFrame:
    """Messages with a phone number, an address, a handle, a place and a rare word, from both people."""
    t0 = frame.get_column("timestamp").min()
    assert isinstance(t0, datetime)
    texts = [(partner, "call me on +44 7700 900461 or 07700900461"), (me, "my new mail is kim.lorenzo@example.org"),
             (partner, "follow @kimlorenzo88 haha"), (me, "back from Quokkaville, zephyrine tea was great"),
             (partner, "Bartholomäus says hi"), (me, f"love you {partner}"), (partner, f"miss you {me}")]
    rows = [{"timestamp": t0 + timedelta(days=3 + k, hours=k), "utc_offset_min": None, "sender": who, "text": text,
             "kind": "text", "edited": False, "platform": "simulated", "conversation_id": frame["conversation_id"][0],
             "source_file": "WhatsApp Chat with Kim Lorenzo.txt", "source_line": 10_000 + k}
            for k, (who, text) in enumerate(texts)]
    extra = pl.DataFrame(rows, schema=MESSAGE_SCHEMA)
    return pl.concat([frame, extra]).sort("timestamp", maintain_order=True)


def test_share_demo_has_no_text_and_no_names() -> None:
    from ebbtide.simulate.demo import demo_chat

    chat = demo_chat()
    check_share(chat.messages, chat.truth.me, chat.truth.partner, simulated=True)


@pytest.mark.parametrize(("scenario", "seed", "me", "partner"), [
    ("partner_pulling_away", 3, "Kim Lorenzo", "Jean-Luc Beaumont"),
    ("pursue_withdraw", 5, "María José", "+44 7700 900461"),
    ("recovered_dip", 2, "Aoife", "kim.lorenzo@example.org"),
    ("stable", 1, "Ngozi", "Wojciech"),
])
def test_share_simulated_couples(scenario: str, seed: int, me: str, partner: str) -> None:
    chat = simulate_couple(scenario, seed=seed, weeks=24, me=me, partner=partner)
    check_share(_planted(chat.messages, me, partner), me, partner)


def _sample_files() -> list[Path]:
    if not SAMPLES.exists():
        return []
    return sorted(p for p in SAMPLES.rglob("*") if p.is_file() and p.suffix in {".txt", ".json", ".csv", ".xml"}
                  and p.name.lower() != "readme.md")[:40]


@pytest.mark.skipif(not SAMPLES.exists(), reason="needs ../shared/samples (the shared sample exports), not present")
def test_share_on_shared_samples() -> None:
    from ebbtide.errors import EbbtideError
    from ebbtide.importers import read_export

    checked = 0
    for path in _sample_files():
        try:
            parsed = read_export(path)
        except (EbbtideError, ValueError, OSError):
            continue
        messages = parsed.messages
        people = senders_by_volume(messages)
        if len(people) < 2 or messages.filter(pl.col("kind") == "text").height < 4:
            continue
        me, partner = people[1], people[0]
        couple = messages.filter(pl.col("sender").is_in([me, partner, ""]))
        check_share(couple, me, partner)
        checked += 1
    assert checked >= 3, f"only {checked} shared samples could be checked"


def test_scrub_replaces_names_and_possessives() -> None:
    assert scrub("no lasting shift in Sam Lee's overall contact", "Alex", "Sam Lee") == \
        "no lasting shift in your partner's overall contact"
    assert scrub("Alex's side; Alex wrote", "Alex", "Sam") == "your side; you wrote"
    assert scrub("they will see", "Will", "Sam") == "they will see"


def test_share_json_structure_roles_and_left_out() -> None:
    chat = simulate_couple("partner_pulling_away", seed=1, weeks=24, me="Kim", partner="Jo")
    analysis = run_analysis(chat.messages, me="Kim", partner="Jo")
    data = share_data(analysis.assessment, analysis.insight)
    assert data["format"] == "ebbtide-share" and data["version"] == 1
    assert {s["role"] for s in data["signs"]} == {"you", "partner"}
    assert {w["role"] for w in data["weekly"]} == {"you", "partner"}
    assert data["coverage"]["by_role"]["you"] + data["coverage"]["by_role"]["partner"] == \
        chat.messages.filter(pl.col("sender") != "").height
    assert any("text of every message" in x for x in data["left_out"])
    for s in data["signs"]:
        assert "evidence" not in s


def test_cli_demo_share_html_json_private(tmp_path: Path) -> None:
    runner = CliRunner()
    html, js = tmp_path / "summary.html", tmp_path / "summary.json"
    r = runner.invoke(app, ["demo", "--share", str(html)])
    assert r.exit_code == 0, r.output
    assert stat.S_IMODE(html.stat().st_mode) == 0o600
    page = html.read_text(encoding="utf-8")
    assert "What is left out of this summary" in page and "Sam" not in visible(page).split("</style>", 1)[1]
    r = runner.invoke(app, ["demo", "--share", str(js)])
    assert r.exit_code == 0, r.output
    assert stat.S_IMODE(js.stat().st_mode) == 0o600
    assert json.loads(js.read_text(encoding="utf-8"))["format"] == "ebbtide-share"
    other = tmp_path / "summary.txt"
    r = runner.invoke(app, ["demo", "--share", str(other), "--share-format", "json"])
    assert r.exit_code == 0 and json.loads(other.read_text(encoding="utf-8"))["version"] == 1


def test_cli_share_errors(tmp_path: Path) -> None:
    runner = CliRunner()
    r = runner.invoke(app, ["demo", "--share", str(tmp_path / "x.html"), "--share-format", "pdf"])
    assert r.exit_code == 2 and "share format" in r.output
    r = runner.invoke(app, ["demo", "--share", str(tmp_path / "missing" / "x.html")])
    assert r.exit_code == 2 and "--share" in r.output
    assert not (tmp_path / "missing").exists()
