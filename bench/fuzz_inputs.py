"""Hostile and broken inputs for every format: mutations of our own fixtures, and a long fault run.

The same mutations feed ``tests/test_fuzz_importers.py`` (Hypothesis picks the seed, the mutation and
its random choices, with a small budget) and this script's long run, which reads thousands of inputs
through ``ebbtide parse`` and ``ebbtide import`` in a worker process watched from outside:

    python bench/fuzz_inputs.py --inputs 3000 [--seed 1] [--timeout 60] [--mem-mb 1536] [--big]
                                [--workers 2] [--cases 17,230]

Each input is one class: ok (exit 0), clean (exit 2 with a plain message), raw (exit 2 but the
message shows Python exception text), traceback (any other exit or an escaped exception), hang (no
answer within --timeout CPU seconds, or --wall-factor times that of wall time) or memory (the worker's resident memory passed --mem-mb). The run
prints the counts per class and per format, and the first examples of every bad class. ``--big``
adds the large mutations (bomb zips of hundreds of MB, sparse files past the size cap). Each bad
input is printed with its case number; ``--cases`` with the same other options makes exactly those
inputs again (to check a fix). Inputs run in ``--workers`` processes (2: one per core of a small
machine), each watched on its own; the run ends with the seconds each mutation costs.

Seeds are the fixtures under tests/fixtures (folders zipped), plus a small iMessage chat.db and
a Snapchat zip built here. Nothing from ../shared is used, so the run is reproducible anywhere.
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import json
import os
import random
import re
import sqlite3
import struct
import sys
import tempfile
import time
import zipfile
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"


@dataclass(frozen=True)
class Seed:
    fmt: str
    name: str  # file name to write (the format's usual name matters for sniffing)
    data: bytes


@dataclass(frozen=True)
class Input:
    """One mutated input: a file name (bytes, may be invalid UTF-8) and its content, or a sparse size."""

    fmt: str
    mutation: str
    name: bytes
    data: bytes
    sparse_size: int = 0  # > 0: the file is extended with a hole to this size
    kind: str = ""  # the mutation's name in MUTATIONS

    def write(self, folder: Path) -> Path:
        path = Path(os.fsdecode(os.path.join(os.fsencode(folder), self.name)))
        with open(path, "wb") as fh:
            fh.write(self.data)
            if self.sparse_size > len(self.data):
                fh.truncate(self.sparse_size)
        return path


# --------------------------------------------------------------------------- seeds
def _zip_folder(folder: Path, prefix: str = "") -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in sorted(folder.rglob("*")):
            if p.is_file():
                zf.write(p, prefix + p.relative_to(folder).as_posix())
    return buf.getvalue()


def _zip_members(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _imessage_db() -> bytes:
    apple = 978307200
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "chat.db"
        con = sqlite3.connect(path)
        con.executescript(
            "CREATE TABLE handle (ROWID INTEGER PRIMARY KEY, id TEXT, service TEXT);"
            "CREATE TABLE chat (ROWID INTEGER PRIMARY KEY, guid TEXT, style INTEGER, chat_identifier TEXT,"
            " service_name TEXT, display_name TEXT);"
            "CREATE TABLE message (ROWID INTEGER PRIMARY KEY, guid TEXT, text TEXT, attributedBody BLOB,"
            " handle_id INTEGER DEFAULT 0, service TEXT, date INTEGER, date_read INTEGER, date_delivered INTEGER,"
            " date_edited INTEGER, is_from_me INTEGER DEFAULT 0, item_type INTEGER DEFAULT 0,"
            " associated_message_guid TEXT, associated_message_type INTEGER DEFAULT 0,"
            " associated_message_emoji TEXT, thread_originator_guid TEXT, balloon_bundle_id TEXT,"
            " cache_has_attachments INTEGER, is_audio_message INTEGER);"
            "CREATE TABLE chat_message_join (chat_id INTEGER, message_id INTEGER, message_date INTEGER DEFAULT 0);"
            "CREATE TABLE chat_handle_join (chat_id INTEGER, handle_id INTEGER);"
        )
        con.execute("INSERT INTO handle VALUES (1, '+15555550123', 'iMessage')")
        con.execute("INSERT INTO chat VALUES (1, 'iMessage;-;+15555550123', 45, '+15555550123', 'iMessage', '')")
        texts = ["hey you", "hi! how was it?", "long day", "want to call later?", "maybe", "ok"]
        for i, text in enumerate(texts, start=1):
            stamp = (1_704_391_395 - apple + i * 3600) * 1_000_000_000
            con.execute("INSERT INTO message (ROWID, guid, text, handle_id, date, is_from_me) VALUES (?,?,?,?,?,?)",
                        (i, f"G{i}", text, 1, stamp, i % 2))
            con.execute("INSERT INTO chat_message_join VALUES (1, ?, 0)", (i,))
        con.commit()
        con.close()
        return path.read_bytes()


def seeds() -> list[Seed]:
    """One or more seeds per format (every format of the README's table)."""
    out: list[Seed] = []
    for fmt in ("whatsapp", "telegram", "line", "sms", "generic", "snapchat", "discord", "imessage"):
        for p in sorted((FIXTURES / fmt).glob("*")):
            if p.is_file():
                out.append(Seed(fmt, p.name, p.read_bytes()))
    for p in sorted((FIXTURES / "signal").glob("*.txt")):
        out.append(Seed("signal", p.name, p.read_bytes()))
    out.append(Seed("signal", "River.zip", _zip_folder(FIXTURES / "signal" / "River", "River/")))
    for p in sorted((FIXTURES / "meta").rglob("*.json")):
        fmt = "instagram" if "instagram" in p.parts else "messenger"
        out.append(Seed(fmt, p.name, p.read_bytes()))
    out.append(Seed("instagram", "instagram-export.zip", _zip_folder(FIXTURES / "meta" / "instagram")))
    out.append(Seed("messenger", "facebook-export.zip", _zip_folder(FIXTURES / "meta" / "facebook")))
    out.append(Seed("google_chat", "takeout.zip", _zip_folder(FIXTURES / "google_chat")))
    gc = next((FIXTURES / "google_chat").rglob("DM */messages.json"))
    out.append(Seed("google_chat", "messages.json", gc.read_bytes()))
    snap = (FIXTURES / "snapchat" / "chat_history_new.json").read_bytes()
    out.append(Seed("snapchat", "mydata.zip", _zip_members({"mydata/json/chat_history.json": snap,
                                                            "mydata/json/account.json": b"{}"})))
    out.append(Seed("imessage", "chat.db", _imessage_db()))
    return out


# --------------------------------------------------------------------------- mutations
Mutation = Callable[[Seed, random.Random, bool], Input]


def _inp(seed: Seed, mutation: str, data: bytes, name: bytes | None = None, sparse: int = 0) -> Input:
    return Input(seed.fmt, mutation, name if name is not None else os.fsencode(seed.name), data, sparse)


def _is_zip(data: bytes) -> bool:
    return data[:4] == b"PK\x03\x04"


def _zip_main_member(data: bytes) -> tuple[str, dict[str, bytes]] | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            members = {n: zf.read(n) for n in zf.namelist()}
    except Exception:  # noqa: BLE001 - a seed that is not a readable zip
        return None
    if not members:
        return None
    main = max(members, key=lambda n: len(members[n]))
    return main, members


def _through_zip(seed: Seed, rnd: random.Random, big: bool, inner: Mutation, label: str) -> Input:
    """Apply a byte mutation to a zip's main member (so zips get the same treatment as files)."""
    found = _zip_main_member(seed.data)
    if found is None:
        return inner(seed, rnd, big)
    main, members = found
    mutated = inner(Seed(seed.fmt, main.rsplit("/", 1)[-1], members[main]), rnd, big)
    members[main] = mutated.data
    return _inp(seed, f"{label}(zip member)", _zip_members(members))


def m_truncate(seed: Seed, rnd: random.Random, big: bool) -> Input:
    cut = rnd.randrange(0, max(1, len(seed.data)))
    return _inp(seed, "truncate", seed.data[:cut])


def m_flip(seed: Seed, rnd: random.Random, big: bool) -> Input:
    data = bytearray(seed.data)
    for _ in range(rnd.randint(1, 16)):
        if data:
            data[rnd.randrange(len(data))] = rnd.randrange(256)
    return _inp(seed, "byte flips", bytes(data))


def m_invalid_utf8(seed: Seed, rnd: random.Random, big: bool) -> Input:
    data = bytearray(seed.data)
    for _ in range(rnd.randint(1, 8)):
        at = rnd.randrange(len(data) + 1)
        data[at:at] = rnd.choice([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\x80\x80", b"\xe2\x82"])
    return _inp(seed, "invalid utf-8", bytes(data))


def m_reencode(seed: Seed, rnd: random.Random, big: bool) -> Input:
    text = seed.data.decode("utf-8", errors="replace")
    codec = rnd.choice(["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be", "latin-1", "cp1252"])
    return _inp(seed, f"re-encoded {codec}", text.encode(codec, errors="replace"))


def m_newlines(seed: Seed, rnd: random.Random, big: bool) -> Input:
    nl = rnd.choice([b"\r\n", b"\r", b"\n\n", "\u2028".encode(), b"\x85", b"\x00"])
    return _inp(seed, f"newlines {nl!r}", seed.data.replace(b"\n", nl))


def m_huge_line(seed: Seed, rnd: random.Random, big: bool) -> Input:
    size = rnd.choice([200_000, 2_000_000, 60_000_000] if big else [140_000, 600_000])
    at = rnd.randrange(len(seed.data) + 1)
    filler = (rnd.choice(["a", "é", "😀 ", "[/x]", "\\\"", "x" * 7 + " "]) * size)[:size].encode()
    return _inp(seed, f"huge line {size}", seed.data[:at] + filler + seed.data[at:])


def m_deep_json(seed: Seed, rnd: random.Random, big: bool) -> Input:
    depth = rnd.choice([64, 200, 1024, 5000, 100_000])
    opener = rnd.choice(["[", "{\"a\":"])
    closer = "]" if opener == "[" else "}"
    deep = (opener * depth + "1" + closer * depth).encode()
    spots = [m.end() for m in re.finditer(rb":\s*", seed.data)] or [0]
    at = rnd.choice(spots)
    # replace the value that follows the colon up to the next comma/brace, roughly
    end = at
    while end < len(seed.data) and seed.data[end:end + 1] not in (b",", b"}", b"]", b"\n"):
        end += 1
    return _inp(seed, f"deep json {depth}", seed.data[:at] + deep + seed.data[end:])


def m_wrong_types(seed: Seed, rnd: random.Random, big: bool) -> Input:
    try:
        doc = json.loads(seed.data.decode("utf-8-sig"))
    except (ValueError, UnicodeDecodeError):
        lines = seed.data.split(b"\n")
        if len(lines) > 1:  # JSON lines or text: swap a line for a JSON value of the wrong kind
            i = rnd.randrange(len(lines))
            lines[i] = json.dumps(rnd.choice([[], {}, None, 1e308, -1, "x", {"text": []}])).encode()
        return _inp(seed, "wrong types (lines)", b"\n".join(lines))
    odd = [None, 0, -1, 10**30, -(10**30), 1e308, 253402300800, 99999999999999, "", "x", "[/x]", [], {}, [[]],
           True, "2024-13-45T99:99:99", "10000-01-01T00:00:00Z"]

    def walk(node: object, depth: int = 0) -> object:
        if depth > 50:
            return node
        if isinstance(node, dict):
            return {k: (rnd.choice(odd) if rnd.random() < 0.08 else walk(v, depth + 1)) for k, v in node.items()}
        if isinstance(node, list):
            return [rnd.choice(odd) if rnd.random() < 0.08 else walk(v, depth + 1) for v in node]
        return node

    return _inp(seed, "wrong types", json.dumps(walk(doc), ensure_ascii=False).encode())


def m_big_numbers(seed: Seed, rnd: random.Random, big: bool) -> Input:
    value = rnd.choice([b"99999999999999999999", b"-9223372036854775809", b"253402300800000", b"1e400",
                        b"18446744073709551616", b"0", b"-1"])
    runs = list(re.finditer(rb"\d{4,}", seed.data))
    data = bytearray(seed.data)
    for m in sorted(rnd.sample(runs, min(len(runs), rnd.randint(1, 6))), key=lambda m: -m.start()):
        data[m.start():m.end()] = value
    return _inp(seed, f"big numbers {value.decode()}", bytes(data))


def m_dates(seed: Seed, rnd: random.Random, big: bool) -> Input:
    repl = rnd.choice([b"10000", b"0000", b"9999", b"1000", b"1969", b"2038", b"32767"])
    data = re.sub(rb"\b20\d\d\b", lambda _m: repl if rnd.random() < 0.5 else _m.group(0), seed.data)
    return _inp(seed, f"years {repl.decode()}", data)


def m_markup(seed: Seed, rnd: random.Random, big: bool) -> Input:
    data = bytearray(seed.data)
    for _ in range(rnd.randint(1, 10)):
        at = rnd.randrange(len(data) + 1)
        data[at:at] = rnd.choice([b"[/x]", b"[bold]", b"[/]", b"[link=x]", b"\\", b"%s", b"{0}", b"<script>"])
    return _inp(seed, "markup", bytes(data))


def m_xml_entities(seed: Seed, rnd: random.Random, big: bool) -> Input:
    body = seed.data
    if b"<?xml" in body[:100]:
        body = body[body.index(b"?>") + 2:]
    kind = rnd.choice(["laughs", "external", "encoding", "parameter"])
    if kind == "laughs":
        ents = "".join(f'<!ENTITY l{i} "{("&l" + str(i - 1) + ";") * 10}">' for i in range(1, 10))
        dtd = f'<!DOCTYPE smses [<!ENTITY l0 "lol">{ents}]>'
        body = body.replace(b'body="', b'body="&l9;', 1)
    elif kind == "external":
        dtd = '<!DOCTYPE smses [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        body = body.replace(b'body="', b'body="&x;', 1)
    elif kind == "parameter":
        dtd = '<!DOCTYPE smses [<!ENTITY % p SYSTEM "http://127.0.0.1:9/x.dtd"> %p;]>'
    else:
        enc = rnd.choice(["klingon", "utf-7", "ebcdic-cp-us", "utf-32", "x-mac-roman", "UTF-8 ", ""])
        return _inp(seed, f"xml encoding {enc!r}", f'<?xml version="1.0" encoding="{enc}"?>'.encode() + body)
    return _inp(seed, f"xml {kind}", b"<?xml version='1.0' encoding='UTF-8'?>" + dtd.encode() + body)


def m_zip_nested(seed: Seed, rnd: random.Random, big: bool) -> Input:
    inner = _zip_members({seed.name: seed.data})
    for _ in range(rnd.randint(0, 2)):
        inner = _zip_members({"inner.zip": inner})
    return _inp(seed, "nested zip", inner, os.fsencode(Path(seed.name).stem + ".zip"))


def _deflate_repeated(head: bytes, unit: bytes, times: int) -> tuple[bytes, int]:
    """Raw deflate of ``head + unit * times`` and its CRC-32, without compressing every copy.

    After a full flush a deflate stream starts afresh (no reference to earlier bytes), so the
    compressed unit can simply be repeated; only the CRC has to see every byte. A 1.1 GB bomb takes
    about a second instead of 30 (zipfile at level 6, on a loaded machine).
    """
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = packer.compress(head) + packer.flush(zlib.Z_FULL_FLUSH)
    one = packer.compress(unit) + packer.flush(zlib.Z_FULL_FLUSH)
    crc = zlib.crc32(head)
    for _ in range(times):
        crc = zlib.crc32(unit, crc)
    return first + one * times + packer.flush(zlib.Z_FINISH), crc


def _zip_raw(members: list[tuple[str, bytes, int, int]]) -> bytes:
    """A zip of already deflated members: (name, raw deflate data, CRC-32, unpacked size); no zip64."""
    out, central = io.BytesIO(), io.BytesIO()
    for name, packed, crc, size in members:
        encoded = name.encode("utf-8")
        fields = struct.pack("<HHHHHIII", 20, 0x800, zipfile.ZIP_DEFLATED, 0, 0x21, crc, len(packed), size)
        central.write(b"PK\x01\x02" + struct.pack("<H", 20) + fields
                      + struct.pack("<HHHHHII", len(encoded), 0, 0, 0, 0, 0, out.tell()) + encoded)
        out.write(b"PK\x03\x04" + fields + struct.pack("<HH", len(encoded), 0) + encoded + packed)
    start, directory = out.tell(), central.getvalue()
    out.write(directory + b"PK\x05\x06" + struct.pack("<HHHHIIH", 0, 0, len(members), len(members),
                                                      len(directory), start, 0))
    return out.getvalue()


_BOMBS: dict[tuple[str, bytes, int], bytes] = {}


def m_zip_bomb(seed: Seed, rnd: random.Random, big: bool) -> Input:
    size = rnd.choice([300_000_000, 1_100_000_000] if big else [2_000_000, 20_000_000])
    key = (seed.name, seed.data, size)
    if key not in _BOMBS:  # the same seed and size give the same bomb: built once per run
        found = _zip_main_member(seed.data) if _is_zip(seed.data) else None
        main, members = found if found else (seed.name, {seed.name: seed.data})
        head = members[main][:4000]
        line = head.split(b"\n")[1] if head.count(b"\n") > 2 else b"x" * 60
        unit = (line + b"\n") * max(1, (1 << 20) // (len(line) + 1))
        times = size // len(unit)
        raw = []
        for name, data in members.items():
            if name == main:
                packed, crc = _deflate_repeated(head, unit, times)
                raw.append((name, packed, crc, len(head) + len(unit) * times))
            else:
                packer = zlib.compressobj(9, zlib.DEFLATED, -15)
                raw.append((name, packer.compress(data) + packer.flush(), zlib.crc32(data), len(data)))
        if len(_BOMBS) > 64:
            _BOMBS.clear()
        _BOMBS[key] = _zip_raw(raw)
    return _inp(seed, f"bomb zip {size >> 20} MiB", _BOMBS[key], os.fsencode(Path(seed.name).stem + ".zip"))


def m_zip_broken(seed: Seed, rnd: random.Random, big: bool) -> Input:
    data = seed.data if _is_zip(seed.data) else _zip_members({seed.name: seed.data})
    raw = bytearray(data)
    kind = rnd.choice(["encrypted", "method", "crc", "cut central"])
    if kind in ("encrypted", "method"):
        for sig in (b"PK\x03\x04", b"PK\x01\x02"):
            for m in re.finditer(re.escape(sig), bytes(raw)):
                flag_at = m.start() + (6 if sig == b"PK\x03\x04" else 8)
                if kind == "encrypted":
                    raw[flag_at] |= 0x01
                else:
                    raw[flag_at + 2:flag_at + 4] = (99).to_bytes(2, "little")
    elif kind == "crc":
        at = data.find(b"PK\x03\x04") + 30 + int.from_bytes(data[26:28], "little") + 2
        if 0 < at < len(raw):
            raw[at] ^= 0xFF
    else:
        raw = raw[: max(0, data.rfind(b"PK\x01\x02") + 10)]
    return _inp(seed, f"zip {kind}", bytes(raw), os.fsencode(Path(seed.name).stem + ".zip"))


def m_sparse(seed: Seed, rnd: random.Random, big: bool) -> Input:
    size = rnd.choice([3_000_000_000, 1_200_000_000] if big else [50_000_000])
    return _inp(seed, f"sparse {size >> 20} MiB", seed.data, sparse=size)


def m_repeat(seed: Seed, rnd: random.Random, big: bool) -> Input:
    times = rnd.choice([50, 400] if big else [5, 30])
    return _inp(seed, f"repeated x{times}", seed.data * times)


def m_empty(seed: Seed, rnd: random.Random, big: bool) -> Input:
    return _inp(seed, "empty or blank", rnd.choice([b"", b"\n", b"\xef\xbb\xbf", b"\x00" * 64, b"{}", b"[]", b"null"]))


def m_bad_name(seed: Seed, rnd: random.Random, big: bool) -> Input:
    stem, dot, ext = seed.name.rpartition(".")
    prefix = rnd.choice([b"\xff\xfe ", b"caf\xe9 ", b"[x] ", b"-- ", b"\xed\xa0\x80"])
    return _inp(seed, "odd file name", seed.data, prefix + os.fsencode(seed.name))


MUTATIONS: dict[str, Mutation] = {
    "truncate": m_truncate, "flip": m_flip, "invalid_utf8": m_invalid_utf8, "reencode": m_reencode,
    "newlines": m_newlines, "huge_line": m_huge_line, "deep_json": m_deep_json, "wrong_types": m_wrong_types,
    "big_numbers": m_big_numbers, "dates": m_dates, "markup": m_markup, "xml_entities": m_xml_entities,
    "zip_nested": m_zip_nested, "zip_bomb": m_zip_bomb, "zip_broken": m_zip_broken, "sparse": m_sparse,
    "repeat": m_repeat, "empty": m_empty, "bad_name": m_bad_name,
}
ZIP_AWARE = {"truncate", "flip", "invalid_utf8", "reencode", "newlines", "huge_line", "deep_json",
             "wrong_types", "big_numbers", "dates", "markup"}


def mutate(seed: Seed, mutation: str, rnd: random.Random, big: bool = False) -> Input:
    func = MUTATIONS[mutation]
    if mutation in ZIP_AWARE and _is_zip(seed.data) and rnd.random() < 0.7:
        return dataclasses.replace(_through_zip(seed, rnd, big, func, mutation), kind=mutation)
    return dataclasses.replace(func(seed, rnd, big), kind=mutation)


# --------------------------------------------------------------------------- running one input
_EXC_TEXT = re.compile(r"\b[A-Z]\w*(Error|Exception)\b|Traceback|\bErrno\b|object has no attribute|"
                       r"not subscriptable|unsupported operand|\bNoneType\b")


def classify(exit_code: int, exception: BaseException | None, output: str) -> str:
    if exception is not None and not isinstance(exception, SystemExit):
        return "traceback"
    if "Traceback" in output:
        return "traceback"
    if exit_code == 0:
        return "ok"
    if exit_code == 2:
        return "raw" if _EXC_TEXT.search(output) else "clean"
    return "traceback"


def run_one(path: Path, db: Path) -> tuple[str, str]:
    """``ebbtide parse`` then ``ebbtide import`` in this process; the worse class and its message."""
    from typer.testing import CliRunner

    from ebbtide.cli import app

    runner = CliRunner()
    worst, detail = "ok", ""
    order = ["ok", "clean", "raw", "traceback"]
    for args in (["parse", str(path), "-o", os.devnull], ["import", str(path), "--db", str(db), "--tz", "UTC"]):
        result = runner.invoke(app, args)
        out = result.stdout + result.stderr
        cls = classify(result.exit_code, result.exception, out)
        if order.index(cls) > order.index(worst):
            worst = cls
            exc = result.exception
            detail = (f"{args[0]}: {type(exc).__name__}: {exc}" if exc and not isinstance(exc, SystemExit)
                      else f"{args[0]}: " + " | ".join(out.strip().splitlines()[-3:]))[:400]
        if cls != "ok":  # import reads the file the same way: it only adds something when parse succeeded
            break
    return worst, detail


def _worker(conn: object) -> None:  # pragma: no cover - runs in the child
    os.environ.setdefault("EBBTIDE_DB", os.path.join(tempfile.gettempdir(), "fuzz-unused.duckdb"))
    while True:
        job = conn.recv()  # type: ignore[attr-defined]
        if job is None:
            return
        path, db = job
        conn.send(run_one(Path(path), Path(db)))  # type: ignore[attr-defined]


def _rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _cpu_s(pid: int) -> float:
    """CPU seconds (user + system, all threads) the process has used so far."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def main() -> None:  # pragma: no cover - the long run
    import multiprocessing as mp

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--inputs", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=60.0,
                    help="CPU seconds one input may use before it counts as a hang (CPU, not wall time: on a "
                         "loaded machine the wall clock says little)")
    ap.add_argument("--wall-factor", type=float, default=10.0,
                    help="also a hang past this many times --timeout of wall time")
    ap.add_argument("--mem-mb", type=float, default=1536.0)
    ap.add_argument("--big", action="store_true", help="include bomb zips and sparse files past the caps")
    ap.add_argument("--only", default="", help="comma-separated formats")
    ap.add_argument("--mutations", default="", help="comma-separated mutation names")
    ap.add_argument("--workers", type=int, default=2, help="worker processes, each watched on its own")
    ap.add_argument("--cases", default="",
                    help="comma-separated case numbers (as printed, '#17') to run again alone; the same --seed, "
                         "--inputs, --only, --mutations and --big make the same inputs")
    args = ap.parse_args()
    wanted = {int(c.strip().lstrip("#")) for c in args.cases.split(",") if c.strip()}
    sys.path.insert(0, str(ROOT / "src"))

    rnd = random.Random(args.seed)
    pool = [s for s in seeds() if not args.only or s.fmt in args.only.split(",")]
    formats = sorted({s.fmt for s in pool})
    names = [m for m in MUTATIONS if not args.mutations or m in args.mutations.split(",")]
    ctx = mp.get_context("spawn")
    counts: Counter[str] = Counter()
    by_format: dict[str, Counter[str]] = defaultdict(Counter)
    examples: dict[str, list[str]] = defaultdict(list)
    seconds: Counter[str] = Counter()  # per mutation: making the input and reading it
    made: Counter[str] = Counter()
    loads: list[float] = []
    peak, peak_input = 0.0, ""
    started = time.monotonic()

    def spawn() -> tuple[object, object]:
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=_worker, args=(child,), daemon=True)
        proc.start()
        return proc, parent

    def record(n: int, inp: Input, cls: str, detail: str) -> None:
        counts[cls] += 1
        by_format[inp.fmt][cls] += 1
        if cls not in ("ok", "clean"):
            example = f"#{n} {inp.fmt} / {inp.mutation} / {os.fsdecode(inp.name)!r}: {detail}"
            print(f"  [{cls}] {example}", flush=True)
            if len(examples[cls]) < 25:
                examples[cls].append(example)
        done = sum(counts.values())
        if done % 100 == 0:
            loads.append(os.getloadavg()[0])
            print(f"{done} inputs, {time.monotonic() - started:.0f} s, load {loads[-1]:.1f}: {dict(counts)}",
                  flush=True)

    # one slot per worker: [process, pipe, input, case folder, start time, worst RSS, CPU seconds at start, case]
    slots: list[list] = [[*spawn(), None, None, 0.0, 0.0, 0.0, 0] for _ in range(args.workers)]
    with tempfile.TemporaryDirectory(prefix="ebbtide-fuzz-") as tmp:
        n = 0
        while n < args.inputs or any(slot[2] is not None for slot in slots):
            for slot in slots:
                proc, conn, inp, case, t0, worst, cpu0, number = slot
                if inp is None:
                    while n < args.inputs:
                        fmt = formats[n % len(formats)]  # formats in turn, so WhatsApp's many fixtures do not dominate
                        seed = rnd.choice([s for s in pool if s.fmt == fmt])
                        mutation = names[(n // len(formats)) % len(names)]  # every mutation for every format in turn
                        choices = random.Random(rnd.random())
                        n += 1
                        if not wanted or n - 1 in wanted:
                            break
                    else:
                        continue
                    t0 = time.monotonic()
                    inp = mutate(seed, mutation, choices, args.big)
                    case = Path(tmp) / f"case{n - 1}"
                    case.mkdir()
                    path = inp.write(case)
                    conn.send((str(path), str(case / "store.duckdb")))
                    slot[2:] = [inp, case, t0, 0.0, _cpu_s(proc.pid), n - 1]
                    continue
                cls = detail = ""
                if conn.poll(0):
                    try:
                        cls, detail = conn.recv()
                    except EOFError:
                        cls, detail = "traceback", "worker died (crash in native code?)"
                else:
                    rss = _rss_mb(proc.pid)
                    slot[5] = worst = max(worst, rss)
                    if not proc.is_alive():
                        cls, detail = "traceback", f"worker died, exit {proc.exitcode}"
                    elif rss > args.mem_mb:
                        cls, detail = "memory", f"{rss:.0f} MiB"
                    elif _cpu_s(proc.pid) - cpu0 > args.timeout:
                        cls, detail = "hang", f"> {args.timeout:.0f} CPU s"
                    elif time.monotonic() - t0 > args.timeout * args.wall_factor:
                        cls, detail = "hang", f"> {args.timeout * args.wall_factor:.0f} s of wall time"
                if not cls:
                    continue
                if worst > peak:
                    peak, peak_input = worst, f"#{number} {inp.fmt} / {inp.mutation}"
                if cls in ("memory", "hang") or not proc.is_alive():
                    proc.kill()
                    proc.join()
                    slot[0:2] = spawn()
                record(number, inp, cls, detail)
                seconds[inp.kind] += time.monotonic() - t0
                made[inp.kind] += 1
                for p in case.iterdir():
                    p.unlink()
                case.rmdir()
                slot[2:] = [None, None, 0.0, 0.0, 0.0, 0]
            time.sleep(0.03)
        for slot in slots:
            slot[1].send(None)
    classes = ["ok", "clean", "raw", "traceback", "hang", "memory"]
    loads.append(os.getloadavg()[0])
    print(f"\n{sum(counts.values())} inputs over {len({s.fmt for s in pool})} formats, {len(names)} mutations, "
          f"{time.monotonic() - started:.0f} s with {args.workers} workers, worker peak {peak:.0f} MiB ({peak_input}) "
          f"(limit {args.mem_mb:.0f}); load average (1 min) {min(loads):.1f}-{max(loads):.1f}, "
          f"mean {sum(loads) / len(loads):.1f} on {os.cpu_count()} CPUs")
    print("  ".join(f"{c}: {counts[c]}" for c in classes))
    for fmt in sorted(by_format):
        print(f"  {fmt:12s} " + "  ".join(f"{c} {by_format[fmt][c]}" for c in classes if by_format[fmt][c]))
    print("seconds per input, by mutation (making it and reading it): " + ", ".join(
        f"{m} {seconds[m] / made[m]:.1f}" for m in sorted(made, key=lambda m: -seconds[m] / made[m])))
    for cls in classes[2:]:
        for line in examples.get(cls, []):
            print(f"[{cls}] {line}")


if __name__ == "__main__":
    main()
