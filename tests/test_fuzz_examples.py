"""Each example of issue 16's fault run, as a test of its own (the fuzzing finds their kin at random).

The run fed 3,007 mutated exports to ``parse`` and ``import``: these are the inputs it reported, each
now read or refused in words (exit 0 or 2, no traceback, no Python exception text, memory bounded).
Already elsewhere: markup in errors (test_hostile_text.py), nested JSON in every JSON importer, a CSV
message over 131,072 characters, a JSON-lines file whose first record is huge, a bomb zip by its ratio,
a sparse file past the cap and web uploads over the cap (test_limits.py), one huge line in every
line-based format (test_long_lines.py). Here: the rest, and the memory examples at their real sizes.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ebbtide.cli import app

sys.path.insert(0, str(Path(__file__).parent))
from hostile_support import FUZZ  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
FIX = Path(__file__).parent / "fixtures"


def _run(runner: CliRunner, args: list[str]) -> tuple[str, int, str]:
    result = runner.invoke(app, args)
    text = result.stdout + result.stderr
    return FUZZ.classify(result.exit_code, result.exception, text), result.exit_code, text


def parse_and_import(runner: CliRunner, path: Path, tmp_path: Path, *extra: str) -> list[tuple[int, str]]:
    """``parse`` and ``import`` of one file: each exits 0 or 2 in words; their (exit code, output)."""
    out = []
    for args in (["parse", str(path), "-o", os.devnull, *extra],
                 ["import", str(path), "--db", str(tmp_path / "s.duckdb"), "--tz", "UTC", *extra]):
        cls, code, text = _run(runner, args)
        assert cls in ("ok", "clean"), (args[0], cls, text[-800:])
        out.append((code, text))
    return out


# --------------------------------------------------------------------------- markup
@pytest.mark.parametrize("hostile", ["[/x]", "[bold]", "end\\"])
def test_markup_in_the_error_paths_of_the_other_commands(runner: CliRunner, tmp_path: Path, hostile: str) -> None:
    """test_hostile_text.py feeds forget, coverage, analyze, people, parse, annotate and check; these are
    the rest (helplines, demo, lock, unlock, serve, conversations merge, import's options)."""
    chat = FIX / "whatsapp" / "android_en-GB_24h.txt"
    assert _run(runner, ["import", str(chat), "--tz", "UTC"])[1] == 0
    folder = tmp_path / f"a {hostile.replace('/', '')} folder"  # no "/" in a file name
    folder.mkdir()
    missing = str(tmp_path / f"no {hostile} here" / "r.json")
    cases = [
        ["helplines", "--country", hostile],
        ["demo", "--share-format", hostile, "--share", str(tmp_path / "s.html")],
        ["demo", "--json", missing],
        ["conversations", "merge", hostile, "whatsapp:alex+sam"],
        ["import", str(FIX / "telegram" / "full_export_two_chats.json"), "--chat", hostile],
        ["import", str(chat), "--tz", hostile],
        ["import", str(chat), "--platform", hostile],
        ["lock", "--db", str(tmp_path / f"{hostile}.duckdb")],
        ["unlock", "--db", str(tmp_path / f"{hostile}.duckdb")],
        ["serve", "--db", str(folder)],
    ]
    for args in cases:
        cls, code, text = _run(runner, args)
        assert (cls, code) == ("clean", 2), (args, text)
        shown = hostile.replace("/", "") if args[0] == "serve" else hostile
        assert "MarkupError" not in text and shown in "".join(text.split()), (args, text)


# --------------------------------------------------------------------------- file names
@pytest.mark.parametrize("name", ["generic/chat.csv", "telegram/single_chat.json",
                                  "meta/facebook/your_facebook_activity/messages/inbox/noesilva_4455667788/message_1.json",
                                  "whatsapp/android_en-GB_24h.txt"])
def test_a_file_name_that_is_not_utf8_in_every_format(runner: CliRunner, tmp_path: Path, name: str) -> None:
    """Generic, Telegram and Meta crashed on such a name, WhatsApp at import; now read, the name escaped."""
    raw = os.path.join(os.fsencode(tmp_path), b"\xff\xfe caf\xe9 " + os.fsencode(Path(name).name))
    with open(raw, "wb") as fh:
        fh.write((FIX / name).read_bytes())
    (parse_code, _), (import_code, text) = parse_and_import(runner, Path(os.fsdecode(raw)), tmp_path)
    assert parse_code == 0 and import_code == 0, text[-500:]
    assert "\\xff\\xfe caf\\xe9" in text


# --------------------------------------------------------------------------- dates and numbers
def _generic_csv(stamp: str) -> str:
    return f"timestamp,sender,text\n2024-01-01T10:00:00,Ana,hi\n{stamp},Ben,hey\n2024-01-01T10:05:00,Ana,ok\n"


@pytest.mark.parametrize(("name", "content"), [
    ("chat.csv", _generic_csv("10000-01-01T00:00:00")),
    ("chat.jsonl", '{"timestamp": "2024-01-01T10:00:00", "sender": "A", "text": "hi"}\n'
                   '{"timestamp": "10000-01-01T00:00:00Z", "sender": "B", "text": "hey"}\n'),
    ("result.json", (FIX / "telegram" / "single_chat.json").read_text(encoding="utf-8")
     .replace('"date_unixtime": "', '"date_unixtime": "253402300800', 1)),
    ("result.json", (FIX / "telegram" / "single_chat.json").read_text(encoding="utf-8")
     .replace('"date": "2023', '"date": "10000', 1)),
])
def test_a_year_10000_timestamp(runner: CliRunner, tmp_path: Path, name: str, content: str) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    for code, text in parse_and_import(runner, path, tmp_path):
        assert code == 2 or "dated before 1970 or after 2099" in text or "10000" not in content, text[-500:]


SMS = (FIX / "sms" / "sms-backup.xml").read_bytes()


@pytest.mark.parametrize("encoding", ["klingon", "utf-7", "ebcdic-cp-us", "x-mac-roman", ""])
def test_an_unknown_xml_encoding_declaration(runner: CliRunner, tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "sms-backup.xml"
    path.write_bytes(SMS.replace(b"encoding='UTF-8'", f"encoding='{encoding}'".encode(), 1))
    parse_and_import(runner, path, tmp_path, "--chat", "Jo")


@pytest.mark.parametrize("attribute", ["date", "type", "date_sent", "read"])
@pytest.mark.parametrize("value", ["99999999999999999999", "-9223372036854775809", "18446744073709551616"])
def test_an_sms_attribute_over_int64(runner: CliRunner, tmp_path: Path, attribute: str, value: str) -> None:
    path = tmp_path / "sms-backup.xml"
    path.write_bytes(SMS.replace(f' {attribute}="'.encode(), f' {attribute}="{value}'.encode(), 2))
    parse_and_import(runner, path, tmp_path, "--chat", "Jo")


def _imessage_db_with_text_dates(path: Path) -> None:
    path.write_bytes(FUZZ._imessage_db())
    con = sqlite3.connect(path)
    con.execute("UPDATE message SET date = '2024-01-05 10:00:00' WHERE ROWID IN (2, 4)")
    con.commit()
    con.close()


def test_an_imessage_date_column_of_text_gives_the_same_in_parse_and_import(runner: CliRunner,
                                                                           tmp_path: Path) -> None:
    """``parse`` gave "timestamp": null for such rows, ``import`` "a bug in the importer"."""
    path = tmp_path / "chat.db"
    _imessage_db_with_text_dates(path)
    out = tmp_path / "out.jsonl"
    cls, code, text = _run(runner, ["parse", str(path), "-o", str(out)])
    assert (cls, code) == ("ok", 0), text
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(records) == 4 and all(r["timestamp"] for r in records)  # the two undated left out, as in import
    cls, code, text = _run(runner, ["import", str(path), "--db", str(tmp_path / "s.duckdb"), "--tz", "UTC"])
    assert (cls, code) == ("ok", 0), text
    assert "4 added" in text and "bug" not in text


# --------------------------------------------------------------------------- archives
def _snapchat_zip() -> bytes:
    return FUZZ._zip_members({"mydata/json/chat_history.json": (FIX / "snapchat" / "chat_history_new.json").read_bytes(),
                              "mydata/json/account.json": b"{}"})


@pytest.mark.parametrize(("kind", "words"), [("encrypted", "encrypted"), ("method", "method")])
def test_an_encrypted_or_unsupported_member_in_a_snapchat_zip(runner: CliRunner, tmp_path: Path, kind: str,
                                                             words: str) -> None:
    raw = bytearray(_snapchat_zip())
    for sig, at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = raw.find(sig)
        while start >= 0:
            if kind == "encrypted":
                raw[start + at] |= 0x01
            else:
                raw[start + at + 2:start + at + 4] = (99).to_bytes(2, "little")
            start = raw.find(sig, start + 4)
    path = tmp_path / "mydata.zip"
    path.write_bytes(bytes(raw))
    for code, text in parse_and_import(runner, path, tmp_path, "--chat", "river.k"):
        assert code == 2 and words in text, text[-500:]


# --------------------------------------------------------------------------- a full disk
_LIMITED_CHILD = textwrap.dedent("""
    import resource, signal, sys
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails (EFBIG) instead of killing
    limit = int(sys.argv[1])
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    from ebbtide.cli import main
    sys.argv = ["ebbtide", *sys.argv[2:]]
    main()
""")


def _import_with_file_limit(limit: int, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]),
           "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-c", _LIMITED_CHILD, str(limit), "import", *args],
                          capture_output=True, text=True, env=env, timeout=300, check=False)


