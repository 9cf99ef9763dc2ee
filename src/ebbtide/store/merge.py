"""Which stored chat an export joins, and adding only the messages the store does not have yet.

Set-based SQL over an import's rows registered as an Arrow view: the clock-gap evidence that two
exports are one chat (the same rare texts at the same instants), and the tolerant dedup key that
keeps real repeats while a re-import adds nothing (docs/store.md, docs/timeline.md).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import polars as pl

from ebbtide.model import MESSAGE_COLUMNS
from ebbtide.store.core import StoreCore

_INCOMING = "_ebbtide_incoming"  # name of the registered (Arrow-backed) view of an import's rows
_SHIFT_LIMIT_MIN = 26 * 60  # the largest gap between two phones' clocks (time zones span UTC-12..UTC+14)
_SLICE_ROWS = 250_000  # incoming rows merged per statement (memory bound for big overlapping imports)
# Rows per plain insert of new messages. Larger than the merge's slices: with DuckDB 1.4.4 a million
# rows went in with 40 % less CPU, 100 MB less memory and a smaller file in pieces of 500,000 than of
# 250,000 (fewer part-filled row groups to rewrite at commit); the merge keeps 250,000 (less memory).
_FRESH_ROWS = 500_000
# The dedup key, besides conversation_id, is tolerant so that two exports of one chat from different
# phones or apps match: the minute of the export's wall clock (Android writes minutes, iOS seconds; the
# local minute, not UTC, so an import given a zone and one without still match), the sender and for
# text the words without case (importers already drop the iOS "~ " and direction marks), and the kind;
# media, deleted and call lines count by their kind only (their text is a placeholder in the export's
# language: "<Media omitted>" / "image omitted" / "Bild weggelassen").


def _key_columns(alias: str) -> str:
    """SQL computing the tolerant key columns (k_minute, k_sender, k_text) of rows named ``alias``.

    Only ``lower``: regular expressions or trimming a character set here made a re-import of a
    million messages several times slower.
    """
    a = alias
    return (
        f"date_trunc('minute', {a}.\"timestamp\") AS k_minute, lower({a}.sender) AS k_sender, "
        f"CASE WHEN {a}.kind IN ('media', 'deleted', 'call') THEN '' ELSE lower({a}.text) END AS k_text"
    )


_KEY = "k_minute, k_sender, kind, k_text"
# The moment a message was sent: the wall clock minus its UTC offset where known. Messages are
# ordered by it, so the repeated autumn hour and a trip across time zones keep their true order.
INSTANT = '("timestamp" - to_minutes(coalesce(utc_offset_min, 0)))'

_MERGE_SQL = f"""
INSERT INTO messages (conversation_id, seq, import_id, "timestamp", utc_offset_min, sender, text, kind,
                      edited, platform, source_file, source_line)
SELECT $cid, $base + inc.pos + 1, $import_id, inc."timestamp", inc.utc_offset_min, inc.sender, inc.text,
       inc.kind, inc.edited, inc.platform, inc.source_file, inc.source_line
FROM (
    SELECT *, row_number() OVER (PARTITION BY {_KEY} ORDER BY pos) AS occ
    FROM (SELECT i.*, {_key_columns("i")} FROM {_INCOMING} AS i WHERE i."timestamp" BETWEEN $lo AND $hi)
) AS inc
LEFT JOIN (
    SELECT {_KEY}, count(*) AS n
    FROM (SELECT m.kind, {_key_columns("m")} FROM messages AS m
          WHERE m.conversation_id = $cid
            AND m."timestamp" BETWEEN $lo AND $hi)
    GROUP BY ALL
) AS have USING ({_KEY})
WHERE inc.occ > coalesce(have.n, 0)
"""

# When the store holds nothing of this conversation in the export's time span (a first import, or
# an export of a new period) every row is new: a plain bulk insert, without the window and join.
_FRESH_SQL = f"""
INSERT INTO messages (conversation_id, seq, import_id, "timestamp", utc_offset_min, sender, text, kind,
                      edited, platform, source_file, source_line)
