"""Facebook Messenger and Instagram DMs from Meta's "Download your information" (JSON), and the
separate end-to-end-encrypted (E2EE) Messenger download.

Why it looks like this:
- a thread is spread over ``message_1.json``, ``message_2.json``… with messages newest first, so we
  read every part, put them in time order and drop exact duplicates (inbox/ and e2ee_cutover/ or
  two downloads can overlap);
- classic DYI writes every UTF-8 byte as its own ``\\u00XX`` escape (mojibake). We repair each string
  with a *guarded* ``encode('latin-1').decode('utf-8')``: ASCII is skipped and a string that is
  already real Unicode (the encode or decode fails) is kept as it is;
- Meta writes reactions, calls and "X sent an attachment." as ordinary English sentences with no type
  field, so those pseudo-messages are recognised and typed (other/call/media/system) and never count
  as typed words;
- times are UTC epoch milliseconds: ``timestamp`` is the UTC wall clock and ``utc_offset_min`` 0.

Which conversation (a whole archive, zip or folder): the thread folders whose name matches
``EBBTIDE_CHAT`` (the partner's name, accents and spaces ignored, or the folder name); all matches
are read together, so the classic download and the E2EE file of the same person merge. Without it,
a container with one thread is read; with several, we stop and list them.
"""

from __future__ import annotations

import json
import re
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import polars as pl

from ebbtide.counts import counted
from ebbtide.errors import NotAChatExport, UnreadableInput
from ebbtide.importers._build import (
    capabilities,
    plain_reason,
    read_head,
    several_chats,
    utc_ms_columns,
    zip_names,
)
from ebbtide.importers._columns import CHAT_ENV, build_frame, chosen_chat, first_seen, participants_slug
from ebbtide.importers.base import Importer
from ebbtide.importers.meta_messages import _read_file, _Rows, fix_mojibake
from ebbtide.model import DateOrder, MessageKind, ParsedExport, Platform

_SNIFF_BYTES = 8192
_MESSAGE_FILE = re.compile(r"(?:^|/)message_(\d+)\.json$")
_E2EE_FILE = re.compile(r"(?:^|/)([^/]+)_(\d+)\.json$")
_USERNAME = re.compile(r"^[a-z0-9._]{1,30}$")

SYSTEM = MessageKind.SYSTEM.value


