"""The web app and a store locked with a passphrase: it asks for the passphrase in the page (nothing
else is reachable until then), refuses a wrong one, and locks or unlocks the store from Settings."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from ebbtide import askpass  # noqa: E402
from ebbtide.store import Store  # noqa: E402
from ebbtide.store.crypto import salt_path  # noqa: E402
from ebbtide.web import create_app  # noqa: E402

TOKEN = "lock-token-123"
PASS = "tide pool lantern"
SECRET = "marmalade-orbit-4471"


@pytest.fixture(autouse=True)
def _nobody_at_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in (askpass.ENV_PASSPHRASE, askpass.ENV_PASSPHRASE_FILE):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(askpass, "_prompt", None)
    monkeypatch.setattr(askpass, "_passphrase_file", None)


def _chat() -> bytes:
    start = datetime(2025, 2, 3, 9, 0)
    lines = []
    for d in range(30):
        t = start + timedelta(days=d)
        lines += [f"{t:%d/%m/%Y, %H:%M} - Noor: {SECRET} {d}", f"{t + timedelta(minutes=2):%d/%m/%Y, %H:%M} - Eli: ok {d}"]
    return ("\n".join(lines) + "\n").encode()


def _client(db: Path) -> TestClient:
    client = TestClient(create_app(db, token=TOKEN, allowed_hosts=("testserver",)), raise_server_exceptions=False)
    client.get(f"/?t={TOKEN}")
    return client


def _holding(folder: Path, text: str) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.is_file() and text.encode() in p.read_bytes())


def test_a_locked_store_asks_for_its_passphrase_in_the_page(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    Store.open(db, passphrase=PASS).close()
    client = _client(db)
    for page in ("/", "/import", "/settings", "/overview"):
        r = client.get(page)
        assert r.url.path == "/unlock" and "Your store is locked" in r.text, page
    assert client.post("/import", files=[("files", ("c.txt", _chat(), "text/plain"))]).url.path == "/unlock"
    wrong = client.post("/unlock", data={"passphrase": "nope"})
    assert wrong.status_code == 400 and "passphrase is wrong" in wrong.text
    right = client.post("/unlock", data={"passphrase": PASS})
    assert right.status_code == 200 and right.url.path == "/"
    assert client.get("/unlock").url.path == "/"  # nothing to unlock any more
    stranger = TestClient(client.app, raise_server_exceptions=False)  # no one-time link: the guard comes first
    assert stranger.get("/unlock").status_code == 403


def test_settings_lock_and_unlock_the_store(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    client = _client(db)
    assert client.post("/import", files=[("files", ("chat.txt", _chat(), "text/plain"))]).status_code == 200
    assert _holding(tmp_path, SECRET)  # the control: a plain store holds the text (file or its log)
    assert "Lock the store" in client.get("/settings").text
    differ = client.post("/settings/lock", data={"passphrase": PASS, "again": PASS + "x"})
    assert differ.status_code == 400 and "differ" in differ.text and not salt_path(db).exists()
    locked = client.post("/settings/lock", data={"passphrase": PASS, "again": PASS})
    assert locked.status_code == 200 and "Remove the passphrase" in locked.text
    assert _holding(tmp_path, SECRET) == [] and salt_path(db).exists()
    assert "Noor" in client.get("/conversations").text  # still open in this run
    wrong = client.post("/settings/unlock", data={"passphrase": "nope"})
    assert wrong.status_code == 400 and salt_path(db).exists()
    client.app.state.ebbtide.close()
    again = _client(db)  # a new run: asked in the page
    assert again.get("/").url.path == "/unlock"
    again.post("/unlock", data={"passphrase": PASS})
    assert again.post("/settings/unlock", data={"passphrase": PASS}).status_code == 200
    assert not salt_path(db).exists() and _holding(tmp_path, SECRET)
    again.app.state.ebbtide.close()


def test_no_store_mode_offers_no_lock(tmp_path: Path) -> None:
    client = TestClient(create_app(tmp_path / "s.duckdb", token=TOKEN, allowed_hosts=("testserver",), memory=True))
    client.get(f"/?t={TOKEN}")
    assert "Lock the store" not in client.get("/settings").text
