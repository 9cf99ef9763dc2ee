"""The local web app through its HTTP API (FastAPI TestClient): the guard, every page, the journal,
the reflection, the safety path, settings and forgetting. The browser itself: tests/e2e/."""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from ebbtide.errors import EbbtideError  # noqa: E402
from ebbtide.simulate import DEMO_PATH  # noqa: E402
from ebbtide.web import create_app  # noqa: E402
from ebbtide.web.security import COOKIE  # noqa: E402

TOKEN = "test-token-123"
PAGES = ("/", "/import", "/overview", "/sign/decreased_communication", "/sign/increased_time_apart", "/reasons",
         "/plan", "/faq", "/journal", "/selfcheck", "/settings")
FETCHING = re.compile(r"""(?:src|href|action)\s*=\s*["']?\s*(?:https?:)?//""", re.IGNORECASE)


def _client(db: Path) -> TestClient:
    app = create_app(db, token=TOKEN, allowed_hosts=("testserver",))
    client = TestClient(app)
    assert client.get(f"/?t={TOKEN}").status_code == 200
    return client


def _import_demo(client: TestClient) -> str:
    r = client.post("/import", files=[("files", ("demo_whatsapp.txt", Path(DEMO_PATH).read_bytes(), "text/plain"))])
    assert r.status_code == 200
    m = re.search(r'name="conversation_id" value="([^"]+)"', r.text)
    assert m, r.text
    return m.group(1)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """One app with the demo chat imported and Alex chosen (the analysis is cached across tests)."""
    client = _client(tmp_path_factory.mktemp("web") / "store.duckdb")
    cid = _import_demo(client)
    r = client.post("/choose", data={"conversation_id": cid, "me": "Alex"})
    assert r.status_code == 200 and r.url.path == "/overview"
    client.post("/safety", data={"afraid": "no", "controlled": "no", "country": "uk"})
    with client:
        yield client


@pytest.fixture()
def fresh(tmp_path: Path) -> TestClient:
    return _client(tmp_path / "store.duckdb")


# --------------------------------------------------------------------------- the guard
def test_without_the_token_nothing_is_served(tmp_path: Path) -> None:
    client = TestClient(create_app(tmp_path / "s.duckdb", token=TOKEN, allowed_hosts=("testserver",)))
    for path in ("/", "/overview", "/static/app.js", "/static/plotly.min.js", "/journal/export.json"):
        r = client.get(path)
        assert r.status_code == 403, path
        assert "ebbtide serve" in r.text
    assert client.get("/?t=wrong").status_code == 403


