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
  that length, with a warning in the parse report (WhatsApp allows 65,536 characters, Telegram 4,096);
  a line of a line-based export longer than that could be (408 KB) is cut in its middle while it is
  read (``cap_long_lines``), so one huge line is never decoded and split whole;
- a sender name or conversation id longer than 200 characters is shortened (``cap_names``).

The defaults are far above real exports: a WhatsApp chat of a million messages is about 70 MB, the
largest Telegram or Meta JSON we have seen a few hundred MB. Each limit is an environment variable
so a person with a larger export can raise it (the error says so).
"""

from __future__ import annotations

import hashlib
import os
import re
import zipfile
from pathlib import Path
from typing import overload

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
    longest = max([int(longest), *_lengths_before_cut(frame.get_column("text").filter(lengths > limit))])  # type: ignore[arg-type]
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


#: A sender name or conversation id longer than this comes from a damaged file (a message line taken
#: for a name); the store indexes conversation ids, and DuckDB refuses keys past 120 KB.
MAX_NAME_CHARS = 200


def short_name(name: str) -> str:
    """``name`` cut to ``MAX_NAME_CHARS``, stable (the same long name always gives the same short one)."""
    if len(name) <= MAX_NAME_CHARS:
        return name
    return name[: MAX_NAME_CHARS - 18] + "~" + hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def cap_names(frame: pl.DataFrame) -> tuple[pl.DataFrame, dict[str, str], tuple[str, ...]]:
    """Sender names and conversation ids past ``MAX_NAME_CHARS`` shortened; the long-to-short names and a note.

    Found by bench/fuzz_inputs.py: a 2 MB line in a Signal export's header became a sender name and the
    conversation id, and storing it failed inside DuckDB (its index keys are limited to 120 KB).
    """
    renamed: dict[str, str] = {}
    changes = []
    for column in ("sender", "conversation_id"):
        if column not in frame.columns or frame.height == 0:
            continue
        values = frame.get_column(column)
        if (values.str.len_bytes().max() or 0) <= MAX_NAME_CHARS:  # type: ignore[operator]
            continue
        long = [v for v in values.unique().to_list() if v is not None and len(v) > MAX_NAME_CHARS]
        if not long:
            continue
        mapping = {v: short_name(v) for v in long}
        if column == "sender":
            renamed.update(mapping)
        changes.append(pl.col(column).replace(mapping))
    if not changes:
        return frame, {}, ()
    note = (f"{len(renamed)} sender name(s) longer than {MAX_NAME_CHARS} characters were shortened: the file looks "
            "damaged (a message may have been taken for a name)." if renamed else
            f"the conversation's name is longer than {MAX_NAME_CHARS} characters and was shortened.")
    return frame.with_columns(*changes), renamed, (note,)


def _lengths_before_cut(texts: pl.Series) -> list[int]:
    """The full length of texts whose line ``cap_long_lines`` cut (the marks say how much went)."""
    out = []
    for text in texts.filter(texts.str.contains(_CUT_MARK_RE.pattern)):
        marks = _CUT_MARK_RE.findall(text)
        out.append(len(text) - sum(len(CUT_MARK.format(m)) for m in marks) + sum(int(m) for m in marks))
    return out


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


# --------------------------------------------------------------------------- over-long lines
#: A line is cut when it is longer than this many bytes past the message cap: its start (at least
#: ``max_message_chars`` characters of message in any UTF-8 text, plus room for a header such as a date
#: and a name) and its end (a CSV row's last fields, a JSON record's closing keys) are kept, the middle
#: replaced by a mark that says how many characters were cut (``cap_message_length`` reads it back).
_HEAD_EXTRA = 4096
_TAIL = 4096
CUT_MARK = " [… ebbtide cut {} characters here …] "
_CUT_MARK_RE = re.compile(r" \[… ebbtide cut (\d+) characters here …\] ")
_CONTINUATION = bytes(range(0x80, 0xC0))


def line_limits() -> tuple[int, int]:
    """(bytes of a long line kept at its start, length in bytes past which a line is cut)."""
    head = 4 * max_message_chars() + _HEAD_EXTRA  # a UTF-8 character is at most 4 bytes
    return head, head + _TAIL + 256


def _long_spans(data: bytes | str, longer_than: int) -> list[tuple[int, int]]:
    """(start, end) of every line longer than ``longer_than`` (LF, CR or CRLF ends), without scanning byte by byte.

    A line at least that long holds a whole aligned block of half the length, so only blocks without
    a line end are looked at more closely (a handful of ``find`` calls per megabyte, in C).
    """
    lf, cr = ("\n", "\r") if isinstance(data, str) else (b"\n", b"\r")
    block = max(1, longer_than // 2)
    spans: list[tuple[int, int]] = []
    pos = 0
    while pos + block <= len(data):
        if data.find(lf, pos, pos + block) >= 0 or data.find(cr, pos, pos + block) >= 0:  # type: ignore[arg-type]
            pos += block
            continue
        start = max(data.rfind(lf, 0, pos), data.rfind(cr, 0, pos)) + 1  # type: ignore[arg-type]
        ends = [i for i in (data.find(lf, pos + block), data.find(cr, pos + block)) if i >= 0]  # type: ignore[arg-type]
        end = min(ends) if ends else len(data)
        if end - start > longer_than and (not spans or start >= spans[-1][1]):
            spans.append((start, end))
        pos = max(end, pos + block)
    return spans


def _safe_cut(data: bytes | str, at: int, step: int) -> int:
    """A cut position near ``at`` (moving by ``step``) where the mark can go without breaking the text
    around it: not inside a JSON escape (``\\"``, ``\\u00e9``) nor between CSV's doubled quotes, and in
    bytes at the start of a UTF-8 character; ``at`` itself when none is near (damaged text)."""
    quote, slash, u = ('"', "\\", "u") if isinstance(data, str) else (b'"', b"\\", b"u")

    def escaping(i: int) -> bool:  # the backslash at i starts an escape (an odd run of backslashes ends at i)
        run = 0
        while i - run >= 0 and run < 256 and data[i - run : i - run + 1] == slash:
            run += 1
        return run % 2 == 1 and run < 256

    for pos in range(at, at + 64 * step, step):
        if not 6 < pos < len(data) - 1:
            break
        if isinstance(data, bytes) and data[pos] & 0xC0 == 0x80:
            continue
        if data[pos - 1 : pos] == quote and data[pos : pos + 1] == quote:
            continue
        if data[pos - 1 : pos] == slash and escaping(pos - 1):
            continue
        if any(data[i : i + 2] == slash + u and escaping(i) for i in range(pos - 5, pos - 1)):  # type: ignore[operator]
            continue
        if data[pos - 6 : pos - 3].lower() in ("\\ud", b"\\ud") and data[pos - 3 : pos - 2].lower() in (
            "8", "9", "a", "b", b"8", b"9", b"a", b"b"
        ) and escaping(pos - 6):  # between the halves of a surrogate pair (an emoji written \\ud83d\\ude00)
            continue
        return pos
    return at


_HIGH_SURROGATE = re.compile(rb"\\u[dD][89abAB]")


def _chars(data: bytes, start: int, end: int, escapes: str) -> int:
    """Characters in ``data[start:end]`` (UTF-8), counted in small slices, as the format reads them:
    ``escapes="json"``: ``\\u00e9`` is one character, a surrogate pair one, ``\\n`` one; ``"csv"``: a
    doubled quote is one."""
    view, n, at = memoryview(data), 0, start
    while at < end:
        stop = min(end, _safe_cut(data, at + (256 << 10), 1))  # slices never split an escape
        piece = bytes(view[at:stop]).translate(None, _CONTINUATION)
        if escapes == "json" and b"\\" in piece:
            piece = piece.replace(b"\\\\", b"_")
            n -= piece.count(b"\\") + 4 * piece.count(b"\\u") + len(_HIGH_SURROGATE.findall(piece))
        elif escapes == "csv":
            n -= piece.count(b'""')
        n += len(piece)
        at = stop
    return n


@overload
def cap_long_lines(data: bytes, *, escapes: str = "") -> bytes: ...
@overload
def cap_long_lines(data: str, *, escapes: str = "") -> str: ...
def cap_long_lines(data: bytes | str, *, escapes: str = "") -> bytes | str:
    """Text with every line past the message cap cut in its middle, before any importer splits it.

    Why: a file of one 150 MB line was decoded, split and joined several times over (each a copy of
    the line, 4 bytes a character in Python); cut here, nothing past a few hundred KB of one line is
    ever held. The mark keeps CSV fields and JSON strings well-formed (no quote or comma in it) and
    carries the count, so the note on the cut message gives its full length. Bytes are UTF-8 text;
    UTF-16 bytes are returned unchanged (``decode_text`` output is passed in as ``str`` instead).
    ``escapes``: "json" for JSON records, "csv" for CSV rows, so the count is of characters as read.
    """
    head, longer_than = line_limits()
    if len(data) <= longer_than:
        return data
    if isinstance(data, bytes) and (data.startswith((b"\xff\xfe", b"\xfe\xff")) or data[1:2] == b"\x00"):
        return data  # UTF-16: cut after decoding
    spans = _long_spans(data, longer_than)
    if not spans:
        return data
    source = memoryview(data) if isinstance(data, bytes) else data  # slices of a memoryview are not copies
    parts: list[bytes | str | memoryview] = []
    done = 0
    for start, end in spans:
        cut_from = _safe_cut(data, start + head, -1)
        cut_to = _safe_cut(data, end - _TAIL, 1)
        removed = _chars(data, cut_from, cut_to, escapes) if isinstance(data, bytes) else cut_to - cut_from
        mark = CUT_MARK.format(removed)
        parts += [source[done:cut_from], mark.encode() if isinstance(data, bytes) else mark]
        done = cut_to
    parts.append(source[done:])
    return b"".join(parts) if isinstance(data, bytes) else "".join(parts)  # type: ignore[arg-type]
