"""The web app computes the pipeline once per change of the store or settings (issue 17): page views
reuse it; a journal entry re-runs only explain, a new baseline assess and explain, neither measures
the messages again; the charts are drawn once. Speed itself is measured in bench/bench_pages.py."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from ebbtide.pipeline import Pipeline  # noqa: E402
from ebbtide.simulate import DEMO_PATH  # noqa: E402
from ebbtide.web import create_app  # noqa: E402

TOKEN = "cache-token"
PAGES = ("/overview", "/sign/decreased_communication", "/sign/change_in_engagement", "/reasons", "/plan", "/faq",
         "/journal", "/", "/settings")


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    calls = {"fit": 0, "assess": 0, "predict": 0, "charts": 0}
    fit, assess, predict = Pipeline.fit, Pipeline.assess, Pipeline.predict

    def counting_fit(self: Pipeline, *a: Any, **k: Any) -> Any:
        calls["fit"] += 1
        return fit(self, *a, **k)

    def counting_assess(self: Pipeline, *a: Any, **k: Any) -> Any:
        calls["assess"] += 1
        return assess(self, *a, **k)

    def counting_predict(self: Pipeline, *a: Any, **k: Any) -> Any:
        calls["predict"] += 1
        return predict(self, *a, **k)

    import ebbtide.report.html as report_html

    charts = report_html.charts

    def counting_charts(*a: Any, **k: Any) -> Any:
        calls["charts"] += 1
        return charts(*a, **k)

    monkeypatch.setattr(Pipeline, "fit", counting_fit)
    monkeypatch.setattr(Pipeline, "assess", counting_assess)
    monkeypatch.setattr(Pipeline, "predict", counting_predict)
    monkeypatch.setattr(report_html, "charts", counting_charts)
    return calls


def _client(db: Path) -> TestClient:
    client = TestClient(create_app(db, token=TOKEN, allowed_hosts=("testserver",)))
    assert client.get(f"/?t={TOKEN}").status_code == 200
    r = client.post("/import", files=[("files", ("demo.txt", Path(DEMO_PATH).read_bytes(), "text/plain"))])
    cid = re.search(r'name="conversation_id" value="([^"]+)"', r.text)
    assert cid, r.text
    client.post("/safety", data={"afraid": "no", "controlled": "no", "country": "uk"})
    assert client.post("/choose", data={"conversation_id": cid.group(1), "me": "Alex"}).status_code == 200
    return client


def test_page_views_compute_the_pipeline_once(tmp_path: Path, counted: dict[str, int]) -> None:
    client = _client(tmp_path / "s.duckdb")
    first = {}
    for _ in range(3):
        for page in PAGES:
            r = client.get(page)
            assert r.status_code == 200, page
            first.setdefault(page, r.text)
            if page not in ("/overview", "/journal", "/settings", "/"):  # these count runs or show times
                assert r.text == first[page], f"{page} changed between two views of the same analysis"
    assert counted["fit"] == 1 and counted["assess"] == 1 and counted["predict"] == 1
    assert counted["charts"] == 1  # drawn once for every page and chart


def test_a_change_reruns_only_what_it_touches(tmp_path: Path, counted: dict[str, int]) -> None:
    client = _client(tmp_path / "s.duckdb")
    client.get("/overview")
    assert (counted["fit"], counted["assess"], counted["predict"]) == (1, 1, 1)

    client.post("/journal/event", data={"kind": "fight", "day": "2025-08-04", "note": "about the trip"})
    overview = client.get("/overview").text
    assert "Journal events marked" in overview  # the new entry is on the charts
    client.get("/plan")
    assert (counted["fit"], counted["assess"], counted["predict"]) == (1, 1, 2)  # only explained again

    client.post("/settings", data={"baseline_start": "2025-01-06", "baseline_end": "2025-03-30"})
    assert client.get("/overview").status_code == 200
    assert (counted["fit"], counted["assess"], counted["predict"]) == (1, 2, 3)  # a new baseline: assessed again

    client.post("/choose", data={"conversation_id": client.app.state.ebbtide.setting("conversation"),  # type: ignore[attr-defined]
                                 "me": "Sam"})
    client.get("/overview")
    assert counted["fit"] == 2  # other people: the messages are measured for them
