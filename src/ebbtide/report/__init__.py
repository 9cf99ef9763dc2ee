"""Report layer: the terminal report (Rich), one self-contained HTML file, and the JSON report.

    render_terminal(assessment, insight, console, *, simulated=False, country=None) -> None
    render_html(assessment, insight, *, simulated=False, country=None) -> str
    write_html(path, assessment, insight, ...) / write_json(path, assessment, insight, ...)
    report_dict(assessment, insight, ...) -> dict   (schema: docs/json-report.md)

Imports are lazy so the terminal path does not load plotly.
"""

from __future__ import annotations

from typing import Any

_EXPORTS = {
    "render_terminal": "ebbtide.report.terminal",
    "render_html": "ebbtide.report.html",
    "write_html": "ebbtide.report.html",
    "report_dict": "ebbtide.report.json_report",
    "to_json": "ebbtide.report.json_report",
    "write_json": "ebbtide.report.json_report",
    "SCHEMA_VERSION": "ebbtide.report.json_report",
}


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(name)


__all__ = sorted(_EXPORTS)
