"""Records the store hands back (frozen, so callers cannot mistake them for live rows)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What one import did to one conversation."""

    conversation_id: str
    added: int  # messages new to the store
    skipped_duplicates: int  # messages the store already had (from an earlier or overlapping export)
    total_in_file: int  # messages of this conversation in the export (system lines included)
    source_file: str = ""
    note: str = ""  # how the export was placed, when worth saying (a new chat with the same names...)
    clock_shift_min: int = 0  # minutes the export's clock was moved to match the stored chat (time zones)


@dataclass(frozen=True, slots=True)
class ConversationInfo:
    """One stored conversation, summarised for listings and for choosing which one to analyse."""

    id: str
    platform: str
    participants: tuple[str, ...]  # people who wrote, in order of their first message
    messages: int
    first: datetime | None
    last: datetime | None
    imports: int
