"""End to end in a real headless Chromium (Debian's /usr/bin/chromium; never a downloaded browser).

One walk through the app as a person would: answer the safety question, drop the demo export,
pick who they are, read the verdict, open the evidence, log an event, copy a conversation
starter, run the self-check, trigger the safety path; on a phone-sized window too. Every request
the page makes is recorded: none may leave 127.0.0.1. Set EBBTIDE_SCREENSHOTS=1 to refresh
docs/screenshots/.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "docs" / "screenshots"

pytestmark = pytest.mark.browser

if not CHROMIUM.exists():
    pytest.skip(f"browser tests skipped: {CHROMIUM} is not installed (apt-get install chromium)",
                allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="browser tests skipped: playwright is not installed "
                               "(pip install playwright; no browser download is needed)")
uvicorn = pytest.importorskip("uvicorn")

from ebbtide.simulate import DEMO_PATH  # noqa: E402
from ebbtide.web import create_app  # noqa: E402


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Served(str):
    """The start URL (its code works once), with the app to mint more codes."""

    app: object


def fresh(server: str) -> str:
    """A new one-time link: every code works once (the first test used the printed one)."""
    return server.split("?")[0] + "?t=" + server.app.state.issue_code()  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app served by uvicorn on a free loopback port, in a thread; yields the start URL."""
    port = _free_port()
    app = create_app(tmp_path_factory.mktemp("e2e") / "store.duckdb", port=port)
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        if time.monotonic() > deadline:
            pytest.fail("uvicorn did not start within 20 s")
        time.sleep(0.05)
    served = Served(f"http://127.0.0.1:{port}/?t={app.state.token}")
    served.app = app
    yield served
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as p:
        # Chromium puts a Unix socket in TMPDIR, and socket paths are limited to about 100 bytes: with a
        # long temp dir (CI, a user's profile path) it refuses to start. A short one for the browser only.
        env = {**os.environ, "TMPDIR": "/tmp"} if len(tempfile.gettempdir()) > 60 and Path("/tmp").is_dir() \
            else None
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, env=env)
        yield b
        b.close()


class Watch:
    """Every request and console problem of a page."""

    def __init__(self, page: object) -> None:
        self.urls: list[str] = []
        self.problems: list[str] = []
        page.on("request", lambda r: self.urls.append(r.url))  # type: ignore[attr-defined]
        page.on("console", lambda m: self.problems.append(m.text) if m.type == "error" else None)  # type: ignore[attr-defined]
        page.on("pageerror", lambda e: self.problems.append(str(e)))  # type: ignore[attr-defined]

    def outside(self) -> list[str]:
        return [u for u in self.urls if urlparse(u).scheme not in ("data", "blob", "about")
                and urlparse(u).hostname != "127.0.0.1"]


def _shot(page: object, name: str, *, full_page: bool = True) -> None:
    if os.environ.get("EBBTIDE_SCREENSHOTS"):
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full_page)  # type: ignore[attr-defined]


