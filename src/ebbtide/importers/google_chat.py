"""Google Chat, from Google Takeout: ``Google Chat/Groups/<DM|Space> <id>/messages.json``.

Accepted paths: the ``messages.json`` file, its group folder, the ``Google Chat`` folder or the
Takeout .zip. One conversation per call: a container with several groups yields the one with
the most messages (a warning names the others); ``read_google_chat(path, group=...)`` picks one.

What is read (see docs/formats/google_chat.md):
- ``creator.name`` as sender, ``text``; ``attached_files`` without text -> media.
- ``created_date`` is a *human, locale-dependent* string ("Thursday, November 3, 2016 at
  11:59:50 AM UTC"; 24-hour and other-language variants exist). We read English and the month
  names of several European languages (see ``MONTHS``); the time is UTC, so ``timestamp`` is the
  UTC wall clock and ``utc_offset_min`` 0.
- deleted messages (``message_state: DELETED``) have no ``created_date``; they are kept as kind
  ``deleted`` at their ``deleted_date`` (the only time the file gives).
- me: ``Google Chat/Users/User <id>/user_info.json`` when it sits in the same Takeout tree.
Threads (``topic_id``) are not stored; reactions are not in the export as far as we know.
"""

from __future__ import annotations

import re
import unicodedata
import zipfile
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

import polars as pl

from ebbtide.errors import NotAChatExport, UnreadableInput
from ebbtide.importers._build import (
    build_frame,
    decode_head,
    load_json,
    participants_in_order,
    pick_conversation,
    read_head,
    slug,
    wrap_errors,
    zip_names,
)
from ebbtide.importers.base import Importer
from ebbtide.model import DateOrder, MessageKind, ParsedExport, Platform

_FIX = (
    "In Google Takeout choose 'Google Chat', download the archive, and point ebbtide at the zip, the "
    "'Google Chat' folder, or one Groups/<DM ...>/messages.json."
)
_MONTH_NAMES = {
    "en": "january february march april may june july august september october november december",
    "de": "januar februar märz april mai juni juli august september oktober november dezember",
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",
    "it": "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre",
    "pt": "janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro dezembro",
    "nl": "januari februari maart april mei juni juli augustus september oktober november december",
    "hu": "január február március április május június július augusztus szeptember október november december",
}
MONTHS: dict[str, int] = {}
for _names in _MONTH_NAMES.values():
    for _i, _name in enumerate(_names.split(), start=1):
        MONTHS.setdefault(_name, _i)
for _i, _name in enumerate(_MONTH_NAMES["en"].split(), start=1):
    MONTHS.setdefault(_name[:3], _i)
MONTHS.setdefault("sept", 9)

_TIME = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp])?\.?\s*[Mm]?\.?(?=\s|$)")
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def parse_created_date(value: str) -> datetime | None:
    """A Takeout ``created_date`` string to a naive UTC datetime, or None if it cannot be read."""
    text = unicodedata.normalize("NFKC", value).replace("\u202f", " ").replace("\u00a0", " ")
    m = _TIME.search(text)
    if not m:
        return None
    hour, minute, second = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
    if m.group(4):
        hour = hour % 12 + (12 if m.group(4).upper() == "P" else 0)
    rest = text[: m.start()] + " " + text[m.end() :]
    years = re.findall(r"\b(\d{4})\b", rest)
    days = [int(d) for d in re.findall(r"\b(\d{1,2})\b", rest)]
    months = [MONTHS[w.casefold()] for w in _WORD.findall(rest) if w.casefold() in MONTHS]
    if len(years) != 1 or len(days) != 1 or not months:
        return None
    try:
        return datetime(int(years[0]), months[0], days[0], hour, minute, second)
    except ValueError:
        return None


_ENGLISH = (
    r"^(?:[A-Za-z]+, )?([A-Za-z]+) (\d{1,2}), (\d{4}) at (\d{1,2}):(\d{2}):(\d{2})[ \u202f\u00a0]?([AaPp][Mm])? UTC$"
)


