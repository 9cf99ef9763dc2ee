"""The actual messages (or silences) behind each sign, so the user can check every claim.

Everything here works on the recent period only (a few hundred rows at most after filtering), picks a
handful of examples, most recent first, and never summarises them into a score.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import polars as pl

from ebbtide.model import Evidence

MAX_EVIDENCE = 5


def _spans(matches: object, features: tuple[str, ...]) -> tuple[tuple[int, int], ...]:
    if not isinstance(matches, list):
        return ()
    out = []
    for m in matches:
        if isinstance(m, dict) and m.get("feature") in features and m.get("start") is not None:
            out.append((int(m["start"]), int(m["end"])))
    return tuple(out)


def _gap_words(seconds: float) -> str:
    if seconds >= 2 * 86400:
        return f"{seconds / 86400:.0f} days"
    if seconds >= 86400:
        return "about a day"
    if seconds >= 2 * 3600:
        return f"{seconds / 3600:.0f} hours"
    return f"{max(seconds / 60, 1):.0f} minutes"


def _ev(row: dict, why: str, *, spans_for: tuple[str, ...] = (), context: str = "",
        context_sender: str = "") -> Evidence:
    return Evidence(
        timestamp=row["timestamp"], sender=row["sender"], text=row.get("text") or "", why=why,
        spans=_spans(row.get("matches"), spans_for), context_before=context,
        context_sender=context_sender if context else "",
    )


def in_period(prepared: pl.DataFrame, period: tuple[date, date] | None) -> pl.DataFrame:
    if period is None:
        return prepared.head(0)
    lo = datetime.combine(period[0], datetime.min.time())
    hi = datetime.combine(period[1] + timedelta(days=1), datetime.min.time())
    return prepared.filter((pl.col("timestamp") >= lo) & (pl.col("timestamp") < hi))


#: Marks prepared rows whose ``matches`` are found only for the rows evidence shows (``shown``).
SPANS_LATER = "_spans_later"


def with_matches(rows: pl.DataFrame, features: pl.DataFrame) -> pl.DataFrame:
    """Attach the language layer's ``matches`` (character spans) to prepared rows, by ``src_row``.

    When the feature frame was built without them, they are not found here but by ``shown`` for the few
    rows that become evidence (at most ``MAX_EVIDENCE`` per list): a span depends only on the row's text,
    language and noncommittal judgement, which the prepared rows hold. WHY: the recent period of a long
    chat has tens of thousands of rows; finding every row's spans cost about 2.5 CPU s per million messages.
    """
    if "src_row" not in rows.columns or rows.height == 0 or "text" not in features.columns:
        return rows
    if "matches" in features.columns:
        return rows.with_columns(features.get_column("matches").gather(rows.get_column("src_row")).alias("matches"))
    if not {"lang", "noncommittal"} <= set(features.columns):
        return rows  # no language layer: no spans (as ``features_matches`` gives)
    return rows.with_columns(pl.lit(True).alias(SPANS_LATER))


def shown(rows: pl.DataFrame) -> pl.DataFrame:
    """``rows`` (picked to be shown) with their ``matches`` when ``with_matches`` left them for later."""
    if SPANS_LATER not in rows.columns or "matches" in rows.columns or rows.height == 0:
        return rows
    from ebbtide.features import features_matches

    return rows.with_columns(features_matches(rows).alias("matches"))


def with_next_from(prepared: pl.DataFrame, person: str) -> pl.DataFrame:
    """Add ``next_from_person``: the time of ``person``'s next message after each row."""
    nxt = pl.when(pl.col("sender") == person).then(pl.col("timestamp")).shift(-1).backward_fill()
    return prepared.with_columns(nxt.alias("next_from_person"))


SILENCE_FLOOR_MIN = 60.0  # a silence at the end of the export counts only after at least this long...
SILENCE_USUAL_FACTOR = 4  # ...and after four times the person's usual reply time


def silence_allowance(usual_min: float | None) -> timedelta:
    """How long after a message its silence counts, when the export ends before a reply could come."""
    return timedelta(minutes=max(SILENCE_FLOOR_MIN, SILENCE_USUAL_FACTOR * (usual_min or 0.0)))


def unanswered_bids(recent: pl.DataFrame, person: str, usual_min: float | None = None) -> list[Evidence]:
    """The other person's bids (questions, affection) that ``person`` left without a reply.

    The bid itself is shown (the last typed bid of the unanswered run, not its "hiii" opener). A bid
    with no later message from ``person`` at all is measured against the export's end: it counts
    only when the export runs on for longer than the usual reply time allows (``silence_allowance``);
    a message sent two minutes before the export was made has simply not been answered yet.
    """
    rows = recent.filter(
        (pl.col("other") == person) & pl.col("bid") & pl.col("is_text") & ~pl.col("run_got_reply")
    ).unique("run_id", keep="last", maintain_order=True).sort("timestamp", descending=True)
    end = recent.get_column("timestamp").max() if recent.height else None
    allowance = silence_allowance(usual_min)
    picked: list[tuple[int, str]] = []
    nxt_col = pl.col("next_from_person") if "next_from_person" in rows.columns else pl.lit(None)
    for i, (ts, nxt) in enumerate(rows.select("timestamp", nxt_col).iter_rows()):
        if nxt:
            gap = f"; {person}'s next message came {_gap_words((nxt - ts).total_seconds())} later"
        elif isinstance(end, datetime) and end - ts >= allowance:
            gap = f"; no message from {person} up to the end of the export ({_gap_words((end - ts).total_seconds())} later)"
        else:
            continue
        picked.append((i, gap))
        if len(picked) == MAX_EVIDENCE:
            break
    chosen = shown(rows[[i for i, _ in picked]])
    return [_ev(r, f"no reply in the same conversation{gap}", spans_for=("question", "affection"))
            for r, (_, gap) in zip(chosen.iter_rows(named=True), picked, strict=True)]


