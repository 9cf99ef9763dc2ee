"""Shapes learned from real exports (reproduced in our own words): each class checked row by row.

The WhatsApp vocabulary per UI language is tested in test_whatsapp_languages.py; here: the date order
from attachment names, a group name holding ': ', captions before an attachment, the parse report's
examples, and the other importers' real-world layouts (LINE without header, Signal sigexport text,
Messenger reminders).
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import polars as pl

from ebbtide.importers import read_export
from ebbtide.importers.whatsapp import parse_text
from ebbtide.importers.whatsapp_kinds import read_rows
from ebbtide.model import DateOrder, Platform
from ebbtide.report.parse_report import parse_report_lines

FIX = Path(__file__).parent / "fixtures"
M = "\u200e"


def rows(frame: pl.DataFrame) -> list[tuple]:
    return frame.select("timestamp", "sender", "kind", "text").rows()


def test_attachment_names_decide_the_date_order_of_a_short_chat() -> None:
    # every date fits both orders, 12-hour '/' style would guess month first; the photo's name says 2 November
    parsed = parse_text(
        f"[02/11/2020, 9:49:51\u202fpm] Sam: {M}<attached: 00000010-PHOTO-2020-11-02-21-49-51.jpg>\n"
        "[02/11/2020, 9:50:10\u202fpm] Alex: lovely\n"
        "[03/11/2020, 8:00:00\u202fam] Sam: morning\n"
    )
    assert parsed.report.date_order is DateOrder.DMY and parsed.report.date_order_decided
    assert "attachment" in parsed.report.date_order_reason
    assert parsed.messages["timestamp"].to_list() == [
        datetime(2020, 11, 2, 21, 49, 51), datetime(2020, 11, 2, 21, 50, 10), datetime(2020, 11, 3, 8, 0, 0)
    ]


def test_group_name_with_colon_notice_and_caption_before_an_attachment() -> None:
    parsed = parse_text(
        f"[14.03.24, 18:00:01] Trip: Rome: {M}Alex wurde hinzugefügt\n"
        f"[14.03.24, 18:01:02] Sam: Look: {M}<attached: 00000002-PHOTO-2024-03-14-18-01-02.jpg>\n"
        "[14.03.24, 18:02:03] Alex: Note: meet at 8\n"
    )
    assert [(s, k) for _, s, k, _ in rows(parsed.messages)] == [("", "system"), ("Sam", "text"), ("Alex", "text")]
    assert parsed.report.participants == ("Sam", "Alex")


def test_unmarked_exact_forms_only() -> None:
    """Without the iPhone mark a body is a placeholder only in the app's exact form."""
    parsed = parse_text(
        "14/03/2024, 18:00 - Sam: Missed voice call\n"
        "14/03/2024, 18:01 - Alex: missed voice call lol\n"
        "14/03/2024, 18:02 - Sam: This message was deleted\n"
        "14/03/2024, 18:03 - Alex: this message was deleted\n"
        "14/03/2024, 18:04 - Sam: image omitted\n"
        "14/03/2024, 18:05 - Alex: Image Omitted\n"
        "14/03/2024, 18:06 - Sam: <media omitted>\n"
    )
    assert [k for _, _, k, _ in rows(parsed.messages)] == ["call", "text", "deleted", "text", "media", "text", "media"]


def test_vocabulary_files_cover_the_main_languages() -> None:
    found: dict[str, set[str]] = {}
    for r in read_rows():
        found.setdefault(r.lang, set()).add(r.kind)
    for lang in ("en", "de", "es", "pt", "fr", "it", "nl", "tr", "id", "ru", "ar", "hi"):
        assert {"media", "other", "deleted", "deleted_by_me", "edited", "call", "system"} <= found[lang], lang
    assert len(found) >= 40  # Android media placeholders of many more languages


def test_parse_report_shows_examples_of_what_was_not_read_as_words() -> None:
    parsed = parse_text(
        f"[14.03.24, 18:00:01] Lake trip: {M}Alex added Sam\n"
        "[14.03.24, 18:01:02] Sam: hi\n"
        f"[14.03.24, 18:02:03] Alex: {M}Missed voice call, {M}Tap to call back\n"
        f"[14.03.24, 18:03:04] Sam: {M}This message was deleted.\n"
    )
    text = "\n".join(parse_report_lines(parsed.report, parsed.messages))
    assert "read as system" in text and "line 1: 'Alex added Sam'" in text
    assert "read as call" in text and "line 3: 'Missed voice call, Tap to call back'" in text  # marks not shown
    assert "read as deleted" in text and "line 4: 'This message was deleted.'" in text


