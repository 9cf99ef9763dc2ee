"""LINE "Export chat history" text files (English and Japanese headers, or the newer layout without one).

Shape (see docs/formats/line.md)::

    [LINE] Chat history with Sam          ja: [LINE] Samとのトーク履歴
    Saved on: 2024/01/05 10:00            ja: 保存日時：2024/01/05 10:00

    2024/01/04(Thu)                       the date is written once per day
    19:03<TAB>Alex<TAB>hi                 also 07:03PM, 7:03 PM, 午後7:03
    19:05<TAB>Sam<TAB>"first line         multi-line messages are wrapped in double quotes
    second line"
    19:06<TAB><TAB>Sam unsent a message.  system line: empty sender column

Why a line-by-line state machine (not one regex over the file): a quoted multi-line body may hold
blank lines or lines that look like dates, and only the quote state tells them apart.
Times are local wall clock with minutes only and no zone (``utc_offset_min`` null). Older and
Japanese exports separate columns with spaces instead of tabs; a name with spaces is then
ambiguous, so the longest name already seen (in tab lines or in the header) wins, else the first
word. Day/month order for ``26/04/2026``-style dates comes from values above 12, then from the
dates having to run forward, then from ``date_order``; else day-first is guessed and reported.
LINE exports hold no reactions, replies, edits or read times.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl

from ebbtide.errors import NotAChatExport, UnreadableInput
from ebbtide.importers._build import (
    build_frame,
    decode_head,
    decode_text,
    participants_in_order,
    read_head,
    slug,
)
from ebbtide.importers.base import Importer
from ebbtide.model import DateOrder, MessageKind, ParsedExport, Platform, UnplacedLine

_FIX = "In LINE open the chat, then Settings > Export chat history, and point ebbtide at the .txt file."
_HEADER_NAME = (
    re.compile(r"^\[LINE\] Chat history with (.+?)\s*$"),
    re.compile(r"^\[LINE\] (.+?)とのトーク履歴\s*$"),
)
_HEADER_GROUP = (re.compile(r"^\[LINE\] Chat history in (.+?)\s*$"), re.compile(r"^\[LINE\] (.+?)のトーク履歴\s*$"))
_DATE = re.compile(
    r"^(?:[^\d\s,]{2,12},?\s+)?(\d{1,4})[/.\-](\d{1,2})[/.\-](\d{1,4})\.?(?:\s*[(（]?[^\d\s()（）]{1,12}[)）]?)?$"
)
_MESSAGE = re.compile(r"^(午前|午後)?(\d{1,2}):(\d{2})\s?([AaPp][Mm])?(\t| )(.*)$")
_MEDIA = {
    "[Sticker]", "[Photo]", "[Video]", "[File]", "[Voice message]", "[Album]", "[GIF]", "[Animated sticker]",
    "[スタンプ]", "[写真]", "[動画]", "[ファイル]", "[ボイスメッセージ]", "[アルバム]",
    "[貼圖]", "[照片]", "[影片]", "[檔案]", "[語音訊息]",
}
# the newer layout (no header) writes media without brackets, in English whatever the UI language
_MEDIA_BARE = {"Photos", "Stickers", "Videos", "Files", "Voice messages", "Albums", "Photo", "Sticker", "Voice message"}
_OTHER = {"[Location]", "[Contact]", "[Note]", "[位置情報]", "[連絡先]", "[ノート]", "[位置資訊]", "[聯絡資訊]"}
_UNSENT = (re.compile(r"^(.+) unsent a message\.?$"), re.compile(r"^(.+?)がメッセージの送信を取り消しました$"))


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


def _headerless(lines: list[str]) -> bool:
    """The newer LINE layout without the ``[LINE]`` header: the first non-blank line is a date
    (``2026.01.14 Wednesday``) and the next non-blank lines are mostly ``HH:MM name text``."""
    filled = [ln.rstrip("\r") for ln in lines if ln.strip()][:20]
    if len(filled) < 3 or not _DATE.match(filled[0].strip()):
        return False
    rest = filled[1:]
    timed = sum(1 for ln in rest if _MESSAGE.match(ln))
    return timed >= 2 and timed + sum(1 for ln in rest if _DATE.match(ln.strip())) >= 0.8 * len(rest)


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


def _decide_order(
    triples: list[tuple[int, int, int]], given: DateOrder | None
) -> tuple[DateOrder | None, bool, str]:
    if not triples or all(a > 31 for a, _, _ in triples):
        return DateOrder.YMD, True, "dates are written year first"
    if any(a > 12 for a, _, _ in triples):
        return DateOrder.DMY, True, "a first number above 12 must be a day"
    if any(b > 12 for _, b, _ in triples):
        return DateOrder.MDY, True, "a second number above 12 must be a day"

    def runs_forward(order: DateOrder) -> bool:
        try:
            days = [date(y, b, a) if order == DateOrder.DMY else date(y, a, b) for a, b, y in triples]
        except ValueError:
            return False
        return all(x <= y for x, y in zip(days, days[1:], strict=False))

    dmy, mdy = runs_forward(DateOrder.DMY), runs_forward(DateOrder.MDY)
    if dmy != mdy:
        return (DateOrder.DMY if dmy else DateOrder.MDY), True, "only this order makes the dates run forward"
    if given is not None:
        return given, True, "given by the user"
    return DateOrder.DMY, False, "the file cannot tell day from month; day-first was guessed"


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


def _finish(
    messages: pl.DataFrame, days: list[tuple[int, int, int]], where: str, *, bare_media: bool = False
) -> pl.DataFrame:
    """Timestamps, kinds, senders and texts of the scanned messages, with expressions."""
    years = pl.Series([d[0] for d in days], dtype=pl.Int64)
    months = pl.Series([d[1] for d in days], dtype=pl.Int64)
    mdays = pl.Series([d[2] for d in days], dtype=pl.Int64)
    for i, (y, mo, d) in enumerate(days):
        try:
            date(y, mo, d)
        except ValueError as exc:
            first = messages.filter(pl.col("date_index") == i)["line_no"]
            line = int(first[0]) if first.len() else 0
            raise UnreadableInput(
                f"impossible date {y:04d}-{mo:02d}-{d:02d} for the messages from line {line}",
                where=f"{where}:{line}",
                fix="If day and month are swapped, give the date order (--date-order dmy or mdy).",
            ) from exc
    bad_time = messages.filter((pl.col("hour") > 23) | (pl.col("minute") > 59))
    if bad_time.height:
        line = int(bad_time["line_no"][0])
        raise UnreadableInput(f"impossible time on line {line}", where=f"{where}:{line}", fix=_FIX)
    idx = messages["date_index"]
    stripped = pl.col("body").str.strip_chars()
    unsent = pl.coalesce(
        stripped.str.extract(_UNSENT[0].pattern, 1), stripped.str.extract(_UNSENT[1].pattern, 1)
    )
    kind = (
        pl.when(pl.col("system") & unsent.is_not_null()).then(pl.lit(MessageKind.DELETED.value))
        .when(pl.col("system")).then(pl.lit(MessageKind.SYSTEM.value))
        .when(stripped.str.starts_with("☎")).then(pl.lit(MessageKind.CALL.value))
        .when(stripped.is_in(sorted(_MEDIA | (_MEDIA_BARE if bare_media else set()))))
        .then(pl.lit(MessageKind.MEDIA.value))
        .when(stripped.is_in(sorted(_OTHER))).then(pl.lit(MessageKind.OTHER.value))
        .when(stripped == "").then(pl.lit(MessageKind.OTHER.value))
        .otherwise(pl.lit(MessageKind.TEXT.value))
    )
    return messages.with_columns(
        years.gather(idx).alias("y"), months.gather(idx).alias("mo"), mdays.gather(idx).alias("d"),
        kind.alias("kind"), unsent.alias("unsent"),
    ).select(
        pl.datetime("y", "mo", "d", "hour", "minute", time_unit="us").alias("timestamp"),
        pl.when(pl.col("kind") == MessageKind.DELETED.value).then(pl.col("unsent"))
        .when(pl.col("system")).then(pl.lit(""))
        .otherwise(pl.col("sender")).alias("sender"),
        pl.when(pl.col("kind") == MessageKind.TEXT.value).then(pl.col("body"))
        .when(pl.col("kind") == MessageKind.SYSTEM.value).then(stripped)
        .otherwise(pl.lit("")).alias("text"),
        "kind",
        "line_no",
    )


class LineImporter(Importer):
    platform = Platform.LINE
    description = "LINE: 'Export chat history' .txt (English or Japanese)"
    format_name = "LINE chat history"
    fix = _FIX
    features = ("calls",)

    def looks_like(self, path: Path) -> bool:
        if not path.is_file():
            return False
        head = decode_head(read_head(path, 4096)).lstrip("\ufeff")
        return head.split("\n", 1)[0].startswith("[LINE]") or _headerless(head.split("\n"))

    def parse(self, path: Path, date_order: DateOrder | None) -> ParsedExport:
        where = str(path)
        if path.is_dir():
            raise UnreadableInput("this is a folder, not a LINE .txt export", where=where, fix=_FIX)
        text = decode_text(path.read_bytes(), where).lstrip("\ufeff")
        lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        shift = 0
        if lines and not lines[0].startswith("[LINE]") and _headerless(lines[:60]):
            lines, shift = ["", *lines], 1  # the newer layout: no header, the file starts with a date line
        if not lines or not lines[0].startswith("[LINE]") and not shift:
            raise NotAChatExport("the first line does not start with [LINE]", where=f"{where}:1", fix=_FIX)
        header = lines[0]
        partner = next((m.group(1) for p in _HEADER_NAME if (m := p.match(header))), None)
        group = None if partner else next((m.group(1) for p in _HEADER_GROUP if (m := p.match(header))), None)

        try:
            scan = _scan_fast(lines)
        except (_SlowPath, pl.exceptions.PolarsError):  # e.g. non-ASCII digits Polars will not cast
            scan = _scan_exact(lines, partner)
        if not scan.date_triples:
            raise NotAChatExport("no date lines were found after the header", where=where, fix=_FIX)
        date_triples, date_styles, separators = scan.date_triples, scan.date_styles, scan.separators

        order: DateOrder | None
        if all(date_styles):
            order, decided, reason = DateOrder.YMD, True, "dates are written year first"
            days = [(y, mo, d) for d, mo, y in date_triples]
        else:
            order, decided, reason = _decide_order(
                [t for t, yf in zip(date_triples, date_styles, strict=True) if not yf], date_order
            )
            days = [
                (y, b, a) if yf or order == DateOrder.DMY else (y, a, b)
                for (a, b, y), yf in zip(date_triples, date_styles, strict=True)
            ]
        table = _finish(scan.messages, days, where, bare_media=bool(shift))
        unplaced = tuple(UnplacedLine(u.line_no - shift, u.text, u.reason) for u in scan.unplaced)

        people = participants_in_order(table["sender"], table["kind"])
        me = None
        if partner and len(people) == 2 and partner in people:
            me = next(p for p in people if p != partner)
        warnings = [] if decided else [f"day/month order guessed: {reason}. Use --date-order if dates look wrong."]
        if "spaces" in separators:
            warnings.append(
                "this export separates columns with spaces: names containing spaces may be split wrongly."
            )
        frame = build_frame(
            **{c: table[c] for c in ("timestamp", "sender", "text", "kind")}, source_line=table["line_no"] - shift,
            platform=self.platform, source_file=where,
            conversation_id=f"line:{slug(people) if people else slug([partner or group or path.stem])}",
        )
        dialect = f"LINE text export, {'/'.join(sorted(separators)) or 'no messages'}, local time, minutes only"
        if group:
            dialect += f", group '{group}'"
        return self.result(frame, source_file=where, dialect=dialect, date_order=order, date_order_decided=decided,
                           date_order_reason=reason, unplaced_lines=unplaced, warnings=warnings, participants=people,
                           me=me)


IMPORTER = LineImporter()
