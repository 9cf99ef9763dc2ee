"""Date-order inference: decided once per file from all its dates, reported, and overridable."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from ebbtide.importers import read_export
from ebbtide.importers.whatsapp import IMPORTER, parse_text
from ebbtide.model import DateOrder

FIX = Path(__file__).parent / "fixtures" / "whatsapp"


def chat(dates: list[str], fmt: str = "{d}, 10:00 - {who}: msg {i}") -> str:
    return "\n".join(fmt.format(d=d, who="Alex" if i % 2 else "Sam", i=i) for i, d in enumerate(dates)) + "\n"


def test_a_field_above_12_decides() -> None:
    report = parse_text(chat(["01/02/2023", "13/02/2023"])).report
    assert report.date_order is DateOrder.DMY and report.date_order_decided
    assert "13/02" in report.date_order_reason
    report = parse_text(chat(["02/01/2023", "02/13/2023"])).report
    assert report.date_order is DateOrder.MDY and report.date_order_decided


def test_chronology_decides_when_every_field_is_12_or_less() -> None:
    parsed = parse_text(chat(["05/01/2023", "06/01/2023", "07/01/2023", "01/02/2023"]))
    report = parsed.report
    assert report.date_order is DateOrder.DMY and report.date_order_decided
    assert "forwards in time" in report.date_order_reason
    assert parsed.messages["timestamp"][-1] == datetime(2023, 2, 1, 10, 0)
    report = parse_text(chat(["01/05/2023", "01/06/2023", "01/07/2023", "02/01/2023"])).report
    assert report.date_order is DateOrder.MDY and report.date_order_decided


def test_the_field_that_changes_more_often_is_the_day() -> None:
    dates = [f"{d:02d}/05/2023" for d in range(1, 9)]
    report = parse_text(chat(dates)).report
    assert report.date_order is DateOrder.DMY and report.date_order_decided
    assert "changes more often" in report.date_order_reason


def test_undecidable_short_chat_guesses_and_tells_the_user() -> None:
    parsed = IMPORTER.read(FIX / "undecidable_short.txt")
    report = parsed.report
    assert report.date_order_decided is False
    assert report.date_order is DateOrder.DMY  # 24-hour '/' style: day-month-year is the likelier guess
    assert report.date_order_reason
    assert any("--date-order dmy|mdy|ymd" in w for w in report.warnings)
    assert parsed.messages["timestamp"][0] == datetime(2023, 4, 3, 10, 0)


def test_undecidable_12_hour_slash_style_guesses_month_first() -> None:
    report = parse_text("3/4/23, 10:00 AM - Sam: hi\n3/4/23, 10:01 AM - Alex: hey\n").report
    assert report.date_order is DateOrder.MDY and not report.date_order_decided


@pytest.mark.parametrize("given", [DateOrder.MDY, "mdy"])
def test_explicit_order_overrides_inference(given: DateOrder | str) -> None:
    parsed = read_export(FIX / "undecidable_short.txt", date_order=given)
    assert parsed.report.date_order is DateOrder.MDY
    assert parsed.report.date_order_decided
    assert "set by you" in parsed.report.date_order_reason
    assert parsed.messages["timestamp"][0] == datetime(2023, 3, 4, 10, 0)
    assert not any("--date-order dmy" in w for w in parsed.report.warnings)


def test_an_override_that_makes_dates_impossible_is_warned_about() -> None:
    text = chat(["01/02/2023", "13/02/2023", "14/02/2023"])
    parsed = parse_text(text, date_order=DateOrder.MDY)
    assert parsed.messages.height == 1  # the two impossible headers stay text of the first message
    assert parsed.messages["text"][0].count("\n") == 2
    assert any("impossible dates" in w for w in parsed.report.warnings)


def test_year_first_is_recognised_by_its_four_digits() -> None:
    report = parse_text(chat(["2023/01/02", "2023/01/03"])).report
    assert report.date_order is DateOrder.YMD and report.date_order_decided


def test_two_digit_years_are_this_century() -> None:
    parsed = parse_text(chat(["13/02/09", "14/02/23"]))  # WhatsApp began in 2009: 20yy always
    assert [t.year for t in parsed.messages["timestamp"].to_list()] == [2009, 2023]
