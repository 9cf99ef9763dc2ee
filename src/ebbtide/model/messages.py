"""The canonical message: one record per message, whatever messenger it came from.

Importers produce a Polars DataFrame with exactly ``MESSAGE_SCHEMA`` (the hot path stays
vectorised); ``Message`` is the same row as a frozen record, for tests and small jobs.

Times are kept as the export wrote them: ``timestamp`` is the local wall-clock time shown in
the export, and ``utc_offset_min`` is the offset from UTC in minutes where the format knows it
(null where it does not, as in WhatsApp). We never silently convert with this machine's zone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

import polars as pl


class MessageKind(StrEnum):
    """What a line of a chat is. Only ``text`` carries words a person typed."""

    TEXT = "text"
    MEDIA = "media"  # photo, video, voice note, sticker, document... (placeholder or attachment)
    DELETED = "deleted"  # "This message was deleted"
    SYSTEM = "system"  # written by the app, not a person (encryption notice, "X added Y")
    CALL = "call"  # voice/video call, missed or not
    OTHER = "other"  # location, contact card, poll, anything else non-text


class Platform(StrEnum):
    """The messenger an export came from."""

    WHATSAPP = "whatsapp"
    TELEGRAM = "telegram"
    MESSENGER = "messenger"
    INSTAGRAM = "instagram"
    IMESSAGE = "imessage"
    SMS = "sms"
    SIGNAL = "signal"
    DISCORD = "discord"
    LINE = "line"
    SNAPCHAT = "snapchat"
    GOOGLE_CHAT = "google_chat"
    GENERIC = "generic"
    SIMULATED = "simulated"


class DateOrder(StrEnum):
    """Order of the fields in a numeric date such as 03/04/24."""

    DMY = "dmy"
    MDY = "mdy"
    YMD = "ymd"


MESSAGE_SCHEMA: dict[str, pl.DataType] = {
    "timestamp": pl.Datetime("us"),  # local wall-clock time as written in the export
    "utc_offset_min": pl.Int32(),  # minutes east of UTC where the format knows it, else null
    "sender": pl.String(),  # display name as in the export; "" for system lines
    "text": pl.String(),  # body with its line breaks; "" where there is none
    "kind": pl.String(),  # a MessageKind value
    "edited": pl.Boolean(),
    "platform": pl.String(),  # a Platform value
    "conversation_id": pl.String(),  # stable id of the chat, same for two exports of one chat
    "source_file": pl.String(),  # file (or zip member) the message was read from
    "source_line": pl.Int64(),  # 1-based line (or record index) where the message starts
}
MESSAGE_COLUMNS: tuple[str, ...] = tuple(MESSAGE_SCHEMA)


@dataclass(frozen=True, slots=True)
class Message:
    """One message, as a record. Field names equal the columns of ``MESSAGE_SCHEMA``."""

    timestamp: datetime
    sender: str
    text: str
    kind: MessageKind = MessageKind.TEXT
    platform: Platform = Platform.WHATSAPP
    conversation_id: str = ""
    edited: bool = False
    utc_offset_min: int | None = None
    source_file: str = ""
    source_line: int = 0


def empty_messages_frame() -> pl.DataFrame:
    """A frame with the canonical columns and no rows."""
    return pl.DataFrame(schema=MESSAGE_SCHEMA)


def messages_to_frame(messages: Iterable[Message]) -> pl.DataFrame:
    """Records to the canonical frame (for tests and small inputs, not the hot path)."""
    rows = [
        {
            "timestamp": m.timestamp,
            "utc_offset_min": m.utc_offset_min,
            "sender": m.sender,
            "text": m.text,
            "kind": str(m.kind),
            "edited": m.edited,
            "platform": str(m.platform),
            "conversation_id": m.conversation_id,
            "source_file": m.source_file,
            "source_line": m.source_line,
        }
        for m in messages
    ]
    if not rows:
        return empty_messages_frame()
    return pl.DataFrame(rows, schema=MESSAGE_SCHEMA)


def frame_to_messages(frame: pl.DataFrame) -> list[Message]:
    """The canonical frame to records."""
    return [
        Message(
            timestamp=row["timestamp"],
            sender=row["sender"],
            text=row["text"],
            kind=MessageKind(row["kind"]),
            platform=Platform(row["platform"]),
            conversation_id=row["conversation_id"],
            edited=bool(row["edited"]),
            utc_offset_min=row["utc_offset_min"],
            source_file=row["source_file"],
            source_line=row["source_line"],
        )
        for row in frame.iter_rows(named=True)
    ]


def validate_messages_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """Raise ``ValueError`` unless ``frame`` has exactly the canonical columns and types."""
    if dict(frame.schema) != MESSAGE_SCHEMA:
        raise ValueError(f"not a canonical message frame: {dict(frame.schema)} != {MESSAGE_SCHEMA}")
    kinds = set(frame.get_column("kind").unique().to_list()) - {k.value for k in MessageKind}
    if kinds:
        raise ValueError(f"unknown message kinds: {sorted(kinds)}")
    return frame


def senders_by_volume(frame: pl.DataFrame) -> list[str]:
    """People who wrote (system lines excluded), most messages first, ties by name.

    WHY here: the CLI, the web app and the reports all ask "who are the two people in this chat";
    one definition keeps their answers the same.
    """
    counts = (
        frame.filter((pl.col("sender") != "") & (pl.col("kind") != MessageKind.SYSTEM.value))
        .group_by("sender")
        .len()
        .sort(["len", "sender"], descending=[True, False])
    )
    return counts.get_column("sender").to_list()


@dataclass(frozen=True, slots=True)
class UnplacedLine:
    """A line the importer could not attach to any message (never fatal; reported)."""

    line_no: int
    text: str
    reason: str = ""


@dataclass(frozen=True, slots=True)
class ParseReport:
    """What an importer found and decided, shown to the user after every parse."""

    source_file: str
    platform: Platform
    dialect: str  # human-readable, e.g. "Android, day-month-year, 24 h, no seconds"
    date_order: DateOrder | None = None
    date_order_decided: bool = True  # False: the file could not tell; a guess was made
    date_order_reason: str = ""
    unplaced_lines: tuple[UnplacedLine, ...] = ()
    warnings: tuple[str, ...] = ()
    participants: tuple[str, ...] = ()  # people who wrote, in order of first message
    me: str | None = None  # the exporting user's sender name where the format says (is_from_me, "Me"...)
    capabilities: Mapping[str, bool] = field(default_factory=dict)  # e.g. {"reactions": False}


@dataclass(frozen=True, slots=True)
class ParsedExport:
    """An importer's result: the canonical frame plus its report."""

    messages: pl.DataFrame
    report: ParseReport
