"""``analyze --share FILE`` / ``demo --share FILE``: the report to share (no message text, no names).

The report itself is built in ``ebbtide.report.share``; this module holds the options and the one
call the analysis commands make, so their own code changes by a few lines only.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ebbtide.cli.app import err
from ebbtide.errors import EbbtideError, shown

if TYPE_CHECKING:
    import polars as pl

    from ebbtide.model import Assessment, Insight

ShareOption = Annotated[
    Path | None,
    typer.Option("--share", help="Also write a report to share (with a counsellor, say): patterns, figures, "
                 "dates and charts, no message text and no names. HTML (print it to keep a PDF); JSON when the "
                 "name ends in .json or with --share-format json. Written readable by you only.",
                 show_default=False),
]
ShareFormatOption = Annotated[
    str | None,
    typer.Option("--share-format", help="html or json (default: from the --share file name).", show_default=False),
]


def share_format(path: Path | None, fmt: str | None) -> bool | None:
    """True for JSON, False for HTML, None when no share report was asked; clear errors otherwise."""
    if fmt is not None and fmt.lower() not in ("html", "json"):
        raise EbbtideError(f"'{fmt}' is not a share format", where="--share-format", fix="Use html or json.")
    if path is None:
        if fmt is not None:
            raise EbbtideError("--share-format needs --share FILE", where="--share-format",
                               fix="Add --share FILE, e.g. --share summary.html")
        return None
    from ebbtide.report.share import is_json_path

    return is_json_path(path, fmt)


def extras(assessment: Assessment, insight: Insight, features: pl.DataFrame | None,
           ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Name-free sections other features add to the share report (data for JSON, lines for HTML)."""
    try:
        from ebbtide.insight.repair import share_section
    except ImportError:  # pragma: no cover - the repair module ships with ebbtide
        return {}, []
    return share_section(assessment, insight, features)


def write_share_report(path: Path, *, as_json: bool, assessment: Assessment, insight: Insight,
                       features: pl.DataFrame | None, messages: pl.DataFrame | None, simulated: bool,
                       country: str | None) -> None:
    """Write the share report (0600) and say where, with what it leaves out."""
    from ebbtide.report.share import write_share

    data, html_blocks = extras(assessment, insight, features)
    try:
        write_share(path.expanduser(), assessment, insight, as_json=as_json, messages=messages, simulated=simulated,
                    extra=data, extra_html=html_blocks, country=country)
    except OSError as exc:
        raise EbbtideError(f"cannot write the report to share ({exc.strerror})", where=str(exc.filename or path),
                           fix="Check the folder exists and you may write there.") from None
    kind = "JSON" if as_json else "HTML, print it to keep a PDF"
    err.print(f"Report to share: {shown(path)} ({kind}; no message text, no names; readable by you only)",
              markup=False, highlight=False)
