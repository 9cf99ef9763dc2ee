"""Suite-wide hooks: count the browser tests that really ran, and fail CI when none could.

Why: the Playwright tests skip themselves when Debian's Chromium or Playwright is missing, which is
right on a developer's laptop but hid a CI machine where ``apt-get update`` failed. ``.ci/run`` sets
``EBBTIDE_REQUIRE_BROWSER=1`` on machines with ``apt-get``; then a skipped browser test fails the run.
The summary line ``browser tests: N ran (...)`` is printed on every run so CI's log shows it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

_BROWSER: dict[str, int] = {"passed": 0, "failed": 0, "skipped": 0}
_SKIP_REASONS: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if "browser" not in report.keywords:
        return
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        _BROWSER[report.outcome] = _BROWSER.get(report.outcome, 0) + 1
        if report.outcome == "skipped" and isinstance(report.longrepr, tuple):
            _SKIP_REASONS.append(str(report.longrepr[2]))


def pytest_collectreport(report: pytest.CollectReport) -> None:
    # a module-level skip (no Chromium, no Playwright) happens at collection time
    if report.outcome == "skipped" and "e2e" in report.nodeid and isinstance(report.longrepr, tuple):
        _BROWSER["skipped"] += 1
        _SKIP_REASONS.append(str(report.longrepr[2]))


def _required() -> bool:
    return os.environ.get("EBBTIDE_REQUIRE_BROWSER", "") not in ("", "0")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    ran = _BROWSER["passed"] + _BROWSER["failed"]
    line = (f"browser tests: {ran} ran ({_BROWSER['passed']} passed, {_BROWSER['failed']} failed), "
            f"{_BROWSER['skipped']} skipped")
    terminalreporter.write_sep("-", line)
    for reason in dict.fromkeys(_SKIP_REASONS):
        terminalreporter.write_line(f"  skipped because: {reason}")
    if _required() and (_BROWSER["skipped"] or ran == 0):
        terminalreporter.write_line(
            "EBBTIDE_REQUIRE_BROWSER is set: the browser tests had to run here; failing the run.", red=True
        )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    ran = _BROWSER["passed"] + _BROWSER["failed"]
    if _required() and exitstatus == 0 and (_BROWSER["skipped"] or ran == 0):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    """A CLI runner with its own store, a 40-column terminal and no default chat (files may override it)."""
    monkeypatch.setenv("EBBTIDE_DB", str(tmp_path / "store" / "ebbtide.duckdb"))
    monkeypatch.setenv("COLUMNS", "40")
    monkeypatch.delenv("EBBTIDE_CHAT", raising=False)
    return CliRunner()
