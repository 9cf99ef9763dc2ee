"""Ruptures and repairs (features/repair.py, signals/ruptures.py, insight/repair.py): the word lists on our
labelled set, planted ruptures and repair bids on simulated couples in five languages, the wording
(only when the data supports it), the safety rule, and the reports."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from ebbtide.cli import app
from ebbtide.features import build_features
from ebbtide.features.repair import CATEGORIES, COLUMNS, mark_texts
from ebbtide.insight.repair import days_words, summary
from ebbtide.model import MESSAGE_SCHEMA
from ebbtide.pipeline import run_analysis
from ebbtide.signals.ruptures import find_ruptures
from ebbtide.simulate import simulate_couple
from ebbtide.simulate.ruptures import PHRASES, Planted, plant_ruptures

SET = Path(__file__).parent / "fixtures" / "repair" / "labelled.jsonl"
DOC = Path(__file__).parents[1] / "docs" / "json-report.md"
LANGS = ("en", "es", "de", "fr", "pt")


def _plan(lang: str) -> list[Planted]:
    return [Planted(40, "conflict", "partner", 4, lang, ("apology",), "partner"),
            Planted(90, "cold_spell", "partner", 6, lang, ("talk", "call"), "me"),
            Planted(140, "conflict", "me", 9, lang, ("own_fault", "humour"), "me"),
            Planted(185, "conflict", "partner", 21, lang, ("apology", "talk"), "partner")]


@cache
def planted(lang: str, seed: int = 3) -> tuple[pl.DataFrame, tuple]:
    chat = simulate_couple("stable", seed=seed, weeks=30, me="Alex", partner="Sam")
    return plant_ruptures(chat.messages, _plan(lang), me="Alex", partner="Sam", seed=seed)


# --------------------------------------------------------------------------- the word lists
def _rows(part: str) -> list[dict]:
    return [r for line in SET.read_text(encoding="utf-8").splitlines() if line.strip()
            and (r := json.loads(line))["part"] == part]


@pytest.mark.parametrize("part", ["dev", "held"])
def test_labelled_set_precision_and_recall(part: str) -> None:
    """Floors under the figures in docs/repair.md (held part: measured once, never tuned on)."""
    rows = _rows(part)
    assert {r["lang"] for r in rows} == set(LANGS)
    marked = mark_texts(pl.Series([r["text"] for r in rows]))
    for cat in CATEGORIES:
        got = marked.get_column(COLUMNS[cat]).to_list()
        want = [cat in r["labels"] for r in rows]
        tp = sum(g and w for g, w in zip(got, want, strict=True))
        precision = tp / max(sum(got), 1)
        recall = tp / max(sum(want), 1)
        assert sum(want) >= 5, cat
        assert precision >= 0.75 and recall >= 0.9, (part, cat, precision, recall)


def test_grammar_cancels_everyday_and_negated_phrases() -> None:
    texts = ["sorry I'm late!", "I'm not sorry", "not my fault", "no fue mi culpa", "ich bin nicht sauer",
             "je ne te déteste pas", "não quero conversar", "sorry to hear that", "perdón por la tardanza"]
    marked = mark_texts(pl.Series(texts))
    assert not any(any(row) for row in marked.rows()), marked


# --------------------------------------------------------------------------- planted ruptures
@pytest.mark.parametrize("lang", LANGS)
def test_planted_ruptures_are_found_with_their_time_to_reconnect(lang: str) -> None:
    messages, truth = planted(lang)
    found = find_ruptures(build_features(messages), me="Alex", partner="Sam")
    assert len(found) == len(truth), [(r.start, r.kind) for r in found]
    for r, t in zip(found, truth, strict=True):
        assert r.start == t.start and r.kind == t.kind
        assert r.days_to_reconnect[t.quiet] == t.reconnect_days
        other = "Alex" if t.quiet == "Sam" else "Sam"
        assert r.days_to_reconnect[other] == 0  # the other kept in touch
        assert set(t.repair) <= set(r.bid_kinds(t.repairer)), (t.repair, r.bid_list)
        assert not r.ongoing
        if t.kind == "cold_spell":
            assert r.quiet == t.quiet
        assert all(e.text for e in r.tension) and len(r.tension) <= 3


@pytest.mark.parametrize(("scenario", "seed"), [("stable", 1), ("stable", 2), ("stable_with_holiday", 2),
                                                ("partner_pulling_away", 1), ("recovered_dip", 1)])
def test_no_rupture_invented_on_ordinary_chats(scenario: str, seed: int) -> None:
    chat = simulate_couple(scenario, seed=seed)
    assert find_ruptures(build_features(chat.messages), me=chat.truth.me, partner=chat.truth.partner) == ()


def test_an_ongoing_silence_is_ongoing() -> None:
    chat = simulate_couple("stable", seed=3, weeks=20, me="Alex", partner="Sam")
    messages, _ = plant_ruptures(chat.messages, [Planted(130, "cold_spell", "partner", 30, "en", (), "me")],
                                 me="Alex", partner="Sam")
    found = find_ruptures(build_features(messages), me="Alex", partner="Sam")
    assert found and found[-1].ongoing and found[-1].days_to_reconnect["Sam"] is None


# --------------------------------------------------------------------------- wording
def test_history_faq_and_plan_use_the_couple_s_own_past() -> None:
    messages, _ = planted("de")
    analysis = run_analysis(messages, me="Alex", partner="Sam", afraid="no")
    i = analysis.insight
    assert len(i.repair) == 4
    assert "Sam after 4 days" in i.repair[0].text and "Sam with" in i.repair[0].text
    assert "Sam went quiet" in i.repair[1].text and "a call" in i.repair[1].text
    text = "After the last 3 tense or quiet spells in this chat, you were both back to your usual contact within " \
           "6 days to 3 weeks."
    answers = {a.id.value: a for a in i.faq}
    for key in ("can_recover", "how_long_space"):
        assert text in answers[key].answer and answers[key].from_history
        assert "cannot draw on your own past" not in answers[key].answer
    assert text in next(s.why for s in i.plan if s.id.value == "patience")
    # Every evidence message is one of the chat's own.
    texts = set(messages.get_column("text").to_list()) | {"(a call)"}
    assert all(e.text in texts for line in i.repair for e in line.evidence)


def test_one_past_spell_is_not_enough_for_a_summary() -> None:
    messages, _ = planted("en")
    found = find_ruptures(build_features(messages), me="Alex", partner="Sam")
    assert summary(found[:1], "Alex", "Sam") == ""
    assert summary(found[:2], "Alex", "Sam").startswith("After the last 2 tense or quiet spells")
    assert days_words(1) == "1 day" and days_words(9) == "9 days" and days_words(21) == "3 weeks"


def _with_threat(messages: pl.DataFrame) -> pl.DataFrame:
    t0 = messages.get_column("timestamp").max() - timedelta(days=3)
    assert isinstance(t0, datetime)
    row = {"timestamp": t0, "utc_offset_min": None, "sender": "Sam", "text": "if you leave me i will hurt you",
           "kind": "text", "edited": False, "platform": "simulated", "conversation_id": "c", "source_file": "simulated",
           "source_line": 0}
    return pl.concat([messages, pl.DataFrame([row], schema=MESSAGE_SCHEMA)]).sort("timestamp")


@pytest.mark.parametrize("how", ["answer", "threat"])
def test_safety_first_means_no_quarrel_to_repair(how: str) -> None:
    from ebbtide.cli.share_cmd import extras

    messages, _ = planted("en")
    if how == "threat":
        messages = _with_threat(messages)
    analysis = run_analysis(messages, me="Alex", partner="Sam", afraid=True if how == "answer" else "no")
    i = analysis.insight
    assert i.safety_first
    assert i.repair == ()
    assert not any("tense or quiet spells" in a.answer for a in i.faq)
    assert not any("tense or quiet spells" in s.why for s in i.plan)
    assert extras(analysis.assessment, i, analysis.features) == ({}, [])


# --------------------------------------------------------------------------- reports
def _doc_keys(section: str) -> set[str]:
    keys, current = set(), None
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            current = line[3:].strip().lower()
        elif current == section and (m := re.match(r"^\| `(\w+)` \|", line)):
            keys.add(m.group(1))
    return keys


def test_reports_show_ruptures_and_the_share_report_has_no_text(tmp_path: Path) -> None:
    from ebbtide.simulate import write_whatsapp_export

    messages, truth = planted("fr")
    export = write_whatsapp_export(messages.filter(pl.col("kind") == "text"), tmp_path / "chat.txt", me="Alex")
    share, js = tmp_path / "share.json", tmp_path / "full.json"
    r = CliRunner().invoke(app, ["analyze", str(export), "--me", "Alex", "--no-store", "--not-afraid",
                                 "--json", str(js), "--share", str(share)])
    assert r.exit_code == 0, r.output
    assert "Tense or quiet spells" in r.output and "(a call)" not in r.output  # the export holds no call rows
    full = json.loads(js.read_text(encoding="utf-8"))
    ruptures = full["history"]["ruptures"]
    assert len(ruptures) == len(truth)
    for item in ruptures:
        assert set(item) == _doc_keys("rupture")
    shared = json.loads(share.read_text(encoding="utf-8"))
    assert len(shared["ruptures"]) == len(truth)
    assert shared["ruptures"][1]["quiet"] == "partner" and shared["ruptures"][1]["days_to_reconnect"]["partner"] == 6
    flat = share.read_text(encoding="utf-8").casefold()
    for bank in PHRASES["fr"].values():
        for phrase in bank:
            assert phrase.casefold() not in flat, phrase
    assert "sam" not in re.findall(r"\w+", flat) and "alex" not in re.findall(r"\w+", flat)