def _big_chat(path: Path, n: int = 30_000) -> Path:
    path.write_text("".join(f"0{1 + i % 9}/02/2024, {10 + i % 12}:{i % 60:02d} - {'Alex' if i % 3 else 'Sam'}: "
                            f"message {i} about the day and what comes next\n" for i in range(n)), encoding="utf-8")
    return path


def test_a_full_disk_during_import_and_the_next_import_after_it(runner: CliRunner, tmp_path: Path) -> None:
    """The write fails part-way (the file system refuses to grow the files): exit 2 in words, nothing
    of that import kept, and the next import works. (A real full disk was checked on a 8 MB tmpfs.)"""
    db = tmp_path / "s.duckdb"
    small = FIX / "whatsapp" / "android_en-GB_24h.txt"
    assert _run(runner, ["import", str(small), "--db", str(db), "--tz", "UTC"])[1] == 0
    before = db.stat().st_size
    done = _import_with_file_limit(before + 64 * 1024, str(_big_chat(tmp_path / "WhatsApp Chat with Kim.txt")),
                                   "--db", str(db), "--tz", "UTC")
    assert done.returncode == 2, done.stderr[-1500:]
    assert "the store could not be written" in done.stderr and "Traceback" not in done.stderr
    cls, code, text = _run(runner, ["import", str(FIX / "line" / "river_en.txt"), "--db", str(db), "--tz", "UTC"])
    assert (cls, code) == ("ok", 0), text
    cls, code, text = _run(runner, ["conversations", "--db", str(db)])
    assert "line:" in text and "whatsapp:alex" in text and "kim" not in text.lower(), text


