"""SMS Backup & Restore importer: golden rows, conversation choice, streaming cleaner, malformed input."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ebbtide.errors import ChooseChat, EbbtideError, NotAChatExport, UnreadableInput
from ebbtide.importers import read_export
from ebbtide.importers.sms import IMPORTER
from ebbtide.importers.sms_stream import _CleanReader, repair_surrogates
from ebbtide.model import MESSAGE_SCHEMA, Platform, validate_messages_frame

FIX = Path(__file__).parent / "fixtures" / "sms"
BACKUP = FIX / "sms-backup.xml"
SAMPLES = Path(__file__).parents[2] / "shared" / "samples" / "sms"
ALL_FIXTURES = Path(__file__).parent / "fixtures"


def make_sms_backup(n: int, *, picture_every: int = 1000, picture_bytes: int = 8000) -> str:
    """An SMS Backup & Restore XML of ``n`` messages with one MMS picture every ``picture_every``."""
    out = ["<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>", f'<smses count="{n}">']
    blob = "QUJD" * (picture_bytes // 4)
    for i in range(n):
        t = 1_600_000_000_000 + i * 37_000
        if i % picture_every == 0:
            out.append(f'  <mms date="{t}" msg_box="1" address="+15555550123" contact_name="Sam"><parts>'
                       f'<part seq="0" ct="image/jpeg" data="{blob}" /><part seq="0" ct="text/plain" text="pic {i}" />'
                       f'</parts><addrs><addr address="+15555550123" type="137" /></addrs></mms>')
        else:
            out.append(f'  <sms protocol="0" address="+15555550123" date="{t}" type="{1 + i % 2}" '
                       f'body="hello &#55357;&#56832; {i}" read="1" status="-1" contact_name="Sam" />')
    out.append("</smses>")
    return "\n".join(out)


@pytest.fixture(autouse=True)
def _no_chat_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EBBTIDE_CHAT", raising=False)


def test_backup_with_several_contacts_lists_them() -> None:
    with pytest.raises(ChooseChat) as err:
        read_export(BACKUP)
    assert "Jo" in err.value.fix and "EBBTIDE_CHAT" in err.value.fix


def test_golden_chosen_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EBBTIDE_CHAT", "jo")
    parsed = read_export(BACKUP)
    frame = validate_messages_frame(parsed.messages)
    assert dict(frame.schema) == MESSAGE_SCHEMA
    assert frame.select("sender", "text", "kind").rows() == [
        ("Jo", "are you up?", "text"),
        ("Me", "yes 😀 & you?\nsecond line", "text"),  # surrogate refs repaired, entities decoded
        ("Jo", "Loved “yes 😀 & you?”", "other"),  # iPhone reaction arriving as SMS
        ("Jo", "", "media"),  # MMS picture, data= blob skipped
        ("Me", "sent as mms 👍", "text"),
    ]
    assert frame.item(0, "timestamp") == datetime(2024, 1, 1, 9, 6, 40)  # UTC wall clock
    assert frame.get_column("utc_offset_min").unique().to_list() == [0]
    assert frame.item(0, "conversation_id") == "sms:5552010001"  # 3 spellings of one number
    assert frame.item(0, "source_line") == 5
    report = parsed.report
    assert report.platform is Platform.SMS and report.me == "Me"
    assert report.participants == ("Jo", "Me")
    assert any("drafts" in w for w in report.warnings) and any("failed" in w for w in report.warnings)
    assert not any(report.capabilities.values())


def test_chosen_by_number_and_group(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EBBTIDE_CHAT", "+1 555 777 0002")
    parsed = read_export(BACKUP)
    assert parsed.messages.select("sender", "text").rows() == [("+15557770002", "your parcel is here")]
    monkeypatch.setenv("EBBTIDE_CHAT", "Jo, Max")
    group = read_export(BACKUP)
    assert group.messages.select("sender", "text").rows() == [("+15553330003", "group hello")]
    assert any("group" in w for w in group.report.warnings)
    monkeypatch.setenv("EBBTIDE_CHAT", "nobody")
    with pytest.raises(ChooseChat):
        read_export(BACKUP)


def test_single_conversation_needs_no_choice(tmp_path: Path) -> None:
    path = tmp_path / "sms.xml"
    path.write_text(make_sms_backup(50, picture_every=10), encoding="utf-8")
    parsed = read_export(path)
    assert parsed.messages.height == 50
    assert parsed.messages.item(1, "text") == "hello 😀 1"
    assert parsed.messages.filter(parsed.messages["kind"] == "text").height == 50


def test_zip_holding_the_backup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    archive = tmp_path / "backup.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(BACKUP, "sms-backup.xml")
    assert IMPORTER.sniff(archive)
    monkeypatch.setenv("EBBTIDE_CHAT", "Jo")
    assert read_export(archive).messages.height == 5


def test_call_log_is_not_sms() -> None:
    assert not IMPORTER.sniff(FIX / "calls-backup.xml")
    with pytest.raises(NotAChatExport):
        IMPORTER.read(FIX / "calls-backup.xml")


def test_repair_surrogates() -> None:
    assert repair_surrogates(b"&#55357;&#56832;") == "😀".encode()
    assert repair_surrogates(b"&#xD83D;&#xDC4D;") == "👍".encode()
    assert repair_surrogates(b"a&#55357;b") == b"a&#65533;b"  # lone half -> replacement character
    assert repair_surrogates(b"&#55357;&#55357;&#56832;") == "&#65533;😀".encode()
    assert repair_surrogates(b"&#233; &amp;") == b"&#233; &amp;"


class _Trickle(io.RawIOBase):
    """A stream that hands out at most ``step`` bytes per read (chunk boundaries everywhere)."""

    def __init__(self, data: bytes, step: int) -> None:
        self._data, self._pos, self._step = data, 0, step

    def read(self, size: int = -1) -> bytes:
        chunk = self._data[self._pos:self._pos + self._step]
        self._pos += len(chunk)
        return chunk


def _drain(reader: _CleanReader) -> bytes:
    out = []
    while chunk := reader.read(1 << 16):
        out.append(chunk)
    return b"".join(out)


@settings(max_examples=40, deadline=None)
@given(step=st.integers(min_value=1, max_value=300))
def test_clean_reader_is_chunk_independent(step: int) -> None:
    data = BACKUP.read_bytes()
    whole = _drain(_CleanReader(io.BytesIO(data)))
    assert b'data="' not in whole and b"&#55357;" not in whole
    assert _drain(_CleanReader(_Trickle(data, step))) == whole


def test_big_picture_is_skipped_without_holding_it(tmp_path: Path) -> None:
    path = tmp_path / "sms.xml"
    path.write_text(make_sms_backup(3, picture_every=2, picture_bytes=6_000_000), encoding="utf-8")
    reader = _CleanReader(path.open("rb"))
    largest = 0
    while chunk := reader.read(1 << 16):
        largest = max(largest, len(chunk), len(reader._carry))
    assert largest < 2_200_000  # about one read chunk, never the 6 MB picture
    assert read_export(path).messages.height == 3


def test_sniff_claims_only_sms() -> None:
    for path in sorted(ALL_FIXTURES.rglob("*")):
        if path.is_file():
            assert IMPORTER.sniff(path) == (path.name == "sms-backup.xml"), path


def test_shared_sample() -> None:
    paths = sorted(SAMPLES.glob("*.xml")) if SAMPLES.exists() else []
    if not paths:
        pytest.skip("shared samples not present")
    for path in paths:
        assert IMPORTER.sniff(path)
        parsed = read_export(path)
        assert parsed.messages.get_column("text").to_list()[1] == "yes! 😀\nsee you"
        assert parsed.messages.get_column("kind").to_list() == ["text", "text", "other", "text"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.integers(min_value=0, max_value=6000))
def test_truncated_file_raises_only_our_errors(tmp_path: Path, cut: int) -> None:
    data = BACKUP.read_bytes()
    path = tmp_path / "sms.xml"
    path.write_bytes(data[: cut % len(data)])
    with pytest.raises(EbbtideError):
        IMPORTER.read(path)  # several contacts, or broken XML: either way our error


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(attr=st.sampled_from(["date", "type", "body", "address", "msg_box"]),
       value=st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters='"&<'), max_size=8))
def test_odd_attribute_values(tmp_path: Path, attr: str, value: str) -> None:
    doc = make_sms_backup(5, picture_every=3).replace(f'{attr}="', f'{attr}="{value}', 1)
    path = tmp_path / "sms.xml"
    path.write_text(doc, encoding="utf-8")
    try:
        validate_messages_frame(IMPORTER.read(path).messages)
    except EbbtideError:
        pass


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(blob=st.binary(max_size=300))
def test_random_bytes(tmp_path: Path, blob: bytes) -> None:
    path = tmp_path / "sms.xml"
    path.write_bytes(b"<smses>" + blob)
    assert IMPORTER.sniff(path)
    with pytest.raises(EbbtideError):
        IMPORTER.read(path)


def test_date_not_a_number(tmp_path: Path) -> None:
    path = tmp_path / "sms.xml"
    path.write_text('<smses><sms address="1" date="yesterday" type="1" body="x" /></smses>', encoding="utf-8")
    with pytest.raises(UnreadableInput) as err:
        IMPORTER.read(path)
    assert "line 1" in err.value.where


def test_bulk_lines_and_expat_agree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One-line <sms/> elements are read in bulk; the same backup laid out differently goes through expat."""
    monkeypatch.setenv("EBBTIDE_CHAT", "Jo")
    tricky = BACKUP.read_text(encoding="utf-8").replace(
        'body="are you up?"', 'body="a &lt;b&gt; &amp;amp; &#233; &#x263A; &quot;q&quot; &apos; x/&gt;"')
    one_line = tmp_path / "one.xml"
    one_line.write_text(tricky, encoding="utf-8")
    spread = tmp_path / "spread.xml"
    spread.write_text(tricky.replace('" type="', '"\n       type="'), encoding="utf-8")
    bulk, slow = read_export(one_line), read_export(spread)
    assert bulk.messages.item(0, "text") == "a <b> &amp; é ☺ \"q\" ' x/>"
    assert bulk.messages.drop("source_line", "source_file").equals(slow.messages.drop("source_line", "source_file"))
    assert bulk.report.warnings == slow.report.warnings