def _fold(text: str) -> str:
    """Compare names loosely: accents, case, spaces and punctuation ignored ('Zoë Müller' -> 'zoemuller')."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if c.isalnum())


# --- containers: a file, a thread folder, an archive folder or a zip ------------------------------


@dataclass(slots=True)
class _Container:
    """Uniform access to JSON members of a file/folder/zip, named by posix paths."""

    label: str  # shown in errors, prefixes source_file
    names: list[str]
    reader: Callable[[str], bytes]
    head_reader: Callable[[str], bytes]
    close: Callable[[], None] = lambda: None


def _open_container(path: Path) -> _Container:
    try:
        if path.is_dir():
            names = sorted(p.relative_to(path).as_posix() for p in path.rglob("*.json") if p.is_file())

            def read_dir(name: str) -> bytes:
                return (path / name).read_bytes()

            def head_dir(name: str) -> bytes:
                with (path / name).open("rb") as fh:
                    return fh.read(_SNIFF_BYTES)

            return _Container(str(path), names, read_dir, head_dir)
        if zipfile.is_zipfile(path):
            zf = zipfile.ZipFile(path)
            names = sorted(n for n in zf.namelist() if n.endswith(".json") and not n.startswith("__MACOSX"))

            def read_zip(name: str) -> bytes:
                return zf.read(name)

            def head_zip(name: str) -> bytes:
                with zf.open(name) as fh:
                    return fh.read(_SNIFF_BYTES)

            return _Container(str(path), names, read_zip, head_zip, zf.close)
        # a single file: its siblings message_N.json belong to the same thread
        if _MESSAGE_FILE.search(path.name):
            parent = path.parent
            names = sorted(p.name for p in parent.iterdir() if _MESSAGE_FILE.search(p.name))
            return _Container(str(parent), names, lambda n: (parent / n).read_bytes(),
                              lambda n: (parent / n).open("rb").read(_SNIFF_BYTES))
        return _Container(str(path.parent), [path.name], lambda n: (path.parent / n).read_bytes(),
                          lambda n: (path.parent / n).open("rb").read(_SNIFF_BYTES))
    except (OSError, zipfile.BadZipFile, RuntimeError, EOFError) as exc:
        raise UnreadableInput(plain_reason(exc), where=str(path),
                              fix="Check the path and that the download is complete (unzip it if needed).") from exc


def _is_classic_head(head: bytes) -> bool:
    return b'"participants"' in head and (b'"sender_name"' in head or b'"timestamp_ms"' in head)


def _is_e2ee_head(head: bytes) -> bool:
    return b'"threadName"' in head or (b'"senderName"' in head and b'"participants"' in head)


@dataclass(slots=True)
class _Thread:
    key: str  # folder name (classic) or file stem (E2EE), e.g. zoemuller_1234567890
    members: list[str] = field(default_factory=list)


def _threads(box: _Container) -> dict[str, _Thread]:
    """Thread groups in the container (classic thread folders by name; E2EE files by stem)."""
    found: dict[str, _Thread] = {}
    for name in box.names:
        if _MESSAGE_FILE.search(name):
            parent = PurePosixPath(name).parent.name or PurePosixPath(box.label).name
            found.setdefault(parent, _Thread(parent)).members.append(name)
    for name in box.names:
        if _MESSAGE_FILE.search(name) or not _E2EE_FILE.search(name):
            continue
        try:
            head = box.head_reader(name)
        except (OSError, KeyError, RuntimeError, zipfile.BadZipFile):
            continue
        if _is_e2ee_head(head):
            stem = PurePosixPath(name).stem
            found.setdefault(stem, _Thread(stem)).members.append(name)
    if not found and len(box.names) == 1:  # a single JSON file under another name
        only = box.names[0]
        try:
            head = box.head_reader(only)
        except (OSError, KeyError, RuntimeError):
            head = b""
        if _is_classic_head(head) or _is_e2ee_head(head):
            found[PurePosixPath(only).stem] = _Thread(PurePosixPath(only).stem, [only])
    return found


def _key_matches(key: str, wanted: str) -> bool:
    want = _fold(wanted)
    base = re.sub(r"_\d+$", "", key)
    return bool(want) and (_fold(key) == want or _fold(base) == want)


def _select(threads: dict[str, _Thread], label: str) -> list[_Thread]:
    if not threads:
        raise NotAChatExport(
            "no Messenger/Instagram conversation found here",
            where=label,
            fix="Point at a thread folder (…/messages/inbox/<name>_<id>/) or its message_1.json, "
            "at the E2EE download's <Name>_<n>.json, or at the whole download (zip or folder) with "
            f"{CHAT_ENV} set to your partner's name. Download your information in JSON format.",
        )
    wanted = chosen_chat()
    if wanted:
        hits = [t for t in threads.values() if _key_matches(t.key, wanted)]
        if hits:
            return hits
    elif len(threads) == 1:
        return list(threads.values())
    keys = sorted(threads)
    partners = [re.sub(r"_[0-9]+$", "", k) for k in keys]  # a thread folder is <partner>_<id>
    chats = [(p if partners.count(p) == 1 else k, k) for p, k in zip(partners, keys, strict=True)]
    raise several_chats("Meta", label, chats, wanted, "conversation")


_PARTICIPANTS = re.compile(rb'"participants"\s*:\s*(\[[^\]]*\])')


def _head_participants(head: bytes) -> set[str]:
    """Participant names from the first KB of a thread file (they come first in Meta's JSON)."""
    m = _PARTICIPANTS.search(head)
    if not m:
        return set()
    try:
        items = json.loads(m.group(1))
    except ValueError:
        return set()
    names = (p.get("name") if isinstance(p, dict) else p for p in items)
    return {fix_mojibake(n) for n in names if isinstance(n, str) and n}


def _archive_owner(box: _Container, threads: dict[str, _Thread]) -> str | None:
    """The person in every thread of an archive (at least three threads): the archive's owner.

    Cheap: only the first KB of one file per thread is read. None when it is not clear.
    """
    if len(threads) < 3:
        return None
    common: set[str] | None = None
    for thread in threads.values():
        try:
            names = _head_participants(box.head_reader(thread.members[0]))
        except (OSError, KeyError, RuntimeError, zipfile.BadZipFile):
            return None
        if not names:
            continue
        common = names if common is None else common & names
        if not common:
            return None
    return next(iter(common)) if common is not None and len(common) == 1 else None


def _sibling_threads(path: Path) -> tuple[_Container, dict[str, _Thread]] | None:
    """For a thread folder (or one of its files) inside inbox/, the archive's other threads."""
    folder = path if path.is_dir() else path.parent
    inbox = folder.parent
    if inbox.name not in ("inbox", "archived_threads", "message_requests", "filtered_threads", "e2ee_cutover"):
        return None
    try:
        siblings = [d for d in inbox.iterdir() if d.is_dir() and (d / "message_1.json").is_file()]
    except OSError:
        return None
    box = _Container(str(inbox), [f"{d.name}/message_1.json" for d in siblings],
                     lambda n: (inbox / n).read_bytes(), lambda n: (inbox / n).open("rb").read(_SNIFF_BYTES))
    return box, {d.name: _Thread(d.name, [f"{d.name}/message_1.json"]) for d in siblings}


def _guess_me(rows: _Rows, participants: list[str], owner: str | None = None) -> str | None:
    """The exporting user from "You …" rows and reactions "to your message" (two-person threads),
    or the archive's owner (the one person in every thread)."""
    guesses: set[str] = set()
    if owner and owner in participants:
        guesses.add(owner)
    for hint in rows.me_hints:
        who, _, name = hint.partition(":")
        if who == "you":
            guesses.add(name)
        elif who == "your" and len(participants) == 2 and name in participants:
            guesses.add(participants[1] if participants[0] == name else participants[0])
    return guesses.pop() if len(guesses) == 1 else None


def _platform(label: str, members: list[str], participants: list[str], e2ee: bool) -> Platform:
    where = (label + "/" + "/".join(members)).casefold()
    if "instagram" in where:
        return Platform.INSTAGRAM
    if e2ee or "facebook" in where or "messenger" in where:
        return Platform.MESSENGER
    if participants and all(_USERNAME.match(p) for p in participants):
        return Platform.INSTAGRAM  # Instagram names people by username; Facebook by display name
    return Platform.MESSENGER


def _sort_members(members: list[str]) -> list[str]:
    """Oldest part first: message_N.json with the highest N holds the oldest messages."""
    def order(name: str) -> tuple[str, int]:
        m = _MESSAGE_FILE.search(name)
        return (str(PurePosixPath(name).parent), -int(m.group(1)) if m else 0)
    return sorted(members, key=order)


_HTML_MESSAGE = re.compile(r"^message_\d+\.html$")


def _is_html_download(path: Path) -> bool:
    """A thread of the HTML download (message_1.html, or its folder): recognised only to say "use JSON"."""
    if path.is_dir():
        return (path / "message_1.html").is_file() and not (path / "message_1.json").is_file()
    return path.is_file() and bool(_HTML_MESSAGE.match(path.name))


class MetaImporter(Importer):
    platform = Platform.MESSENGER
    platforms = (Platform.MESSENGER, Platform.INSTAGRAM)  # the file decides which (see _platform)
    description = ("Facebook Messenger / Instagram 'Download your information' JSON (message_1.json, thread "
                   "folder or zip) and the Messenger end-to-end-encrypted download")

    def looks_like(self, path: Path) -> bool:
        if _is_html_download(path):
            return True  # parse() then explains that the JSON download is needed
        if path.is_file() and not zipfile.is_zipfile(path):
            head = read_head(path, _SNIFF_BYTES)
            return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{") and (
                _is_classic_head(head) or _is_e2ee_head(head))
        if path.is_dir():
            if any(_MESSAGE_FILE.search(p.name) for p in path.iterdir()):
                return True
            marks = ("messages/inbox", "your_instagram_activity/messages", "your_facebook_activity/messages")
            return any((path / m).is_dir() for m in marks) or (path / "messages" / "inbox").is_dir()
        return any(_MESSAGE_FILE.search(n) for n in zip_names(path))

    def parse(self, path: Path, date_order: DateOrder | None) -> ParsedExport:
        if _is_html_download(path):
            raise NotAChatExport(
                "this is Meta's HTML download, which ebbtide does not read",
                where=str(path),
                fix="Request the download again with format JSON (Download your information > Format: JSON).",
            )
        box = _open_container(path)
        try:
            return self._read_box(path, box)
        finally:
            box.close()

    def _read_box(self, path: Path, box: _Container) -> ParsedExport:
        threads = _threads(box)
        chosen = _select(threads, box.label)
        around = (box, threads) if len(threads) >= 3 else _sibling_threads(path)
        owner = _archive_owner(*around) if around else None
        rows = _Rows()
        members: list[str] = []
        for thread in chosen:
            for name in _sort_members(thread.members):
                members.append(name)
                try:
                    data = box.reader(name)
                except (OSError, KeyError, RuntimeError, zipfile.BadZipFile, EOFError) as exc:
                    raise UnreadableInput(plain_reason(exc), where=f"{box.label}/{name}",
                                          fix="Unzip the download again or request a new one.") from exc
                _read_file(data, f"{box.label}/{name}", rows)
        participants = list(dict.fromkeys(rows.participants)) or list(first_seen(rows.sender))
        platform = _platform(box.label, members, participants, rows.e2ee)
        conv = f"{platform.value}:{participants_slug(participants)}"
        frame_cols = pl.DataFrame({
            "ts": pl.Series(rows.ts_ms, dtype=pl.Int64),
            "sender": pl.Series(rows.sender, dtype=pl.String),
            "text": pl.Series(rows.text, dtype=pl.String),
            "kind": pl.Series(rows.kind, dtype=pl.String),
            "line": pl.Series(rows.line, dtype=pl.Int64),
            "order": pl.Series(rows.order, dtype=pl.Int64),
            "source": pl.Series(rows.source, dtype=pl.String),
        })
        # time order; equal times keep the file's own chronology (classic files are newest first)
        frame_cols = frame_cols.sort(["ts", "source", "order"], maintain_order=True)
        before = frame_cols.height
        frame_cols = frame_cols.unique(subset=["ts", "sender", "text", "kind"], keep="first", maintain_order=True)
        dropped = before - frame_cols.height
        frame = build_frame(**utc_ms_columns(frame_cols), platform=platform, conversation_id=conv,
                            source_file=frame_cols.get_column("source"))
        warnings: list[str] = []
        if dropped:
            warnings.append(f"{counted(dropped, 'message')} appeared twice (overlapping files or downloads); each is counted once.")
        if platform is Platform.MESSENGER and not rows.e2ee:
            cut = any("e2ee_cutover" in m for m in members)
            warnings.append(
                ("This thread was moved to end-to-end encryption: this download holds only the part before "
                 "the switch. " if cut else
                 "Chats Meta moved to end-to-end encryption (from 2024) are missing from this download "
                 "after the switch. ")
                + "Download them at messenger.com/secure_storage/dyi (JSON) and import that file too."
            )
        senders = frame.filter(pl.col("kind") != SYSTEM).get_column("sender").unique(maintain_order=True).to_list()
        dialect = ("Messenger end-to-end-encrypted download (JSON)" if rows.e2ee
                   else f"{'Instagram' if platform is Platform.INSTAGRAM else 'Facebook Messenger'} "
                   f"'Download your information' JSON, {len(members)} file(s)")
        return self.result(frame, source_file=str(path), dialect=dialect, platform=platform, warnings=warnings,
                           participants=first_seen(senders), me=_guess_me(rows, participants, owner),
                           capabilities=capabilities(reactions=True, calls=not rows.e2ee))


IMPORTER = MetaImporter()