def test_a_full_disk_when_the_store_is_made_leaves_no_file_behind(runner: CliRunner, tmp_path: Path) -> None:
    db = tmp_path / "new.duckdb"
    done = _import_with_file_limit(4096, str(FIX / "whatsapp" / "android_en-GB_24h.txt"), "--db", str(db),
                                   "--tz", "UTC")
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr[-1500:]
    assert "the file system refused a larger file" in done.stderr
    assert not db.exists()  # an empty file would stop the next command ("not a valid DuckDB database")
    db.write_bytes(b"")  # and one left by an older version is taken as no store at all
    cls, code, text = _run(runner, ["import", str(FIX / "whatsapp" / "android_en-GB_24h.txt"), "--db", str(db),
                                    "--tz", "UTC"])
    assert (cls, code) == ("ok", 0), text


# --------------------------------------------------------------------------- memory, at the real sizes
_MEMORY_CHILD = textwrap.dedent("""
    import json, os, resource, sys
    from typer.testing import CliRunner
    from ebbtide.cli import app
    runner, out = CliRunner(), {}
    for path in sys.argv[2:]:
        for args in (["parse", path, "-o", os.devnull], ["import", path, "--db", sys.argv[1], "--tz", "UTC"]):
            result = runner.invoke(app, args)
            text = result.stdout + result.stderr
            out[f"{args[0]} {os.path.basename(path)}"] = [
                result.exit_code, repr(result.exception) if result.exception and result.exit_code != 2 else "",
                text[-3000:], resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024]
    print(json.dumps(out))
""")


