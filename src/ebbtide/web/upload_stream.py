"""Uploads streamed to private files as they arrive, with the limits enforced while streaming.

Starlette's form parser spools every uploaded file whole to a temporary file before the route sees
it, so a 3 GB upload was written to disk in full before "too large" could be said. Here the request
body is fed piece by piece to python-multipart's parser: each file goes straight into its own 0600
file in a 0700 folder; past the per-file cap (``upload_cap``: the largest text format's cap for a
text file, else ``importers.limits.max_file_bytes``) nothing more of it is written (the file is removed and only its size is counted, to say how large it was), and
past ``max_files`` files the upload is refused. Memory stays at one received piece (~64 KiB).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from fastapi import Request
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.exceptions import HTTPException

from ebbtide.errors import EbbtideError
from ebbtide.importers.limits import max_file_bytes, too_large_file

_FIELD_CAP = 64 * 1024  # a non-file field (the form has none; anything else is ignored past this)


# Text exports (WhatsApp, LINE, Telegram or Meta JSON, CSV, SMS XML...): the largest of their caps.
_TEXT_SUFFIXES = {".txt", ".json", ".jsonl", ".ndjson", ".csv", ".xml", ".html", ".htm", ".md"}


def _platform_for(filename: str) -> str | None:
    """The format whose cap bounds an upload by its name: SMS XML's (the largest text cap) for text
    files; None (the largest cap: an iMessage database, a zip with media) for anything else."""
    return "sms" if Path(filename).suffix.lower() in _TEXT_SUFFIXES else None


def upload_cap(filename: str) -> int:
    """Bytes of one uploaded file kept on disk at most: a text export never needs more than the
    largest text format's cap (``EBBTIDE_MAX_FILE_MB`` overrides every cap)."""
    platform = _platform_for(filename)
    if platform is None:
        return max_file_bytes()
    return max(max_file_bytes(p) for p in ("sms", "generic", "whatsapp"))


@dataclass
class Received:
    """One uploaded file: where it was written, or why it was not kept."""

    filename: str  # as the browser sent it (shown only through _safe_name)
    path: Path
    size: int = 0
    limit: int = 0  # bytes kept at most (upload_cap)
    error: EbbtideError | None = None
    _sink: IO[bytes] | None = field(default=None, repr=False)


class _Collector:
    def __init__(self, folder: Path, name: str, max_files: int, safe_name) -> None:  # type: ignore[no-untyped-def]
        self.folder, self.name, self.max_files, self.safe_name = folder, name, max_files, safe_name
        self.files: list[Received] = []
        self._current: Received | None = None
        self._header_name = b""
        self._header_value = b""
        self._disposition = b""
        self._field_bytes = 0

    # python-multipart callbacks -------------------------------------------------------------
    def on_part_begin(self) -> None:
        self._current, self._disposition, self._field_bytes = None, b"", 0

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]
        if len(self._header_value) > _FIELD_CAP:
            raise HTTPException(400, "a part header is too long")

    def on_header_end(self) -> None:
        if self._header_name.lower() == b"content-disposition":
            self._disposition = self._header_value
        self._header_name, self._header_value = b"", b""

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self._disposition)
        if options.get(b"name", b"").decode("utf-8", "replace") != self.name or b"filename" not in options:
            return  # another field: read past it
        filename = options[b"filename"].decode("utf-8", "replace")
        if not filename:  # the browser's empty part when no file was chosen
            return
        if len(self.files) >= self.max_files:
            raise EbbtideError(f"more than {self.max_files} files at once", where="import",
                               fix=f"Import at most {self.max_files} at a time.")
        index = len(self.files)
        sub = self.folder / str(index)
        sub.mkdir(mode=0o700)
        path = sub / self.safe_name(filename)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        self._current = Received(filename, path, limit=upload_cap(filename), _sink=os.fdopen(fd, "wb"))
        self.files.append(self._current)

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        current = self._current
        if current is None:
            self._field_bytes += end - start
            if self._field_bytes > _FIELD_CAP:
                raise HTTPException(413, "a form field is too large")
            return
        current.size += end - start
        if current._sink is None:
            return  # over the cap: only counted
        if current.size > current.limit:
            self._drop(current)
            return
        current._sink.write(data[start:end])

    def on_part_end(self) -> None:
        current = self._current
        if current is not None:
            if current._sink is not None:
                current._sink.close()
                current._sink = None
            if current.error is not None:
                current.error = too_large_file(current.size, current.filename,
                                               _platform_for(current.filename))  # with its whole size
        self._current = None

    def _drop(self, current: Received) -> None:
        if current._sink is not None:
            current._sink.close()
            current._sink = None
        current.path.unlink(missing_ok=True)
        current.error = too_large_file(current.size, current.filename, _platform_for(current.filename))

    def close(self) -> None:
        for received in self.files:
            if received._sink is not None:
                received._sink.close()
                received._sink = None


async def receive_files(request: Request, folder: Path, *, name: str = "files", max_files: int,
                        safe_name) -> list[Received]:  # type: ignore[no-untyped-def]
    """Stream the multipart body of ``request`` into ``folder`` (one sub-folder per file)."""
    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise HTTPException(400, "not a multipart form")
    collector = _Collector(folder, name, max_files, safe_name)
    callbacks = {name_: getattr(collector, name_) for name_ in (
        "on_part_begin", "on_part_data", "on_part_end", "on_header_field", "on_header_value", "on_header_end",
        "on_headers_finished")}
    parser = MultipartParser(boundary, callbacks)  # type: ignore[arg-type]
    try:
        async for piece in request.stream():
            parser.write(piece)
        parser.finalize()
    except FormParserError:
        raise HTTPException(400, "the form could not be read") from None
    finally:
        collector.close()
    return collector.files


__all__ = ["Received", "receive_files"]
