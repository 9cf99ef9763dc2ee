"""Which importers exist, and how a file is matched to one (format sniffing).

An importer is a module-level object with:
    platform: Platform
    description: str                      # shown in "formats understood" errors
    sniff(path: Path) -> bool             # cheap look at the start of the file / zip listing
    read(path: Path, *, date_order: DateOrder | None = None) -> ParsedExport
Importers are tried in ``IMPORTERS`` order; the first whose ``sniff`` says yes reads the file.
"""

from __future__ import annotations

import dataclasses
import importlib
from pathlib import Path
from typing import Protocol

from ebbtide.errors import NotAChatExport, UnreadableInput
from ebbtide.importers.limits import cap_message_length, check_input, check_json_depth
from ebbtide.model import DateOrder, ParsedExport, Platform


class Importer(Protocol):
    platform: Platform
    description: str

    def sniff(self, path: Path) -> bool: ...

    def read(self, path: Path, *, date_order: DateOrder | None = None) -> ParsedExport: ...


# Modules under ebbtide.importers, in sniffing order (most specific first). Each defines IMPORTER.
IMPORTER_MODULES: tuple[str, ...] = (
    "telegram",
    "meta",
    "imessage",
    "sms",
    "signal",
    "discord",
    "line",
    "snapchat",
    "google_chat",
    "whatsapp",
    "generic",
)


def _importers() -> list[Importer]:
    found: list[Importer] = []
    for name in IMPORTER_MODULES:
        qualified = f"ebbtide.importers.{name}"
        try:
            module = importlib.import_module(qualified)
        except ModuleNotFoundError as exc:  # an importer not written yet; anything else is a bug
            if exc.name != qualified:
                raise
            continue
        found.append(module.IMPORTER)
    return found


def supported_formats() -> list[str]:
    return [f"{imp.platform.value}: {imp.description}" for imp in _importers()]


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
    return None


def read_export(
    path: str | Path, *, platform: Platform | str | None = None, date_order: DateOrder | str | None = None
) -> ParsedExport:
    """Read one export file (or zip) into the canonical frame, sniffing its format."""
    path = Path(path)
    if not path.exists():
        raise UnreadableInput("file not found", where=str(path), fix="Check the path and try again.")
    problem = _plainly_not_a_chat(path)
    if problem is not None:
        raise problem
    check_input(path)  # size caps first: a file too large is said to be too large, not "not a chat"
    order = DateOrder(date_order) if date_order else None
    parsed = _read(path, platform, order)
    frame, warnings = cap_message_length(parsed.messages)
    if not warnings:
        return parsed
    report = dataclasses.replace(parsed.report, warnings=(*parsed.report.warnings, *warnings))
    return ParsedExport(messages=frame, report=report)


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
    importers = _importers()
    if platform:
        wanted = Platform(platform)
        # an importer may read several platforms (Meta: messenger and instagram) and list them in ``platforms``
        chosen = [imp for imp in importers if wanted in getattr(imp, "platforms", (imp.platform,))]
        if not chosen:
            raise NotAChatExport(
                f"no importer for platform '{wanted.value}' yet",
                where=str(path),
                fix="Formats understood:\n  " + "\n  ".join(supported_formats()),
            )
        return chosen[0].read(path, date_order=order)
    for imp in importers:
        if imp.sniff(path):
            return imp.read(path, date_order=order)
    _explain_json(path)
    raise NotAChatExport(
        "this does not look like a chat export ebbtide understands",
        where=str(path),
        fix="Formats understood:\n  " + "\n  ".join(supported_formats()),
    )
