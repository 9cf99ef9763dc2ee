"""Small pieces shared by the Signal, Discord, LINE, Snapchat, Google Chat and iMessage importers.

Why a module of its own: every importer ends the same way (columns in lists -> the canonical
frame, participants in order of first message, a stable conversation id) and must turn any
surprise in a malformed file into one of our own errors instead of a traceback. Keeping that
here means each importer module holds only what is particular to its format.
"""

from __future__ import annotations

import csv
import functools
import json
import re
import sqlite3
import unicodedata
import zipfile
import zlib
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import polars as pl

from ebbtide.errors import ChooseChat, EbbtideError, UnreadableInput
from ebbtide.importers._columns import build_frame as _frame_from_columns
from ebbtide.importers._columns import chosen_chat
from ebbtide.importers.limits import cap_long_lines, check_json_depth
from ebbtide.model import MessageKind

P = ParamSpec("P")
R = TypeVar("R")

#: Capability keys every importer reports (a format that cannot hold a thing says False).
CAPABILITY_KEYS: tuple[str, ...] = ("reactions", "replies", "read_times", "calls", "edits")

HEAD_BYTES = 8192



def capabilities(**flags: bool) -> dict[str, bool]:
    """All capability keys, False unless given, so consumers never meet a missing key."""
    unknown = set(flags) - set(CAPABILITY_KEYS)
    if unknown:  # a typo here would silently hide a capability
        raise ValueError(f"unknown capability keys: {sorted(unknown)}")
    return {key: bool(flags.get(key, False)) for key in CAPABILITY_KEYS}


def read_head(path: Path, size: int = HEAD_BYTES) -> bytes:
    """The first bytes of a file, or b"" when it cannot be read (sniffers must never throw)."""
    try:
        with path.open("rb") as handle:
            return handle.read(size)
    except OSError:
        return b""


def zip_names(path: Path) -> list[str]:
    """The member names of a zip, or [] when ``path`` is not a zip that opens (for sniffing)."""
    try:
        if not path.is_file() or not zipfile.is_zipfile(path):
            return []
        with zipfile.ZipFile(path) as archive:
            return archive.namelist()
    except (OSError, ValueError, RuntimeError, zipfile.BadZipFile):
        return []


