"""What ``analyze`` and ``demo`` print and write: a spinner around long steps, the terminal report
on stdout, and the JSON/HTML files (paths checked before anything is read or stored)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text

from ebbtide.cli.app import err, report
from ebbtide.errors import EbbtideError, shown
from ebbtide.pipeline import Analysis

if TYPE_CHECKING:
    import polars as pl

    from ebbtide.api import Report


@contextlib.contextmanager
def step(text: str) -> Iterator[None]:
    """A spinner on stderr for a long step, only when stderr is a terminal."""
    if err.is_terminal:
        with err.status(Text(text)):
            yield
    else:
        yield


def check_report_paths(json_path: Path | None, html_path: Path | None, share_path: Path | None = None) -> None:
    """Refuse a report path that cannot be written, before anything is read or stored."""
    import os

    for target, flag in ((json_path, "--json"), (html_path, "--html"), (share_path, "--share")):
        if target is None:
            continue
        folder = target.expanduser().parent
        if target.expanduser().is_dir() or not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK) or (
                target.expanduser().exists() and not os.access(target.expanduser(), os.W_OK)):
            raise EbbtideError("cannot write the report here", where=f"{flag} {target}",
                               fix="Give a file name in a folder that exists and that you may write to.")


def emit(analysis: Analysis | Report, *, json_path: Path | None, html_path: Path | None, simulated: bool,
         country: str | None, share: tuple[Path, bool] | None = None, messages: pl.DataFrame | None = None) -> None:
    """Terminal report on stdout; files if asked (written atomically); ``share``: (path, as JSON) of the
    report to share (cli/share_cmd.py), ``messages`` the chat it must not quote."""
    from ebbtide.report.terminal import render_terminal

    check_report_paths(json_path, html_path, share[0] if share else None)
    render_terminal(analysis.assessment, analysis.insight, report, simulated=simulated, country=country)
    try:
        if json_path is not None:
            from ebbtide.report.json_report import write_json

            write_json(json_path.expanduser(), analysis.assessment, analysis.insight, simulated=simulated,
                       country=country)
            err.print(f"JSON report: {shown(json_path)}", markup=False, highlight=False)
        if html_path is not None:
            from ebbtide.report.html import write_html

            with step("drawing the HTML report"):
                write_html(html_path.expanduser(), analysis.assessment, analysis.insight, simulated=simulated,
                           country=country)
            err.print(f"HTML report: {shown(html_path)} (self-contained; opens offline)", markup=False, highlight=False)
        if share is not None:
            from ebbtide.cli.share_cmd import write_share_report

            write_share_report(share[0], as_json=share[1], assessment=analysis.assessment, insight=analysis.insight,
                               features=analysis.features, messages=messages, simulated=simulated, country=country)
    except OSError as exc:
        raise EbbtideError(f"cannot write the report ({exc.strerror})", where=str(exc.filename or ""),
                           fix="Check the folder exists and you may write there.") from None


__all__ = ["check_report_paths", "emit", "step"]
