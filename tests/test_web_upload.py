"""Web uploads are streamed to private files with the size cap enforced while they arrive (web/upload_stream.py):
nothing past the cap is ever written, whatever the upload's size."""

from __future__ import annotations

import asyncio
import stat
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
from starlette.exceptions import HTTPException  # noqa: E402
from starlette.requests import Request  # noqa: E402

from ebbtide.errors import EbbtideError  # noqa: E402
from ebbtide.web.routes_start import _safe_name  # noqa: E402
from ebbtide.web.upload_stream import receive_files  # noqa: E402

BOUNDARY = "b0undary"


def _part(name: str, filename: str | None, body: bytes) -> bytes:
    disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename is not None else "")
    return (f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n"
            "Content-Type: application/octet-stream\r\n\r\n").encode() + body + b"\r\n"


def _request(body: bytes, piece: int, on_piece) -> Request:  # type: ignore[no-untyped-def]
    pieces = [body[i:i + piece] for i in range(0, len(body), piece)] or [b""]

    async def receive() -> dict:
        on_piece()
        chunk = pieces.pop(0)
        return {"type": "http.request", "body": chunk, "more_body": bool(pieces)}

    scope = {"type": "http", "method": "POST", "path": "/import", "headers": [
        (b"content-type", f"multipart/form-data; boundary={BOUNDARY}".encode())]}
    return Request(scope, receive)


def _written(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def test_the_cap_holds_while_streaming_and_the_size_is_reported(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EBBTIDE_MAX_FILE_MB", "1")
    cap = 1 << 20
    small = b"12/01/2025, 10:00 - Alex: hi\n" * 100
    body = (_part("files", "big.txt", b"x" * (5 * cap)) + _part("files", "../../small.txt", small)
            + _part("other", None, b"ignored") + _part("files", "", b"") + f"--{BOUNDARY}--\r\n".encode())
    peaks: list[int] = []
    request = _request(body, 64 * 1024, lambda: peaks.append(_written(tmp_path)))
    received = asyncio.run(receive_files(request, tmp_path, max_files=20, safe_name=_safe_name))
    assert max(peaks) <= cap  # never more than the cap on disk, at any moment of the upload
    big, kept = received
    assert big.error is not None and "too large (5 MB" in big.error.what and "MAX_FILE_MB=6" in big.error.fix
    assert not big.path.exists() and big.size == 5 * cap
    assert kept.error is None and kept.path.read_bytes() == small and kept.path.name == "small.txt"
    assert kept.path.parent.parent == tmp_path  # no folder taken from the name
    assert stat.S_IMODE(kept.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(kept.path.parent.stat().st_mode) == 0o700


def test_too_many_files_and_broken_forms_are_refused(tmp_path: Path) -> None:
    body = b"".join(_part("files", f"f{i}.txt", b"x") for i in range(3)) + f"--{BOUNDARY}--\r\n".encode()
    (tmp_path / "a").mkdir()
    with pytest.raises(EbbtideError, match="more than 2 files"):
        asyncio.run(receive_files(_request(body, 1000, lambda: None), tmp_path / "a", max_files=2,
                                  safe_name=_safe_name))
    (tmp_path / "b").mkdir()
    with pytest.raises(HTTPException) as broken:
        asyncio.run(receive_files(_request(b"--b0undary\r\nnot a part", 1000, lambda: None), tmp_path / "b",
                                  max_files=2, safe_name=_safe_name))
    assert broken.value.status_code == 400


def test_a_text_upload_is_cut_at_the_largest_text_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    from ebbtide.importers.limits import MB, max_file_bytes
    from ebbtide.web.upload_stream import upload_cap

    monkeypatch.delenv("EBBTIDE_MAX_FILE_MB", raising=False)
    assert upload_cap("result.json") == upload_cap("chat.TXT") == max_file_bytes("sms") == 560 * MB
    assert upload_cap("chat.db") == upload_cap("export.zip") == max_file_bytes()  # a database, media
    monkeypatch.setenv("EBBTIDE_MAX_FILE_MB", "3")
    assert upload_cap("result.json") == upload_cap("chat.db") == 3 * MB
