"""LINE text importer: en/ja headers, quoted multi-line bodies, 12/24 h incl. 午後, system lines."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shared_data import shared_names

from ebbtide.errors import EbbtideError, NotAChatExport
from ebbtide.importers.line import IMPORTER
from ebbtide.model import MESSAGE_SCHEMA, DateOrder, validate_messages_frame

FIX = Path(__file__).parent / "fixtures" / "line"
SAMPLES = Path(__file__).parents[2] / "shared" / "samples" / "line"


def rows(parsed):
    return [(r["timestamp"], r["sender"], r["text"], r["kind"], r["source_line"]) for r in parsed.messages.iter_rows(named=True)]


def test_golden_english_tabs_quotes_crlf_bom() -> None:
    parsed = IMPORTER.read(FIX / "river_en.txt")
    validate_messages_frame(parsed.messages)
    assert rows(parsed) == [
        (datetime(2024, 3, 8, 21, 3), "Jo", "are you free sunday?", "text", 5),
        (datetime(2024, 3, 8, 21, 10), "River", "", "media", 6),
        (datetime(2024, 3, 8, 21, 11), "River", 'maybe\n\n2024/03/09 is busy though\nsay "when"?', "text", 7),
        (datetime(2024, 3, 8, 21, 12), "River", "", "deleted", 11),
        (datetime(2024, 3, 8, 23, 59), "Jo", "", "call", 12),
        (datetime(2024, 3, 9, 0, 5), "Jo", "", "media", 15),
        (datetime(2024, 3, 9, 7, 30), "Jo", "morning", "text", 16),
    ]
    rep = parsed.report
    assert rep.me == "Jo" and rep.participants == ("Jo", "River")
    assert rep.date_order == DateOrder.YMD and rep.date_order_decided
    assert set(parsed.messages["conversation_id"]) == {"line:jo+river"}
    assert set(parsed.messages["utc_offset_min"].to_list()) == {None}


def test_golden_japanese_gozen_gogo() -> None:
    parsed = IMPORTER.read(FIX / "river_ja.txt")
    assert rows(parsed) == [
        (datetime(2024, 3, 8, 0, 5), "ジョー", "", "media", 5),
        (datetime(2024, 3, 8, 12, 30), "River", "うん", "text", 8),
        (datetime(2024, 3, 8, 21, 3), "ジョー", "日曜日あいてる？", "text", 6),
        (datetime(2024, 3, 8, 21, 10), "River", "", "media", 7),
        (datetime(2024, 3, 9, 7, 30), "River", "", "deleted", 11),
    ]
    assert parsed.report.me == "ジョー"


def test_group_12h_day_first_and_system_line() -> None:
    parsed = IMPORTER.read(FIX / "group_12h_dmy.txt")
    assert rows(parsed) == [
        (datetime(2024, 3, 13, 20, 15), "Mia Lopez", "anyone up for hiking?", "text", 5),
        (datetime(2024, 3, 13, 20, 16), "Jo", "me!", "text", 6),
        (datetime(2024, 3, 14, 0, 1), "", "Mia Lopez left the group.", "system", 8),
    ]
    rep = parsed.report
    assert rep.date_order == DateOrder.DMY and rep.date_order_decided
    assert rep.me is None and "Weekend Plans" in rep.dialect


def test_space_separated_uses_header_name() -> None:
    parsed = IMPORTER.read(FIX / "spaces_old.txt")
    assert rows(parsed) == [
        (datetime(2015, 12, 25, 10, 0), "Mia Lopez", "merry christmas", "text", 5),
        (datetime(2015, 12, 25, 10, 1), "Jo", "you too!", "text", 6),
    ]
    assert parsed.report.me == "Jo"
    assert any("spaces" in w for w in parsed.report.warnings)


def test_undecided_order_uses_given_or_guesses(tmp_path: Path) -> None:
    path = tmp_path / "x.txt"
    path.write_text("[LINE] Chat history with A\nSaved on: x\n\nMon, 01/02/2024\n10:00\tA\thi\n")
    guessed = IMPORTER.read(path)
    assert not guessed.report.date_order_decided and guessed.messages["timestamp"][0] == datetime(2024, 2, 1, 10)
    told = IMPORTER.read(path, date_order=DateOrder.MDY)
    assert told.report.date_order_decided and told.messages["timestamp"][0] == datetime(2024, 1, 2, 10)


def test_utf16_file(tmp_path: Path) -> None:
    path = tmp_path / "u16.txt"
    path.write_bytes((FIX / "river_ja.txt").read_text(encoding="utf-8").encode("utf-16"))
    assert IMPORTER.sniff(path)
    assert IMPORTER.read(path).messages.height == 5


def test_sniff_and_errors(tmp_path: Path) -> None:
    assert IMPORTER.sniff(FIX / "river_en.txt")
    other = tmp_path / "chat.txt"
    other.write_text("12/03/2024, 10:00 - Sam: hi\n")
    assert not IMPORTER.sniff(other)
    with pytest.raises(NotAChatExport):
        IMPORTER.read(other)
    headless = tmp_path / "h.txt"
    headless.write_text("[LINE] Chat history with A\n")
    with pytest.raises(NotAChatExport):
        IMPORTER.read(headless)


@pytest.mark.parametrize("name", shared_names(SAMPLES, "*.txt"))
def test_shared_samples_read(name: str) -> None:
    assert IMPORTER.sniff(SAMPLES / name)
    parsed = IMPORTER.read(SAMPLES / name)
    assert dict(parsed.messages.schema) == MESSAGE_SCHEMA and parsed.messages.height > 0


def test_shared_samples_present_or_skip() -> None:
    if not SAMPLES.exists():
        pytest.skip("shared/samples/line not present")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    which=st.sampled_from(["river_en.txt", "river_ja.txt", "group_12h_dmy.txt"]),
    cut=st.integers(min_value=0, max_value=400),
    junk=st.binary(max_size=30) | st.text(alphabet="0123456789/:\t\"午後AMP \n", max_size=30).map(str.encode),
)
def test_truncated_or_mangled_raise_only_our_errors(tmp_path: Path, which: str, cut: int, junk: bytes) -> None:
    data = (FIX / which).read_bytes()
    path = tmp_path / "x.txt"
    path.write_bytes(data[:cut] + junk + data[cut:])
    IMPORTER.sniff(path)
    try:
        IMPORTER.read(path)
    except EbbtideError:
        pass


def test_japanese_one_to_one_header_is_not_a_group() -> None:
    assert "group" not in IMPORTER.read(FIX / "river_ja.txt").report.dialect


def _lines(path: Path) -> list[str]:
    return path.read_bytes().decode("utf-8-sig").replace("\r\n", "\n").split("\n")


@pytest.mark.parametrize("name", ["river_en.txt", "river_ja.txt", "group_12h_dmy.txt"])
def test_fast_scan_agrees_with_exact_scan(name: str) -> None:
    from ebbtide.importers import line_scan as mod

    lines = _lines(FIX / name)
    fast, exact = mod._scan_fast(lines), mod._scan_exact(lines, None)
    assert fast.messages.equals(exact.messages) and fast.date_triples == exact.date_triples


line_pieces = st.sampled_from(
    ["19:03\tJo\thi", "19:04\tRiver\t\"open", "still open", "closed\"", "", "2024/03/09(Sat)", "21:12\t\tRiver unsent a message.",
     "午後7:04\tJo\t[Sticker]", "07:30PM\tRiver\t☎ Missed call", "plain continuation", "12:00\tJo\t\"one line\"", "\t"]
)


@settings(max_examples=150, deadline=None)
@given(pieces=st.lists(line_pieces, max_size=25))
def test_fast_scan_never_disagrees_with_exact_scan(pieces: list[str]) -> None:
    from ebbtide.importers import line_scan as mod

    lines = ["[LINE] Chat history with River", "Saved on: 2024/03/10 09:00", "", "2024/03/08(Fri)", *pieces]
    try:
        fast = mod._scan_fast(lines)
    except mod._SlowPath:
        return
    exact = mod._scan_exact(lines, None)
    assert fast.messages.equals(exact.messages)
    assert fast.date_triples == exact.date_triples and fast.unplaced == exact.unplaced


@pytest.mark.parametrize("name", ['river_en.txt', 'river_ja.txt', 'group_12h_dmy.txt', 'spaces_old.txt'])
def test_registry_sniffs_line_first(name: str) -> None:
    """Through the registry (all importers, in sniff order) our fixtures reach this importer."""
    from ebbtide.importers import read_export

    assert read_export(Path(__file__).parent / "fixtures" / "line" / name).report.platform.value == "line"


def make_large_line_export(path: Path, n: int) -> Path:
    """A generated LINE export of ``n`` messages (used to measure speed; see docs/formats/line.md)."""
    from datetime import timedelta

    start = datetime(2020, 1, 1)
    out = ["[LINE] Chat history with River", "Saved on: 2024/01/05 10:00"]
    day = None
    for i in range(n):
        t = start + timedelta(seconds=97 * i)
        if t.date() != day:
            day = t.date()
            out += ["", f"{t:%Y/%m/%d}(Mon)"]
        body = f'"line one {i}\nline two"' if i % 50 == 0 else f"message {i}"
        out.append(f"{t:%H:%M}\t{['Jo', 'River'][i % 2]}\t{body}")
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return path


def test_generated_export_takes_the_fast_path_and_matches_the_exact_one(tmp_path: Path) -> None:
    from ebbtide.importers import line_scan as mod

    lines = _lines(make_large_line_export(tmp_path / "big.txt", 3000))
    fast = mod._scan_fast(lines)  # must not fall back
    assert fast.messages.height == 3000
    assert fast.messages.equals(mod._scan_exact(lines, None).messages)
