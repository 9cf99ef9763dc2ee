"""Finding the messages and findings that hint at each possible reason.

WHY: a reason is only ever offered as a possibility, but the order in which we show them, and the
messages we show under each, should come from this couple's own chat, not from a fixed list. Two
sources feed it: the language columns of the features frame (``stress``, ``space_request``, ...;
one hint per matching message) and what the signals layer already found (evidence on the signs,
detected signs, earlier dips that recovered). Which column or sign points to which reason is data
(``insight/data/reasons.toml``), not code.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import polars as pl

from ebbtide.insight.wording import load
from ebbtide.model import Assessment, Evidence, ReasonId, SignStatus

# Hints from these feature columns are taken from both people: a misunderstanding takes two.
BOTH_PEOPLE_FEATURES: frozenset[str] = frozenset({"conflict"})
MAX_EVIDENCE_PER_REASON = 50


@dataclass(frozen=True, slots=True)
class Hints:
    """What hints at one reason: a count and the messages behind it (most recent first)."""

    count: int = 0
    evidence: tuple[Evidence, ...] = ()
    notes: tuple[str, ...] = field(default=())
    # What the count is made of (the reason's hint line says exactly this, nothing more):
    messages: int = 0  # messages (or silences) behind it
    signs: tuple[str, ...] = ()  # detected signs (SignId values) that point this way
    dips: int = 0  # earlier dips that came back to usual
    swings: int = 0  # warm/cold alternations in weekly messages
    journal: int = 0  # entries of the user's own journal (web app)

    def __add__(self, other: Hints) -> Hints:
        seen = {(e.timestamp, e.sender, e.text) for e in self.evidence}
        extra = tuple(e for e in other.evidence if (e.timestamp, e.sender, e.text) not in seen)
        merged = tuple(sorted(self.evidence + extra, key=lambda e: e.timestamp, reverse=True))
        # A message found by two sources (a feature column and a sign's evidence) counts once.
        duplicates = sum(1 for e in other.evidence if (e.timestamp, e.sender, e.text) in seen)
        return Hints(
            self.count + other.count - duplicates, merged[:MAX_EVIDENCE_PER_REASON], self.notes + other.notes,
            messages=self.messages + other.messages - duplicates,
            signs=tuple(dict.fromkeys(self.signs + other.signs)), dips=self.dips + other.dips,
            swings=self.swings + other.swings, journal=self.journal + other.journal,
        )


def reason_specs() -> dict[ReasonId, dict]:
    """The per-reason entries of reasons.toml, keyed by ReasonId, in file order."""
    data = load("reasons")
    return {ReasonId(k): v for k, v in data.items() if k in {r.value for r in ReasonId}}


def withdrawing_person(assessment: Assessment) -> str:
    """Whose pulling back the reasons are about: the user for me_pulling_away, else the partner."""
    return assessment.me if assessment.pattern.value == "me_pulling_away" else assessment.partner


def recent_start(assessment: Assessment) -> date | None:
    """Start of the stretch the hints are taken from: the change point, else the recent period."""
    candidates = [s.since for s in assessment.signs if s.since and s.status == SignStatus.DETECTED]
    if candidates:
        return min(candidates)
    if assessment.recent:
        return assessment.recent[0]
    if assessment.coverage.last:
        return assessment.coverage.last - timedelta(weeks=8)
    return None


def hints_from_features(
    features: pl.DataFrame,
    *,
    person: str,
    since: date | None = None,
    until: date | None = None,
) -> dict[ReasonId, Hints]:
    """Messages in ``features`` (ebbtide.features output) that hint at each reason.

    Only ``person``'s messages count, except for columns in BOTH_PEOPLE_FEATURES; only messages
    from ``since`` on (inclusive) and up to ``until`` (inclusive). Missing columns (language not
    supported, language layer absent) simply give no hints.
    """
    specs = reason_specs()
    wanted = {col for spec in specs.values() for col in spec.get("features", [])}
    present = [c for c in wanted if c in features.columns]
    if not present or features.is_empty():
        return {}
    frame = features
    if since is not None:
        frame = frame.filter(pl.col("timestamp") >= datetime.combine(since, time.min))
    if until is not None:
        frame = frame.filter(pl.col("timestamp") < datetime.combine(until + timedelta(days=1), time.min))
    person_cond = pl.col("sender") == person
    any_cond = pl.lit(False)
    for col in present:
        who = pl.col("sender") != "" if col in BOTH_PEOPLE_FEATURES else person_cond
        any_cond = any_cond | (pl.col(col).fill_null(False) & who)
    hits = frame.filter(any_cond).sort("timestamp", descending=True)
    chosen: dict[ReasonId, tuple[int, list[tuple[int, list[str]]]]] = {}
    for reason, spec in specs.items():
        cols = [c for c in spec.get("features", []) if c in present]
        if not cols:
            continue
        picked: list[tuple[int, list[str]]] = []
        count = 0
        for i, row in enumerate(hits.select("sender", *cols).iter_rows(named=True)):
            matched = [c for c in cols if row[c] and (c in BOTH_PEOPLE_FEATURES or row["sender"] == person)]
            if not matched:
                continue
            count += 1
            if len(picked) < MAX_EVIDENCE_PER_REASON:
                picked.append((i, matched))
        if count:
            chosen[reason] = (count, picked)
    # evidence spans only for the messages shown (found now when the feature frame was built without them)
    shown = sorted({i for _, picked in chosen.values() for i, _ in picked})
    rows = hits[shown] if shown else hits.head(0)
    if "matches" not in rows.columns and rows.height:
        from ebbtide.features import features_matches

        rows = rows.with_columns(features_matches(rows).alias("matches"))
    at = {i: r for i, r in zip(shown, rows.select("timestamp", "sender", "text", *(
        ["matches"] if "matches" in rows.columns else [])).iter_rows(named=True), strict=True)}
    out: dict[ReasonId, Hints] = {}
    for reason, (count, picked) in chosen.items():
        why = str(specs[reason].get("hint_why", reason.value))
        evidence = tuple(
            Evidence(timestamp=at[i]["timestamp"], sender=at[i]["sender"], text=at[i]["text"], why=why,
                     spans=_spans(at[i].get("matches"), matched))
            for i, matched in picked
        )
        out[reason] = Hints(count, evidence, messages=count)
    return out


def _spans(matches: Iterable[Mapping] | None, features: Sequence[str]) -> tuple[tuple[int, int], ...]:
    if not matches:
        return ()
    return tuple(
        (int(m["start"]), int(m["end"])) for m in matches if m and m.get("feature") in features
    )


def hints_from_assessment(assessment: Assessment, *, person: str | None = None) -> dict[ReasonId, Hints]:
    """Hints from what the signals layer found: sign evidence, detected signs, recovered dips."""
    person = person or withdrawing_person(assessment)
    specs = reason_specs()
    mine = [s for s in assessment.signs if s.person == person and s.status == SignStatus.DETECTED]
    out: dict[ReasonId, Hints] = {}
    for reason, spec in specs.items():
        patterns = [re.compile(p, re.IGNORECASE) for p in spec.get("evidence_patterns", [])]
        evidence = tuple(
            dict.fromkeys(  # one message can back several signs: count and show it once
                e
                for sign in mine
                for e in sign.evidence
                if any(p.search(e.why) or (e.sender == person and p.search(e.text)) for p in patterns)
            )
        )
        signs = tuple(s.sign.value for s in mine if s.sign.value in spec.get("signs", []))
        dips = swings = 0
        if spec.get("recovered_dips"):
            dips = sum(1 for d in assessment.dips if d.recovered)
            swings = warm_cold_swings(assessment.weekly, person)
        count = len(evidence) + len(signs) + dips + swings
        if count:
            out[reason] = Hints(count, tuple(sorted(evidence, key=lambda e: e.timestamp, reverse=True)),
                                messages=len(evidence), signs=signs, dips=dips, swings=swings)
    return out


SWING = 0.3  # a week counts as warm/cold when messages are 30% above/below the person's own median
MIN_SWINGS = 3  # fewer alternations than this are ordinary noise


def warm_cold_swings(weekly: pl.DataFrame | None, person: str) -> int:
    """How often ``person``'s weekly messages alternated between warm and cold stretches.

    WHY: "emotional ups and downs" is hinted at by a history of alternating closeness and
    distance, not only by dips the signals layer dated. Each week is compared with the person's
    own median; neutral weeks are skipped; each change warm -> cold or cold -> warm is one swing.
    Returns 0 below MIN_SWINGS so ordinary noise gives no hint.
    """
    if weekly is None or weekly.is_empty() or not {"week", "person", "messages"} <= set(weekly.columns):
        return 0
    mine = weekly.filter(pl.col("person") == person).sort("week").select(pl.col("messages").cast(pl.Float64))
    if mine.height < 6:
        return 0
    raw = mine.get_column("messages").median()
    median = float(raw) if isinstance(raw, int | float) else 0.0
    if not median:
        return 0
    states = (
        mine.select(
            pl.when(pl.col("messages") > (1 + SWING) * median).then(1)
            .when(pl.col("messages") < (1 - SWING) * median).then(-1)
            .otherwise(None).alias("state")
        )
        .drop_nulls()
        .get_column("state")
    )
    swings = int((states.diff().fill_null(0) != 0).sum())
    return swings if swings >= MIN_SWINGS else 0


def merge_hints(*sources: Mapping[ReasonId, Hints] | None) -> dict[ReasonId, Hints]:
    """Add several hint sources together, keeping each message once."""
    out: dict[ReasonId, Hints] = {}
    for source in sources:
        for reason, hints in (source or {}).items():
            out[reason] = out.get(reason, Hints()) + hints
    return out
