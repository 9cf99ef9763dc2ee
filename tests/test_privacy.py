"""Private by construction: the whole analysis runs with the network switched off, and the HTML
report loads nothing from anywhere."""

from __future__ import annotations

import json
import re
import socket
from pathlib import Path

import pytest
from pytest_socket import SocketBlockedError, disable_socket, enable_socket
from typer.testing import CliRunner

from ebbtide.cli import app

FETCHING = re.compile(
    r"<(?:script|link|img|iframe|source|video|audio|embed|object)\b[^>]*\b(?:src|href|data)\s*=\s*[\"']?\s*(?:https?:)?//",
    re.IGNORECASE,
)


@pytest.fixture()
def no_network():  # noqa: ANN201
    disable_socket()
    try:
        yield
    finally:
        enable_socket()


@pytest.mark.filterwarnings("ignore:A test tried to use socket")
def test_sockets_really_are_blocked(no_network: None) -> None:
    with pytest.raises(SocketBlockedError):
        socket.socket(socket.AF_INET, socket.SOCK_STREAM)


def test_demo_analysis_runs_offline_and_its_html_fetches_nothing(no_network: None, tmp_path: Path) -> None:
    pytest.importorskip("ebbtide.features")
    html_path, json_path = tmp_path / "r.html", tmp_path / "r.json"
    result = CliRunner().invoke(app, ["demo", "--html", str(html_path), "--json", str(json_path)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    html = html_path.read_text(encoding="utf-8")
    assert not FETCHING.search(html)
    assert not re.search(r"@import|url\(\s*['\"]?\s*(?:https?:)?//|fonts\.googleapis|<link\b", html, re.IGNORECASE)
    outside_scripts = re.sub(r"<script\b[^>]*>.*?</script>", "", html, flags=re.DOTALL | re.IGNORECASE)
    assert not re.search(r"https?://", outside_scripts)
    assert "default-src 'none'" in html
    assert json.loads(json_path.read_text(encoding="utf-8"))["schema_version"] == 1


def test_insight_and_reports_need_no_network(no_network: None) -> None:
    from ebbtide.insight import explain
    from ebbtide.insight.sample import sample_assessment
    from ebbtide.report.html import render_html
    from ebbtide.report.json_report import to_json

    a = sample_assessment("partner_pulling_away")
    insight = explain(a)
    assert to_json(a, insight) and render_html(a, insight)
