"""Getting the text of a text-based export: a plain ``.txt`` or the ``.txt`` member of a ``.zip``.

Why a module of its own: every text importer needs the same careful reading (BOMs, UTF-16 from some
phones, broken bytes, zips holding media next to the chat, ``__MACOSX/`` junk), and every failure must
become a plain-words ``UnreadableInput`` instead of a ``UnicodeDecodeError`` or ``BadZipFile``.

Decoding rules (in order): a BOM decides (UTF-8, UTF-16 LE/BE); otherwise strict UTF-8; otherwise, when
the bytes look like BOM-less UTF-16 (many NULs in alternate positions), UTF-16; otherwise UTF-8 with
replacement characters and a warning that says how many bytes could not be read (nothing else is lost).
A file with NUL bytes that is not UTF-16 is treated as binary and refused.
"""

from __future__ import annotations

import codecs
import dataclasses
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ebbtide.errors import UnreadableInput
from ebbtide.importers._build import plain_reason
from ebbtide.importers.limits import TooLarge, cap_long_lines, max_file_bytes, too_large_file


@dataclass(frozen=True, slots=True)
class SourceText:
    """One export file as UTF-8 bytes (BOM removed), with where it came from.

    Bytes rather than ``str``: a big chat full of emoji takes four bytes per character as a Python
    string, and the importers hand the bytes straight to Polars.
    """

    data: bytes  # valid UTF-8
    name: str  # file name, or "archive.zip:member.txt"
    encoding: str  # what the file was written in
    warnings: tuple[str, ...] = ()
    zip_members: tuple[str, ...] = ()  # every member name of the zip (empty for a plain file)

    @property
    def text(self) -> str:
        return self.data.decode("utf-8")


def _bom_encoding(head: bytes) -> tuple[str, int] | None:
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8", 3
    if head.startswith(b"\xff\xfe"):
        return "utf-16-le", 2
    if head.startswith(b"\xfe\xff"):
        return "utf-16-be", 2
    return None


def _looks_utf16(data: bytes) -> str | None:
    """BOM-less UTF-16 guess: mostly-ASCII text has a NUL in every other byte."""
    sample = data[:4096]
    if len(sample) < 4:
        return None
    even_nuls = sample[0::2].count(0)
    odd_nuls = sample[1::2].count(0)
    half = len(sample) // 2
    if odd_nuls > 0.3 * half and even_nuls < 0.05 * half:
        return "utf-16-le"
    if even_nuls > 0.3 * half and odd_nuls < 0.05 * half:
        return "utf-16-be"
    return None


def _valid_utf8(data: bytes) -> bool:
    """Validate UTF-8 in slices, so a large file never exists twice as a Python string."""
    if data.isascii():
        return True
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    view = memoryview(data)
    step = 8 << 20
    try:
        for start in range(0, len(data), step):
            decoder.decode(view[start : start + step], final=start + step >= len(data))
    except UnicodeDecodeError:
        return False
    return True


def decode_bytes(data: bytes, where: str, *, validate: bool = True) -> tuple[bytes, str, tuple[str, ...]]:
    """Bring export bytes to valid UTF-8; returns (utf8, encoding, warnings). Raises ``UnreadableInput``.

    ``validate=False`` skips the UTF-8 check of BOM-less files for a caller that validates anyway
    (Polars refuses invalid UTF-8, and the WhatsApp importer then calls ``repair_utf8``).
    """
    bom = _bom_encoding(data[:4])
    if bom is not None:
        encoding, skip = bom
        body = data[skip:]
        if encoding == "utf-8":  # damaged bytes (a cut file) are replaced and counted, as without a BOM
            if _valid_utf8(body):
                return body, encoding, ()
            repaired, warnings = repair_utf8(body)
            return repaired, "utf-8 (with replacements)", warnings
        try:
            return body.decode(encoding).encode("utf-8"), encoding, ()
        except UnicodeError as exc:
            raise UnreadableInput(
                f"the file starts with a {encoding} byte-order mark but is not valid {encoding}"
                + (f" (at byte {exc.start + skip:,})" if isinstance(exc, UnicodeDecodeError) else ""),
                where=where,
                fix="Export the chat again from the app; do not edit the file in a word processor.",
            ) from None
    if _looks_utf16(data) is None and b"\x00" not in data[:65536] and (not validate or _valid_utf8(data)):
        return data, "utf-8", ()
    utf16 = _looks_utf16(data)
    if utf16 is not None:
        try:
            return data.decode(utf16).encode("utf-8"), utf16, ()
        except UnicodeError:
            pass
    if b"\x00" in data[:65536]:
        raise UnreadableInput(
            "this is a binary file, not a text chat export",
            where=where,
            fix="Point ebbtide at the exported .txt (or the .zip the app produced).",
        )
    repaired, warnings = repair_utf8(data)
    return repaired, "utf-8 (with replacements)", warnings


