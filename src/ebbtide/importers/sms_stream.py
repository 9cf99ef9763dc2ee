"""The bytes of an SMS Backup & Restore file made safe for the XML parser, read in chunks.

Backups hold emoji as two numeric references to UTF-16 surrogates (``&#55357;&#56832;``), which XML does
not allow: pairs are joined into one character, lone halves replaced (``repair_surrogates``). MMS
attachments are stored inline as base64 ``data="..."`` attributes of megabytes each; they are dropped
before parsing (``_CleanReader``), so memory stays small whatever the attachments."""

from __future__ import annotations

import re
from typing import IO

from ebbtide.importers.limits import CUT_MARK, line_limits

_CHUNK = 1 << 20
_DATA = b'data="'
_SPACE = frozenset(b" \t\r\n")
_HI = rb"&#(?:(5529[6-9]|55[3-9]\d\d|56[0-2]\d\d|563[01]\d)|[xX]([dD][89abAB][0-9a-fA-F]{2}));"
_LO = rb"&#(?:(563[2-9]\d|56[4-9]\d\d|57[0-2]\d\d|573[0-3]\d|5734[0-3])|[xX]([dD][c-fC-F][0-9a-fA-F]{2}));"
_PAIR = re.compile(_HI + _LO)  # a high then a low surrogate (U+D800-DBFF, U+DC00-DFFF)
_LONE = re.compile(rb"&#(?:(5[5-7]\d{3})|[xX]([dD][89a-fA-F][0-9a-fA-F]{2}));")

_PAIR_CACHE: dict[bytes, bytes] = {}


def _ref_value(m: re.Match[bytes], first: int) -> int:
    dec, hexa = m.group(first), m.group(first + 1)
    return int(dec) if dec is not None else int(hexa, 16)


def _join_pair(m: re.Match[bytes]) -> bytes:
    whole = m.group(0)
    done = _PAIR_CACHE.get(whole)
    if done is None:
        hi, lo = _ref_value(m, 1), _ref_value(m, 3)
        done = chr(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)).encode("utf-8")
        if len(_PAIR_CACHE) < 65536:
            _PAIR_CACHE[whole] = done
    return done


def _fix_lone(m: re.Match[bytes]) -> bytes:
    value = _ref_value(m, 1)
    return b"&#65533;" if 0xD800 <= value <= 0xDFFF else m.group(0)


def repair_surrogates(chunk: bytes) -> bytes:
    """Rewrite UTF-16 surrogate-pair char refs as the real character (UTF-8 bytes, valid in XML);
    a lone half becomes the reference ``&#65533;`` (U+FFFD)."""
    if b"&#5" not in chunk and b"&#x" not in chunk and b"&#X" not in chunk:
        return chunk
    return _LONE.sub(_fix_lone, _PAIR.sub(_join_pair, chunk))


def _drop_data(buf: bytes) -> tuple[bytes, bool]:
    """Remove every complete ``data="…"`` attribute; the bool says a value is still open at the end."""
    start = buf.find(_DATA)
    if start < 0:
        return buf, False
    out: list[bytes] = []
    pos = 0
    while start >= 0:
        if start == 0 or buf[start - 1] not in _SPACE:  # e.g. 'metadata="…"': not ours
            start = buf.find(_DATA, start + 1)
            continue
        out.append(buf[pos:start - 1])
        end = buf.find(b'"', start + len(_DATA))
        if end < 0:
            return b"".join(out), True
        pos = end + 1
        start = buf.find(_DATA, pos)
    out.append(buf[pos:])
    return b"".join(out), False


_CONTINUATION = bytes(range(0x80, 0xC0))
_ENTITY = re.compile(rb"&(?:#[0-9]{1,8}|#[xX][0-9a-fA-F]{1,8}|[A-Za-z]{1,8});")
_HI_AT_END = re.compile(_HI + rb"$")


def _xml_cut(buf: bytes, at: int, step: int) -> int:
    """A position near ``at`` that is not inside a UTF-8 character, a character reference (``&#10;``)
    or between the two references of one emoji; ``at`` itself when none is near."""
    for pos in range(at, at + 64 * step, step):
        if not 0 < pos < len(buf):
            break
        if buf[pos] & 0xC0 == 0x80:
            continue
        amp = buf.rfind(b"&", max(0, pos - 12), pos)
        if amp >= 0 and buf.find(b";", amp, pos) < 0:
            continue
        if _HI_AT_END.search(buf, max(0, pos - 12), pos):
            continue
        return pos
    return at


def _xml_chars(piece: bytes) -> int:
    """Characters ``piece`` holds once XML has read it (a reference is one; an emoji's pair of them one)."""
    n = len(piece.translate(None, _CONTINUATION))
    if b"&" in piece:
        refs = _ENTITY.findall(piece)
        n -= sum(len(r) for r in refs) - len(refs) + len(_PAIR.findall(piece))
    return n


class _Cut:
    """Over an element longer than any message (an SMS body of hundreds of MB): its start is kept, then
    bytes are only counted, keeping the last few KB for the element's end (its other attributes)."""

    def __init__(self, buf: bytes, head: int, tail: int) -> None:
        end = _xml_cut(buf, head, -1)
        self.head, self.pending, self.removed, self.tail = buf[:end], buf[end:], 0, tail
        self._count()

    def _count(self) -> None:
        if len(self.pending) > 2 * self.tail:
            upto = _xml_cut(self.pending, len(self.pending) - self.tail, -1)
            self.removed += _xml_chars(self.pending[:upto])
            self.pending = self.pending[upto:]

    def more(self, chunk: bytes) -> bytes | None:
        """None while still inside the long element; else its kept start, the mark, its end, and the rest."""
        gt = chunk.find(b">")
        if gt < 0 and chunk:
            self.pending += chunk
            self._count()
            return None
        rest = chunk[gt:] if chunk else b""
        self.pending += chunk[:gt] if chunk else b""
        start = _xml_cut(self.pending, max(0, len(self.pending) - self.tail), 1)
        self.removed += _xml_chars(self.pending[:start])
        return self.head + CUT_MARK.format(self.removed).encode() + self.pending[start:] + rest


class _CleanReader:
    """A read()-able stream over the raw file that drops ``data="…"`` and repairs surrogate refs.

    Chunks are cut right after a ``>``: a character reference contains no ``>``, so no reference is
    ever split between two chunks. Inside a long ``data`` value we skip bytes without keeping them,
    so memory stays at one chunk whatever the size of the pictures.
    """

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self._carry = b""
        self._in_data = False
        self._cut: _Cut | None = None
        self._head, self._longer_than = line_limits()

    def read(self, size: int = _CHUNK) -> bytes:
        while True:
            chunk = self._raw.read(max(size, _CHUNK))
            eof = not chunk
            if self._cut is not None:  # inside an element too long for any message: see _Cut
                joined = self._cut.more(chunk)
                if joined is None:
                    continue
                chunk, self._cut = joined, None
            buf = self._carry + chunk
            self._carry = b""
            if self._in_data:
                end = buf.find(b'"')
                if end < 0:
                    if eof:
                        return b""
                    continue
                buf = buf[end + 1:]
                self._in_data = False
            buf, opened = _drop_data(buf)
            if opened:
                self._in_data = True
            elif not eof:
                cut = buf.rfind(b">") + 1
                if cut == 0:
                    if len(buf) > self._longer_than:
                        self._cut = _Cut(buf, self._head, self._longer_than - self._head)
                    else:
                        self._carry = buf
                    continue
                self._carry = buf[cut:]
                buf = buf[:cut]
            if buf or eof:
                return repair_surrogates(buf)
