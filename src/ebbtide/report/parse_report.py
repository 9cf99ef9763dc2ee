"""A ParseReport in plain lines for the terminal (stderr), shown after every parse and import.

Why it matters: the failures of other chat parsers are silent (day and month swapped, lines
dropped). Saying which dialect and date order were chosen, whether that was a guess, and which
lines could not be placed lets people catch a misread before trusting any analysis.
"""

from __future__ import annotations

import re
from datetime import date, datetime

import polars as pl

from ebbtide.model import MessageKind, ParseReport

_ORDER_WORDS = {"dmy": "day-month-year", "mdy": "month-day-year", "ymd": "year-month-day"}
_SNIPPET = 70
_INVISIBLE = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")  # direction marks, shown as nothing  # characters of an unplaced line shown


def _clip(text: str) -> str:
    text = text.replace("\n", " ").strip()
    return text if len(text) <= _SNIPPET else text[: _SNIPPET - 1] + "…"


def _day(value: object) -> str:
    return value.strftime("%Y-%m-%d") if isinstance(value, datetime | date) else "?"


# kinds whose examples are shown, so that a misreading (a person's words taken for a notice) is seen
_EXAMPLE_KINDS = {
    MessageKind.SYSTEM.value: "system (notices, not counted as anyone's message)",
    MessageKind.CALL.value: "call",
    MessageKind.DELETED.value: "deleted",
    MessageKind.OTHER.value: "other (contact cards, polls, locations)",
}


def _examples(messages: pl.DataFrame, per_kind: int) -> list[str]:
    """A few different texts of each non-text kind, with their line in the file when known."""
    if per_kind <= 0 or "kind" not in messages.columns:
        return []
    has_line = "source_line" in messages.columns
    picked = (
        messages.filter(pl.col("kind").is_in(list(_EXAMPLE_KINDS)))
        .select("kind", "text", pl.col("source_line") if has_line else pl.lit(None).alias("source_line"))
        .unique(subset=["kind", "text"], keep="first", maintain_order=True)
        .group_by("kind", maintain_order=True)
        .head(per_kind)
    )
    out: list[str] = []
    for kind, label in _EXAMPLE_KINDS.items():
        rows = picked.filter(pl.col("kind") == kind)
        if rows.height == 0:
            continue
        out.append(f"  read as {label}, e.g.:")
        for text, line in rows.select("text", "source_line").iter_rows():
            where = f"line {line}: " if line is not None else ""
            out.append(f"    {where}{_clip(_INVISIBLE.sub('', text or ''))!r}")
    return out


def parse_report_lines(
    report: ParseReport, messages: pl.DataFrame, *, max_unplaced: int = 5, max_examples: int = 3
) -> list[str]:
    """Plain lines describing one parse: what was read, how, and what could not be used."""
    # imported here: ``ebbtide parse`` works the report out while it writes the output, so loading the
    # insight package (about 15 ms) overlaps the writing instead of delaying the start
    from ebbtide.insight.wording import counted

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
        lines.append(f"  {counted(n, 'message')} from {first} to {last}")
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
            lines.extend(_examples(messages, max_examples))
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
