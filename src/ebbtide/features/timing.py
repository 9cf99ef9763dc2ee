"""Conversation structure: sessions, who starts them, turns, reply latencies, double texts, replies.

Why: the strongest withdrawal signals are about *rhythm*, not words — who starts conversations, how
quickly each person answers, whether bids get a reply, who keeps writing into silence (evidence.md §0).
This module turns the canonical message frame into those per-message facts, vectorised with Polars
(shifts and cumulative sums over the sorted frame; no per-message Python loop), so 1M messages take
about a second.

``conversation_structure(messages, session_gap=6 h)`` keeps person-written rows (``kind`` in text, media,
call, deleted, other; system lines and rows without a sender are dropped), sorts them by ``timestamp``
(stable: same-minute messages keep export order) and adds:

======================  ========  ==================================================================
column                  dtype     meaning
======================  ========  ==================================================================
``session_id``          Int64     0, 1, 2...: a gap longer than ``session_gap`` starts a new session
``initiates``           Boolean   first message of a session (this sender started the conversation)
``turn_start``          Boolean   first message of a run by this sender within a session
``run_id``              Int64     0, 1, 2...: one id per run (a sender's consecutive messages in a session)
``run_len``             Int32     number of messages in this message's run
``reply_latency_s``     Float64   on a change of speaker inside a session (``turn_start`` and not
                                  ``initiates``): seconds since the other person's last message; else null
``latency_precision_s`` Int32     60 when the conversation's times have no seconds (Android WhatsApp:
                                  a reply "within the minute" reads 0 s), else 1
``double_text``         Boolean   a message from the same sender as the previous message, sent >= 20 min
                                  after it, with no reply in between (inside a session, or across
                                  sessions when the last session ended with their own unanswered message)
``got_reply``           Boolean   someone else wrote later in the same session (same for a whole run)
``chars``               Int32     characters of ``text`` (0 for media etc.); word counts come from the
                                  language layer (``words``)
``hour``                Int8      hour of the local wall-clock time (0-23)
``week``                Date      Monday of the ISO week of ``timestamp``
======================  ========  ==================================================================

Several conversations in one frame are handled one by one (ids restart per conversation); the result is
then sorted by ``conversation_id`` and ``timestamp``.
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from ebbtide.model import MessageKind

DEFAULT_SESSION_GAP = timedelta(hours=6)
DOUBLE_TEXT_AFTER = timedelta(minutes=20)
PERSON_KINDS: tuple[str, ...] = (
    MessageKind.TEXT.value,
    MessageKind.MEDIA.value,
    MessageKind.CALL.value,
    MessageKind.DELETED.value,
    MessageKind.OTHER.value,
)

STRUCTURE_SCHEMA: dict[str, pl.DataType] = {
    "session_id": pl.Int64(),
    "initiates": pl.Boolean(),
    "turn_start": pl.Boolean(),
    "run_id": pl.Int64(),
    "run_len": pl.Int32(),
    "reply_latency_s": pl.Float64(),
    "latency_precision_s": pl.Int32(),
    "double_text": pl.Boolean(),
    "got_reply": pl.Boolean(),
    "chars": pl.Int32(),
    "hour": pl.Int8(),
    "week": pl.Date(),
}
STRUCTURE_COLUMNS: tuple[str, ...] = tuple(STRUCTURE_SCHEMA)


def _minute_precision(frame: pl.DataFrame) -> bool:
    """True when no timestamp has seconds or fractions: the export only knew minutes."""
    if frame.height == 0:
        return False
    micros = pl.col("timestamp").dt.epoch("us")
    return bool(frame.select((micros % 60_000_000 == 0).all()).item())


def _instant(frame: pl.DataFrame) -> pl.Expr:
    """The moment a message was sent: the wall clock minus its UTC offset where the export knows it.

    Gaps and order use it, so the repeated autumn hour and a trip across time zones do not make
    replies look negative or hours long; hours of the day and weeks stay on the wall clock.
    """
    if "utc_offset_min" not in frame.columns:
        return pl.col("timestamp")
    return pl.col("timestamp") - pl.duration(minutes=pl.col("utc_offset_min").fill_null(0))


def _structure_one(frame: pl.DataFrame, session_gap: timedelta) -> pl.DataFrame:
    """The columns for one conversation; ``frame`` holds person rows sorted by timestamp.

    Runs and sessions are contiguous in the sorted frame, so per-run and per-session values are found
    with forward/backward fills over their first/last rows (linear scans) instead of group-by windows.
    """
    precision = 60 if _minute_precision(frame) else 1
    ts = pl.col("timestamp")
    sender = pl.col("sender")
    gap_us = _instant(frame).dt.epoch("us").diff()  # null on the first row; real time, not the wall clock
    same_sender = (sender.shift(1) == sender).fill_null(False)
    new_session = gap_us.is_null() | (gap_us > int(session_gap.total_seconds() * 1_000_000))
    double_us = int(DOUBLE_TEXT_AFTER.total_seconds() * 1_000_000)
    out = frame.with_columns(
        new_session.alias("initiates"),
        (new_session | ~same_sender).alias("turn_start"),
        (same_sender & (gap_us >= double_us)).fill_null(False).alias("double_text"),
        gap_us.cast(pl.Float64).truediv(1e6).alias("_gap_s"),
    )
    idx = pl.int_range(pl.len(), dtype=pl.Int64)
    run_last = pl.col("turn_start").shift(-1).fill_null(True)  # last message of its run
    session_last = pl.col("initiates").shift(-1).fill_null(True)  # last message of its session
    out = out.with_columns(
        (pl.col("initiates").cum_sum().cast(pl.Int64) - 1).alias("session_id"),
        (pl.col("turn_start").cum_sum().cast(pl.Int64) - 1).alias("run_id"),
        pl.when(pl.col("turn_start")).then(idx).forward_fill().alias("_run_first"),
        pl.when(run_last).then(idx).backward_fill().alias("_run_end"),
        pl.when(session_last).then(pl.col("turn_start").cum_sum()).backward_fill().alias("_session_runs"),
        pl.col("turn_start").cum_sum().alias("_runs_so_far"),
    )
    # A run got a reply when its session has a later run (consecutive runs have different senders).
    out = out.with_columns(
        (pl.col("_run_end") - pl.col("_run_first") + 1).cast(pl.Int32).alias("run_len"),
        (pl.col("_runs_so_far") < pl.col("_session_runs")).alias("got_reply"),
        pl.when(pl.col("turn_start") & ~pl.col("initiates"))
        .then(pl.col("_gap_s"))
        .otherwise(None)
        .alias("reply_latency_s"),
        pl.lit(precision, dtype=pl.Int32).alias("latency_precision_s"),
        pl.col("text").fill_null("").str.len_chars().cast(pl.Int32).alias("chars"),
        ts.dt.hour().cast(pl.Int8).alias("hour"),
        ts.dt.truncate("1w").dt.date().alias("week"),
    )
    return out.drop("_gap_s", "_run_first", "_run_end", "_session_runs", "_runs_so_far")


def conversation_structure(
    messages: pl.DataFrame, *, session_gap: timedelta = DEFAULT_SESSION_GAP
) -> pl.DataFrame:
    """Add the conversation-structure columns (see the module docstring) to a canonical frame.

    Input: the canonical frame (``ebbtide.model.MESSAGE_SCHEMA``) of one conversation; extra columns
    are kept. Output: person rows only, sorted by time (stable), original columns plus the table above.
    """
    needed = ("timestamp", "sender", "kind", "text")
    missing = [c for c in needed if c not in messages.columns]
    if missing:
        raise ValueError(f"conversation_structure needs columns {list(needed)}; missing {missing}")
    if session_gap <= timedelta(0):
        raise ValueError(f"session_gap must be positive, got {session_gap}")
    nulls = messages.get_column("timestamp").null_count()
    if nulls:  # an importer bug, not user input: refuse rather than silently drop messages
        raise ValueError(f"{nulls} message(s) have no timestamp; the importer must place every message in time")
    people = messages.filter(
        pl.col("kind").is_in(PERSON_KINDS) & pl.col("sender").is_not_null() & (pl.col("sender") != "")
    )
    instant = people.select(_instant(people).alias("_instant")).to_series()
    if "conversation_id" in people.columns and people.get_column("conversation_id").n_unique() > 1:
        parts = people.with_columns(instant).sort("conversation_id", "_instant", maintain_order=True).drop(
            "_instant").partition_by("conversation_id", maintain_order=True)
        result = pl.concat([_structure_one(p, session_gap) for p in parts], how="vertical")
    else:
        if not instant.is_sorted():  # exports are almost always in order already
            people = people.with_columns(instant).sort("_instant", maintain_order=True).drop("_instant")
        result = _structure_one(people, session_gap)
    return result.cast(STRUCTURE_SCHEMA)  # type: ignore[arg-type]