def repair_utf8(data: bytes) -> tuple[bytes, tuple[str, ...]]:
    """Replace invalid UTF-8 with U+FFFD and say how many places were affected (nothing else changes)."""
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd") - data.decode("utf-8", errors="ignore").count("\ufffd")
    if bad == 0:
        return data, ()
    warning = (
        f"{bad} byte sequence(s) were not valid UTF-8 and are shown as '\ufffd'; "
        "the rest of the file was read normally."
    )
    return text.encode("utf-8"), (warning,)


def _pick_member(names: list[str], suffix: str, prefer: tuple[str, ...]) -> str | None:
    """Choose the chat member: a preferred exact base name, else one naming the app, else the largest."""
    candidates = [
        n
        for n in names
        if not n.endswith("/")
        and not n.startswith("__MACOSX/")
        and "/__MACOSX/" not in n
        and not PurePosixPath(n).name.startswith("._")
        and n.lower().endswith(suffix)
    ]
    if not candidates:
        return None
    for wanted in prefer:
        for n in candidates:
            if PurePosixPath(n).name.lower() == wanted.lower():
                return n
    return candidates[0] if len(candidates) == 1 else ""  # "": several, let the caller choose


def _choose_member(zf: zipfile.ZipFile, suffix: str, prefer: tuple[str, ...], hint: str) -> str | None:
    names = zf.namelist()
    picked = _pick_member(names, suffix, prefer)
    if picked != "":
        return picked
    # several candidates: prefer one whose name mentions the hint ("whatsapp"), else the largest
    infos = [
        i
        for i in zf.infolist()
        if i.filename.lower().endswith(suffix)
        and not i.filename.startswith("__MACOSX/")
        and "/__MACOSX/" not in i.filename
        and not PurePosixPath(i.filename).name.startswith("._")
    ]
    hinted = [i for i in infos if hint and hint in i.filename.lower()]
    pool = hinted or infos
    return max(pool, key=lambda i: i.file_size).filename


