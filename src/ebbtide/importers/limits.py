"""Size limits on what ebbtide reads, checked before any importer touches the bytes.

Why a module of its own: a hostile or damaged file must meet a clear "too large" error, not an
importer that runs out of memory. One place checks every input the same way (CLI and web):

- a file larger than ``EBBTIDE_MAX_FILE_MB`` (default 160 MB for text and JSON exports, 120 MB for
  generic CSV/JSON lines, 560 MB for SMS XML, 16 GB for an iMessage database);
- a zip (or a folder) whose chat members (text, JSON, CSV, XML, databases; not photos or videos,
  which no importer reads) unpack to more than ``EBBTIDE_MAX_UNPACKED_MB`` (default 2,048 MB), or
  a member that unpacks to more than ``EBBTIDE_MAX_RATIO`` times its packed size (default 200; chat
  text packs 5-10x, a "zip bomb" 1,000x);
- a message longer than ``EBBTIDE_MAX_MESSAGE_CHARS`` (default 100,000 characters) is kept but cut to
  that length, with a warning in the parse report (WhatsApp allows 65,536 characters, Telegram 4,096).

The defaults are far above real exports: a WhatsApp chat of a million messages is about 70 MB, the
largest Telegram or Meta JSON we have seen a few hundred MB. Each limit is an environment variable
so a person with a larger export can raise it (the error says so).
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import polars as pl

from ebbtide.errors import UnreadableInput

MB = 1 << 20
DEFAULT_MAX_FILE_MB = 160  # text and JSON exports: the importers' peak is about 10x the file
#: Importers that do not hold the whole file in memory get more room (the iMessage database holds
#: every chat and is queried for one; the SMS XML is streamed and peaks at about 2.5x the file).
#: Generic CSV peaks at about 10.5x the file (1,567 MiB measured at 150 MB), so it gets less.
PLATFORM_MAX_FILE_MB = {"imessage": 16_384, "sms": 560, "generic": 120}
DEFAULT_MAX_UNPACKED_MB = 2048
DEFAULT_MAX_RATIO = 200
DEFAULT_MAX_MESSAGE_CHARS = 100_000
#: Members the importers read (everything else in an archive, such as media, is never opened).
CHAT_SUFFIXES = (".txt", ".json", ".jsonl", ".ndjson", ".csv", ".xml", ".md", ".html", ".db", ".sqlite")
_RATIO_FLOOR = 4 * MB
_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA)  # small members may pack very well (a file of repeated lines) without harm


class TooLarge(UnreadableInput):
    """An input over one of the limits above."""


def _env_number(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip().replace("_", "")
    if not raw:
        return default
    try:
        value = int(float(raw))
    except ValueError:
        return default
    return value if value > 0 else default


def max_file_bytes(platform: str | None = None) -> int:
    """The cap for one file of ``platform`` (None: the largest of them, before the format is known)."""
    chosen = _env_number("EBBTIDE_MAX_FILE_MB", 0)
    if chosen:
        return chosen * MB
    if platform is None:
        return max(DEFAULT_MAX_FILE_MB, *PLATFORM_MAX_FILE_MB.values()) * MB
    return PLATFORM_MAX_FILE_MB.get(platform, DEFAULT_MAX_FILE_MB) * MB


def max_unpacked_bytes() -> int:
    return _env_number("EBBTIDE_MAX_UNPACKED_MB", DEFAULT_MAX_UNPACKED_MB) * MB


def max_ratio() -> int:
    return _env_number("EBBTIDE_MAX_RATIO", DEFAULT_MAX_RATIO)


def max_message_chars() -> int:
    return _env_number("EBBTIDE_MAX_MESSAGE_CHARS", DEFAULT_MAX_MESSAGE_CHARS)


def _mb(n: int) -> str:
    return f"{n / MB:,.0f} MB" if n >= MB else f"{n:,} bytes"


def too_large_file(size: int, where: str, platform: str | None = None) -> TooLarge:
    limit = max_file_bytes(platform)
    return TooLarge(
        f"the file is too large ({_mb(size)}; the limit is {_mb(limit)})",
        where=where,
        fix="Check that this is the chat export (not a backup of the whole phone). If it is, export a shorter "
        f"period, or raise the limit: EBBTIDE_MAX_FILE_MB={size // MB + 1}.",
    )


def _is_chat_member(name: str) -> bool:
    return name.lower().endswith(CHAT_SUFFIXES) and not name.startswith("__MACOSX/")


def check_zip(path: Path, zf: zipfile.ZipFile) -> None:
    """Refuse a zip whose chat members unpack too large, or pack suspiciously well."""
    where = str(path)
    total, limit, ratio = 0, max_unpacked_bytes(), max_ratio()
    for info in zf.infolist():
        if info.is_dir() or not _is_chat_member(info.filename):
            continue
        if info.flag_bits & 0x1:
            raise UnreadableInput(
                f"'{info.filename}' in the zip is encrypted (password-protected)",
                where=where,
                fix="Unzip it yourself with its password and point ebbtide at the chat file inside.",
            )
        if info.compress_type not in _METHODS:
            raise UnreadableInput(
                f"'{info.filename}' in the zip is packed with a method ebbtide cannot unpack (method {info.compress_type})",
                where=where,
                fix="Unzip it with your system's archive tool and point ebbtide at the chat file inside.",
            )
        total += info.file_size
        if info.file_size > _RATIO_FLOOR and info.file_size > ratio * max(info.compress_size, 1):
            raise TooLarge(
                f"'{info.filename}' in the zip unpacks to {_mb(info.file_size)} from {_mb(info.compress_size)}, "
                f"more than {ratio} times its packed size: no chat export packs like that",
                where=where,
                fix="Unzip the export yourself and point ebbtide at the chat file inside; if the zip really "
                f"comes from the app, raise the limit: EBBTIDE_MAX_RATIO={info.file_size // max(info.compress_size, 1) + 1}.",
            )
        if total > limit:
            raise TooLarge(
                f"the chat files in the zip unpack to more than {_mb(limit)}",
                where=where,
                fix="Export a shorter period or only this chat, or raise the limit: "
                f"EBBTIDE_MAX_UNPACKED_MB={sum(i.file_size for i in zf.infolist()) // MB + 1}.",
            )


def check_size_for(path: Path, platform: str) -> None:
    """Once the format is known: the file (or the largest chat member of a zip) against its cap."""
    limit = max_file_bytes(platform)
    try:
        if path.is_dir():
            return
        size = path.stat().st_size
        if platform == "imessage" and not _is_sqlite(path):  # imessage-exporter's text, read whole like the others
            platform = "text"
            limit = max_file_bytes(platform)
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as zf:
                sizes = [i.file_size for i in zf.infolist() if _is_chat_member(i.filename)]
            size = max(sizes, default=0)
    except (OSError, zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
        return  # the importer says what is wrong
    if size > limit:
        raise too_large_file(size, str(path), platform)


def _is_sqlite(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(16) == b"SQLite format 3\x00"


def check_input(path: Path) -> None:
    """Check a file, zip or folder against the limits; raises ``TooLarge`` (or ``UnreadableInput``)."""
    where = str(path)
    try:
        if path.is_dir():
            total, limit = 0, max_unpacked_bytes()
            for p in path.rglob("*"):
                if _is_chat_member(p.name) and p.is_file():
                    size = p.stat().st_size
                    if size > max_file_bytes():
                        raise too_large_file(size, str(p))
                    total += size
                    if total > limit:
                        raise TooLarge(
                            f"the chat files in this folder add up to more than {_mb(limit)}",
                            where=where,
                            fix="Point ebbtide at one conversation's folder or file, or raise the limit: "
                            "EBBTIDE_MAX_UNPACKED_MB.",
                        )
            return
        size = path.stat().st_size
        if size > max_file_bytes():
            raise too_large_file(size, where)
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as zf:
                check_zip(path, zf)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, ValueError, EOFError):
        return  # a damaged zip: the importer says what is wrong with it
    except OSError as exc:
        raise UnreadableInput(
            f"the file cannot be read ({exc.strerror or 'input/output error'})",
            where=where,
            fix="Check that the file exists and that you may read it.",
        ) from None


def cap_message_length(frame: pl.DataFrame) -> tuple[pl.DataFrame, tuple[str, ...]]:
    """Cut texts longer than the limit (kept, shortened for the analysis); returns the warning to show."""
    if "text" not in frame.columns or frame.height == 0:
        return frame, ()
    limit = max_message_chars()
    longest_bytes = frame.get_column("text").str.len_bytes().max()
    if longest_bytes is None or int(longest_bytes) <= limit:  # type: ignore[arg-type]
        return frame, ()  # never more characters than bytes: no need to count characters
    lengths = frame.get_column("text").str.len_chars()
    longest = lengths.max()
    if longest is None or int(longest) <= limit:  # type: ignore[arg-type]
        return frame, ()
    n = int((lengths > limit).sum())
    frame = frame.with_columns(
        pl.when(pl.col("text").str.len_chars() > limit)
        .then(pl.col("text").str.slice(0, limit) + pl.lit(" […]"))
        .otherwise(pl.col("text"))
        .alias("text")
    )
    warning = (
        f"{n} message(s) longer than {limit:,} characters (the longest {int(longest):,}) were kept but cut to "  # type: ignore[arg-type]
        f"{limit:,} characters for the analysis; raise EBBTIDE_MAX_MESSAGE_CHARS to keep more."
    )
    return frame, (warning,)


# --------------------------------------------------------------------------- JSON nesting
#: Chat exports nest a handful of levels (Telegram's text entities are the deepest, about 6); Python's
#: parser and our walkers recurse, and past ~1,000 levels they fail with RecursionError.
MAX_JSON_DEPTH = 100
_NOT_STRUCTURE = bytes(range(256)).translate(None, b'"[]{}')


def json_depth(data: bytes, *, chunk: int = 32 << 20) -> int:
    """The deepest nesting of arrays and objects in a JSON text (brackets inside strings ignored).

    Vectorised: escaped backslashes and quotes are removed, everything but quotes and brackets is
    dropped, and a running sum over the brackets outside strings gives the depth. Works on invalid
    JSON too (it only counts); read in slices so a big file is never copied whole.
    """
    import numpy as np

    openers = data.count(b"[") + data.count(b"{")
    if openers <= MAX_JSON_DEPTH:  # cannot be deeper than it has brackets (an upper bound is enough here)
        return openers
    depth = best = 0
    in_string = 0
    carry = b""
    view = memoryview(data)
    for start in range(0, len(data), chunk):
        part = carry + bytes(view[start : start + chunk])
        keep = len(part.rstrip(b"\\"))  # a run of backslashes cut at the slice end waits for the next slice
        part, carry = part[:keep], part[keep:]
        if b"\\" in part:
            part = part.replace(b"\\\\", b"").replace(b'\\"', b"")
        kept = np.frombuffer(part.translate(None, _NOT_STRUCTURE), dtype=np.uint8)
        if not len(kept):
            continue
        quote = kept == 0x22
        inside = (np.cumsum(quote, dtype=np.int64) + in_string) & 1
        outside = (inside == 0) & ~quote
        steps = (outside & ((kept == 0x5B) | (kept == 0x7B))).astype(np.int32) - (
            outside & ((kept == 0x5D) | (kept == 0x7D))
        ).astype(np.int32)
        running = np.cumsum(steps, dtype=np.int64) + depth
        best = max(best, int(running.max()))
        depth, in_string = int(running[-1]), int(inside[-1])
    return best


def check_json_depth(data: bytes | str, where: str) -> None:
    """Refuse JSON nested deeper than any chat export, before a recursive parser sees it."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    depth = json_depth(raw)
    if depth > MAX_JSON_DEPTH:
        raise UnreadableInput(
            f"the JSON is nested {depth:,} levels deep; chat exports nest fewer than {MAX_JSON_DEPTH}",
            where=where,
            fix="This is not an export as the app writes it (or it was damaged); export the chat again.",
        )
