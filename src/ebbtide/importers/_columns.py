"""Small helpers shared by the JSON/XML/CSV importers (Telegram, Meta, SMS, generic).

Why a module: every importer collects plain Python lists while walking its input (the input formats
are heterogeneous, so one pass in Python is unavoidable) and then builds the canonical frame in one
vectorised step. Keeping that last step, the conversation-id slug and the "which chat?" rule here
means the four importers agree on them.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import polars as pl

from ebbtide.errors import shown
from ebbtide.model import MESSAGE_SCHEMA, MessageKind, Platform

# One documented rule for containers that hold several conversations (Telegram full export, a Meta
# archive, an SMS backup, a Messages database, a Takeout or Snapchat download): the user names the one
# to read with --chat (``read_export(chat=...)``), or else in this variable.
CHAT_ENV = "EBBTIDE_CHAT"
_CHAT: ContextVar[str | None] = ContextVar("ebbtide_chat", default=None)


def chosen_chat() -> str | None:
    """The conversation the user asked for (name, id or number): ``--chat``, else ``EBBTIDE_CHAT``."""
    value = _CHAT.get() or os.environ.get(CHAT_ENV, "")
    return value.strip() or None


@contextmanager
def chat_chosen(chat: str | None) -> Iterator[None]:
    """Within this block ``chosen_chat()`` is ``chat`` (when given; the variable stays the fallback)."""
    token = _CHAT.set(chat)
    try:
        yield
    finally:
        _CHAT.reset(token)


def slug(text: str) -> str:
    """Lower-case, accents kept, runs of non-word characters collapsed to '-' (stable across exports)."""
    text = unicodedata.normalize("NFC", text).casefold()
    return re.sub(r"[\W_]+", "-", text).strip("-")


def participants_slug(names: Sequence[str]) -> str:
    """A conversation id from participant names, independent of their order."""
    return "+".join(sorted({slug(n) for n in names if n})) or "unknown"


def first_seen(senders: Sequence[str]) -> tuple[str, ...]:
    """People who wrote, in order of first message (system rows excluded)."""
    return tuple(dict.fromkeys(s for s in senders if s))


def build_frame(
    *,
    timestamp: Sequence[Any] | pl.Series,
    sender: Sequence[str] | pl.Series,
    text: Sequence[str] | pl.Series,
    kind: Sequence[str] | pl.Series,
    source_line: Sequence[int] | pl.Series,
    platform: Platform | str,
    conversation_id: str | pl.Series,
    source_file: str | pl.Series,
    edited: Sequence[bool] | pl.Series | None = None,
    utc_offset_min: Sequence[int | None] | pl.Series | int | None = None,
    sort: bool = False,
) -> pl.DataFrame:
    """Assemble the canonical frame (exactly ``MESSAGE_SCHEMA``) from collected columns.

    The one frame builder of every importer that walks its input in Python. Constants are broadcast
    with ``pl.lit`` so a million-row import does not build million-element Python lists for them.
    ``sort`` orders by time, stably: formats that list newest-first or by direction keep file order
    among equal times, so replies stay after what they answer.
    """
    n = len(sender)
    if n == 0:
        return pl.DataFrame(schema=MESSAGE_SCHEMA)
    ts = timestamp if isinstance(timestamp, pl.Series) else pl.Series(list(timestamp), dtype=pl.Datetime("us"))
    frame = pl.DataFrame(
        {
            "timestamp": ts.cast(pl.Datetime("us")),
            "sender": pl.Series(sender, dtype=pl.String),
            "text": pl.Series(text, dtype=pl.String),
            "kind": pl.Series(kind, dtype=pl.String),
            "source_line": pl.Series(source_line, dtype=pl.Int64),
        }
    )
    if utc_offset_min is None or isinstance(utc_offset_min, int):
        offsets = pl.lit(utc_offset_min, dtype=pl.Int32)
    else:
        offsets = pl.lit(pl.Series(utc_offset_min, dtype=pl.Int32))
    columns = {
        "utc_offset_min": offsets,
        "edited": pl.lit(pl.Series(edited, dtype=pl.Boolean)) if edited is not None else pl.lit(False),
        "platform": pl.lit(Platform(platform).value, dtype=pl.String),
        "conversation_id": (
            pl.lit(conversation_id) if isinstance(conversation_id, pl.Series)
            else pl.lit(shown(conversation_id), dtype=pl.String)  # may come from a file name
        ),
        "source_file": (
            pl.lit(source_file) if isinstance(source_file, pl.Series)
            else pl.lit(shown(source_file), dtype=pl.String)  # a name that is not UTF-8 shown as \xNN
        ),
    }
    frame = frame.with_columns(**columns).select([pl.col(c).cast(t) for c, t in MESSAGE_SCHEMA.items()])
    if sort:
        frame = frame.sort("timestamp", maintain_order=True, nulls_last=True)
    return frame


KINDS = frozenset(k.value for k in MessageKind)
