"""An export's rows made ready for the store, in Polars (no SQL here).

Why separate: checking and completing the incoming frame (validation, NULLs out of the dedup
key, file order kept, a conversation id for every row) is plain frame work, testable on its own,
and keeps ``db.py`` about SQL.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import polars as pl

from ebbtide.errors import StoreError
from ebbtide.model import ParsedExport, validate_messages_frame

# Fills for nullable canonical columns, so the dedup key never meets NULL (NULL never equals NULL).
_FILLS: dict[str, Any] = {"sender": "", "text": "", "kind": "other", "edited": False, "source_file": "",
                          "source_line": 0}


def file_sha256(path: Path) -> str | None:
    """SHA-256 of a file, read in chunks (None when it is not a readable regular file)."""
    try:
        if not path.is_file():
            return None
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        return digest.hexdigest()
    except OSError:
        return None


def derive_conversation_id(platform: str, participants: Sequence[str], fallback: str = "") -> str:
    """A readable, stable id for a chat whose importer gave none, e.g. ``whatsapp:alex+sam``.

    Names are sorted so two overlapping exports of one chat (which may start with different
    senders) get the same id.
    """
    names = sorted({p for p in participants if p}, key=str.casefold)
    words = [re.sub(r"[\W_]+", "-", n.casefold()).strip("-") for n in names]
    words = [w for w in words if w]
    if not words:
        words = [hashlib.sha256(fallback.encode()).hexdigest()[:8]]
    return f"{platform or 'chat'}:{'+'.join(words)}"


def prepare_incoming(parsed: ParsedExport, conversation_id: str | None) -> pl.DataFrame:
    """The export's frame, validated, with file order kept in ``pos`` and no NULL in the key."""
    report = parsed.report
    try:
        frame = validate_messages_frame(parsed.messages)
    except ValueError as exc:
        raise StoreError(f"the importer produced unusable rows ({exc})", where=report.source_file,
                         fix="This is a bug in ebbtide; please report it with the parse report.") from None
    nulls = frame.get_column("timestamp").null_count()
    if nulls:
        raise StoreError(f"{nulls} messages have no time and cannot be stored", where=report.source_file,
                         fix="This is a bug in the importer; please report it with the parse report.")
    wanted = {**_FILLS, "platform": report.platform.value}
    fills = [pl.col(c).fill_null(v) for c, v in wanted.items() if frame.get_column(c).null_count()]
    if fills:  # only where needed: filling copies the column, and text columns are big
        frame = frame.with_columns(fills)
    frame = frame.with_row_index("pos").with_columns(pl.col("pos").cast(pl.Int64))
    if conversation_id:
        return frame.with_columns(conversation_id=pl.lit(conversation_id))
    ids = frame.get_column("conversation_id")
    if not ids.null_count() and not (ids == "").any():
        return frame
    people = report.participants or tuple(frame.get_column("sender").unique().to_list())
    derived = derive_conversation_id(report.platform.value, people, report.source_file)
    return frame.with_columns(
        pl.when(pl.col("conversation_id").fill_null("") == "")
        .then(pl.lit(derived))
        .otherwise(pl.col("conversation_id"))
        .alias("conversation_id")
    )


def split_by_conversation(frame: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """Rows per conversation id, in order of first appearance (no copy for the usual single chat)."""
    ids = frame.get_column("conversation_id")
    if ids.n_unique() == 1:
        return {str(ids[0]): frame}
    parts = frame.partition_by("conversation_id", maintain_order=True, as_dict=True)
    return {str(key[0]): part for key, part in parts.items()}