def _parse_dates(raw: list[str | None], where: str) -> pl.Series:
    """All created dates at once: the common English form with expressions, the rest one by one."""
    series = pl.Series("raw", raw, dtype=pl.String)
    parts = series.str.extract_groups(_ENGLISH).struct.unnest()
    parts.columns = ["month", "day", "year", "hour", "minute", "second", "ampm"]
    try:
        fast = _english_dates(parts)
    except pl.exceptions.PolarsError:  # an impossible date such as February 30: explain it one by one
        fast = pl.Series("timestamp", [None] * len(raw), dtype=pl.Datetime("us"))
    missing = fast.is_null().arg_true().to_list()
    if not missing:
        return fast
    values = fast.to_list()
    cache: dict[str, datetime | None] = {}
    for i in missing:
        text = raw[i]
        if text is None:
            raise UnreadableInput(f"message {i + 1} has no date", where=f"{where} (message {i + 1})", fix=_FIX)
        if text not in cache:
            cache[text] = parse_created_date(text)
        if cache[text] is None:
            raise UnreadableInput(
                f"message {i + 1} has a date ebbtide cannot read: {text!r}",
                where=f"{where} (message {i + 1})",
                fix="Dates in English and several European languages are understood; please report this format.",
            )
        values[i] = cache[text]
    return pl.Series("timestamp", values, dtype=pl.Datetime("us"))


def _english_dates(parts: pl.DataFrame) -> pl.Series:
    hour = pl.col("hour").cast(pl.Int32)
    ampm = pl.col("ampm").str.to_uppercase()
    return parts.select(
        pl.datetime(
            pl.col("year").cast(pl.Int32),
            pl.col("month").str.to_lowercase().replace_strict(MONTHS, default=None, return_dtype=pl.Int32),
            pl.col("day").cast(pl.Int32),
            pl.when(ampm == "PM").then(hour % 12 + 12).when(ampm == "AM").then(hour % 12).otherwise(hour),
            pl.col("minute").cast(pl.Int32),
            pl.col("second").cast(pl.Int32),
            time_unit="us",
        ).alias("timestamp")
    ).to_series()


# ------------------------------------------------------------------------------- locating files


def _group_id(folder_name: str) -> str | None:
    return folder_name if re.match(r"^(DM|Space|Group) \S+", folder_name) else None


