"""Size limits (importers/limits.py): too large says so and what to do; odd-but-valid inputs still read."""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ebbtide.cli import app
from ebbtide.errors import EbbtideError, UnreadableInput
from ebbtide.importers import read_export
from ebbtide.importers.limits import TooLarge

FIX = Path(__file__).parent / "fixtures"
WHATSAPP = (FIX / "whatsapp" / "android_en-GB_24h.txt").read_bytes()


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    monkeypatch.setenv("EBBTIDE_DB", str(tmp_path / "store" / "ebbtide.duckdb"))
    monkeypatch.setenv("COLUMNS", "40")
    return CliRunner()


def test_an_oversize_whatsapp_file_is_called_too_large_not_not_a_chat(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EBBTIDE_MAX_FILE_MB", "1")
    path = tmp_path / "WhatsApp Chat with Sam.txt"
    path.write_bytes(WHATSAPP * (2_200_000 // len(WHATSAPP) + 1))
    with pytest.raises(TooLarge) as caught:
        read_export(path)
    assert "too large" in caught.value.what and "EBBTIDE_MAX_FILE_MB=3" in caught.value.fix


def test_a_sparse_file_past_the_cap_is_refused_without_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "result.json"
    with path.open("wb") as fh:
        fh.write(b'{"name": "Sam", "messages": [')
        fh.truncate(3 * 1024**3)  # 3 GB of hole: refused by its size, never read
    with pytest.raises(TooLarge, match="too large"):
        read_export(path)


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def test_a_bomb_zip_is_refused_by_its_ratio(tmp_path: Path) -> None:
    path = tmp_path / "WhatsApp Chat with Sam.zip"
    path.write_bytes(_zip({"_chat.txt": WHATSAPP[:300] + b"a" * 60_000_000}))
    assert path.stat().st_size < 1_000_000
    with pytest.raises(TooLarge) as caught:
        read_export(path)
    assert "times its packed size" in caught.value.what and "EBBTIDE_MAX_RATIO" in caught.value.fix


def test_a_zip_whose_chat_files_unpack_past_the_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EBBTIDE_MAX_UNPACKED_MB", "1")
    path = tmp_path / "export.zip"
    path.write_bytes(_zip({"_chat.txt": os.urandom(800_000).hex().encode()}))
    with pytest.raises(TooLarge, match="unpack to more than 1 MB"):
        read_export(path)


def test_media_in_a_zip_does_not_count(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EBBTIDE_MAX_UNPACKED_MB", "1")
    path = tmp_path / "WhatsApp Chat with Sam.zip"
    path.write_bytes(_zip({"WhatsApp Chat with Sam.txt": WHATSAPP, "IMG-0001.jpg": os.urandom(2_000_000)}))
    assert read_export(path).messages.height > 0


def test_a_very_long_message_is_kept_but_cut_with_a_note(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EBBTIDE_MAX_MESSAGE_CHARS", "1000")
    path = tmp_path / "chat.csv"
    path.write_text("timestamp,sender,text\n2024-01-01 10:00,Ana,hi\n2024-01-01 10:01,Ben," + "x" * 5000 + "\n",
                    encoding="utf-8")
    parsed = read_export(path)
    texts = parsed.messages.get_column("text").to_list()
    assert texts[0] == "hi" and texts[1].startswith("x" * 1000) and len(texts[1]) < 1010
    assert any("longer than 1,000 characters" in w for w in parsed.report.warnings)


def test_a_csv_message_over_131072_characters_reads(tmp_path: Path) -> None:
    path = tmp_path / "chat.csv"
    long = "word " * 40_000  # 200,000 characters: past Python's default CSV field limit
    path.write_text(f'timestamp,sender,text\n2024-01-01 10:00,Ana,"{long}"\n2024-01-01 10:02,Ben,ok\n',
                    encoding="utf-8")
    parsed = read_export(path)
    assert parsed.messages.height == 2
    assert len(parsed.messages.get_column("text")[0]) == 100_000 + len(" […]")


def test_a_json_lines_file_whose_first_record_is_huge(tmp_path: Path) -> None:
    path = tmp_path / "chat.jsonl"
    first = json.dumps({"timestamp": "2024-01-01T10:00:00", "sender": "Ana", "text": "y" * 3_000_000})
    second = json.dumps({"timestamp": "2024-01-01T10:01:00", "sender": "Ben", "text": "ok"})
    path.write_text(first + "\n" + second + "\n", encoding="utf-8")
    parsed = read_export(path)
    assert parsed.messages.height == 2 and parsed.report.warnings


def test_too_large_through_the_cli_exits_2_and_stores_nothing(runner: CliRunner, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EBBTIDE_MAX_FILE_MB", "1")
    path = tmp_path / "WhatsApp Chat with Sam.txt"
    path.write_bytes(WHATSAPP * (1_100_000 // len(WHATSAPP) + 1))
    result = runner.invoke(app, ["import", str(path)])
    assert result.exit_code == 2, result.output
    assert "too large" in result.stderr and "EBBTIDE_MAX_FILE_MB" in result.stderr
    assert not (tmp_path / "store" / "ebbtide.duckdb").exists()


def test_a_file_name_that_is_not_utf8_is_shown_escaped(runner: CliRunner, tmp_path: Path) -> None:
    raw = os.path.join(os.fsencode(tmp_path), b"\xff\xfe caf\xe9.txt")
    with open(raw, "wb") as fh:
        fh.write(b"not a chat at all\n")
    result = runner.invoke(app, ["parse", os.fsdecode(raw)])
    assert result.exit_code == 2 and result.exception is None or isinstance(result.exception, SystemExit)
    assert "\\xff\\xfe caf\\xe9.txt" in result.stderr


def test_limits_are_our_errors() -> None:
    assert issubclass(TooLarge, UnreadableInput) and issubclass(TooLarge, EbbtideError)


JSON_FIXTURES = [
    "telegram/single_chat.json", "telegram/full_export_one_chat.json", "snapchat/chat_history_new.json",
    "discord/dm_river.json", "meta/e2ee/Noé Silva_12.json", "generic/chat.jsonl",
    "meta/instagram/your_instagram_activity/messages/inbox/noe_s_17841400000000001/message_1.json",
    "meta/facebook/your_facebook_activity/messages/inbox/noesilva_4455667788/message_1.json",
    "google_chat/Takeout/Google Chat/Groups/DM 7Hq2xAAAAE/messages.json",
]


@pytest.mark.parametrize("name", JSON_FIXTURES)
@pytest.mark.parametrize("depth", [600, 1024, 5000])
def test_deeply_nested_json_is_a_clear_error_in_every_json_importer(tmp_path: Path, name: str, depth: int) -> None:
    source = FIX / name
    data = source.read_bytes()
    deep = b"[" * depth + b"1" + b"]" * depth
    path = tmp_path / source.name
    path.write_bytes(data.replace(b': "', b": " + deep + b', "x": "', 1))
    try:
        read_export(path)  # a deep value in a field we ignore may be read past (Discord's native reader)
    except EbbtideError as exc:
        assert "Error" not in exc.message
    if source.parent.name != "discord":
        with pytest.raises(UnreadableInput, match="nested"):
            read_export(path)


def test_a_deep_json_lines_record(tmp_path: Path) -> None:
    path = tmp_path / "chat.jsonl"
    path.write_text('{"timestamp": "2024-01-01T10:00:00", "sender": "A", "text": "hi"}\n'
                    + '{"timestamp": "2024-01-01T10:00:00", "sender": "A", "text": ' + "[" * 3000 + "]" * 3000 + "}\n",
                    encoding="utf-8")
    with pytest.raises(UnreadableInput, match="nested 3,001 levels"):
        read_export(path)


def test_web_uploads_over_the_cap_and_bomb_zips_are_refused_in_words(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from ebbtide.web import create_app

    monkeypatch.setenv("EBBTIDE_MAX_FILE_MB", "1")
    client = TestClient(create_app(tmp_path / "store.duckdb", token="t" * 32, allowed_hosts=("testserver",)))
    assert client.get("/?t=" + "t" * 32).status_code == 200
    big = WHATSAPP * (1_300_000 // len(WHATSAPP) + 1)
    bomb = _zip({"_chat.txt": WHATSAPP[:300] + b"a" * 30_000_000})
    r = client.post("/import", files=[("files", ("WhatsApp Chat with Sam.txt", big, "text/plain")),
                                      ("files", ("WhatsApp Chat with Sam.zip", bomb, "application/zip"))])
    assert r.status_code == 200
    assert "too large" in r.text and "EBBTIDE_MAX_FILE_MB" in r.text
    assert "times its packed size" in r.text
    assert not list(tmp_path.glob("ebbtide-upload-*"))


@pytest.mark.parametrize("name", ["generic/chat.csv", "line/river_en.txt", "signal/signalbackup_river.txt",
                                  "whatsapp/android_en-GB_24h.txt"])
def test_a_text_export_followed_by_megabytes_of_nul_bytes_is_refused_at_once(tmp_path: Path, name: str) -> None:
    path = tmp_path / Path(name).name
    with path.open("wb") as fh:
        fh.write((FIX / name).read_bytes())
        fh.truncate(5_000_000)  # a copy cut off by a full disk: the rest is zeros
    with pytest.raises(EbbtideError, match="binary|does not look like a chat export"):
        read_export(path)


def test_generic_csv_has_a_lower_cap_than_other_text_formats(tmp_path: Path) -> None:
    """The generic reader peaks at about 10.5x the file: 1,567 MiB at 150 MB, so its cap is 120 MB."""
    from ebbtide.importers.limits import MB, max_file_bytes

    assert max_file_bytes("generic") == 120 * MB < max_file_bytes("whatsapp")
    # a sparse CSV just past the generic cap is refused as too large before anything is read
    path = tmp_path / "chat.csv"
    with path.open("wb") as f:
        f.write(b"timestamp,sender,text\n2024-01-01T10:00:00,Alex,hi\n")
        f.truncate(121 * MB)
    with pytest.raises(EbbtideError) as caught:
        read_export(path, platform="generic")
    assert "too large" in str(caught.value.message)


def test_an_imessage_exporter_text_file_gets_the_text_cap_not_the_database_cap(tmp_path: Path) -> None:
    """Found by bench/fuzz_inputs.py --big: a 2.8 GB sparse imessage-exporter .txt passed the 16 GB
    chat.db cap and was read whole (the worker passed 1.5 GB)."""
    path = tmp_path / "+15555550199.txt"
    with path.open("wb") as fh:
        fh.write((FIX / "imessage" / "+15555550199.txt").read_bytes())
        fh.truncate(200 * 2**20)  # past the 160 MB text cap, far below the database's
    with pytest.raises(TooLarge, match="too large") as caught:
        read_export(path)
    assert "the limit is 160 MB" in caught.value.what
