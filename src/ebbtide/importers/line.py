"""LINE "Export chat history" text files (English and Japanese headers).

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
from datetime import date, datetime
from pathlib import Path

from ebbtide.errors import NotAChatExport, UnreadableInput
from ebbtide.importers._build import (
    build_frame,
    capabilities,
    decode_head,
    decode_text,
    participants_in_order,
    read_head,
    slug,
    wrap_errors,
)
from ebbtide.model import DateOrder, MessageKind, ParsedExport, ParseReport, Platform, UnplacedLine

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


def _classify(text: str, sender: str, system: bool) -> tuple[str, str, str]:
    """(kind, sender, text) of one message."""
    stripped = text.strip()
    if system:
        for pattern in _UNSENT:
            m = pattern.match(stripped)
            if m:
                return MessageKind.DELETED, m.group(1), ""
        return MessageKind.SYSTEM, "", stripped
    if stripped.startswith("☎"):
        return MessageKind.CALL, sender, ""
    if stripped in _MEDIA:
        return MessageKind.MEDIA, sender, ""
    if stripped in _OTHER:
        return MessageKind.OTHER, sender, ""
    if not stripped:
        return MessageKind.OTHER, sender, ""
    return MessageKind.TEXT, sender, text


class LineImporter:
    platform = Platform.LINE
    description = "LINE: 'Export chat history' .txt (English or Japanese)"

    def sniff(self, path: Path) -> bool:
        try:
            if not path.is_file():
                return False
            first = decode_head(read_head(path, 1024)).lstrip("\ufeff").split("\n", 1)[0]
            return first.startswith("[LINE]")
        except (OSError, ValueError):
            return False

    @wrap_errors("LINE chat history", _FIX)
    def read(self, path: Path, *, date_order: DateOrder | None = None) -> ParsedExport:
        path = Path(path)
        where = str(path)
        if path.is_dir():
            raise UnreadableInput("this is a folder, not a LINE .txt export", where=where, fix=_FIX)
        text = decode_text(path.read_bytes(), where).lstrip("\ufeff")
        lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        if not lines or not lines[0].startswith("[LINE]"):
            raise NotAChatExport("the first line does not start with [LINE]", where=f"{where}:1", fix=_FIX)
        header = lines[0]
        partner = next((m.group(1) for p in _HEADER_NAME if (m := p.match(header))), None)
        group = None if partner else next((m.group(1) for p in _HEADER_GROUP if (m := p.match(header))), None)

        date_triples: list[tuple[int, int, int]] = []
        date_styles: list[bool] = []  # True: year first
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
                a, b, c = (int(g) for g in m_date.groups())
                year_first = len(m_date.group(1)) == 4
                date_styles.append(year_first)
                date_triples.append((a, b, c) if not year_first else (c, b, a))  # store as (x, y, year)
                continue
            if messages:
                messages[-1].lines.append(line)
            elif date_triples or line_no > 3:
                unplaced.append(UnplacedLine(line_no, line, "before the first message"))
        if not date_triples:
            raise NotAChatExport("no date lines were found after the header", where=where, fix=_FIX)

        all_year_first = all(date_styles)
        if all_year_first:
            order, decided, reason = DateOrder.YMD, True, "dates are written year first"
            days = [(y, mo, d) for d, mo, y in date_triples]
        else:
            order, decided, reason = _decide_order([t for t, yf in zip(date_triples, date_styles, strict=True) if not yf], date_order)
            days = [
                (y, b, a) if yf or order == DateOrder.DMY else (y, a, b)
                for (a, b, y), yf in zip(date_triples, date_styles, strict=True)
            ]
        timestamps: list[datetime] = []
        senders, texts, kinds, line_nos = [], [], [], []
        for msg in messages:
            y, mo, d = days[msg.date_index]
            try:
                timestamps.append(datetime(y, mo, d, msg.hour, msg.minute))
            except ValueError as exc:
                raise UnreadableInput(
                    f"impossible date or time for the message on line {msg.line_no} ({exc})",
                    where=f"{where}:{msg.line_no}",
                    fix="If day and month are swapped, give the date order (--date-order dmy or mdy).",
                ) from exc
            body = "\n".join(msg.lines)
            if msg.quoted and body.endswith('"') and len(body) > 1:
                body = body[1:-1].replace('""', '"')
            kind, sender, content = _classify(body, msg.sender, msg.system)
            senders.append(sender)
            texts.append(content if kind in (MessageKind.TEXT, MessageKind.SYSTEM) else "")
            kinds.append(kind)
            line_nos.append(msg.line_no)

        people = participants_in_order(senders, kinds)
        me = None
        if partner and len(people) == 2 and partner in people:
            me = next(p for p in people if p != partner)
        warnings = [] if decided else [f"day/month order guessed: {reason}. Use --date-order if dates look wrong."]
        if "spaces" in separators:
            warnings.append(
                "this export separates columns with spaces: names containing spaces may be split wrongly."
            )
        frame = build_frame(
            timestamp=timestamps,
            sender=senders,
            text=texts,
            kind=kinds,
            platform=Platform.LINE.value,
            conversation_id=f"line:{slug(people) if people else slug([partner or group or path.stem])}",
            source_file=where,
            source_line=line_nos,
        )
        dialect = f"LINE text export, {'/'.join(sorted(separators)) or 'no messages'}, local time, minutes only"
        if group:
            dialect += f", group '{group}'"
        report = ParseReport(
            source_file=where,
            platform=Platform.LINE,
            dialect=dialect,
            date_order=order,
            date_order_decided=decided,
            date_order_reason=reason,
            unplaced_lines=tuple(unplaced),
            warnings=tuple(warnings),
            participants=people,
            me=me,
            capabilities=capabilities(reactions=False, replies=False, read_times=False, calls=True, edits=False),
        )
        return ParsedExport(messages=frame, report=report)


IMPORTER = LineImporter()
