"""The web app manages the store: list, switch, join and forget chats; friendly error pages; journal
removals confirmed and undoable; check-ins changed and removed (issue 15)."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ebbtide.store import Store
from ebbtide.store import journal as jr
from ebbtide.web import create_app

TOKEN = "test-token-123"


def _client(db: Path) -> TestClient:
    client = TestClient(create_app(db, token=TOKEN, allowed_hosts=("testserver",)), raise_server_exceptions=False)
    assert client.get(f"/?t={TOKEN}").status_code == 200
    return client


def _chat(names: tuple[str, str], start: datetime, days: int, tag: str) -> bytes:
    a, b = names
    lines = []
    for d in range(days):
        t = start + timedelta(days=d)
        lines += [f"{t:%d/%m/%Y, %H:%M} - {a}: hello {tag} {d}", f"{t + timedelta(minutes=3):%d/%m/%Y, %H:%M} - "
                  f"{b}: hi {tag} {d}"]
    return ("\n".join(lines) + "\n").encode()


def _upload(client: TestClient, name: str, body: bytes) -> str:
    r = client.post("/import", files=[("files", (name, body, "text/plain"))])
    assert r.status_code == 200, r.text
    return r.text


def test_chats_are_listed_switched_joined_and_forgotten(tmp_path: Path) -> None:
    client = _client(tmp_path / "s.duckdb")
    _upload(client, "a.txt", _chat(("Alex", "Sam"), datetime(2025, 3, 1, 9), 30, "a"))
    page = _upload(client, "b.txt", _chat(("Alex", "Sam"), datetime(2023, 3, 1, 9), 5, "b"))
    assert "no messages in common" in page and "/conversations" in page  # not merged by the names alone
    _upload(client, "c.txt", _chat(("Kim", "Lou"), datetime(2024, 1, 1, 9), 10, "c"))
    listed = client.get("/conversations")
    assert listed.status_code == 200
    assert all(cid in listed.text for cid in ("whatsapp:alex+sam", "whatsapp:alex+sam~2", "whatsapp:kim+lou"))
    # switch to Kim and Lou
    choose = client.get("/conversations/choose", params={"id": "whatsapp:kim+lou"})
    assert choose.status_code == 200 and "Which one is you?" in choose.text
    assert client.post("/choose", data={"conversation_id": "whatsapp:kim+lou", "me": "Kim"}).status_code == 200
    assert "Shown now" in client.get("/conversations").text
    # join two on purpose (confirmation needed)
    refused = client.post("/conversations/merge", data={"keep": "whatsapp:alex+sam", "other": "whatsapp:alex+sam~2"})
    assert refused.status_code == 400 and "not confirmed" in refused.text
    joined = client.post("/conversations/merge", data={"keep": "whatsapp:alex+sam", "other": "whatsapp:alex+sam~2",
                                                       "confirm": "yes"})
    assert joined.status_code == 200 and "are now one" in joined.text and "alex+sam~2" not in joined.text
    # forget one: the chosen one; the others stay
    gone = client.post("/conversations/forget", data={"conversation_id": "whatsapp:kim+lou", "confirm": "yes"})
    assert gone.status_code == 200 and "deleted from this computer" in gone.text
    client.close()
    with Store.open(tmp_path / "s.duckdb") as store:
        assert [(i.id, i.messages) for i in store.conversations()] == [("whatsapp:alex+sam", 70)]
    assert b"hi c 3" not in (tmp_path / "s.duckdb").read_bytes()


@pytest.mark.parametrize(("method", "path", "status"), [("get", "/no-such-page", 404), ("put", "/journal", 405),
                                                         ("get", "/journal/event/abc/delete", 400)])
def test_errors_are_pages_in_the_apps_style(tmp_path: Path, method: str, path: str, status: int) -> None:
    client = _client(tmp_path / "s.duckdb")
    r = getattr(client, method)(path)
    assert r.status_code == status and r.headers["content-type"].startswith("text/html")
    assert "Something needs your attention" in r.text and "<nav" in r.text and '{"detail"' not in r.text


def test_an_upload_named_dot_dot_and_a_broken_form_are_answered_kindly(tmp_path: Path) -> None:
    client = _client(tmp_path / "s.duckdb")
    r = client.post("/import", files=[("files", ("..", _chat(("Alex", "Sam"), datetime(2025, 1, 1), 3, "x"),
                                                 "text/plain"))])
    assert r.status_code == 200 and "Something needs" not in r.text
    broken = client.post("/import", content=b"--xx\r\nnot a part", headers={
        "content-type": "multipart/form-data; boundary=xx"})
    assert broken.status_code == 400 and broken.headers["content-type"].startswith("text/html")
    assert "Something needs your attention" in broken.text


def test_journal_removals_are_confirmed_and_can_be_undone(tmp_path: Path) -> None:
    client = _client(tmp_path / "s.duckdb")
    day = (date.today() - timedelta(days=3)).isoformat()
    client.post("/journal/event", data={"kind": "talk", "day": day, "note": "a long talk about moving"})
    page = client.get("/journal").text
    link = re.search(r'href="(/journal/event/(\d+)/delete)"', page)
    assert link, page
    confirm = client.get(link.group(1))
    assert confirm.status_code == 200 and "a long talk about moving" in confirm.text and "No, keep it" in confirm.text
    removed = client.post(link.group(1))
    assert "Removed." in removed.text and "a long talk about moving" not in removed.text
    undo = re.search(r'action="(/journal/undo/[\w-]+)"', removed.text)
    assert undo, removed.text
    back = client.post(undo.group(1))
    assert "Put back." in back.text and "a long talk about moving" in back.text
    assert client.post(undo.group(1)).status_code == 400  # once


def test_checkins_can_be_changed_and_removed(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    client = _client(db)
    day = (date.today() - timedelta(days=1)).isoformat()
    client.post("/journal/checkin", data={"closeness": "2", "day": day, "note": "first words zebra"})
    page = client.get("/journal").text
    edit = re.search(r'href="(/journal/checkin/(\d+)/edit)"', page)
    assert edit, page
    form = client.get(edit.group(1))
    assert form.status_code == 200 and "first words zebra" in form.text and 'value="2" checked' in form.text
    changed = client.post(edit.group(1), data={"closeness": "4", "day": day, "note": "second words",
                                               "saw_each_other": "yes"})
    assert "The check-in was changed." in changed.text and "second words" in changed.text
    client.close()
    with Store.open(db) as store:
        (c,) = jr.checkins(store)
        assert (c.closeness, c.saw_each_other, c.note) == (4, True, "second words")
    assert b"first words zebra" not in db.read_bytes()  # the old wording leaves no bytes behind
    client = _client(db)
    removed = client.post(f"/journal/checkin/{edit.group(2)}/delete")
    assert "Removed." in removed.text and "second words" not in removed.text
    undo = re.search(r'action="(/journal/undo/[\w-]+)"', removed.text)
    assert undo and "second words" in client.post(undo.group(1)).text


def test_the_app_can_run_without_storing_anything(tmp_path: Path) -> None:
    client = TestClient(create_app(tmp_path / "s.duckdb", token=TOKEN, allowed_hosts=("testserver",), memory=True))
    assert client.get(f"/?t={TOKEN}").status_code == 200
    _upload(client, "a.txt", _chat(("Alex", "Sam"), datetime(2025, 3, 1, 9), 30, "a"))
    assert "whatsapp:alex+sam" in client.get("/conversations").text
    assert client.post("/choose", data={"conversation_id": "whatsapp:alex+sam", "me": "Alex"}).status_code == 200
    assert client.post("/settings/forget", data={"confirm": "yes"}).status_code == 200
    assert "Nothing is stored yet" in client.get("/conversations").text
    client.close()
    assert list(tmp_path.iterdir()) == []
