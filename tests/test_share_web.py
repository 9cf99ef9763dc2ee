"""The web app's Share page: a preview without messages or names, the list of what is left out, and
downloads (HTML and JSON) checked like ``analyze --share`` (tests/test_share.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from ebbtide.report.html import _plotly_js  # noqa: E402
from ebbtide.simulate import DEMO_PATH  # noqa: E402
from ebbtide.web import create_app  # noqa: E402

TOKEN = "test-token-share"


def test_share_page_preview_and_downloads(tmp_path: Path) -> None:
    client = TestClient(create_app(tmp_path / "store.duckdb", token=TOKEN, allowed_hosts=("testserver",)))
    assert client.get(f"/?t={TOKEN}").status_code == 200
    assert client.get("/share", follow_redirects=False).status_code == 303  # nothing chosen yet
    r = client.post("/import", files=[("files", ("demo_whatsapp.txt", Path(DEMO_PATH).read_bytes(), "text/plain"))])
    cid = re.search(r'name="conversation_id" value="([^"]+)"', r.text)
    assert cid
    client.post("/choose", data={"conversation_id": cid.group(1), "me": "Alex"})
    client.post("/safety", data={"afraid": "no", "controlled": "no", "country": "uk"})
    assert 'href="/share"' in client.get("/overview").text
    page = client.get("/share")
    assert page.status_code == 200
    main = page.text.split("<main", 1)[1]
    assert "What is left out of this summary" in main and "Your partner" in main
    assert not re.search(r"\b(Alex|Sam)\b", main), "a name in the preview"
    for fmt, kind in (("html", "text/html"), ("json", "application/json")):
        r = client.get(f"/share/download?format={fmt}")
        assert r.status_code == 200 and r.headers["content-type"].startswith(kind)
        assert "attachment" in r.headers["content-disposition"] and f".{fmt}" in r.headers["content-disposition"]
        body = r.text.replace(_plotly_js(), "")
        assert not re.search(r"\b(Alex|Sam)\b", body)
        assert "demo_whatsapp" not in body
        if fmt == "json":
            assert json.loads(body)["format"] == "ebbtide-share"
