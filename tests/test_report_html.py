"""The HTML report: one self-contained file with charts, text alternatives, and everything the terminal shows."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ebbtide.insight import explain
from ebbtide.insight.sample import sample_assessment
from ebbtide.model import Pattern
from ebbtide.report.html import render_html, write_html

FETCHING = re.compile(
    r"<(?:script|link|img|iframe|source|video|audio|embed|object)\b[^>]*\b(?:src|href|data)\s*=\s*[\"']?\s*(?:https?:)?//",
    re.IGNORECASE,
)


@pytest.fixture(scope="module")
def page() -> str:
    a = sample_assessment(Pattern.PURSUE_WITHDRAW)
    return render_html(a, explain(a), simulated=True)


def _outside_scripts(html: str) -> str:
    return re.sub(r"<script\b[^>]*>.*?</script>", "", html, flags=re.DOTALL | re.IGNORECASE)


def test_nothing_is_loaded_from_the_network(page: str) -> None:
    assert not FETCHING.search(page)
    assert not re.search(r"@import|url\(\s*['\"]?\s*(?:https?:)?//", page, re.IGNORECASE)
    assert "fonts.googleapis" not in page and "cdn.plot.ly/plotly" not in _outside_scripts(page)
    # Outside the inlined plotly bundle there is no web address at all.
    assert not re.search(r"https?://", _outside_scripts(page))
    assert "default-src 'none'" in page  # and the browser is told not to fetch anything anyway


def test_plotly_is_inlined_and_charts_are_drawn(page: str) -> None:
    assert page.count("<script") >= 2
    assert "Plotly.newPlot" in page
    assert len(page) > 1_000_000  # the bundle itself is inlined
    assert 'id="chart-messages"' in page


def test_charts_have_text_alternatives(page: str) -> None:
    captions = re.findall(r"<figcaption[^>]*>(.*?)</figcaption>", page, re.DOTALL)
    assert captions and all("usually" in c and "recently" in c for c in captions)


def test_page_holds_the_whole_report_and_is_readable_on_a_phone(page: str) -> None:
    text = _outside_scripts(page)
    assert 'name="viewport"' in text and "@media (max-width" in text
    for needle in ("Demo.", "Ease off the chase", "Ways to start", "The five signs", "What may lie behind it",
                   "Questions people ask", "quieter stretches", "What this cannot know", "maybe, we&#39;ll see"):
        assert needle in text, needle


def test_messages_are_escaped() -> None:
    from dataclasses import replace

    from ebbtide.model import Evidence

    a = sample_assessment(Pattern.PARTNER_PULLING_AWAY)
    sign = a.signs[0]
    evil = Evidence(sign.evidence[0].timestamp, "Sam", "<script>alert(1)</script>", "test")
    a = replace(a, signs=(replace(sign, evidence=(evil,)), *a.signs[1:]))
    html = render_html(a, explain(a), include_charts=False)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_safety_first_in_html_and_written_atomically(tmp_path: Path) -> None:
    a = sample_assessment(Pattern.STABLE, safety=True)
    path = write_html(tmp_path / "report.html", a, explain(a))
    html = path.read_text(encoding="utf-8")
    assert html.index("Your safety comes first") < html.index("What you can do")
    assert "1-800-799-7233" in html
    assert not list(tmp_path.glob("*.tmp"))


def test_no_weekly_table_still_renders() -> None:
    a = sample_assessment(Pattern.INSUFFICIENT_DATA)
    html = render_html(a, explain(a))
    assert "Not enough data yet" in html and "Plotly.newPlot" not in html


def test_chart_scripts_are_valid_javascript_that_draw_every_chart(page: str, tmp_path: Path) -> None:
    """Run the page's own chart scripts (not the plotly bundle) in node with a stand-in Plotly."""
    import shutil
    import subprocess

    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    scripts = [s for s in re.findall(r"<script>(.*?)</script>", page, re.DOTALL) if "Plotly.newPlot(" in s
               and len(s) < 200_000]
    assert scripts
    calls = "const drawn = [];\nconst Plotly = {newPlot: (id, data, layout) => drawn.push([id, data.length, layout.shapes.length])};\n"
    program = calls + "\n".join(scripts) + "\nconsole.log(JSON.stringify(drawn));\n"
    (tmp_path / "charts.js").write_text(program, encoding="utf-8")
    result = subprocess.run([node, str(tmp_path / "charts.js")], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    import json

    drawn = json.loads(result.stdout)
    assert len(drawn) == len(scripts) and all(n == 2 for _, n, _ in drawn)  # both people in every chart