def test_the_token_becomes_a_strict_cookie_and_leaves_the_url(tmp_path: Path) -> None:
    client = TestClient(create_app(tmp_path / "s.duckdb", token=TOKEN, allowed_hosts=("testserver",)))
    r = client.get(f"/journal?t={TOKEN}&saved=event", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/journal?saved=event"
    cookie = r.headers["set-cookie"]
    assert f"{COOKIE}=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert TOKEN not in cookie  # the cookie holds another secret: the link's code works once
    assert client.get("/journal").status_code == 200


def test_foreign_host_origin_and_cross_site_requests_are_refused(fresh: TestClient) -> None:
    assert fresh.get("/", headers={"host": "evil.example"}).status_code == 403  # DNS rebinding
    assert fresh.get("/", headers={"origin": "http://evil.example"}).status_code == 403
    assert fresh.post("/safety", data={"afraid": "no"}, headers={"origin": "null"}).status_code == 403
    assert fresh.get("/", headers={"sec-fetch-site": "cross-site"}).status_code == 403
    assert fresh.get("/", headers={"origin": "http://testserver"}).status_code == 200


def test_a_real_run_answers_only_to_its_own_loopback_address(tmp_path: Path) -> None:
    client = TestClient(create_app(tmp_path / "s.duckdb", token=TOKEN, port=8765), base_url="http://127.0.0.1:8765")
    r = client.get(f"/?t={TOKEN}", follow_redirects=False)
    assert r.headers["set-cookie"].startswith(f"{COOKIE}_8765=")  # one cookie per port
    assert client.get("/").status_code == 200
    assert client.get("/", headers={"host": "127.0.0.1:9999"}).status_code == 403
    assert client.get("/", headers={"host": "localhost:8765"}).status_code == 200


def test_every_page_has_strict_headers_the_notice_and_no_outside_address(demo: TestClient) -> None:
    for path in PAGES:
        r = demo.get(path)
        assert r.status_code == 200, path
        csp = r.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "script-src 'self';" in csp, path
        assert r.headers["x-frame-options"] == "DENY"
        assert "Nothing you import or write is sent anywhere" in r.text, path
        assert not FETCHING.search(r.text), path
        assert "<script>" not in r.text, path  # no inline code (CSP forbids it)
        assert 'lang="en"' in r.text and 'name="viewport"' in r.text


def test_plotly_comes_from_the_installed_package(demo: TestClient) -> None:
    r = demo.get("/static/plotly.min.js")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/javascript")
    assert len(r.content) > 1_000_000


def test_free_port_refuses_a_busy_port() -> None:
    from ebbtide.cli.web_cmds import free_port

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        busy = s.getsockname()[1]
        with pytest.raises(EbbtideError, match="in use"):
            free_port(busy)
    assert free_port() > 0


# --------------------------------------------------------------------------- import and choosing
def test_import_shows_the_parse_report_and_the_people(fresh: TestClient) -> None:
    r = fresh.post("/import", files=[("files", ("demo_whatsapp.txt", Path(DEMO_PATH).read_bytes(), "text/plain"))])
    assert "new messages stored" in r.text and "date order" in r.text
    assert re.findall(r'name="me" value="([^"]+)"', r.text) == ["Alex", "Sam"]
    again = fresh.post("/import", files=[("files", ("demo_whatsapp.txt", Path(DEMO_PATH).read_bytes(), "text/plain"))])
    assert re.search(r"\b0 new messages stored", again.text) and "already stored" in again.text


def test_import_of_something_that_is_not_a_chat_says_so(fresh: TestClient) -> None:
    r = fresh.post("/import", files=[("files", ("notes.txt", b"just some words\nnothing else\n", "text/plain"))])
    assert r.status_code == 200 and "could not be read" in r.text


def test_import_without_files_is_a_clear_error(fresh: TestClient) -> None:
    r = fresh.post("/import", files=[("files", ("", b"", "text/plain"))])
    assert r.status_code in (400, 422)


def test_choosing_someone_who_did_not_write_is_refused(fresh: TestClient) -> None:
    cid = _import_demo(fresh)
    r = fresh.post("/choose", data={"conversation_id": cid, "me": "Mallory"})
    assert r.status_code == 400 and "did not write" in r.text and "Alex" in r.text


def test_analysis_pages_before_any_import_lead_to_the_import_page(fresh: TestClient) -> None:
    for path in ("/overview", "/sign/decline_in_intimacy", "/reasons", "/plan", "/faq"):
        r = fresh.get(path)
        assert r.url.path == "/import", path


def test_the_first_run_asks_the_safety_question(fresh: TestClient) -> None:
    assert "Do you ever feel afraid of your partner?" in fresh.get("/").text
    fresh.post("/safety", data={"afraid": "no", "controlled": "no"})
    assert "Do you ever feel afraid of your partner?" not in fresh.get("/").text


# --------------------------------------------------------------------------- the analysis pages
def test_overview_puts_the_verdict_and_plan_before_the_signs(demo: TestClient) -> None:
    text = demo.get("/overview").text
    headline = re.search(r'id="headline">([^<]+)', text)
    assert headline and "Sam" in headline.group(1)
    assert text.index('id="headline"') < text.index("What you could do first") < text.index("The five signs")
    charts = json.loads(re.search(r'id="chart-data">(.*?)</script>', text, re.S).group(1))
    assert charts and all(c["data"] and c["layout"]["shapes"] for c in charts)
    assert 'role="img" aria-label="' in text  # every chart has a text alternative


def test_a_sign_page_shows_evidence_in_its_context(demo: TestClient) -> None:
    found = False
    for sign in ("decreased_communication", "decline_in_intimacy", "change_in_engagement", "evasive_responses"):
        text = demo.get(f"/sign/{sign}").text
        if 'class="mark"' in text:
            found = True
            thread = re.search(r'<ol class="thread">(.*?)</ol>', text, re.S).group(1)
            assert thread.count("<li") >= 2  # the evidence and at least one message around it
    assert found
    assert demo.get("/sign/not_a_sign").url.path == "/overview"


def test_reflection_feeds_the_reasons_and_the_plan(demo: TestClient) -> None:
    plain = re.findall(r'<h2 id="r-([a-z_]+)"', demo.get("/reasons").text)
    r = demo.post("/reasons", data={"r_past_baggage": "3", "r_external_stress": "0"})
    assert r.url.path == "/plan" and "What it changed in the plan" in r.text
    assert "“Outside stress” does not fit" in r.text
    titles = re.findall(r'<h2 id="r-([a-z_]+)"', demo.get("/reasons").text)
    assert titles.index("past_baggage") < plain.index("past_baggage") or plain[0] == "past_baggage"
    assert titles[-1] == "external_stress" and len(titles) == 6
    assert re.search(r'name="r_past_baggage" value="3" checked', demo.get("/reasons").text)
    demo.post("/reasons", data={})  # clear it again for other tests


def test_need_for_space_rejected_changes_the_plan_and_the_banner_says_how(demo: TestClient) -> None:
    """Issue 14: 'does not fit' for a need for space must change the plan, and the banner say exactly how."""
    before = re.findall(r"<h3[^>]*>([^<]+)</h3>", demo.get("/plan").text)
    assert before[0].startswith("Give space")  # the demo partner asked for space
    r = demo.post("/reasons", data={"r_personal_space": "0"})
    after = re.findall(r"<h3[^>]*>([^<]+)</h3>", r.text)
    assert not after[0].startswith("Give space") and after[-1].startswith("Give space")
    assert f"“{after[-1]}” moved from step 1 to step {len(after)}." in r.text
    assert "space you asked for" not in r.text.split("</div>", 1)[1]  # the starter assuming it is gone
    demo.post("/reasons", data={})


def test_the_web_says_the_same_figures_and_sentences_as_the_reports(demo: TestClient) -> None:
    """Issue 14: numbers agree across terminal, HTML, JSON and the web app (same analysis, same words)."""
    import html as html_lib
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    from consistency import check, render_faces

    from ebbtide.report.formatting import change_text

    def page(path: str) -> str:
        text = demo.get(path).text
        return re.sub(r"\s+", " ", html_lib.unescape(re.sub(r"<[^>]+>", " ", text)))

    state = demo.app.state.ebbtide  # type: ignore[attr-defined]
    analysis = state.analysis()
    a, insight = analysis.assessment, analysis.insight
    faces = render_faces(a, insight, messages=analysis.messages)
    assert check(faces) == []
    overview = page("/overview")
    assert re.sub(r"\s+", " ", insight.headline) in overview
    for sign in {s.sign for s in a.signs}:
        text = page(f"/sign/{sign.value}")
        for s in (s for s in a.signs if s.sign is sign):
            for m in s.metrics:
                assert f"{m.label}: {change_text(m)}" in text, (sign, m.id)
    plan = page("/plan")
    assert all(re.sub(r"\s+", " ", p.why) in plan for p in insight.plan)
    reasons = page("/reasons")
    assert all(re.sub(r"\s+", " ", r.text) in reasons for r in insight.reasons)
    faq = page("/faq")
    assert all(re.sub(r"\s+", " ", f.answer) in faq for f in insight.faq)
    for chart_id, alt in faces.chart_alts.items():
        assert re.sub(r"\s+", " ", alt) in overview, chart_id


def test_plan_has_starters_with_copy_buttons(demo: TestClient) -> None:
    text = demo.get("/plan").text
    starters = re.findall(r'<q class="starter" id="([^"]+)"', text)
    assert starters
    for sid in starters:
        assert f'data-copy="{sid}"' in text


def test_faq_uses_their_own_history(demo: TestClient) -> None:
    text = demo.get("/faq").text
    assert "Can someone pull away and still be in love?" in text
    assert "What cannot be measured" in text


# --------------------------------------------------------------------------- journal
def test_an_event_appears_on_the_charts_with_a_before_after(demo: TestClient) -> None:
    r = demo.post("/journal/event", data={"kind": "talk", "day": "2025-09-01", "note": "we talked about the move"})
    assert r.url.path == "/journal" and "we talked about the move" in r.text
    assert "since a talk on 2025-09-01" in r.text
    text = demo.get("/overview").text
    charts = json.loads(re.search(r'id="chart-data">(.*?)</script>', text, re.S).group(1))
    assert any(s.get("x0") == "2025-09-01" for s in charts[0]["layout"]["shapes"])
    assert "a talk on 2025-09-01" in text  # in the charts' text alternatives


def test_journal_export_is_a_json_download(demo: TestClient) -> None:
    demo.post("/journal/event", data={"kind": "trip", "day": "2025-07-01"})
    r = demo.get("/journal/export.json")
    assert r.headers["content-disposition"].startswith("attachment; filename=\"ebbtide-journal-")
    data = r.json()
    assert data["format"] == "ebbtide-journal" and any(e["kind"] == "trip" for e in data["events"])


def test_a_form_with_a_missing_answer_is_a_clear_page(demo: TestClient) -> None:
    r = demo.post("/journal/checkin", data={"afraid": "no"})
    assert r.status_code == 400 and "closeness" in r.text and "Nothing was lost" in r.text


def test_bad_journal_input_is_a_clear_error(demo: TestClient) -> None:
    r = demo.post("/journal/event", data={"kind": "party", "day": "2025-01-01"})
    assert r.status_code == 400 and "not a kind of event" in r.text and "talk" in r.text
    r = demo.post("/journal/event", data={"kind": "talk", "day": "yesterday"})
    assert r.status_code == 400 and "not a date" in r.text


def test_the_runs_a_day_note_is_gentle(demo: TestClient) -> None:
    state = demo.app.state.ebbtide
    text = ""
    for _ in range(6):
        state._last_run = 0.0  # pretend the views are far apart
        text = demo.get("/overview").text
    assert "You have looked at this" in text and "times today" in text


# --------------------------------------------------------------------------- safety
def _plan_ids(text: str) -> list[str]:
    return re.findall(r'<li class="card step" id="step-([a-z_]+)"', text)


def test_a_checkin_with_fear_puts_crisis_lines_first_and_holds_advice_back(tmp_path: Path) -> None:
    client = _client(tmp_path / "s.duckdb")
    cid = _import_demo(client)
    client.post("/choose", data={"conversation_id": cid, "me": "Alex"})
    client.post("/safety", data={"afraid": "no", "controlled": "no", "country": "uk"})
    before = client.get("/plan").text
    assert "Your safety comes first" not in before and "open_communication" in _plan_ids(before)
    client.post("/journal/checkin", data={"closeness": "2", "afraid": "yes", "controlled": "no"})
    after = client.get("/plan").text
    assert "Your safety comes first" in after
    assert after.index("999") < after.index("Refuge") < after.index("Samaritans")  # the chosen country only,
    assert "988" not in after  # its emergency number first
    assert "A check-in you wrote" in after and "These messages" not in after  # the real source
    assert after.index("Your safety comes first") < after.index('id="main"')
    assert not {"open_communication", "space_but_connected"} & set(_plan_ids(after))
    assert "Your safety comes first" in client.get("/overview").text


def test_an_ambiguous_message_brings_the_question_with_the_message_it_rests_on(tmp_path: Path) -> None:
    import polars as pl

    from ebbtide.simulate import simulate_couple, write_whatsapp_export

    msgs = simulate_couple("stable", seed=5, weeks=16).messages.with_row_index()
    idx = msgs.filter(pl.col("sender") == "Sam").get_column("index")[200]
    msgs = msgs.with_columns(pl.when(pl.col("index") == idx).then(pl.lit("you hurt me so much yesterday"))
                             .otherwise(pl.col("text")).alias("text")).drop("index")
    export = write_whatsapp_export(msgs, tmp_path / "chat.txt")
    client = _client(tmp_path / "s.duckdb")
    r = client.post("/import", files=[("files", ("chat.txt", export.read_bytes(), "text/plain"))])
    cid = re.search(r'name="conversation_id" value="([^"]+)"', r.text).group(1)  # type: ignore[union-attr]
    client.post("/choose", data={"conversation_id": cid, "me": "Alex"})
    page = client.get("/overview").text
    box = page[page.index('id="ask-h"'):page.index("</section>", page.index('id="ask-h"'))]
    assert "Do you ever feel afraid of your partner?" in box
    assert re.search(r"<blockquote[^>]*>[^<]*Sam: “you hurt me so much yesterday”</blockquote>", box)
    assert "Your safety comes first" not in page  # a question, never safety first on one ambiguous word
    client.post("/safety", data={"afraid": "no", "controlled": "no", "country": "uk"})
    after = client.get("/overview").text
    assert 'id="ask-h"' not in after and "Your safety comes first" not in after
    client.post("/safety", data={"afraid": "yes", "controlled": "no", "country": "uk"})
    assert "Your safety comes first" in client.get("/overview").text


def test_self_harm_words_in_a_note_put_safety_first(fresh: TestClient) -> None:
    fresh.post("/safety", data={"afraid": "no", "controlled": "no"})
    assert "Your safety comes first" not in fresh.get("/journal").text
    fresh.post("/journal/event", data={"kind": "other", "day": "2025-01-01", "note": "some nights I want to die"})
    assert "Your safety comes first" in fresh.get("/journal").text


def test_a_yes_to_the_first_question_puts_safety_first(fresh: TestClient) -> None:
    fresh.post("/safety", data={"afraid": "no", "controlled": "yes", "country": "us"})
    text = fresh.get("/").text
    assert "Your safety comes first" in text and "You said you sometimes feel afraid" in text
    assert text.index("911") < text.index("88788") < text.index("988") and "Samaritans" not in text


# --------------------------------------------------------------------------- self-check
def test_selfcheck_in_the_web_app(fresh: TestClient) -> None:
    form = fresh.get("/selfcheck").text
    assert form.count("<fieldset") >= 5 + 2 + 6 + 1
    r = fresh.post("/selfcheck", data={"partner": "Sam", "weeks": "5", "s_decreased_communication": "2",
                                       "s_decline_in_intimacy": "3", "reaching_out": "2", "afraid": "no"})
    assert r.status_code == 200
    assert "From your answers, Sam seems" in r.text and "pursue-withdraw" in r.text
    assert "Your safety comes first" not in r.text
    r = fresh.post("/selfcheck", data={"s_decreased_communication": "2", "afraid": "yes"})
    assert "Your safety comes first" in r.text and "open_communication" not in _plan_ids(r.text)
    r = fresh.post("/selfcheck", data={"weeks": "0"})
    assert r.status_code == 400 and "answers.weeks" in r.text


# --------------------------------------------------------------------------- settings
def test_settings_validate_and_change_the_baseline(tmp_path: Path) -> None:
    client = _client(tmp_path / "s.duckdb")
    cid = _import_demo(client)
    client.post("/choose", data={"conversation_id": cid, "me": "Alex"})
    r = client.post("/settings", data={"baseline_start": "2025-05-01", "baseline_end": "2025-04-01"})
    assert r.status_code == 400 and "before it starts" in r.text
    r = client.post("/settings", data={"baseline_start": "2025-05-01", "baseline_end": ""})
    assert r.status_code == 400 and "only one end" in r.text
    r = client.post("/settings", data={"timezone": "Mars/Olympus"})
    assert r.status_code == 400 and "time zone" in r.text
    r = client.post("/settings", data={"baseline_start": "2025-03-03", "baseline_end": "2025-04-27",
                                       "timezone": "Europe/London"})
    assert r.status_code == 200 and "Saved." in r.text
    assert client.app.state.ebbtide.analysis().assessment.baseline[0] >= __import__("datetime").date(2025, 3, 3)


def test_forget_everything_needs_confirming_then_removes_it_all(tmp_path: Path) -> None:
    client = _client(tmp_path / "s.duckdb")
    cid = _import_demo(client)
    client.post("/choose", data={"conversation_id": cid, "me": "Alex"})
    client.post("/journal/event", data={"kind": "talk", "day": "2025-01-01"})
    assert client.post("/settings/forget", data={}).status_code == 400
    r = client.post("/settings/forget", data={"confirm": "yes"})
    assert r.url.path == "/" and "Everything has been forgotten" in r.text
    assert client.get("/overview").url.path == "/import"
    assert client.get("/journal/export.json").json()["events"] == []


# --------------------------------------------------------------------------- an upload with several chats
def test_an_upload_with_several_chats_asks_which_one_and_stores_nothing_until_then(tmp_path: Path) -> None:
    import html as html_lib

    telegram = Path(__file__).parent / "fixtures" / "telegram" / "full_export_two_chats.json"
    client = _client(tmp_path / "s.duckdb")
    page = client.post("/import", files=[("files", ("result.json", telegram.read_bytes(), "application/json"))]).text
    assert "holds several chats" in page and 'action="/import/pick"' in page
    options = {html_lib.unescape(label): html_lib.unescape(value)
               for value, label in re.findall(r'<option value="([^"]*)">([^<]*)</option>', page)}
    assert any("Robin" in label for label in options) and any("Mum" in label for label in options)
    token = re.search(r'name="token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    assert "Which one is you?" not in page and "Robin" not in client.get("/conversations").text
    state = client.app.state.ebbtide  # type: ignore[attr-defined]
    kept = state.pending.get(token).path
    assert kept.stat().st_mode & 0o777 == 0o600 and kept.parent.parent.stat().st_mode & 0o777 == 0o700
    robin = next(value for label, value in options.items() if "Robin" in label)
    picked = client.post("/import/pick", data={"token": token, "chat": robin}).text
    assert "Which one is you?" in picked and "Robin" in picked
    assert "other chats too" in picked  # the same file, another chat, without uploading again
    assert client.post("/import/pick", data={"token": token, "chat": "nobody"}).status_code == 400
    client.post("/settings/forget", data={"confirm": "yes"})
    assert not kept.exists()
    gone = client.post("/import/pick", data={"token": token, "chat": robin})
    assert gone.status_code == 400 and "Import the file again" in gone.text
