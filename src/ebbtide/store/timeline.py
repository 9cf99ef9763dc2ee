"""One timeline for two people: every stored conversation between them, merged without duplicates.

WHY: a couple writes on two or three messengers, and the same chat may be stored twice (exported
from both phones: different contact names, so different conversation ids). The analysis must see
each message once, keep real repeats, and still know which messenger each message came from.

How: take every conversation in which both people wrote. Each message gets a tolerant key (the
store's import key: minute, kind, normalised text; placeholders by kind only) with the
*person* instead of the sender name, and its occurrence number among equal keys in its own
conversation. For every (key, occurrence) one copy is kept: the union of the conversations with
multiplicity, so "ok", "ok" stays two and a message stored twice from two phones is one.

The result has the canonical columns: ``sender`` is the person's name (so "Alex", "alex.k" and
"+44 7700 900123" are one sender), ``conversation_id`` is one id for the pair (so replies across
messengers count as one conversation), ``platform`` is kept per message.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from ebbtide.errors import StoreError
from ebbtide.model import MESSAGE_COLUMNS, MESSAGE_SCHEMA
from ebbtide.store.merge import _key_columns
from ebbtide.store.people import conversations_between, person_name

if TYPE_CHECKING:
    from ebbtide.store.db import Store


def pair_id(a: int, b: int) -> str:
    """The conversation id the merged timeline of two people carries."""
    lo, hi = sorted((a, b))
    return f"people:{lo}+{hi}"


def merged_timeline(store: Store, a: int, b: int, conversations: list[str] | None = None) -> pl.DataFrame:
    """Messages between persons ``a`` and ``b`` from all their conversations, once each, chronological.

    ``conversations`` restricts the sources (default: every conversation in which both wrote).
    Rows by third people in group chats are kept under their own sender names.
    """
    cids = conversations if conversations is not None else conversations_between(store, a, b)
    if not cids:
        raise StoreError(f"no stored conversation has both {person_name(store, a)} and {person_name(store, b)}",
                         where=str(store.path), fix="See who wrote where with: ebbtide people")
    name_a, name_b = person_name(store, a), person_name(store, b)
    marks = ", ".join(f"${i + 4}" for i in range(len(cids)))
    cols = ", ".join(f'"{c}"' for c in MESSAGE_COLUMNS if c not in {"sender", "conversation_id"})
    sql = f"""
    WITH src AS (
        SELECT m.*, al.person_id AS pid
        FROM messages AS m
        LEFT JOIN aliases AS al ON al.conversation_id = m.conversation_id AND al.sender = m.sender
        WHERE m.conversation_id IN ({marks})
    ), keyed AS (
        SELECT src.*, {_key_columns("src")} FROM src
    ), numbered AS (
        SELECT *, coalesce(CAST(pid AS VARCHAR), 'n:' || k_sender) AS k_who FROM keyed
    ), counted AS (
        SELECT *, row_number() OVER (PARTITION BY conversation_id, k_minute, k_who, kind, k_text
                                     ORDER BY "timestamp", seq) AS occ
        FROM numbered
    ), picked AS (
        SELECT *, row_number() OVER (PARTITION BY k_minute, k_who, kind, k_text, occ
                                     ORDER BY conversation_id, seq) AS pick
        FROM counted
    )
    SELECT {cols},
           CASE WHEN pid = $1 THEN $2 WHEN pid = $3 THEN $4_name
                WHEN sender IN ($2, $4_name) THEN sender || ' (another person)' ELSE sender END AS sender
    FROM picked WHERE pick = 1
    ORDER BY ("timestamp" - to_minutes(coalesce(utc_offset_min, 0))), conversation_id, seq
    """
    # DuckDB numbers parameters; give the second name its own slot after the conversation ids.
    name_b_slot = len(cids) + 4
    sql = sql.replace("$4_name", f"${name_b_slot}")
    frame = store._frame(sql, [a, name_a, b, *cids, name_b])
    frame = frame.with_columns(pl.lit(pair_id(a, b)).alias("conversation_id"))
    return frame.cast(MESSAGE_SCHEMA).select(MESSAGE_COLUMNS)  # type: ignore[arg-type]


def timeline_capabilities(store: Store, conversations: list[str]) -> dict[str, bool]:
    """What the merged chats can contain: a thing is there if any of their exports can hold it (OR)."""
    merged: dict[str, bool] = {}
    for cid in conversations:
        for key, present in store.capabilities(cid).items():
            merged[key] = merged.get(key, False) or present
    return merged


def timeline_imports(store: Store, conversations: list[str]) -> list[dict[str, object]]:
    """The import records of all merged chats (for the coverage report's warnings and zones)."""
    return [row for cid in conversations for row in store.import_history(cid)]


__all__ = ["merged_timeline", "pair_id", "timeline_capabilities", "timeline_imports"]