def slow_replies(recent: pl.DataFrame, person: str, usual_min: float | None) -> list[Evidence]:
    """``person``'s slowest replies in the recent period (well beyond their usual), with what they answered."""
    floor = max(30.0, 4 * usual_min if usual_min else 0.0) * 60
    rows = recent.filter((pl.col("sender") == person) & (pl.col("reply_latency_s") >= floor))
    rows = rows.sort("reply_latency_s", descending=True).head(MAX_EVIDENCE).sort("timestamp", descending=True)
    usual = f" (usually about {usual_min:.0f} min)" if usual_min is not None else ""
    return [
        _ev(r, f"replied after {_gap_words(r['reply_latency_s'])}{usual}", context=r.get("prev_text") or "",
            context_sender=r.get("other") or "")
        for r in rows.iter_rows(named=True)
    ]


def evasive_answers(recent: pl.DataFrame, person: str) -> list[Evidence]:
    """The other's plan/relationship questions that ``person`` answered noncommittally or not at all."""
    rows = recent.filter(
        (pl.col("other") == person) & pl.col("ask") & (pl.col("answer_nc").is_null() | pl.col("answer_nc"))
    ).unique("run_id", keep="last", maintain_order=True).sort("timestamp", descending=True).head(MAX_EVIDENCE)
    out = []
    for r in shown(rows).iter_rows(named=True):
        if r["answer_nc"] and clear_yes(r["answer_text"] or ""):
            continue  # "yes! 7?" answers the question; the hedge was elsewhere in the turn
        if r["answer_nc"] is None:
            out.append(_ev(r, f"question from {r['sender']} left without an answer in the same conversation",
                           spans_for=("plan_question", "relationship_question")))
        else:
            out.append(Evidence(timestamp=r["answer_ts"], sender=person, text=r["answer_text"] or "",
                                why="noncommittal answer to a plan or relationship question",
                                context_before=r.get("text") or "", context_sender=r["sender"]))
    return out


def flagged(recent: pl.DataFrame, person: str, column: str, why: str, feature: str) -> list[Evidence]:
    """``person``'s messages where a language feature fired (e.g. space requests, stress talk)."""
    if column not in recent.columns:
        return []
    rows = recent.filter((pl.col("sender") == person) & pl.col(column).fill_null(False))
    rows = shown(rows.sort("timestamp", descending=True).head(MAX_EVIDENCE))
    return [_ev(r, why, spans_for=(feature,)) for r in rows.iter_rows(named=True)]


def unreturned_affection(recent: pl.DataFrame, person: str) -> list[Evidence]:
    """``person``'s answers with no affection to the other's affectionate messages ("love you" -> "ok")."""
    if "affection" not in recent.columns:
        return []
    run_aff = pl.col("affection").fill_null(False).any().over("run_id")
    r2 = recent.with_columns(run_aff.alias("_run_aff"))
    nxt_aff = pl.when(pl.col("turn_start")).then(pl.col("_run_aff")).shift(-1).backward_fill()
    r2 = r2.with_columns(nxt_aff.alias("_ans_aff"))
    rows = r2.filter(
        (pl.col("other") == person) & pl.col("affection").fill_null(False) & pl.col("answer_ts").is_not_null()
        & ~pl.col("_ans_aff").fill_null(False)
    ).sort("timestamp", descending=True).head(MAX_EVIDENCE)
    return [
        Evidence(timestamp=r["answer_ts"], sender=person, text=r["answer_text"] or "",
                 why="answer without warmth to an affectionate message", context_before=r.get("text") or "",
                 context_sender=r["sender"])
        for r in rows.iter_rows(named=True)
    ]


# A first word that answers yes outright, in the languages the language layer reads (en, es, fr,
# de, pt, it). A minimal guard: the noncommittal classification itself is the language layer's.
_YES = re.compile(
    r"^\W*(yes+|yeah+|yep|yup|sure|definitely|absolutely|of course|ok(ay)?|sounds good|s[ií]|claro|vale|"
    r"oui|ouais|bien s[uû]r|ja|jep|klar|gerne|sim|certo|certamente|va bene)\b(?!\s*(but|pero|mais|aber|mas|ma)\b)",
    re.IGNORECASE,
)
_HEDGE = re.compile(r"\b(maybe|perhaps|not sure|we'?ll see|probably|might|guess|idk|don'?t know|depends|quiz[aá]s|peut-[eê]tre|vielleicht|talvez|forse)\b",
                    re.IGNORECASE)


def clear_yes(text: str) -> bool:
    """True when an answer opens with a plain yes and hedges nowhere ("yes! 7?", "sure, see you then")."""
    return bool(_YES.search(text)) and not _HEDGE.search(text)


def merge(*groups: list[Evidence]) -> tuple[Evidence, ...]:
    """Interleave groups, drop duplicates, keep the most recent ``MAX_EVIDENCE``."""
    seen = set()
    out = []
    for g in groups:
        for e in g:
            key = (e.timestamp, e.sender, e.text, e.why)
            if key not in seen:
                seen.add(key)
                out.append(e)
    out.sort(key=lambda e: e.timestamp, reverse=True)
    return tuple(out[:MAX_EVIDENCE])