def read_text_source(
    path: Path,
    *,
    suffix: str = ".txt",
    prefer: tuple[str, ...] = ("_chat.txt",),
    hint: str = "whatsapp",
    max_bytes: int | None = None,
    validate: bool = True,
) -> SourceText:
    """Read and decode a text export, or the ``suffix`` member of a zip.

    ``prefer``: member base names taken first (WhatsApp iOS writes ``_chat.txt``); otherwise a member
    whose name contains ``hint``; otherwise the largest matching member. ``max_bytes`` reads only the
    start (for sniffing; a cut multi-byte character at the end is dropped, never an error).
    ``validate=False``: see ``decode_bytes`` (the caller promises to validate UTF-8 itself).
    """
    where = str(path)
    if not path.exists():
        raise UnreadableInput("file not found", where=where, fix="Check the path and try again.")
    if path.is_dir():  # an unzipped export: take its chat file by the same rules as for a zip
        inside = _folder_member(path, suffix, prefer, hint)
        if inside is None:
            raise UnreadableInput(
                f"this is a folder without a {suffix} chat file",
                where=where,
                fix="Point ebbtide at the exported chat file (.txt) or the .zip the app produced.",
            )
        found = read_text_source(inside, suffix=suffix, prefer=prefer, hint=hint, max_bytes=max_bytes,
                                 validate=validate)
        return dataclasses.replace(found, name=f"{path.name}/{inside.name}")
    members: tuple[str, ...] = ()
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as zf:
                members = tuple(zf.namelist())
                member = _choose_member(zf, suffix, prefer, hint)
                if member is None:
                    raise UnreadableInput(
                        f"the zip holds no {suffix} chat file",
                        where=where,
                        fix="Export the chat again; the zip should contain _chat.txt or a 'WhatsApp Chat…' .txt.",
                    )
                info = zf.getinfo(member)
                if info.file_size > max_file_bytes("text") and not max_bytes:
                    raise TooLarge(
                        f"the chat file inside the zip is too large ({info.file_size:,} bytes unpacked)",
                        where=f"{where}:{member}",
                        fix="Export a shorter period, or raise the limit with EBBTIDE_MAX_FILE_MB.",
                    )
                with zf.open(member) as fh:  # never more than the limit, whatever the zip's header claims
                    data = fh.read(max_bytes) if max_bytes else fh.read(max_file_bytes("text") + 1)
                if len(data) > max_file_bytes("text") and not max_bytes:
                    raise TooLarge(
                        "the chat file inside the zip unpacks to more than its header says, past the limit",
                        where=f"{where}:{member}",
                        fix="The zip looks damaged or made by hand; unzip it yourself and check the chat file.",
                    )
                name = f"{path.name}:{member}"
        else:
            size = path.stat().st_size
            if size > max_file_bytes("text") and not max_bytes:
                raise too_large_file(size, where, "text")
            with path.open("rb") as fh:
                data = fh.read(max_bytes) if max_bytes else fh.read()
            name = path.name
    except UnreadableInput:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError) as exc:
        raise UnreadableInput(
            f"the zip cannot be opened: {plain_reason(exc)}",
            where=where,
            fix="Export the chat again, or unzip it yourself and point ebbtide at the .txt inside.",
        ) from None
    except OSError as exc:
        raise UnreadableInput(
            f"the file cannot be read ({exc.strerror or exc})",
            where=where,
            fix="Check that the file exists and that you may read it.",
        ) from None
    if max_bytes:
        data = _trim_partial_utf8(data)
    utf8, encoding, warnings = decode_bytes(data, name, validate=validate)
    if not max_bytes:
        del data
        utf8 = cap_long_lines(utf8)  # one huge line is cut, never split whole
    return SourceText(data=utf8, name=name, encoding=encoding, warnings=warnings, zip_members=members)


def _folder_member(folder: Path, suffix: str, prefer: tuple[str, ...], hint: str) -> Path | None:
    """The chat file directly inside an unzipped export folder (not searched recursively)."""
    try:
        files = [p for p in folder.iterdir() if p.is_file() and p.name.lower().endswith(suffix)]
    except OSError:
        return None
    files = [p for p in files if not p.name.startswith("._")]
    for wanted in prefer:
        for p in files:
            if p.name.lower() == wanted.lower():
                return p
    if len(files) == 1:
        return files[0]
    hinted = [p for p in files if hint and hint in p.name.lower()]
    return max(hinted, key=lambda p: p.stat().st_size) if hinted else None


def _trim_partial_utf8(data: bytes) -> bytes:
    """Drop an incomplete UTF-8 sequence at the end of a prefix read."""
    for back in range(1, 4):
        if len(data) < back:
            break
        byte = data[-back]
        if byte & 0xC0 == 0x80:  # continuation byte: keep looking for the lead byte
            continue
        if byte & 0x80 == 0:
            return data
        need = 2 if byte & 0xE0 == 0xC0 else 3 if byte & 0xF0 == 0xE0 else 4
        return data if back >= need else data[:-back]
    return data


def peek_text(path: Path, n_bytes: int = 8192, **kwargs: object) -> str | None:
    """The decoded start of a text export, or None when it cannot be read (for sniffing; never raises)."""
    try:
        return read_text_source(path, max_bytes=n_bytes, **kwargs).text  # type: ignore[arg-type]
    except Exception:  # sniffing must never throw, whatever the file
        return None


def normalise_newlines(data: bytes) -> bytes:
    """CRLF and lone CR become LF, so every importer sees b'\\n' only (iOS exports use CRLF)."""
    if b"\r" not in data:
        return data
    return data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")


def split_lines(text: str) -> str:
    """The same for text: CRLF and lone CR become LF."""
    if "\r" not in text:
        return text
    return text.replace("\r\n", "\n").replace("\r", "\n")
