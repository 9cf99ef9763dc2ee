"""The one safety policy, face by face: when safety comes first, no face shows what is held back.

The held-back texts are read from the wording files themselves (plan, FAQ, reasons, verdicts), so a
new sentence added there is covered without touching this test.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest
from rich.console import Console

from ebbtide.insight import explain, load
from ebbtide.insight.safety import ASK, FIRST, NONE, crisis_resources, help_line
from ebbtide.insight.sample import sample_assessment
from ebbtide.insight.selfcheck import parse_answers, run_selfcheck, selfcheck_text
from ebbtide.model import Evidence, Pattern
from ebbtide.report.html import render_html
from ebbtide.report.json_report import to_json
from ebbtide.report.terminal import render_terminal

AWAY = {"decreased_communication": 3, "decline_in_intimacy": 2, "increased_time_apart": 2,
        "change_in_engagement": 3, "evasive_responses": 2}


def held_back_texts() -> list[str]:
    """Every text the policy holds back, straight from the wording files."""
    plan, faq, reasons, patterns = load("plan"), load("faq"), load("reasons"), load("patterns")
    texts = [plan["open_communication"]["title"], *plan["open_communication"]["actions"],
             *plan["open_communication"]["starters"].values(),
             plan["space_but_connected"]["title"], plan["space_but_connected"]["rhythm"],
             *plan["space_but_connected"]["actions"], *plan["patience"]["actions"],
             plan["professional_guidance"]["actions"][0], plan["professional_guidance"]["why"]]
    texts += [faq[k]["question"] for k in ("pull_away_in_love", "lost_interest", "can_recover", "how_long_space")]
    texts += [v["title"] for k, v in reasons.items() if isinstance(v, dict) and "title" in v]
    texts += list(patterns["headline"].values())
    texts += list(selfcheck_text()["headline"].values())
    texts += ["turned around", "raise it directly", "couples counsellor or therapist", "Look for a couples counsellor"]
    return [t for t in texts if t]


def _plain(text: str) -> str:
    """Markup and line breaks out, so a sentence wrapped by a face still matches."""
    text = re.sub(r"<[^>]+>", " ", text)
    text = text.replace("&#39;", "'").replace("&quot;", '"').replace("&amp;", "&")
    text = re.sub(r"[│╭╮╰╯─]", " ", text)
    return re.sub(r"\s+", " ", text)


def assert_nothing_held_back_shows(face: str, text: str) -> None:
    plain = _plain(text)
    shown = [t for t in held_back_texts() if _plain(t) in plain]
    assert not shown, f"{face} shows held-back text: {shown}"


def _terminal(a, insight, country: str | None = "uk") -> str:
    console = Console(file=io.StringIO(), width=200, record=True, color_system=None)
    render_terminal(a, insight, console, country=country)
    return console.export_text()


def _first(pattern: Pattern = Pattern.PARTNER_PULLING_AWAY, **kw):
    a = sample_assessment(pattern, safety=True)
    return a, explain(a, **kw)


@pytest.mark.parametrize("pattern", [p for p in Pattern if p is not Pattern.INSUFFICIENT_DATA])
def test_terminal_holds_everything_back(pattern: Pattern) -> None:
    a, insight = _first(pattern)
    assert insight.safety_level == FIRST and not insight.reasons and not insight.faq
    text = _terminal(a, insight)
    assert_nothing_held_back_shows("terminal", text)
    assert text.index("999") < text.index("Refuge") and "not to blame" in text
    assert "safety plan" in text and "These messages" in text


def test_html_holds_everything_back_and_carries_resources_and_quick_exit() -> None:
    a, insight = _first(Pattern.MUTUAL_DRIFT)
    html = render_html(a, insight, country="uk", include_charts=False)
    assert_nothing_held_back_shows("html", html)
    assert html.index("Leave quickly") < html.index("Your safety comes first") < html.index("999")
    assert "location.replace" in html and "Escape" in html


def test_json_holds_everything_back() -> None:
    a, insight = _first(Pattern.PURSUE_WITHDRAW)
    data = json.loads(to_json(a, insight, country="us"))
    assert data["safety"]["level"] == "first" and data["reasons"] == [] and data["faq"] == []
    assert [p["id"] for p in data["plan"]] == ["professional_guidance", "self_care"]
    assert_nothing_held_back_shows("json", json.dumps({k: v for k, v in data.items() if k != "weekly"}))
    assert data["safety"]["resources"][0]["contact"].startswith("call 911")
    assert "text START to 88788" in json.dumps(data["safety"]["resources"])


def test_selfcheck_holds_everything_back() -> None:
    _, insight = run_selfcheck(parse_answers({"signs": AWAY, "afraid": True}))
    assert insight.safety_first and insight.safety_message.startswith("You said in the self-check")
    text = " ".join([insight.headline, insight.held_back, *(s.title + s.why + " ".join(s.actions) for s in insight.plan),
                     *(r.text for r in insight.reasons), *(f.answer for f in insight.faq)])
    assert_nothing_held_back_shows("self-check", text)


def test_the_source_is_named_truthfully() -> None:
    a = sample_assessment(Pattern.STABLE)
    assert explain(a, safety_answer=True).safety_message.startswith("You said")
    assert explain(a, safety_answer=True, safety_source="checkin").safety_message.startswith("A check-in you wrote")
    assert explain(sample_assessment(Pattern.STABLE, safety=True)).safety_message.startswith("These messages")
    for insight in (explain(a, safety_answer=True), explain(a, safety_answer="yes", safety_source="selfcheck")):
        assert "chat" not in insight.safety_message.lower()


def _ambiguous(a):
    hit = Evidence(datetime(2025, 9, 1, 20, 5), a.partner, "that really hurt me yesterday", "being hurt")
    return replace(a, safety_ambiguous=(hit,))


def test_an_ambiguous_word_asks_a_question_and_keeps_the_usual_report() -> None:
    a = _ambiguous(sample_assessment(Pattern.PARTNER_PULLING_AWAY))
    insight = explain(a)
    assert insight.safety_level == ASK and not insight.safety_first
    assert insight.reasons and insight.faq and "being hurt" in insight.safety_question
    text = _terminal(a, insight)
    assert text.index("are you safe?") < text.index("What the chat suggests")
    assert "that really hurt me yesterday" in text and "--not-afraid" in text
    assert "Your safety comes first" not in text
    html = render_html(a, insight, include_charts=False)
    assert "that really hurt me yesterday" in html and "Your safety comes first" not in html
    data = json.loads(to_json(a, insight))
    assert data["safety"]["level"] == "ask" and data["safety"]["ambiguous"][0]["text"].startswith("that really")


def test_a_no_answer_turns_the_question_into_the_help_line() -> None:
    a = _ambiguous(sample_assessment(Pattern.PARTNER_PULLING_AWAY))
    insight = explain(a, safety_answer="no")
    assert insight.safety_level == NONE and not insight.safety_question
    assert "Refuge" in _terminal(a, insight)  # the permanent line, the country's abuse line


def test_clear_danger_puts_safety_first_even_after_a_no() -> None:
    assert explain(sample_assessment(Pattern.STABLE, safety=True), safety_answer="no").safety_first


def test_help_line_is_always_there_and_short() -> None:
    a = sample_assessment(Pattern.STABLE)
    text = _terminal(a, explain(a), country="us")
    assert help_line("us") in _plain(text) and "1-800-799-7233" in text
    assert "helplines" in help_line(None) and len(help_line("uk")) < 220


@pytest.mark.parametrize(("country", "first"), [("uk", "999"), ("gb", "999"), ("us", "911"), ("ie", "112"),
                                                 ("es", "112"), ("fr", "17"), ("de", "110"), ("au", "000")])
def test_resources_start_with_the_countrys_emergency_number(country: str, first: str) -> None:
    lines = crisis_resources(country)
    assert lines[0].kind == "emergency" and first in lines[0].contact
    assert {r.region for r in lines} == {lines[0].region}
    assert len(crisis_resources(country, everywhere=True)) > len(lines)


def test_web_every_page_follows_the_policy(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from ebbtide.simulate import DEMO_PATH
    from ebbtide.web.app import create_app

    client = TestClient(create_app(tmp_path / "s.duckdb", token="tok", allowed_hosts=("testserver",)))
    assert client.get("/?t=tok").status_code == 200
    r = client.post("/import", files=[("files", ("chat.txt", Path(DEMO_PATH).read_bytes(), "text/plain"))])
    cid = re.search(r'name="conversation_id" value="([^"]+)"', r.text).group(1)
    client.post("/choose", data={"conversation_id": cid, "me": "Alex"})
    client.post("/safety", data={"afraid": "yes", "controlled": "no", "country": "uk"})
    for page in ("/overview", "/plan", "/reasons", "/faq", "/sign/decreased_communication"):
        text = client.get(page).text
        assert "Your safety comes first" in text and "Leave quickly" in text, page
        assert_nothing_held_back_shows(f"web {page}", text)
    checked = client.post("/selfcheck", data={"afraid": "no", "controlled": "yes", "s_decreased_communication": "3"})
    assert "Your safety comes first" in checked.text
    assert_nothing_held_back_shows("web self-check", checked.text)
    helppage = client.get("/help").text
    assert "Samaritans" in helppage and "988" in helppage and "device" in helppage
