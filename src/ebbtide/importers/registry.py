"""Which importers exist, and how a file is matched to one (format sniffing).

Every importer is an ``Importer`` (``base.py``): a platform, a description for the "formats
understood" list, a cheap ``sniff`` and a ``read``. ``IMPORTERS`` lists them in sniffing order;
the first whose ``sniff`` says yes reads the file.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from pathlib import Path

import polars as pl

from ebbtide.errors import EbbtideError, NotAChatExport, UnreadableInput, shown
from ebbtide.importers import (
    discord,
    generic,
    google_chat,
    imessage,
    line,
    meta,
    signal,
    sms,
    snapchat,
    telegram,
    whatsapp,
)
from ebbtide.importers._build import SURPRISES, fix_for_damaged, plain_reason
from ebbtide.importers._columns import chat_chosen
from ebbtide.importers.base import Importer
from ebbtide.importers.limits import (
    cap_message_length,
    cap_names,
    check_input,
    check_json_depth,
    check_size_for,
)
from ebbtide.model import DateOrder, ParsedExport, Platform

# Tried in this order, most specific first; the first whose ``sniff`` says yes reads the file.
IMPORTERS: tuple[Importer, ...] = (
    telegram.IMPORTER,
    meta.IMPORTER,
    imessage.IMPORTER,
    sms.IMPORTER,
    signal.IMPORTER,
    discord.IMPORTER,
    line.IMPORTER,
    snapchat.IMPORTER,
    google_chat.IMPORTER,
    whatsapp.IMPORTER,
    generic.IMPORTER,
)


def supported_formats() -> list[str]:
    return [f"{imp.platform.value}: {imp.description}" for imp in IMPORTERS]


SUPPORTED_FORMATS = supported_formats


# Files people pick by mistake, by their first bytes: (magic, offset, what it is).
_NOT_CHATS: tuple[tuple[bytes, int, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", 0, "a PNG image"),
    (b"\xff\xd8\xff", 0, "a JPEG image"),
    (b"GIF8", 0, "a GIF image"),
    (b"%PDF", 0, "a PDF document"),
    (b"ftypheic", 4, "a HEIC photo"),
    (b"ftypmif1", 4, "a HEIC photo"),
    (b"ftyp", 4, "a video or audio file"),
    (b"OggS", 0, "an audio file"),
    (b"ID3", 0, "an MP3 audio file"),
    (b"\x1f\x8b", 0, "a gzip archive"),
    (b"Rar!", 0, "a RAR archive"),
    (b"7z\xbc\xaf", 0, "a 7-Zip archive"),
)
_CHAT_HELP = ("Give the chat export the messenger wrote (usually a .txt, .zip or .json file), not a photo or "
              "document from the chat.")


def _plainly_not_a_chat(path: Path) -> UnreadableInput | NotAChatExport | None:
    """A specific error for files that cannot be a chat export at all, whatever ``--platform`` says.

    WHY: "does not look like a chat export" plus a list of formats does not tell someone that the
    file is empty, that the zip was cut off while downloading, or that they picked a photo.
    """
    if path.is_dir():
        return None
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(16)
    except OSError:
        return None
    if size == 0:
        return UnreadableInput("the file is empty", where=str(path),
                               fix="Export the chat again; the file holds no messages at all.")
    if head.startswith(b"PK"):
        import zipfile

        try:
            with zipfile.ZipFile(path) as zf:
                zf.namelist()
        except zipfile.BadZipFile:
            with path.open("rb") as fh:
                fh.seek(max(0, size - 65_557))
                tail = fh.read()
            why = "unexpected end: it looks cut off, e.g. an unfinished download" if b"PK\x05\x06" not in tail \
                else "its table of contents cannot be read"
            return UnreadableInput(f"the zip is damaged ({why})", where=str(path),
                                   fix="Download or export it again, and wait until it has finished.")
        except (OSError, ValueError, NotImplementedError):
            return UnreadableInput("the zip cannot be opened", where=str(path),
                                   fix="Download or export it again, or unzip it and give the chat file inside.")
        return None
    for magic, offset, what in _NOT_CHATS:
        if head[offset:offset + len(magic)] == magic:
            return NotAChatExport(f"this is {what}, not a chat export", where=str(path), fix=_CHAT_HELP)
    for magic, offset, what in _NOT_CHATS:  # the start of a signature only: a file cut off early
        start = head[offset:offset + len(magic)]
        if offset == 0 and len(start) >= min(4, len(magic)) and magic.startswith(start):
            return NotAChatExport(
                f"this is the start of {what} ({size:,} bytes, cut off), not a chat export", where=str(path),
                fix=_CHAT_HELP,
            )
    return None


def read_export(
    path: str | Path, *, platform: Platform | str | None = None, date_order: DateOrder | str | None = None,
    chat: str | None = None,
) -> ParsedExport:
    """Read one export file (or zip) into the canonical frame, sniffing its format.

    ``chat``: which conversation to read from an export that holds several (name, id or number; the
    ``EBBTIDE_CHAT`` variable is the fallback). Without one, such an export raises ``ChooseChat``
    listing them.
    """
    with chat_chosen(chat):
        return _read_export(Path(path), platform, date_order)


def _read_export(path: Path, platform: Platform | str | None, date_order: DateOrder | str | None) -> ParsedExport:
    if not path.exists():
        raise UnreadableInput("file not found", where=str(path), fix="Check the path and try again.")
    problem = _plainly_not_a_chat(path)
    if problem is not None:
        raise problem
    check_input(path)  # size caps first: a file too large is said to be too large, not "not a chat"
    order = DateOrder(date_order) if date_order else None
    parsed = _read(path, platform, order)
    frame, dropped = _drop_impossible_dates(parsed.messages, str(path))
    frame, warnings = cap_message_length(frame)
    frame, renamed, named = cap_names(frame)
    warnings = (*dropped, *warnings, *named)
    if not warnings and frame is parsed.messages and shown(parsed.report.source_file) == parsed.report.source_file:
        return parsed
    report = dataclasses.replace(parsed.report, warnings=(*parsed.report.warnings, *warnings),
                                 source_file=shown(parsed.report.source_file))
    if renamed:
        report = dataclasses.replace(report, participants=tuple(renamed.get(p, p) for p in report.participants),
                                     me=renamed.get(report.me, report.me) if report.me else report.me)
    return ParsedExport(messages=frame, report=report)


EARLIEST, LATEST = datetime(1970, 1, 1), datetime(2100, 1, 1)


def _drop_impossible_dates(frame: pl.DataFrame, where: str) -> tuple[pl.DataFrame, tuple[str, ...]]:
    """Messages dated before 1970 or from 2100 on come from a damaged file: left out, and said so.

    Messages without a date (an importer that keeps them says so in its warnings) are left out here
    too, so ``parse`` shows exactly what ``import`` stores.
    """
    if "timestamp" not in frame.columns or frame.height == 0:
        return frame, ()
    ts = pl.col("timestamp")
    bad, undated = frame.select(((ts < EARLIEST) | (ts >= LATEST)).sum().alias("bad"), ts.is_null().sum().alias("undated")).row(0)
    if not bad and not undated:
        return frame, ()
    kept = frame.filter((ts >= EARLIEST) & (ts < LATEST))
    if not bad:
        return kept, ()
    if kept.height == 0:
        raise UnreadableInput(
            "no message has a date between 1970 and 2100 (the dates in the file are damaged)",
            where=where,
            fix="Export the chat again from the app; do not edit the file.",
        )
    return kept, (f"{bad} message(s) dated before 1970 or after 2099 were left out: their dates are damaged.",)


def _explain_json(path: Path) -> None:
    """A JSON file no importer recognised because its start is nested too deeply: say that."""
    try:
        with path.open("rb") as fh:
            head = fh.read(1 << 16)
    except OSError:
        return
    if head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"["):
        check_json_depth(head, str(path))


def _read(path: Path, platform: Platform | str | None, order: DateOrder | None) -> ParsedExport:
    """The importer's result; a surprise from a damaged or hand-made file becomes a plain error.

    Importers raise precise errors for the shapes they know; this net catches what gets past them
    (a damaged zip member, a number past 64 bits, a field of the wrong type) so nobody sees a
    traceback or Python's wording.
    """
    try:
        return _dispatch(path, platform, order)
    except EbbtideError:
        raise
    except SURPRISES as exc:  # the importers' own net (``Importer.read``) catches these; this is the last one
        name = _platform_name(path, platform)
        raise UnreadableInput(
            f"this does not read as {name}: {plain_reason(exc)}", where=str(path), fix=fix_for_damaged(path)
        ) from exc


def _platform_name(path: Path, platform: Platform | str | None) -> str:
    if platform:
        return f"a {Platform(platform).value} export"
    for imp in IMPORTERS:
        try:
            if imp.sniff(path):
                return f"a {imp.platform.value} export"
        except Exception:  # noqa: BLE001 - naming only
            continue
    return "a chat export"


def _dispatch(path: Path, platform: Platform | str | None, order: DateOrder | None) -> ParsedExport:
    importers = IMPORTERS
    if platform:
        wanted = Platform(platform)
        # an importer may read several platforms (Meta: messenger and instagram) and list them in ``platforms``
        chosen = [imp for imp in importers if imp.reads(wanted)]
        if not chosen:
            raise NotAChatExport(
                f"no importer for platform '{wanted.value}' yet",
                where=str(path),
                fix="Formats understood:\n  " + "\n  ".join(supported_formats()),
            )
        check_size_for(path, wanted.value)
        return chosen[0].read(path, date_order=order)
    for imp in importers:
        if imp.sniff(path):
            check_size_for(path, imp.platform.value)
            return imp.read(path, date_order=order)
    check_size_for(path, "unknown")  # a huge file no importer recognised: "too large" helps more
    _explain_json(path)
    raise NotAChatExport(
        "this does not look like a chat export ebbtide understands",
        where=str(path),
        fix="Formats understood:\n  " + "\n  ".join(supported_formats()),
    )
