"""A ParseReport in plain lines for the terminal (stderr), shown after every parse and import.

Why it matters: the failures of other chat parsers are silent (day and month swapped, lines
dropped). Saying which dialect and date order were chosen, whether that was a guess, and which
lines could not be placed lets people catch a misread before trusting any analysis.
"""

from __future__ import annotations

from datetime import date, datetime

import polars as pl

from ebbtide.model import MessageKind, ParseReport

_ORDER_WORDS = {"dmy": "day-month-year", "mdy": "month-day-year", "ymd": "year-month-day"}
_SNIPPET = 70  # characters of an unplaced line shown


def _clip(text: str) -> str:
    text = text.replace("\n", " ").strip()
    return text if len(text) <= _SNIPPET else text[: _SNIPPET - 1] + "…"


def _day(value: object) -> str:
    return value.strftime("%Y-%m-%d") if isinstance(value, datetime | date) else "?"


def parse_report_lines(report: ParseReport, messages: pl.DataFrame, *, max_unplaced: int = 5) -> list[str]:
    """Plain lines describing one parse: what was read, how, and what could not be used."""
    lines = [f"{report.source_file}: {report.platform.value} ({report.dialect})"]
    if report.date_order is not None:
        order = _ORDER_WORDS.get(report.date_order.value, report.date_order.value)
        how = "decided" if report.date_order_decided else "a GUESS, the file could not tell"
        reason = f": {report.date_order_reason}" if report.date_order_reason else ""
        lines.append(f"  date order: {order} ({how}{reason})")
        if not report.date_order_decided:
            lines.append("    if dates look wrong, run again with --date-order dmy|mdy|ymd")
    n = messages.height
    if n == 0:
        lines.append("  no messages found")
    else:
        ts = messages.get_column("timestamp")
        first, last = _day(ts.min()), _day(ts.max())
        lines.append(f"  {n:,} messages from {first} to {last}")
        # one pass over (sender, kind); people keep the order of their first message
        counts = messages.group_by("sender", "kind", maintain_order=True).agg(pl.len().alias("n"))
        people: dict[str, int] = {}
        kinds: dict[str, int] = {}
        for sender, kind, count in counts.iter_rows():
            if sender != "":
                people[sender] = people.get(sender, 0) + count
            kinds[kind] = kinds.get(kind, 0) + count
        for sender, count in people.items():
            mark = " (you)" if report.me and sender == report.me else ""
            lines.append(f"    {sender}{mark}: {count:,}")
        other = [f"{k} {c:,}" for k, c in sorted(kinds.items()) if k != MessageKind.TEXT.value]
        if other:
            lines.append(f"  not plain text: {', '.join(other)}")
    unplaced = report.unplaced_lines
    if unplaced:
        noun = "line" if len(unplaced) == 1 else "lines"
        lines.append(f"  {len(unplaced):,} {noun} could not be placed in a message:")
        for item in unplaced[:max_unplaced]:
            why = f" ({item.reason})" if item.reason else ""
            lines.append(f"    line {item.line_no}: {_clip(item.text)!r}{why}")
        if len(unplaced) > max_unplaced:
            lines.append(f"    … and {len(unplaced) - max_unplaced:,} more")
    for warning in report.warnings:
        lines.append(f"  warning: {warning}")
    return lines