class _Source:
    """Where the group files are: a folder tree or a zip, with the same small interface."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.zip: zipfile.ZipFile | None = None
        self.members: list[str] = []
        if path.is_file() and zipfile.is_zipfile(path):
            self.zip = zipfile.ZipFile(path)
            self.members = [n for n in self.zip.namelist() if not n.startswith("__MACOSX")]

    def close(self) -> None:
        if self.zip is not None:
            self.zip.close()

    def groups(self) -> dict[str, str]:
        """Group folder name -> messages.json location (file path or zip member)."""
        if self.zip is not None:
            return {
                PurePosixPath(n).parent.name: n
                for n in self.members
                if n.endswith("/messages.json") and "Google Chat/Groups/" in n
            }
        if self.path.is_file():
            return {self.path.parent.name: str(self.path)}
        if (self.path / "messages.json").is_file():
            return {self.path.name: str(self.path / "messages.json")}
        for base in (self.path / "Groups", self.path / "Google Chat" / "Groups", self.path / "Takeout" / "Google Chat" / "Groups"):
            if base.is_dir():
                return {p.parent.name: str(p) for p in sorted(base.glob("*/messages.json"))}
        return {}

    def read(self, location: str) -> Any:
        if self.zip is not None:
            return load_json(self.zip.read(location), f"{self.path}!{location}")
        return load_json(Path(location).read_bytes(), location)

    def where(self, location: str) -> str:
        return f"{self.path}!{location}" if self.zip is not None else location

    def user_infos(self, location: str) -> list[Any]:
        """Parsed user_info.json files of the same Takeout tree (these name the exporting user)."""
        if self.zip is not None:
            root = location.split("Google Chat/")[0] + "Google Chat/Users/"
            found = [n for n in self.members if n.startswith(root) and n.endswith("/user_info.json")]
            return [self.read(n) for n in found[:2]]
        chat_root = Path(location).parent.parent.parent  # messages.json -> group -> Groups -> Google Chat
        return [load_json(p.read_bytes(), str(p)) for p in sorted(chat_root.glob("Users/*/user_info.json"))[:2]]


def _messages(data: Any, where: str) -> list[dict[str, Any]]:
    if not isinstance(data, dict) or not isinstance(data.get("messages"), list):
        raise NotAChatExport("this JSON has no Google Chat 'messages' list", where=where, fix=_FIX)
    msgs = data["messages"]
    for i, m in enumerate(msgs, start=1):
        if not isinstance(m, dict):
            raise UnreadableInput(f"message {i} is not an object", where=f"{where} (message {i})", fix=_FIX)
    return msgs


def _me(infos: list[Any], emails: dict[str, str]) -> str | None:
    if len(infos) != 1 or not isinstance(infos[0], dict) or not isinstance(infos[0].get("user"), dict):
        return None
    user = infos[0]["user"]
    email = str(user.get("email") or "")
    if email and email in emails:
        return emails[email]
    name = str(user.get("name") or "")
    return name if name and name in emails.values() else None


class GoogleChatImporter(Importer):
    platform = Platform.GOOGLE_CHAT
    description = "Google Chat from Google Takeout: messages.json, its folder, or the Takeout zip"
    format_name = "Google Chat Takeout"
    fix = _FIX

    def looks_like(self, path: Path) -> bool:
        if path.is_dir():
            target = path / "messages.json"
            if not target.is_file():
                return (path.name == "Google Chat" and (path / "Groups").is_dir()) or (
                    path / "Google Chat" / "Groups"
                ).is_dir()
            path = target
        if path.suffix.lower() == ".zip":
            return any("Google Chat/Groups/" in n and n.endswith("/messages.json") for n in zip_names(path))
        if not path.is_file() or path.suffix.lower() != ".json":
            return False
        head = decode_head(read_head(path))
        return '"messages"' in head and '"creator"' in head and ('"created_date"' in head or '"topic_id"' in head)

    def parse(self, path: Path, date_order: DateOrder | None) -> ParsedExport:
        return read_google_chat(path)


@wrap_errors("Google Chat Takeout", _FIX)
def read_google_chat(path: Path | str, *, group: str | None = None) -> ParsedExport:
    """Read one Google Chat conversation (default: the one with the most messages)."""
    path = Path(path)
    source = _Source(path)
    try:
        groups = source.groups()
        if not groups:
            raise NotAChatExport("no Google Chat messages.json found here", where=str(path), fix=_FIX)
        warnings: list[str] = []
        if len(groups) == 1 and group is None:
            key = next(iter(groups))
        else:
            counts = {k: len(_messages(source.read(v), source.where(v))) for k, v in groups.items()}
            key = pick_conversation(counts, group, platform="Google Chat", where=str(path), what="group")
        location = groups[key]
        where = source.where(location)
        msgs = _messages(source.read(location), where)
        infos = source.user_infos(location)
    finally:
        source.close()

    raw_dates: list[str | None] = []
    senders: list[str] = []
    texts: list[str] = []
    kinds: list[str] = []
    emails: dict[str, str] = {}
    n_deleted = 0
    text_kind, media_kind, other_kind, deleted_kind = (
        MessageKind.TEXT.value, MessageKind.MEDIA.value, MessageKind.OTHER.value, MessageKind.DELETED.value
    )
    for msg in msgs:
        creator = msg.get("creator")
        name = ""
        if isinstance(creator, dict):
            name = str(creator.get("name") or "")
            if name and creator.get("email"):
                emails.setdefault(str(creator["email"]), name)
        raw = msg.get("created_date")
        body = msg.get("text")
        if not isinstance(body, str):
            body = ""
        if msg.get("message_state") == "DELETED":
            kind = deleted_kind
            n_deleted += 1
            raw = raw or msg.get("deleted_date")
        elif body.strip():
            kind = text_kind
        elif msg.get("attached_files"):
            kind = media_kind
        else:
            kind = other_kind
        raw_dates.append(raw if isinstance(raw, str) else None)
        senders.append(name)
        texts.append(body if kind == text_kind else "")
        kinds.append(kind)
    times = _parse_dates(raw_dates, where)
    if n_deleted:
        warnings.append(f"{n_deleted} deleted messages are shown at the time they were deleted (no send time kept).")

    people = participants_in_order(senders, kinds)
    gid = _group_id(key)
    frame = build_frame(timestamp=times, sender=senders, text=texts, kind=kinds, utc_offset_min=0,
                        source_line=list(range(1, len(msgs) + 1)), platform=IMPORTER.platform, source_file=where,
                        conversation_id=f"google_chat:{gid if gid else slug(people)}")
    return IMPORTER.result(frame, source_file=where, dialect="Google Takeout Chat messages.json, times in UTC",
                           warnings=warnings, participants=people, me=_me(infos, emails))


IMPORTER = GoogleChatImporter()