def test_line_newer_layout_without_header() -> None:
    path = FIX / "line" / "noheader_spaces.txt"
    parsed = read_export(path)
    assert parsed.report.platform is Platform.LINE
    assert rows(parsed.messages) == [
        (datetime(2025, 5, 2, 19, 3), "River", "text", "hi, are you home?"),
        (datetime(2025, 5, 2, 19, 4), "Stone", "text", "almost"),
        (datetime(2025, 5, 2, 19, 5), "Stone", "media", ""),
        (datetime(2025, 5, 2, 19, 6), "River", "media", ""),
        (datetime(2025, 5, 3, 8, 10), "River", "text", "morning"),
        (datetime(2025, 5, 3, 8, 12), "Stone", "text", "Photos are nice"),
    ]
    assert parsed.messages["source_line"].to_list() == [2, 3, 4, 5, 8, 9]


def test_signal_sigexport_text_is_recognised_without_platform() -> None:
    parsed = read_export(FIX / "signal" / "sigexport_style.txt")
    assert parsed.report.platform is Platform.SIGNAL
    assert rows(parsed.messages) == [
        (datetime(2021, 3, 2, 9, 5), "River Stone", "text", "are we still on for friday"),
        (datetime(2021, 3, 2, 21, 49), "Me", "text", "yes\nsee you then"),
        (datetime(2021, 3, 4, 7, 30), "River Stone", "text", "great"),
    ]


def test_messenger_reminder_notices_are_system(tmp_path: Path) -> None:
    thread = tmp_path / "inbox" / "plans_123"
    thread.mkdir(parents=True)
    texts = [
        ("Lena Park", "Lena Park turned off the reminder."),
        ("Noé Silva", "Noé Silva updated the reminder location."),
        ("Noé Silva", "remind me to buy milk"),
        ("Lena Park", "Lena Park created a reminder: dinner."),
    ]
    msgs = [
        {"sender_name": who, "timestamp_ms": 1716000000000 - i * 60_000, "content": text}
        for i, (who, text) in enumerate(texts)
    ]
    data = {"participants": [{"name": "Lena Park"}, {"name": "Noé Silva"}], "title": "Plans", "messages": msgs}
    (thread / "message_1.json").write_text(json.dumps(data), encoding="utf-8")
    parsed = read_export(thread / "message_1.json")
    kinds = dict(zip(parsed.messages["text"].to_list(), parsed.messages["kind"].to_list(), strict=True))
    assert kinds == {t: ("text" if t.startswith("remind me") else "system") for _, t in texts}
    assert set(parsed.messages.filter(pl.col("kind") == "system")["sender"]) == {""}


def test_notices_written_out_of_time_order_start_their_own_record() -> None:
    """The app sometimes writes 'was added'/'left' lines late; unlike a pasted old message (which stays
    text of the message it was pasted in) they are records of their own, on Android and iPhone."""
    android = parse_text(
        "14/03/2024, 18:00 - Sam: hi\n14/03/2024, 18:01 - Alex: hello\n"
        "20/03/2024, 09:00 - Kim was added\n"
        "14/03/2024, 18:02 - Sam: see you\n14/03/2024, 18:03 - Alex: ok\n"
    )
    ios = parse_text(
        "[14.03.24, 18:00:01] Sam: hi\n[14.03.24, 18:01:02] Alex: hello\n"
        f"[20.03.24, 09:00:00] Lake trip: {M}Kim was added\n"
        "[14.03.24, 18:02:03] Sam: see you\n[14.03.24, 18:03:04] Alex: ok\n"
    )
    for parsed in (android, ios):
        assert [(s, k, t) for _, s, k, t in rows(parsed.messages)] == [
            ("Sam", "text", "hi"), ("Alex", "text", "hello"), ("", "system", "Kim was added"),
            ("Sam", "text", "see you"), ("Alex", "text", "ok"),
        ]
        assert not any("out of time order" in w for w in parsed.report.warnings)