def _peak_mib(*paths: Path, db: Path) -> dict[str, list]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]),
           "COLUMNS": "200"}
    done = subprocess.run([sys.executable, "-c", _MEMORY_CHILD, str(db), *map(str, paths)], capture_output=True,
                          text=True, env=env, timeout=900, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.splitlines()[-1])


def _bomb(name: str, member: str, head: bytes, line: bytes, size: int) -> bytes:
    unit = line * ((1 << 20) // len(line))
    packed, crc = FUZZ._deflate_repeated(head, unit, size // len(unit))
    return FUZZ._zip_raw([(member, packed, crc, len(head) + len(unit) * (size // len(unit)))])


@pytest.mark.slow
def test_the_memory_examples_at_their_sizes(tmp_path: Path) -> None:
    """A 4 KB Discord JSON with 1,024 nested brackets (was past 8 GB), a 1 MB zip whose chat unpacks to
    990 MB (past 4 GB), a 2.1 GB file in each format (most past 4 GB), a JSON-lines file whose first
    record is 50 MB ("not a chat export"): each read or refused in words, the process under 1 GB."""
    discord = json.loads((FIX / "discord" / "dm_river.json").read_text(encoding="utf-8"))
    discord["messages"][0]["content"] = "[" * 1024 + "]" * 1024
    deep = tmp_path / "dm_nested.json"
    deep.write_text(json.dumps(discord), encoding="utf-8")
    assert deep.stat().st_size < 5000

    chat = (FIX / "whatsapp" / "android_en-GB_24h.txt").read_bytes()
    bomb = tmp_path / "WhatsApp Chat with Sam.zip"
    bomb.write_bytes(_bomb(bomb.name, "_chat.txt", chat, chat.split(b"\n")[1] + b"\n", 990_000_000))
    assert bomb.stat().st_size < 4_000_000

    sparse = []
    for name in ("WhatsApp Chat with Sam.txt", "result.json", "message_1.json", "chat.csv", "sms-backup.xml",
                 "chat_history.json", "dm.json", "+15555550199.txt", "chat.db", "messages.json"):
        path = tmp_path / "sparse" / name
        path.parent.mkdir(exist_ok=True)
        with path.open("wb") as fh:
            fh.write(chat if name.endswith(".txt") else b'{"messages": [' if name.endswith(".json") else b"")
            fh.truncate(2_100_000_000)
        sparse.append(path)

    jsonl = tmp_path / "chat.jsonl"
    with jsonl.open("w", encoding="utf-8") as fh:
        fh.write(json.dumps({"timestamp": "2024-01-01T10:00:00", "sender": "Ana", "text": "y" * 50_000_000}) + "\n")
        fh.write(json.dumps({"timestamp": "2024-01-01T10:01:00", "sender": "Ben", "text": "ok"}) + "\n")

    results = _peak_mib(deep, bomb, *sparse, jsonl, db=tmp_path / "s.duckdb")
    for key, (code, exception, text, _peak) in results.items():
        assert code in (0, 2) and not exception and "Traceback" not in text, (key, code, exception, text)
        assert FUZZ.classify(code, None, text) in ("ok", "clean"), (key, text)
    for key in (f"parse {p.name}" for p in sparse):
        assert results[key][0] == 2 and "too large" in results[key][2] or "binary" in results[key][2], results[key]
    assert results["import chat.jsonl"][0] == 0 and "longer than 100,000 characters" in results["import chat.jsonl"][2]
    assert "times its packed size" in results[f"parse {bomb.name}"][2]
    peak = max(r[3] for r in results.values())
    assert peak < 1024, {k: r[3] for k, r in results.items()}


_WEB_CHILD = textwrap.dedent("""
    import json, resource, sys
    from fastapi.testclient import TestClient
    from ebbtide.web import create_app
    client = TestClient(create_app(sys.argv[1], token="t" * 32, allowed_hosts=("testserver",)))
    assert client.get("/?t=" + "t" * 32).status_code == 200
    with open(sys.argv[2], "rb") as fh:
        r = client.post("/import", files=[("files", ("instagram.zip", fh, "application/zip"))])
    print(json.dumps([r.status_code, r.text, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024]))
""")


@pytest.mark.slow
def test_a_web_upload_of_a_1mb_zip_holding_a_1gb_message_json(tmp_path: Path) -> None:
    """Took the server from 0.6 to 2.7 GB; now refused in words before the member is unpacked."""
    pytest.importorskip("fastapi")
    member = "your_instagram_activity/messages/inbox/noe_s_17841400000000001/message_1.json"
    head = (FIX / "meta" / "instagram" / member).read_bytes()[:200]
    path = tmp_path / "instagram.zip"
    path.write_bytes(_bomb(path.name, member, head, b' {"sender_name": "Noe", "content": "hi"},\n', 1_000_000_000))
    assert path.stat().st_size < 4_000_000
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-c", _WEB_CHILD, str(tmp_path / "s.duckdb"), str(path)],
                          capture_output=True, text=True, env=env, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    status, page, peak = json.loads(done.stdout.splitlines()[-1])
    assert status == 200 and "times its packed size" in page
    assert peak < 1024


# --------------------------------------------------------------------------- a long text that starts as a chat
def test_a_long_text_that_begins_with_two_chat_lines(runner: CliRunner, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """In the web app a 300 MB text that began with two chat lines was stored as one 300 MB message
    (every page then took 25 s and 4 GB). At 300 MB it is over the cap; under it, the message is kept
    but cut, so the store never holds more than the limit of one message (scaled: 3 MB, 20,000)."""
    monkeypatch.setenv("EBBTIDE_MAX_MESSAGE_CHARS", "20000")
    path = tmp_path / "WhatsApp Chat with Sam.txt"
    body = "".join(f"line {i} of a long pasted document, not a chat\n" for i in range(70_000))
    path.write_text("01/02/2024, 10:00 - Sam: hi\n01/02/2024, 10:01 - Alex: hey\n" + body, encoding="utf-8")
    db = tmp_path / "s.duckdb"
    cls, code, text = _run(runner, ["import", str(path), "--db", str(db), "--tz", "UTC"])
    assert (cls, code) == ("ok", 0), text
    assert "longer than 20,000 characters" in "".join(text.split("\n"))
    from ebbtide.store import Store

    with Store.open(db) as store:
        longest = max(len(t) for t in store.messages(store.conversations()[0].id).get_column("text").to_list())
    assert longest <= 20_000 + len(" […]")

    with path.open("ab") as fh:
        fh.truncate(300_000_000)  # the 300 MB: refused by its size before reading
    cls, code, text = _run(runner, ["import", str(path), "--db", str(db), "--tz", "UTC"])
    assert (cls, code) == ("clean", 2) and "too large" in text


def test_every_example_zip_in_this_file_is_a_valid_zip(tmp_path: Path) -> None:
    """The bomb zips above are built from a repeated deflate block (fast): a real zip, with a right CRC."""
    data = _bomb("x.zip", "_chat.txt", b"head\n", b"01/02/2024, 10:00 - Sam: hi\n", 5_000_000)
    with zipfile.ZipFile(__import__("io").BytesIO(data)) as zf:
        assert zf.testzip() is None and len(zf.read("_chat.txt")) > 4_000_000