SELECT $cid, $base + pos + 1, $import_id, "timestamp", utc_offset_min, sender, text, kind,
       edited, platform, source_file, source_line
FROM {_INCOMING}
"""


# Evidence that an export and a stored conversation are the same chat: the same texts at the same
# instants. Only texts that are rare on both sides (at most 2 copies in the export, 4 in the store's
# window) are paired, so "ok" or "❤️" never decide and the join stays small. Each pair gives the gap
# between the two clocks in minutes; the same chat from a phone in another time zone shows one
# constant gap (a multiple of 15 minutes), the same phone a gap of 0. Senders are left out: a
# contact renamed on one phone still writes the same texts.
_SHIFT_SQL = f"""
WITH inc AS (
    SELECT date_trunc('minute', "timestamp") AS m, lower(text) AS t
    FROM {_INCOMING} WHERE kind = 'text' AND text <> ''
), inc_rare AS (
    SELECT m, t FROM inc QUALIFY count(*) OVER (PARTITION BY t) <= 2
), st AS (
    SELECT date_trunc('minute', "timestamp") AS m, lower(text) AS t FROM messages
    WHERE conversation_id = $cid AND kind = 'text' AND text <> '' AND "timestamp" BETWEEN $lo AND $hi
), st_rare AS (
    SELECT m, t FROM st QUALIFY count(*) OVER (PARTITION BY t) <= 4
), pairs AS (
    SELECT inc_rare.m AS im, t, datediff('minute', inc_rare.m, st_rare.m) AS d
    FROM inc_rare JOIN st_rare USING (t)
)
SELECT CAST(im AS DATE) AS day, d, count(DISTINCT hash(im, t)) AS n, (SELECT count(*) FROM inc_rare) AS rare
FROM pairs WHERE abs(d) <= {_SHIFT_LIMIT_MIN} AND d % 15 = 0 GROUP BY ALL
"""


def _evidence_threshold(rare: int, shift: int) -> int:
    """Matching rare texts needed to call two chats one.

    On the same clock one is enough (a rare text at the very same minute in two unrelated chats
    does not happen by chance); with a clock gap, which is searched among about 200 candidates, 3.
    A tiny export with fewer rare texts cannot prove a clock gap: one "ok" half an hour from another
    "ok" is chance, and moving the export's times by it would drop or misplace messages.
    """
    return 1 if shift == 0 else 3


def _day_shifts(rows: list[tuple[Any, ...]]) -> tuple[int, dict[Any, int], int]:
    """(best clock gap, gap per day of the export, matches at the best gap) from the pairs' counts.

    Days whose own pairs favour another well-supported gap keep it (daylight saving changes on
    different dates in two countries: for a few weeks the gap is an hour less or more).
    """
    totals: Counter[int] = Counter()
    for _, d, n, _ in rows:
        totals[int(d)] += int(n)
    best, best_n = max(totals.items(), key=lambda kv: (kv[1], -abs(kv[0])))
    supported = {d for d, n in totals.items() if n >= max(2, best_n // 50)} | {best}
    per_day: dict[Any, Counter[int]] = {}
    for day, d, n, _ in rows:
        if int(d) in supported:
            per_day.setdefault(day, Counter())[int(d)] += int(n)
    days = {day: max(c.items(), key=lambda kv: (kv[1], kv[0] == best))[0] for day, c in per_day.items()}
    return best, days, best_n


def _shift_frame(frame: pl.DataFrame, best: int, days: dict[Any, int]) -> pl.DataFrame:
    """Move the export's wall clock onto the store's (known UTC offsets move with it: same instant)."""
    if best == 0 and not any(days.values()):
        return frame
    day = pl.col("timestamp").dt.date()
    if days:
        table = pl.DataFrame({"_day": list(days), "_shift": list(days.values())},
                             schema={"_day": pl.Date, "_shift": pl.Int64})
        frame = frame.with_columns(day.alias("_day")).join(table, on="_day", how="left", maintain_order="left")
        shift = pl.col("_shift").fill_null(best)
    else:
        frame = frame.with_columns(pl.lit(best, dtype=pl.Int64).alias("_shift"))
        shift = pl.col("_shift")
    moved = frame.with_columns(
        (pl.col("timestamp") + pl.duration(minutes=shift)).alias("timestamp"),
        (pl.col("utc_offset_min") + shift.cast(pl.Int32)).cast(pl.Int32).alias("utc_offset_min"),
    )
    return moved.drop([c for c in ("_day", "_shift") if c in moved.columns])


def _count(rows: list[tuple[Any, ...]]) -> int:
    return int(rows[0][0]) if rows else 0


def time_slices(ts: pl.Series, size: int = _SLICE_ROWS) -> list[tuple[Any, Any]]:
    """Inclusive time ranges holding about ``size`` rows each; equal times never split across two."""
    ordered = ts.sort()
    n, start, slices = len(ordered), 0, []
    while start < n:
        last = ordered[min(start + size, n) - 1]
        end = int(ordered.search_sorted(last, side="right"))  # past every row at that same time
        slices.append((ordered[start], last))
        start = end
    return slices


class MergeMixin(StoreCore):
    """Placing an export's rows (which conversation, which clock) and merging them without doubles."""

    def _clock_pairs(self, cid: str, group: pl.DataFrame) -> list[tuple[Any, ...]]:
        """(day, clock gap in minutes, matching rare texts, rare texts in the export) of ``group`` vs ``cid``."""
        ts = group.get_column("timestamp")
        margin = timedelta(minutes=_SHIFT_LIMIT_MIN + 1)
        params = {"cid": cid, "lo": ts.min() - margin, "hi": ts.max() + margin}  # type: ignore[operator]
        chunk = group.select("timestamp", "kind", "text")
        return self._run_rows(_SHIFT_SQL, chunk, params)

    def _same_chat_hint(self, cid: str, group: pl.DataFrame) -> str:
        """A suggestion (never an action) when a new chat shares messages with one stored under another id.

        The same chat exported from the partner's phone carries other contact names, so another id;
        its messages give it away. Checked against at most 20 stored chats of the same messenger whose
        time span meets the export's.
        """
        ts = group.get_column("timestamp")
        margin = timedelta(minutes=_SHIFT_LIMIT_MIN)
        others = [str(r[0]) for r in self._rows(
            "SELECT c.id FROM conversations c JOIN (SELECT conversation_id, min(\"timestamp\") AS lo, "
            "max(\"timestamp\") AS hi FROM messages GROUP BY 1) m ON m.conversation_id = c.id "
            "WHERE c.platform = $1 AND c.id <> $2 AND m.lo <= $4 AND m.hi >= $3 ORDER BY c.created_at LIMIT 20",
            [str(group.get_column("platform")[0]), cid, ts.min() - margin, ts.max() + margin])]  # type: ignore[operator]
        for other in others:
            rows = self._clock_pairs(other, group)
            if not rows:
                continue
            best, _, matches = _day_shifts(rows)
            if matches >= max(3, _evidence_threshold(int(rows[0][3]), best)):
                return (f"It shares {matches:,} messages with '{other}' (the same chat from another phone, with "
                        f"other contact names?). If so: ebbtide conversations merge {other} {cid}")
        return ""

    def _place(self, cid: str, group: pl.DataFrame, sha: str | None, said: bool,
               ) -> tuple[str, pl.DataFrame, str, int]:
        """The conversation ``group`` joins, the rows on that conversation's clock, a note, the clock gap.

        An export joins a stored conversation when the user says so (``conversation_id``), when the
        same file was imported into it before, or when their messages overlap: the same rare texts at
        the same instants (allowing one constant clock gap, as between phones in two time zones).
        Equal names alone are not enough: two couples both called Alex and Sam are two chats, stored
        as ``id~2``; the note says how to join them if they are one.
        """
        if not self.has_conversation(cid):
            return cid, group, "", 0
        candidates = [cid]
        if not said:  # the chats kept apart earlier under the same names: cid~2, cid~3...
            candidates += [str(r[0]) for r in self._rows(
                "SELECT id FROM conversations WHERE starts_with(id, $1) ORDER BY created_at, id", [cid + "~"])]
        same_file = {str(r[0]) for r in self._rows(
            "SELECT DISTINCT conversation_id FROM imports WHERE sha256 = $1", [sha])} if sha else set()
        for candidate in candidates:
            rows = self._clock_pairs(candidate, group)
            best, days, matches = _day_shifts(rows) if rows else (0, {}, 0)
            evidence = bool(rows) and matches >= _evidence_threshold(int(rows[0][3]), best)
            if said or evidence or candidate in same_file:
                if not evidence or (best == 0 and not any(days.values())):  # no clock gap shown: as it is
                    return candidate, group, "", 0
                note = (f"the same messages are stored {abs(best) // 60}h{abs(best) % 60:02d} "
                        f"{'later' if best > 0 else 'earlier'} in '{candidate}' (a phone in another time "
                        "zone): times moved onto the stored clock, not stored twice")
                return candidate, _shift_frame(group, best, days), note, best
        n = 2
        while self.has_conversation(f"{cid}~{n}"):
            n += 1
        new = f"{cid}~{n}"
        note = (f"stored as a new conversation '{new}': '{cid}' has the same names but no messages in "
                f"common. If they are one chat: ebbtide conversations merge {cid} {new}")
        return new, group, note, 0

    def _merge(self, cid: str, group: pl.DataFrame, import_id: int) -> int:
        """Insert the rows the store does not have yet; return how many were added.

        Set-based: each incoming row gets its occurrence number among identical keys
        (conversation, time, sender, kind, text) in file order; it is new only if that number is
        above how many such rows are already stored. So a re-import adds nothing, an overlapping
        export adds only its new part, and real repeats ("ok", "ok") survive.
        """
        incoming = group.select(["pos", *[c for c in MESSAGE_COLUMNS if c != "conversation_id"]])
        base = int(self._rows("SELECT coalesce(max(seq), 0) FROM messages WHERE conversation_id = $1",
                              [cid])[0][0])
        ts = incoming.get_column("timestamp")
        minutes = ts.dt.truncate("1m")  # the key holds the minute, not the second
        lo: datetime = minutes.min()  # type: ignore[assignment]
        hi: datetime = minutes.max()  # type: ignore[assignment]
        overlap = self._rows('SELECT 1 FROM messages WHERE conversation_id = $1 AND "timestamp" >= $2 '
                             'AND "timestamp" < $3 LIMIT 1', [cid, lo, hi + timedelta(minutes=1)])
        params: dict[str, Any] = {"cid": cid, "base": base, "import_id": import_id}
        # Work in pieces so memory stays bounded: row chunks for a plain insert; for a merge, time
        # slices, which is exact because the time is part of the key.
        if not overlap:
            pieces = [(incoming.slice(start, _FRESH_ROWS), params)
                      for start in range(0, incoming.height, _FRESH_ROWS)]
            return sum(self._run_with(_FRESH_SQL, chunk, p) for chunk, p in pieces)
        added = 0
        for a, b in time_slices(minutes, _SLICE_ROWS):  # slices never split a minute
            end = b + timedelta(minutes=1) - timedelta(microseconds=1)
            chunk = incoming.filter(pl.col("timestamp").is_between(a, end))
            added += self._run_with(_MERGE_SQL, chunk, params | {"lo": a, "hi": end})
        return added

    def _run_rows(self, sql: str, chunk: pl.DataFrame, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        """Rows of a query reading ``chunk`` as the incoming rows."""
        db = self._db
        db.register(_INCOMING, chunk.to_arrow(compat_level=pl.CompatLevel.oldest()))
        try:
            return self._rows(sql, params)
        finally:
            db.unregister(_INCOMING)

    def _run_with(self, sql: str, chunk: pl.DataFrame, params: dict[str, Any]) -> int:
        """Run an insert reading ``chunk`` as the incoming rows; return the number of rows inserted."""
        db = self._db
        # Arrow with plain (large) strings: DuckDB ingests these faster than Polars' string views.
        db.register(_INCOMING, chunk.to_arrow(compat_level=pl.CompatLevel.oldest()))
        try:
            return _count(self._rows(sql, params))
        finally:
            db.unregister(_INCOMING)