def decode_head(raw: bytes) -> str:
    """Best-effort text of a file head for sniffing: honours UTF-8/UTF-16 BOMs, never raises."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="ignore")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16", errors="ignore")
    if raw[:1] == b"\x00" or raw[1:2] == b"\x00":  # UTF-16 without BOM
        return raw.decode("utf-16-be" if raw[:1] == b"\x00" else "utf-16-le", errors="ignore")
    return raw.decode("utf-8", errors="ignore")


def decode_text(raw: bytes, where: str) -> str:
    """Whole-file text: UTF-8 (with or without BOM) or UTF-16; anything else is a clear error."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    elif raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise UnreadableInput(
                f"the file says it is UTF-16 but byte {exc.start} is not valid UTF-16",
                where=where,
                fix="Export the chat again; the file looks damaged.",
            ) from exc
    elif raw[1:2] == b"\x00" and raw[3:4] == b"\x00":
        try:
            return raw.decode("utf-16-le")
        except UnicodeDecodeError:
            pass
    if b"\x00\x00\x00\x00" in raw:  # text exports never hold NUL bytes; a damaged or binary file does
        raise UnreadableInput(
            f"this is a binary file, not a text export (NUL bytes from byte {raw.index(bytes(4)):,})",
            where=where,
            fix="The file may be damaged (cut off while copying); export the chat again.",
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UnreadableInput(
            f"the text is not UTF-8 (bad byte at offset {exc.start})",
            where=where,
            fix="Save the export as UTF-8 (or UTF-16) text, or export it again from the app.",
        ) from exc


def read_lines_text(path: Path, where: str, *, escapes: str = "") -> str:
    """A line-based text export, decoded, with every over-long line cut (``limits.cap_long_lines``).

    Cut before decoding, so a file of one huge line is never held as a Python string; the bytes are
    dropped as soon as the text exists.
    """
    raw = cap_long_lines(path.read_bytes(), escapes=escapes)
    text = decode_text(raw, where)
    del raw
    return cap_long_lines(text)  # UTF-16 files are cut once decoded


def load_json(raw: bytes | str, where: str) -> Any:
    """Parse JSON, turning a syntax error into UnreadableInput with the line and column."""
    check_json_depth(raw, where)
    try:
        if isinstance(raw, bytes):
            raw = decode_text(raw, where)
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise UnreadableInput(
            f"the JSON is broken at line {exc.lineno}, column {exc.colno} ({plain_json_problem(exc)})",
            where=where,
            fix="The file may be cut short or edited by hand; export it again.",
        ) from exc
    except RecursionError as exc:
        raise UnreadableInput(
            "the JSON is nested too deeply to be a chat export", where=where, fix="Check you picked the right file."
        ) from exc


def slug(names: Iterable[str]) -> str:
    """A stable id from participant names: sorted, lower-cased, non-alphanumerics collapsed."""
    parts = []
    for name in sorted({n for n in names if n}):
        text = unicodedata.normalize("NFKC", name).casefold()
        parts.append(re.sub(r"[^\w]+", "-", text).strip("-") or "x")
    return "+".join(parts) or "unknown"


def participants_in_order(senders: Sequence[str] | pl.Series, kinds: Sequence[str] | pl.Series) -> tuple[str, ...]:
    """People who wrote something a person writes (not system rows), in order of first message."""
    frame = pl.DataFrame(
        {"sender": pl.Series(senders, dtype=pl.String), "kind": pl.Series(kinds, dtype=pl.String)}
    )
    people = (
        frame.filter((pl.col("sender") != "") & (pl.col("kind") != MessageKind.SYSTEM.value))
        .get_column("sender")
        .unique(maintain_order=True)
    )
    return tuple(people.to_list())


def column_lists(count: int) -> list[list[Any]]:
    """``count`` empty lists, for the columns an importer collects while walking its input."""
    return [[] for _ in range(count)]


def first_bad(bad: pl.Series) -> int | None:
    """The row of the first True in ``bad`` (a value that could not be read), or None."""
    return int(bad.arg_max() or 0) if bad.any() else None


def utc_ms_columns(frame: pl.DataFrame) -> dict[str, Any]:
    """``build_frame`` columns from a frame of ``ts`` (milliseconds since 1970, UTC), sender, text, kind
    and line (the formats that store UTC epoch milliseconds: SMS backups, Meta downloads)."""
    return {
        "timestamp": pl.from_epoch(frame.get_column("ts"), time_unit="ms"),
        "utc_offset_min": 0,
        **{name: frame.get_column(name) for name in ("sender", "text", "kind")},
        "source_line": frame.get_column("line"),
    }


def build_frame(**columns: Any) -> pl.DataFrame:
    """``_columns.build_frame``, sorted by time unless told otherwise.

    Why sorted by default here: the formats read with these helpers (Snapchat, Google Chat, iMessage,
    Signal, Discord, LINE) list messages newest-first or grouped by direction.
    """
    columns.setdefault("sort", True)
    return _frame_from_columns(**columns)


_EXPECTED_SURPRISES: tuple[type[BaseException], ...] = (
    KeyError,
    TypeError,
    ValueError,
    AttributeError,
    IndexError,
    OverflowError,
    RecursionError,
    UnicodeError,
    LookupError,  # an unknown encoding declared in the file (XML's encoding="...")
    OSError,
    sqlite3.Error,
    csv.Error,
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    pl.exceptions.PolarsError,
)


#: everything a damaged or hand-made file can make a reader raise (beyond our own errors)
SURPRISES: tuple[type[BaseException], ...] = (
    *_EXPECTED_SURPRISES, zlib.error, NotImplementedError, RuntimeError, EOFError, MemoryError,
)


def fix_for_damaged(path: Path) -> str:
    """What to do about a file that does not read as its format (a zip gets one more hint)."""
    return "Export the chat again from the app and point ebbtide at the file it wrote, unchanged" + (
        "; if it is a zip, unzip it yourself to check it opens." if zipfile.is_zipfile(path) else "."
    )


def plain_reason(exc: BaseException) -> str:
    """What went wrong, in words, for an unforeseen error (never Python's exception text)."""
    if isinstance(exc, sqlite3.Error):
        return "the database is damaged, locked or not a database"
    if isinstance(exc, (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError)):
        return "the zip is damaged (a member cannot be unpacked)"
    if isinstance(exc, NotImplementedError):
        return "the zip uses a compression method ebbtide cannot unpack"
    if isinstance(exc, RuntimeError) and "encrypted" in str(exc):
        return "the zip is encrypted (password-protected)"
    if isinstance(exc, MemoryError):
        return "it needs more memory than this computer has"
    if isinstance(exc, OverflowError):
        return "a number or date in it is out of range"
    if isinstance(exc, RecursionError):
        return "it is nested too deeply"
    if isinstance(exc, UnicodeError):
        return "some of its text is not in a readable encoding"
    if isinstance(exc, csv.Error):
        return "the CSV is malformed"
    if isinstance(exc, OSError):
        return "the file cannot be read (" + (exc.strerror or "input/output error") + ")"
    if isinstance(exc, (KeyError, IndexError, AttributeError, TypeError)):
        return "a field is missing or holds the wrong kind of value"
    if isinstance(exc, LookupError):
        return "it declares a text encoding ebbtide does not know"
    return "a value in it cannot be read (a date, a number or a field of the wrong kind)"


# Python's JSON messages in our words (the position is given separately)
_JSON_PROBLEMS = (
    ("Expecting value", "a value is missing or the text breaks off"),
    ("Expecting ',' delimiter", "a comma is missing"),
    ("Expecting ':' delimiter", "a colon is missing"),
    ("Expecting property name", "a key is not in double quotes"),
    ("Unterminated string", "a text is not closed"),
    ("Invalid control character", "a text holds a raw control character"),
    ("Invalid \\escape", "a text holds a broken backslash escape"),
    ("Extra data", "there is more after the end of the JSON"),
)


def plain_json_problem(exc: ValueError) -> str:
    """What is wrong with a piece of JSON, in words (never the parser's own message)."""
    if isinstance(exc, UnicodeDecodeError):
        return "it is not UTF-8 text"
    message = getattr(exc, "msg", None) or ""
    for start, words in _JSON_PROBLEMS:
        if message.startswith(start):
            return words
    return "it is malformed"


def wrap_errors(format_name: str, fix: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate ``read`` so an unforeseen shape of input becomes UnreadableInput, never a traceback.

    The importers check the shapes they know about and raise precise errors; this is the net
    under them for hand-edited or truncated files (a missing key, a number where text was
    expected...). The first positional argument is taken as the path for the ``where`` part.
    """

    def decorate(func: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(func)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            paths = [a for a in (*args, kwargs.get("path")) if isinstance(a, (str, Path))]
            where = str(paths[0]) if paths else ""
            try:
                return func(*args, **kwargs)
            except EbbtideError:
                raise
            except _EXPECTED_SURPRISES as exc:
                raise UnreadableInput(
                    f"this does not read as a {format_name} export: {plain_reason(exc)}",
                    where=where,
                    fix=fix,
                ) from exc

        return wrapper

    return decorate


def several_chats(platform: str, where: str, chats: Sequence[tuple[str, str]], wanted: str | None = None,
                  what: str = "chat") -> ChooseChat:
    """The one error of every multi-chat format: several conversations and none chosen, or none
    called ``wanted``. ``chats``: (what to give with --chat, a line describing it), most messages first."""
    told = (f"there is no {what} called '{wanted}' in this {platform} export" if wanted
            else f"this {platform} export holds {len(chats)} {what}s; ebbtide reads one conversation at a time")
    return ChooseChat(told, where=where, chats=tuple(chats))


def pick_conversation(
    counts: dict[str, int],
    wanted: str | None,
    *,
    platform: str,
    where: str,
    what: str = "conversation",
) -> str:
    """Choose one conversation from a container that holds several (keyed by name, with message counts).

    Rule (documented in docs/formats): ``wanted`` if given, else ``--chat`` / ``EBBTIDE_CHAT``
    (``chosen_chat``), matched exactly, then case-insensitively; the only one when there is one;
    otherwise ``ChooseChat`` with the list, most messages first (the CLI asks, or exits 2 with it).
    """
    if not counts:
        raise UnreadableInput(
            f"no {what}s with messages were found", where=where, fix="Check that this is the right export."
        )
    ordered = sorted(counts, key=lambda k: (-counts[k], k))
    if wanted is None:
        wanted = chosen_chat()
    if wanted is not None:
        if wanted in counts:
            return wanted
        folded = [k for k in ordered if k.casefold() == wanted.casefold()]
        if folded:
            return folded[0]
    elif len(ordered) == 1:
        return ordered[0]
    raise several_chats(platform, where, [(k, f"{k} ({counts[k]:,} message{'' if counts[k] == 1 else 's'})") for k in ordered], wanted, what)