def test_from_an_export_to_the_plan_the_journal_and_the_safety_path(server: str, browser: object) -> None:
    context = browser.new_context(viewport={"width": 1200, "height": 900})  # type: ignore[attr-defined]
    page = context.new_page()
    watch = Watch(page)
    page.goto(server)
    assert "t=" not in page.url  # the code left the address bar (it lives in a strict cookie now)
    assert "everything stays on this computer" in page.get_by_role("note").first.inner_text()

    # keyboard: the first Tab lands on the skip link
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"

    # the first-run safety question, answered "no"
    _shot(page, "home")
    page.get_by_label("Your country (for the right helplines)").select_option("uk")
    page.get_by_role("button", name="Save my answer").click()
    page.wait_for_load_state()
    assert page.get_by_text("Before anything else: are you safe?").count() == 0
    assert page.get_by_role("heading", name="When someone feels further away").is_visible()

    # import by drag and drop
    page.goto(server.split("?")[0] + "import")
    text = Path(DEMO_PATH).read_text(encoding="utf-8")
    transfer = page.evaluate_handle(
        "t => { const d = new DataTransfer(); d.items.add(new File([t], 'WhatsApp Chat with Sam.txt', "
        "{type: 'text/plain'})); return d; }", text)
    page.dispatch_event("#drop", "drop", {"dataTransfer": transfer})
    assert "WhatsApp Chat with Sam.txt" in page.locator("#chosen").inner_text()
    _shot(page, "import")
    page.get_by_role("button", name="Read the files").click()
    page.wait_for_url(re.compile(r"/import/[\w-]+$"))
    assert "new messages stored" in page.content()
    page.get_by_text("How the file was read").click()
    _shot(page, "import-result")
    page.get_by_label("Alex").check()
    page.get_by_role("button", name="Show me what changed").click()
    page.wait_for_url(re.compile(r"/overview$"))

    # the verdict, in plain words, and the charts drawn by Plotly from the app itself
    headline = page.locator("#headline").inner_text()
    assert "Sam" in headline and "not a verdict" in headline
    page.wait_for_selector(".plot .main-svg", timeout=20_000)
    assert page.locator(".plot[role=img]").count() >= 3
    _shot(page, "overview")

    # the evidence behind a sign, in context
    page.get_by_role("link", name="Decreased communication").first.click()
    page.wait_for_url(re.compile(r"/sign/decreased_communication$"))
    summary = page.locator("details.context summary").first
    if summary.count():
        summary.click()
        assert page.locator(".thread li.mark").first.is_visible()
    else:  # no message evidence for this sign: another sign must have some
        page.goto(server.split("?")[0] + "sign/evasive_responses")
        page.locator("details.context summary").first.click()
        assert page.locator(".thread li.mark").first.is_visible()
    _shot(page, "evidence")

    # the plan, and copying a conversation starter
    page.get_by_role("link", name="Plan", exact=True).click()
    page.get_by_role("button", name="Copy this conversation starter").first.click()
    page.wait_for_function("document.getElementById('copied').textContent.startsWith('Copied')")
    _shot(page, "plan")

    # the reasons questionnaire feeds the plan
    page.get_by_role("link", name="Reasons", exact=True).click()
    page.locator("input[name=r_external_stress][value='3']").check()
    page.get_by_role("button", name="Update my plan").click()
    page.wait_for_url(re.compile(r"/plan\?updated=1$"))

    # log an event; it appears in the journal with a before/after
    page.get_by_role("link", name="Journal", exact=True).click()
    page.get_by_label("What happened").select_option("talk")
    page.get_by_label("When").fill("2025-09-01")
    page.get_by_label("A note (optional)").fill("we talked about the move")
    page.get_by_role("button", name="Save the event").click()
    assert page.get_by_text("The event was saved.").is_visible()
    page.get_by_text("Before and after").first.click()
    assert "since a talk on 2025-09-01" in page.locator("details.before-after").first.inner_text()
    _shot(page, "journal")
    if os.environ.get("EBBTIDE_SCREENSHOTS"):  # the overview on a phone, before the safety path below
        page.set_viewport_size({"width": 390, "height": 844})
        page.get_by_role("link", name="Overview", exact=True).click()
        page.wait_for_selector(".plot .main-svg", timeout=20_000)
        _shot(page, "overview-phone", full_page=False)
        page.set_viewport_size({"width": 1200, "height": 900})

    # the guided self-check
    page.get_by_role("link", name="Self-check", exact=True).click()
    page.get_by_label("What should we call your partner?").fill("Sam")
    page.locator("input[name=s_decreased_communication][value='2']").check()
    page.locator("input[name=s_decline_in_intimacy][value='3']").check()
    _shot(page, "selfcheck")
    page.get_by_role("button", name="See what this might mean").click()
    assert page.locator("#headline").inner_text().startswith("From your answers, Sam")
    _shot(page, "selfcheck-result")

    # the safety path: a check-in that says "afraid"
    page.get_by_role("link", name="Journal", exact=True).click()
    page.locator("input[name=afraid][value=yes]").check()
    page.get_by_role("button", name="Save the check-in").click()
    assert page.get_by_role("heading", name="Your safety comes first").is_visible()
    page.get_by_role("link", name="Plan", exact=True).click()
    safety_box = page.locator("#safety")
    assert "Samaritans" in safety_box.inner_text()
    assert page.locator("#step-open_communication").count() == 0
    assert page.locator("#step-space_but_connected").count() == 0
    _shot(page, "safety")
    assert page.get_by_role("link", name="Leave quickly").is_visible()

    # quick exit: Esc replaces the page with a blank one (location.replace: this entry leaves the history)
    before = page.evaluate("history.length")
    page.keyboard.press("Escape")
    page.wait_for_url("about:blank")
    assert page.evaluate("history.length") == before

    assert watch.outside() == [], watch.outside()
    assert not [p for p in watch.problems if "Content Security Policy" in p or "Refused" in p], watch.problems
    context.close()


def test_readable_on_a_phone_sized_window(server: str, browser: object) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)  # type: ignore[attr-defined]
    page = context.new_page()
    watch = Watch(page)
    page.goto(fresh(server))
    unlabelled = ("[...document.querySelectorAll('input:not([type=hidden]), select, textarea')]"
                  ".filter(e => !e.labels.length && !e.getAttribute('aria-label')).map(e => e.name)")
    for path in ("", "import", "overview", "reasons", "plan", "journal", "selfcheck", "settings"):
        page.goto(server.split("?")[0] + path)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, (path, overflow)
        assert page.evaluate(unlabelled) == [], path  # every control has a label
    page.goto(server.split("?")[0] + "overview")
    page.wait_for_selector(".plot .main-svg", timeout=20_000)
    assert watch.outside() == []
    context.close()


def test_a_page_without_the_code_is_refused_in_the_browser(server: str, browser: object) -> None:
    context = browser.new_context()  # type: ignore[attr-defined]
    page = context.new_page()
    response = page.goto(server.split("?")[0] + "overview")
    assert response is not None and response.status == 403
    assert "needs the link from ebbtide" in page.content()
    context.close()


def test_chromium_is_debians(browser: object) -> None:
    assert shutil.which("chromium") or CHROMIUM.exists()
    assert browser.version  # type: ignore[attr-defined]


def test_the_launcher_file_of_serve_open_lets_the_browser_in_once(server: str, browser: object) -> None:
    """``serve --open``: the browser opens a 0600 file that posts a one-time code; it lands on the app
    with the strict cookie, and no code is in the address bar; the same file a second time is refused."""
    from ebbtide.cli.web_cmds import write_launcher

    port = int(server.split(":")[2].split("/")[0])
    launcher = write_launcher(port, server.app.state.issue_code())  # type: ignore[attr-defined]
    try:
        context = browser.new_context()  # type: ignore[attr-defined]
        page = context.new_page()
        page.goto(launcher.as_uri())
        page.wait_for_url(f"http://127.0.0.1:{port}/", timeout=20_000)
        page.wait_for_selector("main", timeout=20_000)
        assert "t=" not in page.url and "stays on this computer" in page.content()
        context.close()
        other = browser.new_context()  # type: ignore[attr-defined]
        page = other.new_page()
        page.goto(launcher.as_uri())
        page.wait_for_url(f"http://127.0.0.1:{port}/launch", timeout=20_000)
        assert "already been used" in page.content()
        other.close()
    finally:
        launcher.unlink(missing_ok=True)
        launcher.parent.rmdir()
