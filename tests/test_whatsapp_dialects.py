"""Golden tests: one fixture per WhatsApp header dialect, checked message by message.

Every fixture (tests/fixtures/whatsapp/, written by us) tells the same short story in a different
dialect, so one expected table serves them all; dialect-specific extras are checked separately.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from ebbtide.importers import read_export
from ebbtide.importers.whatsapp import IMPORTER
from ebbtide.model import MESSAGE_SCHEMA, DateOrder, validate_messages_frame

FIX = Path(__file__).parent / "fixtures" / "whatsapp"
ENC_EN = "Messages and calls are end-to-end encrypted. No one outside of this chat, not even WhatsApp, can read or listen to them."


def story(media: str, *, seconds: bool, edited: bool, enc: str = ENC_EN + " Tap to learn more.") -> list[tuple]:
    """(timestamp, sender, kind, text, edited) of the shared story."""
    t = [(2023, 1, 14, 19, 2, 11), (2023, 1, 14, 19, 3, 22), (2023, 1, 14, 19, 5, 33), (2023, 1, 15, 0, 7, 44),
         (2023, 1, 15, 12, 30, 55), (2023, 2, 3, 9, 15, 6)]
    ts = [datetime(*x) if seconds else datetime(*x[:5]) for x in t]
    return [
        (ts[0], "", "system", enc, False),
        (ts[1], "Alex", "text", "hey you 😊 👨\u200d👩\u200d👧", False),
        (ts[2], "Sam", "text", "line one\nline two", False),
        (ts[3], "Sam", "media", media, False),
        (ts[4], "Alex", "text", "see you at 8", edited),
        (ts[5], "Alex", "text", "ok: deal", False),
    ]


EN = "<Media omitted>"
CASES = {
    "android_en-GB_24h.txt": (story(EN, seconds=False, edited=True), DateOrder.DMY, "Android"),
    "android_de_dots.txt": (
        story("<Medien ausgeschlossen>", seconds=False, edited=True,
              enc="Nachrichten und Anrufe sind Ende-zu-Ende-verschlüsselt. Niemand außerhalb dieses Chats kann sie lesen."),
        DateOrder.DMY, "Android",
    ),
    "ios_de.txt": (
        story("<Anhang: 00000003-PHOTO-2023-01-15-00-07-44.jpg>", seconds=True, edited=False), DateOrder.DMY, "iOS"
    ),
    "android_es_pm.txt": (story("<Multimedia omitido>", seconds=False, edited=False), DateOrder.DMY, "12-hour"),
    "android_en-CA_ymd.txt": (story(EN, seconds=False, edited=True), DateOrder.YMD, "12-hour"),
    "android_fi_klo.txt": (story("<media jätettiin pois>", seconds=False, edited=False), DateOrder.DMY, "24-hour"),
    "android_id_dotted.txt": (story("<Media tidak disertakan>", seconds=False, edited=False), DateOrder.DMY, "Android"),
    "android_fa_persian.txt": (story("<رسانه حذف شد>", seconds=False, edited=False), DateOrder.YMD, "Android"),
    "android_ar_arabic.txt": (story("<تم استبعاد الوسائط>", seconds=False, edited=False), DateOrder.DMY, "12-hour"),
    "ios_ymd_bom.txt": (story(EN, seconds=True, edited=False), DateOrder.YMD, "iOS"),
    "hr_space_sep.txt": (story(EN, seconds=True, edited=False), DateOrder.DMY, "with seconds"),
    "legacy_colon_sep.txt": (story(EN, seconds=True, edited=False), DateOrder.DMY, "colon"),
    "android_ja_premarker.txt": (story("<メディアなし>", seconds=False, edited=False), DateOrder.YMD, "12-hour"),
    "android_ko_premarker.txt": (story("<미디어 파일 제외됨>", seconds=False, edited=False), DateOrder.YMD, "12-hour"),
    "android_en-IN_lower_pm.txt": (story(EN, seconds=False, edited=True), DateOrder.DMY, "12-hour"),
    "android_utf16_garbage_first.txt": (story(EN, seconds=False, edited=True), DateOrder.DMY, "24-hour"),
}


def rows(path: Path) -> list[tuple]:
    frame = IMPORTER.read(path).messages
    return [(r["timestamp"], r["sender"], r["kind"], r["text"], r["edited"]) for r in frame.iter_rows(named=True)]


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_dialect_parses_message_by_message(name: str) -> None:
    expected, order, dialect_word = CASES[name]
    path = FIX / name
    assert IMPORTER.sniff(path)
    parsed = IMPORTER.read(path)
    validate_messages_frame(parsed.messages)
    assert dict(parsed.messages.schema) == MESSAGE_SCHEMA
    got = rows(path)
    assert len(got) == len(expected)
    for g, e in zip(got, expected, strict=True):
        assert g == e
    report = parsed.report
    assert report.date_order is order and report.date_order_decided
    assert dialect_word in report.dialect
    assert report.participants == ("Alex", "Sam")
    assert report.capabilities == {"reactions": False, "replies": False, "read_times": False, "calls": True, "edits": True}
    frame = parsed.messages
    assert frame.get_column("utc_offset_min").null_count() == frame.height  # naive local time
    assert set(frame.get_column("platform")) == {"whatsapp"}
    assert frame.get_column("conversation_id")[0] == "whatsapp:alex+sam"
    assert frame.get_column("source_file")[0] == name


def test_android_us_12h_keeps_header_lookalikes_in_the_body() -> None:
    parsed = IMPORTER.read(FIX / "android_en-US_12h.txt")
    got = rows(FIX / "android_en-US_12h.txt")
    assert got[0][:3] == (datetime(2023, 1, 14, 19, 2), "", "system")
    # a line in another shape, and a same-shape header far back in time, both stay in the message
    assert got[2] == (
        datetime(2023, 1, 14, 19, 5), "Sam", "text",
        "line one\nline two\n2/2/23, 2:51 AM is also just text inside the message\n"
        "6/30/21, 4:00\u202fPM - Old Log: pasted from another chat",
        False,
    )
    assert got[3] == (datetime(2023, 1, 15, 0, 7), "Sam", "media", "<Media omitted>", False)  # 12 AM -> 00
    assert got[4] == (datetime(2023, 1, 15, 12, 30), "Alex", "text", "see you at 8", True)  # 12 PM -> 12
    assert [g[2] for g in got[6:]] == ["deleted", "deleted", "system"]
    assert got[8][1] == ""
    assert parsed.report.participants == ("Alex", "Sam")  # 'Old Log' was never a sender
    assert parsed.report.me == "Alex"  # 'You deleted this message' is written on the exporter's own lines
    assert any("far out of time order" in w for w in parsed.report.warnings)
    assert parsed.messages.get_column("source_line").to_list() == [1, 2, 3, 7, 8, 9, 10, 11, 12]


def test_ios_zip_with_media_crlf_lrm_tilde_calls_and_polls() -> None:
    path = FIX / "ios_en-US.zip"
    assert IMPORTER.sniff(path)
    parsed = read_export(path)
    got = rows(path)
    enc = ENC_EN
    assert got[:6] == story("image omitted", seconds=True, edited=True, enc=enc)
    assert got[6] == (datetime(2023, 2, 3, 9, 16, 1), "Kim", "text", "hi from a non-contact", False)
    assert got[7][2:4] == ("media", "<attached: 00000012-PHOTO-2023-02-03-09-17-02.jpg>")
    assert got[8][2:4] == ("call", "Missed voice call")
    assert got[9][2] == "other" and got[9][3].startswith("POLL:\nFriday or Saturday?\nOPTION: Friday")
    report = parsed.report
    assert report.source_file == "ios_en-US.zip:_chat.txt"
    assert report.participants == ("Alex", "Sam", "Kim")
    assert report.date_order is DateOrder.MDY and report.date_order_decided
    assert "iOS" in report.dialect and "with seconds" in report.dialect
    assert not any("\r" in t for t in parsed.messages.get_column("text"))


def test_group_system_notices_with_colons_have_no_sender() -> None:
    got = rows(FIX / "android_group_system.txt")
    assert [(g[1], g[2]) for g in got] == [("", "system"), ("", "system"), ("Sam", "text"), ("", "system"),
                                           ("", "system"), ("", "system")]
    assert got[0][3] == 'Alex created group "Trip: Paris"'
    assert got[4][3] == 'Sam changed the subject from "Trip: Paris" to "Trip: Rome"'


def test_garbage_before_the_first_header_is_reported_not_fatal() -> None:
    report = IMPORTER.read(FIX / "android_utf16_garbage_first.txt").report
    assert [(u.line_no, u.text) for u in report.unplaced_lines] == [(1, "Some notes I pasted here")]
    assert any("could not be placed" in w for w in report.warnings)


def test_conversation_id_is_stable_across_overlapping_exports(tmp_path: Path) -> None:
    a = tmp_path / "a.txt"
    b = tmp_path / "b.txt"
    a.write_text("14/01/2023, 10:00 - Sam: hi\n14/01/2023, 10:01 - Alex: hey\n", encoding="utf-8")
    b.write_text("14/01/2023, 10:01 - Alex: hey\n15/01/2023, 09:00 - Sam: morning\n", encoding="utf-8")
    assert IMPORTER.read(a).messages["conversation_id"][0] == IMPORTER.read(b).messages["conversation_id"][0]
