"""Bad input gets a specific error (issue 14): what is wrong, where, what to do; never Python's words."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ebbtide.cli import app

runner = CliRunner()
PYTHON_WORDS = ("codec can't", "object has no attribute", "Traceback", "Errno", "NoneType", "KeyError")


def _zip(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("WhatsApp Chat with Sam.txt", "06/01/2025, 08:09 - Sam: hey, how are you?\n" * 300)
    return path


def _cut_zip(tmp_path: Path) -> Path:
    whole = _zip(tmp_path / "whole.zip").read_bytes()
    cut = tmp_path / "WhatsApp Chat with Sam.zip"
    cut.write_bytes(whole[: len(whole) // 2])
    return cut


def _error(args: list[str]) -> str:
    result = runner.invoke(app, args, env={"COLUMNS": "200"})
    assert result.exit_code == 2, result.output
    assert not any(w in result.stderr for w in PYTHON_WORDS), result.stderr
    return result.stderr


@pytest.mark.parametrize("command", [["parse"], ["import"]])
def test_an_empty_file_is_called_empty(tmp_path: Path, command: list[str]) -> None:
    empty = tmp_path / "chat.txt"
    empty.write_bytes(b"")
    extra = ["--db", str(tmp_path / "s.duckdb")] if command == ["import"] else []
    assert "the file is empty" in _error([*command, str(empty), *extra])
    assert not (tmp_path / "s.duckdb").exists()  # nothing stored by a failed command


@pytest.mark.parametrize("platform", [[], ["--platform", "whatsapp"], ["--platform", "telegram"]])
def test_a_cut_zip_is_called_damaged(tmp_path: Path, platform: list[str]) -> None:
    stderr = _error(["parse", str(_cut_zip(tmp_path)), *platform])
    assert "the zip is damaged (unexpected end" in stderr
    assert "point ebbtide at the .zip" not in stderr.lower()


@pytest.mark.parametrize(("magic", "what"), [(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "a PNG image"),
                                             (b"\xff\xd8\xff\xe0\x00\x10JFIF", "a JPEG image"),
                                             (b"%PDF-1.7\n", "a PDF document")])
def test_a_picture_renamed_txt_is_named_for_what_it_is(tmp_path: Path, magic: bytes, what: str) -> None:
    fake = tmp_path / "WhatsApp Chat with Sam.txt"
    fake.write_bytes(magic + b"\x00" * 64)
    stderr = _error(["parse", str(fake)])
    assert f"this is {what}, not a chat export" in stderr


@pytest.mark.parametrize("platform", ["telegram", "generic", "line", "signal", "discord"])
def test_forced_platforms_on_wrong_files_never_show_python_text(tmp_path: Path, platform: str) -> None:
    latin = tmp_path / "chat.json"
    latin.write_bytes('{"messages": ["caf\xe9"]}'.encode("latin-1"))
    _error(["parse", str(latin), "--platform", platform])
    objects = tmp_path / "objects.json"
    objects.write_text('{"messages": ["hello", 3]}', encoding="utf-8")
    _error(["parse", str(objects), "--platform", platform])


def test_check_errors_point_to_help_that_exists_where_the_user_is(tmp_path: Path) -> None:
    bad = tmp_path / "answers.json"
    bad.write_text("{not json", encoding="utf-8")
    stderr = _error(["check", "--answers", str(bad)])
    assert "docs/" not in stderr and '"signs"' in stderr


@pytest.mark.parametrize("size", [4, 6])
def test_the_first_bytes_of_a_picture_are_named_too(tmp_path: Path, size: int) -> None:
    cut = tmp_path / "chat.txt"
    cut.write_bytes(b"\x89PNG\r\n\x1a\n"[:size])
    stderr = _error(["parse", str(cut)])
    assert f"this is the start of a PNG image ({size} bytes, cut off)" in stderr
    assert "Formats understood" not in stderr


def test_broken_json_lines_are_described_in_our_words(tmp_path: Path) -> None:
    broken = tmp_path / "chat.jsonl"
    broken.write_text('{"timestamp": "2024-01-31T21:05:00", "sender": "Sam", "text": "hi"}\n{"timestamp": \n',
                      encoding="utf-8")
    stderr = _error(["parse", str(broken), "--platform", "generic"])
    assert "this line is not valid JSON (a value is missing or the text breaks off)" in stderr
    assert "Expecting" not in stderr and "char " not in stderr


def test_importer_errors_never_quote_python_exception_text() -> None:
    """The class of bug, not one case: no importer puts an exception's own text into a message."""
    import re

    import ebbtide.importers

    folder = Path(ebbtide.importers.__file__).parent
    raw = re.compile(r"\{exc(?:\.msg|\.__class__\.__name__|!r|!s)?\}")
    found = [f"{p.name}:{i}" for p in sorted(folder.glob("*.py"))
             for i, line in enumerate(p.read_text("utf-8").splitlines(), 1) if raw.search(line)]
    assert found == [], found
