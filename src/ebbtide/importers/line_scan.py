"""Scanning a LINE text export: date lines and message lines into rows (a fast Polars path, an exact one).

``_scan_fast`` reads the usual layouts with Polars; anything it is unsure of raises ``_SlowPath`` and
``_scan_exact`` reads line by line (names with spaces, Japanese AM/PM markers, other digits)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import polars as pl

from ebbtide.model import UnplacedLine

_DATE = re.compile(
    r"^(?:[^\d\s,]{2,12},?\s+)?(\d{1,4})[/.\-](\d{1,2})[/.\-](\d{1,4})\.?(?:\s*[(（]?[^\d\s()（）]{1,12}[)）]?)?$"
)
_MESSAGE = re.compile(r"^(午前|午後)?(\d{1,2}):(\d{2})\s?([AaPp][Mm])?(\t| )(.*)$")


@dataclass
class _Msg:
    date_index: int
    hour: int
    minute: int
    sender: str
    lines: list[str]
    line_no: int
    system: bool
    quoted: bool = False


def _hour(h: int, ampm: str | None, ja: str | None) -> int:
    if ja:
        return h % 12 + (12 if ja == "午後" else 0)
    if ampm:
        return h % 12 + (12 if ampm.upper() == "PM" else 0)
    return h


def _split_spaces(rest: str, names: list[str]) -> tuple[str, str]:
    """Name and text of a space-separated line: longest known name first, else the first word."""
    for name in sorted(names, key=len, reverse=True):
        if rest.startswith(name + " ") or rest == name:
            return name, rest[len(name) + 1 :]
    name, _, text = rest.partition(" ")
    return name, text


class _SlowPath(Exception):
    """The vectorised scan met a shape only the line-by-line scan reads exactly."""


@dataclass
class _Scan:
    """What a scan of the lines found; ``messages`` has one row per message (see ``_MSG_SCHEMA``)."""

    date_triples: list[tuple[int, int, int]]
    date_styles: list[bool]  # True: year first
    messages: pl.DataFrame
    unplaced: tuple[UnplacedLine, ...]
    separators: set[str]


_MSG_SCHEMA = {
    "date_index": pl.Int64, "hour": pl.Int64, "minute": pl.Int64, "sender": pl.String, "body": pl.String,
    "system": pl.Boolean, "line_no": pl.Int64,
}


def _date_triple(match: re.Match[str]) -> tuple[tuple[int, int, int], bool]:
    a, b, c = (int(g) for g in match.groups())
    year_first = len(match.group(1)) == 4
    return ((c, b, a) if year_first else (a, b, c)), year_first  # stored as (x, y, year)


def _scan_exact(lines: list[str], partner: str | None) -> _Scan:
    """Line by line with the quote state: exact for every shape (space separators, odd quotes)."""
    date_triples: list[tuple[int, int, int]] = []
    date_styles: list[bool] = []
    messages: list[_Msg] = []
    unplaced: list[UnplacedLine] = []
    names: list[str] = [partner] if partner else []
    separators: set[str] = set()
    open_quote: _Msg | None = None
    for line_no, line in enumerate(lines[1:], start=2):
        if open_quote is not None:
            open_quote.lines.append(line)
            if line.endswith('"'):
                open_quote = None
            continue
        stripped = line.strip()
        if not stripped:
            continue
        m_msg = _MESSAGE.match(line)
        if m_msg and date_triples:
            ja, hh, mm, ampm, sep, rest = m_msg.groups()
            separators.add("tabs" if sep == "\t" else "spaces")
            if sep == "\t":
                sender, tab, body = rest.partition("\t")
                system = not tab or not sender
                if not tab:
                    body = sender
                elif sender and sender not in names:
                    names.append(sender)
            else:
                sender, body = _split_spaces(rest, names)
                system = False
            msg = _Msg(len(date_triples) - 1, _hour(int(hh), ampm, ja), int(mm), sender, [body], line_no, system)
            messages.append(msg)
            if body.startswith('"') and not (len(body) > 1 and body.endswith('"')):
                msg.quoted = True
                open_quote = msg
            continue
        m_date = _DATE.match(stripped)
        if m_date:
            triple, year_first = _date_triple(m_date)
            date_triples.append(triple)
            date_styles.append(year_first)
            continue
        if messages:
            messages[-1].lines.append(line)
        elif date_triples or line_no > 3:
            unplaced.append(UnplacedLine(line_no, line, "before the first message"))
    bodies = []
    for msg in messages:
        body = "\n".join(msg.lines)
        if msg.quoted and body.endswith('"') and len(body) > 1:
            body = body[1:-1].replace('""', '"')
        bodies.append(body)
    frame = pl.DataFrame(
        {
            "date_index": [m.date_index for m in messages], "hour": [m.hour for m in messages],
            "minute": [m.minute for m in messages], "sender": [m.sender for m in messages], "body": bodies,
            "system": [m.system for m in messages], "line_no": [m.line_no for m in messages],
        },
        schema=_MSG_SCHEMA,
    )
    return _Scan(date_triples, date_styles, frame, tuple(unplaced), separators)


def _scan_fast(lines: list[str]) -> _Scan:
    """The whole file with Polars expressions: the hot path for tab-separated exports.

    Refuses (``_SlowPath``) whatever it cannot read exactly as ``_scan_exact`` would: space
    separators, lines before the first message, quotes that do not close on a group's last line.
    """
    body_lines = pl.Series("line", lines[1:], dtype=pl.String)
    parts = body_lines.str.extract_groups(_MESSAGE.pattern).struct.unnest()
    parts.columns = ["ja", "hh", "mm", "ampm", "sep", "rest"]
    stripped = body_lines.str.strip_chars()
    frame = parts.with_columns(
        body_lines.alias("line"),
        stripped.alias("stripped"),
        pl.int_range(2, len(lines) + 1, dtype=pl.Int64).alias("line_no"),
    ).with_columns(
        pl.col("hh").is_not_null().alias("is_msg"),
        (pl.col("stripped") == "").alias("blank"),
    ).with_columns(
        (~pl.col("is_msg") & ~pl.col("blank") & pl.col("stripped").str.contains(_DATE.pattern)).alias("is_date"),
    ).with_columns(
        pl.col("is_msg").cast(pl.Int64).cum_sum().alias("msg_no"),
        (pl.col("is_date").cast(pl.Int64).cum_sum() - 1).alias("date_index"),
    )
    if (frame["sep"] == " ").any():
        raise _SlowPath
    first_date = frame["is_date"].arg_true()
    if first_date.len() == 0:
        raise _SlowPath
    if frame.head(int(first_date[0]))["is_msg"].any():
        raise _SlowPath  # a message-like line before any date: exact reader decides
    stray = frame.filter(
        (pl.col("msg_no") == 0) & ~pl.col("is_msg") & ~pl.col("is_date") & ~pl.col("blank")
        & ((pl.col("line_no") > 3) | (pl.col("date_index") >= 0))
    )
    if stray.height:
        raise _SlowPath

    date_rows = frame.filter(pl.col("is_date"))["stripped"].to_list()
    date_triples, date_styles = [], []
    for text in date_rows:
        m = _DATE.match(text)
        if m is None:  # Rust and Python regex disagreed: trust Python
            raise _SlowPath
        triple, year_first = _date_triple(m)
        date_triples.append(triple)
        date_styles.append(year_first)

    tab_split = pl.col("rest").str.splitn("\t", 2)
    msgs = frame.filter(pl.col("is_msg")).with_columns(
        tab_split.struct.field("field_0").alias("f0"), tab_split.struct.field("field_1").alias("f1")
    )
    hour = pl.col("hh").cast(pl.Int64)
    ampm = pl.col("ampm").str.to_uppercase()
    msgs = msgs.select(
        "msg_no",
        "date_index",
        pl.when(pl.col("ja") == "午後").then(hour % 12 + 12).when(pl.col("ja") == "午前").then(hour % 12)
        .when(ampm == "PM").then(hour % 12 + 12).when(ampm == "AM").then(hour % 12)
        .otherwise(hour).alias("hour"),
        pl.col("mm").cast(pl.Int64).alias("minute"),
        pl.col("f0").alias("sender"),
        pl.when(pl.col("f1").is_null()).then(pl.col("f0")).otherwise(pl.col("f1")).alias("body"),
        (pl.col("f1").is_null() | (pl.col("f0") == "")).alias("system"),
        "line_no",
    ).with_columns(
        (pl.col("body").str.starts_with('"') & ~((pl.col("body").str.len_chars() > 1) & pl.col("body").str.ends_with('"')))
        .alias("quoted")
    )
    conts = frame.filter(~pl.col("is_msg") & ~pl.col("is_date") & (pl.col("msg_no") > 0))
    continuation: dict[int, list[str]] = {}
    for msg_no, line in conts.select("msg_no", "line").iter_rows():
        continuation.setdefault(msg_no, []).append(line)
    quoted_rows = set(msgs.filter(pl.col("quoted"))["msg_no"].to_list())
    if not quoted_rows <= set(continuation):
        raise _SlowPath  # an open quote with nothing after it
    if quoted_rows & set(frame.filter(pl.col("is_date"))["msg_no"].to_list()):
        raise _SlowPath  # a date-like line inside a quoted body
    bodies: dict[int, str] = {}
    first_bodies = dict(msgs.filter(pl.col("msg_no").is_in(list(continuation)))
                        .select("msg_no", "body").iter_rows())
    for msg_no, extra in continuation.items():
        if msg_no in quoted_rows:
            while extra and not extra[-1].strip():
                extra.pop()
            if not extra or not extra[-1].endswith('"') or any(x.endswith('"') for x in extra[:-1]):
                raise _SlowPath
            body = "\n".join([first_bodies[msg_no], *extra])
            bodies[msg_no] = body[1:-1].replace('""', '"')
        else:
            kept = [x for x in extra if x.strip()]
            bodies[msg_no] = "\n".join([first_bodies[msg_no], *kept])
    if bodies:
        fixes = pl.DataFrame(
            {"msg_no": list(bodies), "new_body": list(bodies.values())},
            schema={"msg_no": pl.Int64, "new_body": pl.String},
        )
        msgs = msgs.join(fixes, on="msg_no", how="left").with_columns(
            pl.coalesce("new_body", "body").alias("body")
        )
    out = msgs.select(list(_MSG_SCHEMA)).cast(_MSG_SCHEMA)  # type: ignore[arg-type]
    return _Scan(date_triples, date_styles, out, (), {"tabs"} if out.height else set())
