"""Bad input gives clear errors (never a traceback), sniffing is cheap and honest, every sample parses,
and arbitrary text never crashes the importer."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ebbtide.errors import EbbtideError, NotAChatExport, UnreadableInput
from ebbtide.importers import read_export
from ebbtide.importers.whatsapp import IMPORTER, parse_text

SAMPLES = Path(__file__).parents[2] / "shared" / "samples" / "whatsapp"


def write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


# --- errors -----------------------------------------------------------------------------------


def test_empty_file_is_not_a_chat(tmp_path: Path) -> None:
    path = write(tmp_path, "empty.txt", b"")
    assert not IMPORTER.sniff(path)
    with pytest.raises(NotAChatExport, match="empty"):
        IMPORTER.read(path)


def test_text_without_headers_is_not_a_chat_and_lists_formats(tmp_path: Path) -> None:
    path = write(tmp_path, "notes.txt", "shopping list\nmilk\neggs\n")
    assert not IMPORTER.sniff(path)
    with pytest.raises(NotAChatExport) as info:
        IMPORTER.read(path)
    assert "Formats understood" in info.value.fix and "whatsapp" in info.value.fix


def test_binary_file_is_unreadable(tmp_path: Path) -> None:
    path = write(tmp_path, "photo.txt", bytes(range(256)) * 50)
    assert not IMPORTER.sniff(path)
    with pytest.raises(UnreadableInput, match="binary"):
        IMPORTER.read(path)


def test_folder_and_missing_file_are_unreadable(tmp_path: Path) -> None:
    assert not IMPORTER.sniff(tmp_path)
    with pytest.raises(UnreadableInput, match="folder"):
        IMPORTER.read(tmp_path)
    (tmp_path / "notes.md").write_text("not a chat")
    assert not IMPORTER.sniff(tmp_path)
    with pytest.raises(UnreadableInput, match="not found"):
        IMPORTER.read(tmp_path / "nope.txt")


def test_zip_without_a_chat_and_broken_zip(tmp_path: Path) -> None:
    path = tmp_path / "media.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("IMG-1.jpg", b"\xff\xd8")
    assert not IMPORTER.sniff(path)
    with pytest.raises(UnreadableInput, match="no .txt"):
        IMPORTER.read(path)
    good = tmp_path / "good.zip"
    with zipfile.ZipFile(good, "w") as zf:
        zf.writestr("WhatsApp Chat with Sam.txt", "14/01/2023, 10:00 - Sam: hi\n" * 200)
    broken = write(tmp_path, "broken.zip", good.read_bytes()[:-30])
    with pytest.raises(EbbtideError):
        IMPORTER.read(broken)


def test_zip_member_any_txt_name_and_macosx_skipped(tmp_path: Path) -> None:
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("__MACOSX/._WhatsApp Chat with Sam.txt", b"\x00\x05\x16\x07")
        zf.writestr("WhatsApp Chat with Sam.txt", "14/01/2023, 10:00 - Sam: hi\n14/01/2023, 10:01 - Alex: hey\n")
        zf.writestr("PTT-20230114-WA0001.opus", b"OggS")
    assert IMPORTER.sniff(path)
    parsed = IMPORTER.read(path)
    assert parsed.report.source_file == "export.zip:WhatsApp Chat with Sam.txt"
    assert parsed.messages.height == 2
    assert parsed.report.me == "Alex"  # the file is named after the other person


def test_invalid_utf8_is_replaced_and_warned_not_fatal(tmp_path: Path) -> None:
    path = write(tmp_path, "chat.txt", b"14/01/2023, 10:00 - Sam: caf\xe9\n14/01/2023, 10:01 - Alex: ok\n")
    parsed = IMPORTER.read(path)
    assert parsed.messages["text"].to_list() == ["caf\ufffd", "ok"]
    assert any("UTF-8" in w for w in parsed.report.warnings)


def test_zwj_and_zwnj_survive_in_bodies_and_names_are_cleaned() -> None:
    text = "14/01/2023, 10:00 - \u2068Sam\u2069: ❤️\u200d🩹 می\u200cخواهم\n"
    parsed = parse_text(text)
    assert parsed.messages["sender"][0] == "Sam"
    assert parsed.messages["text"][0] == "❤️\u200d🩹 می\u200cخواهم"


def test_export_cap_warning(tmp_path: Path) -> None:
    line = "14/01/2023, 10:00 - Sam: hi\n"
    parsed = parse_text(line * 39_000)
    assert any("40,000" in w for w in parsed.report.warnings)
    assert not any("40,000" in w for w in parse_text(line * 100).report.warnings)


@pytest.mark.parametrize(
    "name,content",
    [
        ("result.json", '{"name": "Sam", "type": "personal_chat", "messages": []}'),
        ("sms.xml", "<?xml version='1.0'?><smses count='0'></smses>"),
        ("chat.csv", "AuthorID,Author,Date,Content\n1,Sam,2023-01-14T10:00:00,hi\n"),
        ("line.txt", "[LINE] Chat history with Sam\n2023/01/14(Sat)\n10:00\tSam\thi\n"),
    ],
)
def test_sniff_does_not_claim_other_formats(tmp_path: Path, name: str, content: str) -> None:
    assert not IMPORTER.sniff(write(tmp_path, name, content))


# --- the research samples (third-party / constructed; read in place, never copied) ------------


def sample_chats() -> list[Path]:
    if not SAMPLES.is_dir():
        return []
    return sorted([*SAMPLES.glob("*.txt"), *SAMPLES.glob("*/_chat.txt")])


@pytest.mark.skipif(not SAMPLES.is_dir(), reason="../shared/samples/whatsapp not present")
@pytest.mark.parametrize("path", sample_chats(), ids=lambda p: p.parent.name[:20] + "/" + p.name[:40])
def test_every_sample_chat_parses_with_sensible_counts(path: Path) -> None:
    assert IMPORTER.sniff(path)
    parsed = read_export(path)
    frame = parsed.messages
    lines = [ln for ln in path.read_text(encoding="utf-8-sig").splitlines() if ln.strip()]
    assert 2 <= frame.height <= len(lines)
    assert parsed.report.participants
    assert not parsed.report.unplaced_lines
    assert frame["timestamp"].null_count() == 0
    assert frame.filter(frame["kind"] == "system")["sender"].to_list() == [""] * int((frame["kind"] == "system").sum())
    if "misc_header_variants" not in path.name:  # that file mixes a dozen dialects on purpose
        header_like = sum(1 for ln in lines if re.match(r"^[\u200e\u200f]*\[?[0-9\u0660-\u0669]", ln))
        assert header_like - 1 <= frame.height <= header_like
        assert frame["timestamp"].is_sorted()


# --- arbitrary input never crashes -----------------------------------------------------------

HEADERS = st.sampled_from(
    ["14/01/2023, 10:00 - ", "1/14/23, 7:02\u202fPM - ", "[14.01.23, 10:00:01] ", "\u200e[1/4/23, 7:03:40 PM] ",
     "2023-01-14 10:00 - ", "13.6.2018 klo 21.25 - ", "99/99/99, 99:99 - ", "31/02/2023, 10:00 - "]
)
LINE = st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40),
    st.tuples(HEADERS, st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30)).map("".join),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(LINE, max_size=12))
def test_arbitrary_text_never_crashes_and_is_deterministic(lines: list[str]) -> None:
    text = "\n".join(lines)
    try:
        first = parse_text(text)
    except EbbtideError:
        return
    second = parse_text(text)
    assert first.messages.equals(second.messages)
    assert first.report == second.report
    assert first.messages["timestamp"].null_count() == 0


@settings(max_examples=40, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_raise_only_our_errors(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    path = tmp_path_factory.mktemp("bytes") / "chat.txt"
    path.write_bytes(data)
    IMPORTER.sniff(path)  # never raises
    try:
        IMPORTER.read(path)
    except EbbtideError:
        pass


def test_two_exports_pasted_together_keep_both_header_styles() -> None:
    android = [f"{d:02d}/01/2023, 10:{d:02d} - Sam: android {d}" for d in range(1, 11)]
    ios = [f"[{d:02d}/02/2023, 10:{d:02d}:00] Alex: ios {d}" for d in range(13, 23)]
    parsed = parse_text("\n".join(android + ios) + "\n")
    assert parsed.messages.height == 20
    assert parsed.messages["text"].to_list()[-1] == "ios 22"
    assert any("mixes 2 header styles" in w for w in parsed.report.warnings)


def test_ios_zip_named_after_the_other_person_tells_who_i_am(tmp_path: Path) -> None:
    path = tmp_path / "WhatsApp Chat - Sam.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("_chat.txt", "[14/01/2023, 10:00:00] Sam: hi\r\n[14/01/2023, 10:01:00] Alex: hey\r\n")
    assert IMPORTER.read(path).report.me == "Alex"


def test_conflicting_evidence_about_me_gives_none(tmp_path: Path) -> None:
    text = "14/01/2023, 10:00 - Sam: You deleted this message\n14/01/2023, 10:01 - Alex: hey\n"
    path = write(tmp_path, "WhatsApp Chat with Sam.txt", text)  # filename says Alex, the deleted line says Sam
    assert IMPORTER.read(path).report.me is None


def test_old_signal_sigexport_layout_is_not_claimed(tmp_path: Path) -> None:
    path = write(tmp_path, "chat.txt", "[2019-12-24, 12:23] Jane Doe: Hello John!\n[2020-01-17, 21:49] John Doe: Hi\n")
    assert not IMPORTER.sniff(path)


def test_encryption_notice_is_system_even_under_a_group_name_but_talk_about_it_is_text() -> None:
    parsed = parse_text(
        "[1/4/23, 7:02:11 PM] Trip: Paris: \u200eMessages and calls are end-to-end encrypted. No one outside of "
        "this chat can read them.\n"
        "[1/4/23, 7:04:11 PM] Sam: messages are end-to-end encrypted? really\n"
        "[1/4/23, 7:05:11 PM] \u200eMessages to this group are now secured with end-to-end encryption.\n"
    )
    assert parsed.messages.select("sender", "kind").rows() == [("", "system"), ("Sam", "text"), ("", "system")]


def test_polls_in_any_language_are_other_but_capitalised_notes_are_text() -> None:
    parsed = parse_text(
        "14/01/2023, 10:00 - Sam: TODO:\nbuy milk\nDONE: eggs\n"
        "14/01/2023, 10:01 - Sam: ENCUESTA:\n¿Cuándo?\nOPCIÓN: viernes (2 votos)\nOPCIÓN: sábado (0 votos)\n"
    )
    assert parsed.messages["kind"].to_list() == ["text", "other"]


def test_an_unzipped_ios_export_folder_is_read(tmp_path: Path) -> None:
    folder = tmp_path / "WhatsApp Chat - Sam"
    folder.mkdir()
    (folder / "_chat.txt").write_text("[14/01/2023, 10:00:00] Sam: hi\n[14/01/2023, 10:01:00] Alex: hey\n")
    (folder / "00000001-PHOTO.jpg").write_bytes(b"\xff\xd8")
    assert IMPORTER.sniff(folder)
    parsed = read_export(folder)
    assert parsed.messages.height == 2
    assert parsed.report.source_file == "WhatsApp Chat - Sam/_chat.txt"
