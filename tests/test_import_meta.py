"""Messenger / Instagram DYI and E2EE importer: golden rows, mojibake repair, containers, malformed input."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ebbtide.errors import ChooseChat, EbbtideError, NotAChatExport
from ebbtide.importers import read_export
from ebbtide.importers.meta import IMPORTER
from ebbtide.importers.meta_messages import fix_mojibake, message_reactions
from ebbtide.model import MESSAGE_SCHEMA, Platform, validate_messages_frame

FIX = Path(__file__).parent / "fixtures" / "meta"
FB = FIX / "facebook"
THREAD = FB / "your_facebook_activity" / "messages" / "inbox" / "noesilva_4455667788"
IG = FIX / "instagram"
E2EE = FIX / "e2ee" / "Noé Silva_12.json"
SAMPLES = Path(__file__).parents[2] / "shared" / "samples" / "meta"
ALL_FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(autouse=True)
def _no_chat_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EBBTIDE_CHAT", raising=False)


def test_fix_mojibake_is_guarded() -> None:
    assert fix_mojibake("Zo\u00c3\u00ab") == "Zoë"
    assert fix_mojibake("\u00f0\u009f\u0098\u0082") == "😂"
    assert fix_mojibake("plain ascii") == "plain ascii"
    assert fix_mojibake("“already” fine") == "“already” fine"  # real Unicode: encode fails, kept
    assert fix_mojibake("café") == "café"  # latin-1 but not UTF-8 bytes: decode fails, kept


def test_messenger_thread_golden() -> None:
    parsed = read_export(THREAD / "message_1.json")  # sibling message_2.json is read too
    frame = validate_messages_frame(parsed.messages)
    assert dict(frame.schema) == MESSAGE_SCHEMA
    assert frame.select("sender", "text", "kind").rows() == [
        ("Noé Silva", "Olá, tudo bem? 🙂", "text"),
        ("Lena Park", "“quoted” already fine", "text"),
        ("", "Noé Silva changed the theme to Love.", "system"),
        ("Lena Park", "You called Noé.", "call"),
        ("Noé Silva", "", "deleted"),
        ("Noé Silva", "look https://example.com/a", "text"),
        ("Lena Park", "Lena Park sent an attachment.", "media"),
        ("Noé Silva", "Bis später! 😘", "text"),
        ("Noé Silva", "Reacted ❤️ to your message ", "other"),
    ]
    assert frame.get_column("timestamp").is_sorted()
    assert frame.get_column("utc_offset_min").unique().to_list() == [0]
    assert frame.get_column("platform").unique().to_list() == ["messenger"]
    assert frame.item(0, "conversation_id") == "messenger:lena-park+noé-silva"
    assert frame.item(0, "source_file").endswith("message_2.json") and frame.item(0, "source_line") == 3
    report = parsed.report
    assert report.platform is Platform.MESSENGER
    assert report.me == "Lena Park"  # "You called …" and "Reacted … to your message" agree
    assert report.capabilities["reactions"] and not report.capabilities["replies"]
    assert any("end-to-end" in w for w in report.warnings)


def test_thread_folder_equals_file() -> None:
    assert read_export(THREAD).messages.equals(read_export(THREAD / "message_2.json").messages)


def test_instagram_by_path() -> None:
    parsed = read_export(IG)
    assert parsed.report.platform is Platform.INSTAGRAM
    assert parsed.messages.select("sender", "text", "kind").rows() == [
        ("noe_s", "haha 😂", "text"),
        ("lena.p", "https://www.instagram.com/reel/ABC/", "text"),  # shared post: the link, not the caption
        ("noe_s", "Liked a message", "other"),
    ]
    assert parsed.messages.item(0, "conversation_id") == "instagram:lena-p+noe-s"


def test_instagram_by_usernames(tmp_path: Path) -> None:
    src = IG / "your_instagram_activity" / "messages" / "inbox" / "noe_s_17841400000000001" / "message_1.json"
    target = tmp_path / "thread" / "message_1.json"
    target.parent.mkdir()
    shutil.copy(src, target)
    assert read_export(target).report.platform is Platform.INSTAGRAM


def test_e2ee_file() -> None:
    parsed = read_export(E2EE)
    assert parsed.report.platform is Platform.MESSENGER
    assert parsed.messages.select("sender", "text", "kind").rows() == [
        ("Noé Silva", "Oi 👋", "text"),
        ("Lena Park", "", "media"),
        ("Lena Park", "", "media"),  # "Failed to download media": still a media message
        ("Lena Park", "https://example.com/b", "text"),
        ("Noé Silva", "", "deleted"),
    ]
    # the same conversation id as the classic download, so the store can merge both
    assert parsed.messages.item(0, "conversation_id") == read_export(THREAD).messages.item(0, "conversation_id")
    assert "encrypted" in parsed.report.dialect


def test_archive_with_several_threads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    archive = tmp_path / "facebook-lena.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in FB.rglob("*.json"):
            zf.write(path, path.relative_to(FB).as_posix())
        zf.write(E2EE, E2EE.name)
    assert IMPORTER.sniff(archive)
    with pytest.raises(ChooseChat) as err:
        read_export(archive)
    assert "noesilva_4455667788" in err.value.fix and "workgroup_998877" in err.value.fix
    monkeypatch.setenv("EBBTIDE_CHAT", "Noé Silva")  # matches the classic folder and the E2EE file
    merged = read_export(archive)
    assert merged.messages.height == 9 + 5
    assert merged.messages.get_column("timestamp").is_sorted()
    monkeypatch.setenv("EBBTIDE_CHAT", "workgroup_998877")
    work = read_export(archive)
    assert work.messages.get_column("text").to_list() == ["meeting at 9"]
    assert work.report.me == "Lena Park"  # the one person in every thread of the archive
    assert IMPORTER.sniff(FB)
    with pytest.raises(ChooseChat):
        monkeypatch.setenv("EBBTIDE_CHAT", "nobody")
        read_export(FB)


def test_overlapping_files_are_read_once(tmp_path: Path) -> None:
    thread = tmp_path / "inbox" / "noesilva_4455667788"
    shutil.copytree(THREAD, thread)
    shutil.copy(THREAD / "message_1.json", thread / "message_3.json")
    parsed = read_export(thread)
    assert parsed.messages.height == 9
    assert any("twice" in w for w in parsed.report.warnings)


def test_reactions_helper() -> None:
    raw = json.loads((THREAD / "message_1.json").read_text(encoding="ascii"))["messages"]
    assert message_reactions(raw[1]) == [("Lena Park", "❤")]


def test_sniff_claims_only_meta() -> None:
    for path in sorted(ALL_FIXTURES.rglob("*")):
        if path.is_file():
            assert IMPORTER.sniff(path) == (FIX in path.parents), path


@pytest.mark.parametrize("pattern", ["*.json"])
def test_shared_samples(pattern: str) -> None:
    paths = sorted(SAMPLES.glob(pattern)) if SAMPLES.exists() else []
    if not paths:
        pytest.skip("shared samples not present")
    for path in paths:
        assert IMPORTER.sniff(path), path
        parsed = read_export(path)
        validate_messages_frame(parsed.messages)
        assert parsed.messages.height >= 3
        assert not parsed.messages.get_column("text").str.contains("Ã").any()
    zoe = read_export(SAMPLES / "messenger_dyi__your_facebook_activity_messages_inbox_zoemuller_1234567890_message_1.json")
    assert zoe.messages.get_column("kind").to_list() == ["text", "deleted", "call", "call", "media", "text", "other"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.integers(min_value=0, max_value=3000))
def test_truncated_file_raises_only_our_errors(tmp_path: Path, cut: int) -> None:
    data = (THREAD / "message_1.json").read_bytes()
    path = tmp_path / "message_1.json"
    path.write_bytes(data[: cut % len(data)])
    try:
        IMPORTER.read(path)
    except EbbtideError:
        pass


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(field=st.sampled_from(["sender_name", "timestamp_ms", "content", "share", "photos", "is_unsent",
                              "call_duration", "reactions"]),
       value=_JSON, index=st.integers(min_value=0, max_value=5), e2ee=st.booleans())
def test_wrong_types_raise_only_our_errors(tmp_path: Path, field: str, value: Any, index: int, e2ee: bool) -> None:
    if e2ee:
        doc = json.loads(E2EE.read_text(encoding="utf-8"))
        field = {"sender_name": "senderName", "timestamp_ms": "timestamp", "content": "text"}.get(field, field)
        doc["messages"][index % 5][field] = value
    else:
        doc = json.loads((THREAD / "message_1.json").read_text(encoding="ascii"))
        doc["messages"][index][field] = value
    path = tmp_path / ("x_1.json" if e2ee else "message_1.json")
    path.write_text(json.dumps(doc), encoding="utf-8")
    try:
        parsed = IMPORTER.read(path)
    except EbbtideError:
        return
    validate_messages_frame(parsed.messages)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(blob=st.binary(max_size=300))
def test_random_bytes(tmp_path: Path, blob: bytes) -> None:
    path = tmp_path / "message_1.json"
    path.write_bytes(blob)
    IMPORTER.sniff(path)
    with pytest.raises(EbbtideError):
        IMPORTER.read(path)


def test_empty_folder(tmp_path: Path) -> None:
    assert not IMPORTER.sniff(tmp_path)
    with pytest.raises(NotAChatExport):
        IMPORTER.read(tmp_path)


def test_owner_from_sibling_threads(tmp_path: Path) -> None:
    root = tmp_path / "fb"
    shutil.copytree(FB, root)
    inbox = root / "your_facebook_activity" / "messages" / "inbox"
    third = inbox / "sam_1122"
    third.mkdir()
    (third / "message_1.json").write_text(json.dumps({
        "participants": [{"name": "Sam"}, {"name": "Lena Park"}],
        "messages": [{"sender_name": "Sam", "timestamp_ms": 1716000000000, "content": "hi"}]}), encoding="utf-8")
    assert read_export(inbox / "workgroup_998877").report.me == "Lena Park"
    assert read_export(inbox / "workgroup_998877" / "message_1.json").report.me == "Lena Park"


def test_html_download_is_recognised_and_refused(tmp_path: Path) -> None:
    thread = tmp_path / "inbox" / "noesilva_4455667788"
    thread.mkdir(parents=True)
    (thread / "message_1.html").write_text("<html><body>Noé Silva</body></html>", encoding="utf-8")
    for path in (thread, thread / "message_1.html"):
        assert IMPORTER.sniff(path)
        with pytest.raises(NotAChatExport) as err:
            read_export(path)
        assert "JSON" in err.value.fix


def test_platform_option_instagram_reaches_this_importer() -> None:
    parsed = read_export(IG, platform="instagram")
    assert parsed.report.platform is Platform.INSTAGRAM
