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
from datetime import date
from pathlib import Path

import polars as pl

from ebbtide.errors import NotAChatExport, UnreadableInput
from ebbtide.importers._build import (
    build_frame,
    decode_head,
    participants_in_order,
    read_head,
    read_lines_text,
    slug,
)
from ebbtide.importers.base import Importer
from ebbtide.importers.line_scan import _DATE, _MESSAGE, _scan_exact, _scan_fast, _SlowPath
from ebbtide.model import DateOrder, MessageKind, ParsedExport, Platform, UnplacedLine

_FIX = "In LINE open the chat, then Settings > Export chat history, and point ebbtide at the .txt file."
_HEADER_NAME = (
    re.compile(r"^\[LINE\] Chat history with (.+?)\s*$"),
    re.compile(r"^\[LINE\] (.+?)とのトーク履歴\s*$"),
)
_HEADER_GROUP = (re.compile(r"^\[LINE\] Chat history in (.+?)\s*$"), re.compile(r"^\[LINE\] (.+?)のトーク履歴\s*$"))
_MEDIA = {
    "[Sticker]", "[Photo]", "[Video]", "[File]", "[Voice message]", "[Album]", "[GIF]", "[Animated sticker]",
    "[スタンプ]", "[写真]", "[動画]", "[ファイル]", "[ボイスメッセージ]", "[アルバム]",
    "[貼圖]", "[照片]", "[影片]", "[檔案]", "[語音訊息]",
}
# the newer layout (no header) writes media without brackets, in English whatever the UI language
_MEDIA_BARE = {"Photos", "Stickers", "Videos", "Files", "Voice messages", "Albums", "Photo", "Sticker", "Voice message"}
_OTHER = {"[Location]", "[Contact]", "[Note]", "[位置情報]", "[連絡先]", "[ノート]", "[位置資訊]", "[聯絡資訊]"}
_UNSENT = (re.compile(r"^(.+) unsent a message\.?$"), re.compile(r"^(.+?)がメッセージの送信を取り消しました$"))


def _headerless(lines: list[str]) -> bool:
    """The newer LINE layout without the ``[LINE]`` header: the first non-blank line is a date
    (``2026.01.14 Wednesday``) and the next non-blank lines are mostly ``HH:MM name text``."""
    filled = [ln.rstrip("\r") for ln in lines if ln.strip()][:20]
    if len(filled) < 3 or not _DATE.match(filled[0].strip()):
        return False
    rest = filled[1:]
    timed = sum(1 for ln in rest if _MESSAGE.match(ln))
    return timed >= 2 and timed + sum(1 for ln in rest if _DATE.match(ln.strip())) >= 0.8 * len(rest)


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
        text = read_lines_text(path, where).lstrip("\ufeff")
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
