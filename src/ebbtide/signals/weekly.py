"""Weekly metrics per person: the table every later step of the signals layer reads.

Why weekly: day-level counts are dominated by weekdays, work shifts and moods; a week is long enough
to be stable and short enough to date a change. Each person is measured on their own, and the
reply-side metrics are attributed to the person who *answers* (so "reply rate" of Sam means: of
Alex's turns, how many did Sam answer in the same conversation).

Input: the feature frame of one conversation (``ebbtide.features.build_features``). Missing language
columns (unsupported language, or the language layer absent) give nulls, never an English guess.

Output (``Assessment.weekly``): one row per (week, person) for every week from the first message to
``today`` (weeks without messages are rows with zeros: silence is data). Columns:

=========================  =========  ===============================================================
column                     dtype      meaning
=========================  =========  ===============================================================
week                       Date       Monday of the ISO week
person                     String     sender name as in the export
messages                   UInt32     messages sent (text, media, calls, deleted, other)
text_messages              UInt32     messages with typed text
words                      Int64      words typed (null when the language layer gave none)
chars                      Int64      characters typed
initiations                UInt32     conversations (sessions) this person started
couple_initiations         UInt32     sessions started by either person (for the initiation share)
couple_messages            UInt32     messages by both people
other_messages             UInt32     messages by the other person
sessions                   UInt32     sessions this person wrote in
received_turns             UInt32     turns (runs) of the other person
answered_turns             UInt32     of those, answered by this person in the same session
reply_rate                 Float64    answered_turns / received_turns
median_reply_min           Float64    median minutes this person took to reply (speaker change)
p75_reply_min              Float64    75th percentile of the same
reply_precision_s          Int32      timestamp precision of the export (60: minute; medians of
                                      replies "within the minute" read as 0)
mean_words                 Float64    words per text message
lang_messages              UInt32     text messages with language features (denominator below)
questions                  UInt32     questions asked
questions_per_msg          Float64    questions / lang_messages
relationship_questions     UInt32     questions about the relationship asked ("are we ok?")
affectionate               UInt32     affectionate messages
affection_per_msg          Float64    affectionate / lang_messages
warmth                     Float64    mean sentiment score (-1..1) of text messages
meetup_msgs                UInt32     messages about time together ("on my way", "come over")
space_requests             UInt32     messages asking for space / time alone
stress_msgs                UInt32     messages about stress or busyness
plan_questions_received    UInt32     the OTHER person's turns asking about plans or the relationship
evasive_answers            UInt32     of those, answered vaguely (noncommittal) or not at all in the
                                      same conversation (the rest were answered committally)
bids_received              UInt32     the other's bids (turns with a question, affection or media)
unanswered_bids            UInt32     of those, left without a reply in the same session
double_texts               UInt32     follow-ups after >= 20 min with no reply in between
calls                      UInt32     calls this person placed that were not missed or declined (time
                                      together on the line; call rows also count in sessions)
call_minutes               Float64    minutes on those calls where the export gives a duration, else null
lsm                        Float64    language style matching of the couple that week (same value
                                      on both rows; null when either side wrote < 50 words)
=========================  =========  ===============================================================
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import cast

import polars as pl

FUNCTION_WORD_COLUMNS: tuple[str, ...] = (
    "fw_ppron", "fw_ipron", "fw_article", "fw_auxverb", "fw_adverb", "fw_prep", "fw_conj",
    "fw_negate", "fw_quant",
)
# Call rows that did not connect (missed, declined, busy...), in the languages the exports are written in.
MISSED_CALL = (r"(?i)\b(missed|declined|busy|no answer|cancel|unanswered|perdid|rechaz|não atendid|recusad|"
               r"verpasst|abgelehnt|besetzt|manqu|refus|en absence)")
LSM_MIN_WORDS = 50  # per side per week; below it function-word rates are too noisy (evidence.md §1.1)

# Columns the signals layer reads, with the dtype used when a column is absent (e.g. no language layer).
_OPTIONAL: dict[str, pl.DataType] = {
    "words": pl.Int32(), "lang": pl.String(), "sentiment_score": pl.Float64(), "affection": pl.Boolean(),
    "question": pl.Boolean(), "plan_question": pl.Boolean(), "relationship_question": pl.Boolean(),
    "noncommittal": pl.Boolean(), "meetup": pl.Boolean(), "space_request": pl.Boolean(),
    "stress": pl.Boolean(), "safety_concern": pl.Boolean(), "latency_precision_s": pl.Int32(),
    "double_text": pl.Boolean(), "got_reply": pl.Boolean(), "chars": pl.Int32(),
    **{c: pl.Int32() for c in FUNCTION_WORD_COLUMNS},
}
REQUIRED_COLUMNS: tuple[str, ...] = (
    "timestamp", "sender", "kind", "session_id", "initiates", "turn_start", "reply_latency_s", "run_id",
)


def prepare(features: pl.DataFrame, me: str, partner: str) -> pl.DataFrame:
    """Keep the two people's rows, fill absent optional columns with nulls, add helper columns.

    Helper columns (used by weekly metrics and evidence): ``row`` (chronological index), ``src_row``
    (row in ``features``, to fetch ``matches`` for evidence), ``other``,
    ``is_text``, ``lang_ok`` (language features present), ``bid``, ``ask`` (plan/relationship question),
    ``prev_text`` (the message just before), ``answer_nc`` / ``answer_text`` / ``answer_ts`` (the other person's next run in the same session:
    whether it was noncommittal, its first text and time), ``week``.
    """
    missing = [c for c in REQUIRED_COLUMNS if c not in features.columns]
    if missing:
        raise ValueError(f"feature frame lacks columns {missing}; build it with ebbtide.features.build_features")
    # Only the columns used here: filters and sorts on 1M rows copy every column (``matches`` is heavy;
    # evidence fetches it back by ``src_row`` for the few rows it shows).
    keep = [c for c in (*REQUIRED_COLUMNS, *_OPTIONAL, "text", "platform", "safety_cls", "safety_what")
            if c in features.columns]
    f = features.select(keep).with_row_index("src_row")
    senders = f.get_column("sender")
    if senders.n_unique() > 2 or not senders.is_in([me, partner]).all():
        f = f.filter(pl.col("sender").is_in([me, partner]))
    absent = [c for c in _OPTIONAL if c not in f.columns]
    if absent:
        f = f.with_columns([pl.lit(None, dtype=_OPTIONAL[c]).alias(c) for c in absent])
    if "chars" in absent and "text" in f.columns:
        f = f.with_columns(pl.col("text").str.len_chars().cast(pl.Int32).alias("chars"))
    if not f.get_column("timestamp").is_sorted():
        f = f.sort("timestamp", maintain_order=True)
    f = f.with_row_index("row")
    is_text = pl.col("kind") == "text"
    lang_ok = is_text & pl.col("affection").is_not_null()
    f = f.with_columns(
        pl.col("timestamp").dt.truncate("1w").dt.date().alias("week"),
        pl.when(pl.col("sender") == me).then(pl.lit(partner)).otherwise(pl.lit(me)).alias("other"),
        is_text.alias("is_text"),
        lang_ok.alias("lang_ok"),
        (
            pl.col("question").fill_null(False) | pl.col("affection").fill_null(False)
            | (pl.col("kind") == "media")
        ).alias("bid"),
        (pl.col("plan_question").fill_null(False) | pl.col("relationship_question").fill_null(False)).alias("ask"),
        (pl.col("text").shift(1) if "text" in f.columns else pl.lit(None, dtype=pl.String)).alias("prev_text"),
    )
    # The answer to a message is the next run in the same session (two people: the other person's).
    run_nc = pl.col("noncommittal").fill_null(False).any().over("run_id")
    f = f.with_columns(
        run_nc.alias("run_nc"),
        pl.col("bid").any().over("run_id").alias("run_bid"),
        pl.col("ask").any().over("run_id").alias("run_ask"),
        pl.col("got_reply").fill_null(False).any().over("run_id").alias("run_got_reply"),
    )

    def next_turn(expr: pl.Expr) -> pl.Expr:
        return pl.when(pl.col("turn_start")).then(expr).shift(-1).backward_fill()

    # shift(-1) then backward_fill: for each row, the value at the first turn start strictly after it.
    f = f.with_columns(
        next_turn(pl.col("session_id")).alias("_next_session"),
        next_turn(pl.col("run_nc")).alias("_next_nc"),
        next_turn(pl.col("text") if "text" in f.columns else pl.lit("")).alias("answer_text"),
        next_turn(pl.col("timestamp")).alias("answer_ts"),
    )
    same = pl.col("_next_session") == pl.col("session_id")
    f = f.with_columns(
        pl.when(same).then(pl.col("_next_nc")).otherwise(None).alias("answer_nc"),
        pl.when(same).then(pl.col("answer_text")).otherwise(None).alias("answer_text"),
        pl.when(same).then(pl.col("answer_ts")).otherwise(None).alias("answer_ts"),
    ).drop("_next_session", "_next_nc")
    return f


def week_grid(first: date, last: date) -> list[date]:
    """Mondays from the week of ``first`` to the week of ``last`` inclusive."""
    start = first - timedelta(days=first.weekday())
    end = last - timedelta(days=last.weekday())
    n = (end - start).days // 7 + 1
    return [start + timedelta(weeks=i) for i in range(max(n, 0))]


def weekly_metrics(prepared: pl.DataFrame, me: str, partner: str, *, last: date | None = None) -> pl.DataFrame:
    """The weekly table documented in the module docstring, from a frame made by ``prepare``."""
    people = [me, partner]
    if prepared.height == 0:
        return _empty_weekly()
    first = cast(date, prepared.get_column("week").min())
    last_day = last or cast(datetime, prepared.get_column("timestamp").max()).date()
    grid = pl.DataFrame({"week": week_grid(first, last_day)}).join(
        pl.DataFrame({"person": people}), how="cross"
    )
    u32 = pl.UInt32
    text = pl.col("text").fill_null("") if "text" in prepared.columns else pl.lit("")
    prepared = prepared.with_columns(
        ((pl.col("kind") == "call") & ~text.str.contains(MISSED_CALL)).alias("_call"),
        _call_minutes(text).alias("_call_min"),
    )
    own = prepared.group_by("week", pl.col("sender").alias("person")).agg(
        pl.len().cast(u32).alias("messages"),
        pl.col("is_text").sum().cast(u32).alias("text_messages"),
        pl.col("words").filter(pl.col("is_text")).sum().cast(pl.Int64).alias("words"),
        pl.col("words").filter(pl.col("is_text")).is_not_null().sum().alias("_words_known"),
        pl.col("chars").filter(pl.col("is_text")).sum().cast(pl.Int64).alias("chars"),
        pl.col("initiates").sum().cast(u32).alias("initiations"),
        pl.col("session_id").n_unique().cast(u32).alias("sessions"),
        (pl.col("reply_latency_s").median() / 60).alias("median_reply_min"),
        (pl.col("reply_latency_s").quantile(0.75, "linear") / 60).alias("p75_reply_min"),
        pl.col("latency_precision_s").max().cast(pl.Int32).alias("reply_precision_s"),
        pl.col("lang_ok").sum().cast(u32).alias("lang_messages"),
        pl.col("question").filter(pl.col("lang_ok")).sum().cast(u32).alias("questions"),
        pl.col("relationship_question").filter(pl.col("lang_ok")).sum().cast(u32).alias("relationship_questions"),
        pl.col("affection").filter(pl.col("lang_ok")).sum().cast(u32).alias("affectionate"),
        pl.col("sentiment_score").filter(pl.col("is_text")).mean().alias("warmth"),
        pl.col("meetup").fill_null(False).sum().cast(u32).alias("meetup_msgs"),
        pl.col("space_request").fill_null(False).sum().cast(u32).alias("space_requests"),
        pl.col("stress").fill_null(False).sum().cast(u32).alias("stress_msgs"),
        pl.col("double_text").fill_null(False).sum().cast(u32).alias("double_texts"),
        pl.col("_call").sum().cast(u32).alias("calls"),
        pl.col("_call_min").filter(pl.col("_call")).sum().alias("call_minutes"),
        pl.col("_call_min").filter(pl.col("_call")).is_not_null().sum().alias("_call_min_known"),
        *[pl.col(c).filter(pl.col("is_text")).sum().cast(pl.Int64).alias(c) for c in FUNCTION_WORD_COLUMNS],
    )
    # What the other person sent, attributed to this person as the one who could answer.
    received = prepared.group_by("week", pl.col("other").alias("person")).agg(
        pl.len().cast(u32).alias("other_messages"),
        pl.col("turn_start").sum().cast(u32).alias("received_turns"),
        (pl.col("turn_start") & pl.col("run_got_reply")).sum().cast(u32).alias("answered_turns"),
        # One question per turn (a run of messages asking about plans counts once); its answer is the
        # next turn in the same conversation: committal, vague (noncommittal) or missing.
        (pl.col("turn_start") & pl.col("run_ask")).sum().cast(u32).alias("plan_questions_received"),
        (pl.col("turn_start") & pl.col("run_ask") & (pl.col("answer_nc").is_null() | pl.col("answer_nc")))
        .sum().cast(u32).alias("evasive_answers"),
        (pl.col("turn_start") & pl.col("run_bid")).sum().cast(u32).alias("bids_received"),
        (pl.col("turn_start") & pl.col("run_bid") & ~pl.col("run_got_reply")).sum().cast(u32).alias("unanswered_bids"),
    )
    w = grid.join(own, on=["week", "person"], how="left").join(received, on=["week", "person"], how="left")
    counts = [
        "messages", "text_messages", "initiations", "sessions", "lang_messages", "questions", "affectionate",
        "relationship_questions", "meetup_msgs", "space_requests", "stress_msgs", "double_texts", "calls",
        "other_messages", "received_turns",
        "answered_turns", "plan_questions_received", "evasive_answers", "bids_received", "unanswered_bids",
    ]
    w = w.with_columns([pl.col(c).fill_null(0).cast(u32) for c in counts])
    w = w.with_columns(
        pl.when(pl.col("_words_known").fill_null(0) > 0).then(pl.col("words")).otherwise(None).alias("words"),
        pl.col("chars").fill_null(0),
        pl.when(pl.col("_call_min_known").fill_null(0) > 0).then(pl.col("call_minutes")).otherwise(None)
        .alias("call_minutes"),
        pl.col("initiations").sum().over("week").cast(u32).alias("couple_initiations"),
        pl.col("messages").sum().over("week").cast(u32).alias("couple_messages"),
    )
    w = w.with_columns(
        _ratio("answered_turns", "received_turns").alias("reply_rate"),
        _ratio("words", "text_messages").alias("mean_words"),
        _ratio("questions", "lang_messages").alias("questions_per_msg"),
        _ratio("affectionate", "lang_messages").alias("affection_per_msg"),
    )
    w = w.join(_lsm(w, people), on="week", how="left")
    return w.select(WEEKLY_COLUMNS).sort("week", "person")


def _call_minutes(text: pl.Expr) -> pl.Expr:
    """Minutes of a call where its row says ("call (754 s)", "Voice call, 12 min", "0:12:34"), else null."""
    # [0-9], not \d: \d also matches other scripts' digits ("१२:३०", "١٥") that do not cast to a number.
    secs = text.str.extract(r"([0-9]+)\s*(?:s|sec|seconds?|Sek\.?|seg)\b", 1).cast(pl.Float64)
    mins = text.str.extract(r"([0-9]+)\s*(?:min|mins|minutes?|Min\.?|minutos?)\b", 1).cast(pl.Float64)
    hms = text.str.extract_groups(r"\b([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?\b")
    clock = pl.when(hms.struct.field("3").is_not_null()).then(
        hms.struct.field("1").cast(pl.Float64) * 60 + hms.struct.field("2").cast(pl.Float64)
        + hms.struct.field("3").cast(pl.Float64) / 60
    ).otherwise(hms.struct.field("1").cast(pl.Float64) + hms.struct.field("2").cast(pl.Float64) / 60)
    return pl.when(pl.col("kind") == "call").then(pl.coalesce(secs / 60, mins, clock)).otherwise(None)


def _ratio(num: str, den: str) -> pl.Expr:
    return pl.when(pl.col(den) > 0).then(pl.col(num).cast(pl.Float64) / pl.col(den)).otherwise(None)


def _lsm(w: pl.DataFrame, people: list[str]) -> pl.DataFrame:
    """Weekly LSM (Gonzales, Hancock & Pennebaker 2010 formula) between the two people."""
    a = w.filter(pl.col("person") == people[0])
    b = w.filter(pl.col("person") == people[1])
    j = a.join(b, on="week", suffix="_b")
    parts = []
    for c in FUNCTION_WORD_COLUMNS:
        p1 = pl.col(c).cast(pl.Float64) / pl.col("words") * 100
        p2 = pl.col(f"{c}_b").cast(pl.Float64) / pl.col("words_b") * 100
        parts.append(1 - (p1 - p2).abs() / (p1 + p2 + 0.0001))
    enough = (pl.col("words").fill_null(0) >= LSM_MIN_WORDS) & (pl.col("words_b").fill_null(0) >= LSM_MIN_WORDS)
    known = pl.all_horizontal([pl.col(c).is_not_null() for c in FUNCTION_WORD_COLUMNS])
    lsm = pl.when(enough & known).then(pl.mean_horizontal(parts)).otherwise(None)
    return j.select("week", lsm.alias("lsm"))


WEEKLY_COLUMNS: tuple[str, ...] = (
    "week", "person", "messages", "text_messages", "words", "chars", "initiations", "couple_initiations",
    "couple_messages", "other_messages", "sessions", "received_turns", "answered_turns", "reply_rate",
    "median_reply_min", "p75_reply_min", "reply_precision_s", "mean_words", "lang_messages", "questions",
    "questions_per_msg", "relationship_questions", "affectionate", "affection_per_msg", "warmth", "meetup_msgs", "space_requests",
    "stress_msgs", "plan_questions_received", "evasive_answers", "bids_received", "unanswered_bids",
    "double_texts", "calls", "call_minutes", "lsm",
)


def _empty_weekly() -> pl.DataFrame:
    return pl.DataFrame(schema={c: (pl.Date if c == "week" else pl.String if c == "person" else pl.Float64)
                                for c in WEEKLY_COLUMNS})
