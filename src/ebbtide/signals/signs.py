"""The five signs of pulling away, judged for each person against their own baseline.

Each sign is a small set of weekly metrics (``SIGN_METRICS``). A metric "moves" when the recent
weeks differ from the baseline weeks by at least its threshold in the pulling-away direction, the
90 % bootstrap interval of the change excludes no change, and the change holds in most recent weeks
(``compare.py``). A sign is detected when one of its deciding metrics moves (with the special rule
for volume below) AND the change is confirmed by a change point marking a drop in the person's
overall engagement after the baseline (or the effect is strong). Strength is words only:
slight / clear / strong.

Separating a person's withdrawal from the other's: raw message counts fall for both people when one
of them starts fewer conversations, so a drop in messages alone decides nothing. Decreased
communication needs fewer conversations started, a lower reply rate per received turn, a lower share
of the conversations started, or fewer messages while the person's share of the couple's messages did
not grow (when it grew, their drop follows the other's; when both fall alike, both are drifting).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

from ebbtide.counts import counted as count_words
from ebbtide.model import SignId, SignResult, SignStatus
from ebbtide.signals import evidence as ev
from ebbtide.signals.baseline import Periods
from ebbtide.signals.changepoints import ChangePoint, Onset, decline_start, noise_z, onset
from ebbtide.signals.compare import STRENGTH_WORDS, Judgement, MetricSpec, compare

MIN_BASELINE_MESSAGES = 30  # per person, over the baseline weeks
#: Affectionate messages the person sent in the baseline weeks, to judge a decline in them: from 3 to 0 is
#: no evidence of anything (the same reasoning as MIN_BASELINE_MEETUPS for talk about meeting up).
MIN_BASELINE_AFFECTION = 6
MIN_RECENT_MESSAGES_ANY = 1  # silence in recent weeks is itself a finding, so no minimum there

S = MetricSpec
SIGN_METRICS: dict[SignId, tuple[MetricSpec, ...]] = {
    SignId.DECREASED_COMMUNICATION: (
        S("initiations_per_week", "conversations started per week", "initiations", None, "down", 0.35,
          unit="per week", min_den=3),
        S("initiation_share", "share of the couple's conversations started", "initiations", "couple_initiations",
          "down", 0.25, unit="share", min_den=8),
        S("reply_rate", "turns of the other person answered", "answered_turns", "received_turns", "down", 0.15,
          unit="share", min_den=10),
        S("messages_per_week", "messages per week", "messages", None, "down", 0.30, unit="per week", min_den=3),
        S("message_share", "share of the couple's messages", "messages", "couple_messages", "down", 0.15,
          unit="share", min_den=20),
    ),
    SignId.DECLINE_IN_INTIMACY: (
        S("affection_per_message", "affectionate messages per message", "affectionate", "lang_messages", "down",
          0.35, unit="per message", min_den=30, language=True, min_num=MIN_BASELINE_AFFECTION),
        S("warmth", "warmth of messages (mean sentiment, -1..1)", "warmth", None, "down", 0.10, mode="abs",
          unit="score", min_den=3, language=True),
    ),
    SignId.INCREASED_TIME_APART: (
        S("meetup_messages_per_week", "messages about meeting up per week", "meetup_msgs", None, "down", 0.40,
          unit="per week", min_den=3, language=True),
        S("calls_per_week", "calls placed per week (time together on the line)", "calls", None, "down", 0.40,
          unit="per week", min_den=3),
    ),
    SignId.CHANGE_IN_ENGAGEMENT: (
        S("median_reply_minutes", "typical reply time (median)", "median_reply_min", None, "up", 0.50,
          unit="minutes", min_den=3, min_abs=3.0),
        S("words_per_message", "words per message", "words", "text_messages", "down", 0.25, unit="words",
          min_den=20),
        S("questions_per_message", "questions asked per message", "questions", "lang_messages", "down", 0.35,
          unit="per message", min_den=30, language=True),
        S("unanswered_bid_rate", "the other's bids left unanswered", "unanswered_bids", "bids_received", "up",
          0.15, mode="abs", unit="share", min_den=8),
        S("lsm", "language style matching of the couple (0..1)", "lsm", None, "down", 0.05, mode="abs",
          unit="score", min_den=3, language=True),
    ),
    SignId.EVASIVE_RESPONSES: (
        S("evasive_answer_rate", "the other's plan or relationship questions answered vaguely or not at all",
          "evasive_answers", "plan_questions_received", "up", 0.15, mode="abs", unit="share", min_den=6,
          language=True),
    ),
}
# Metrics that can decide a sign on their own (others support the picture).
DECIDING: dict[SignId, tuple[str, ...]] = {
    SignId.DECREASED_COMMUNICATION: ("initiations_per_week", "initiation_share", "reply_rate"),
    SignId.DECLINE_IN_INTIMACY: ("affection_per_message", "warmth"),
    SignId.INCREASED_TIME_APART: ("meetup_messages_per_week", "calls_per_week"),
    SignId.CHANGE_IN_ENGAGEMENT: ("median_reply_minutes", "words_per_message", "questions_per_message",
                                  "unanswered_bid_rate"),
    SignId.EVASIVE_RESPONSES: ("evasive_answer_rate",),
}
MIN_BASELINE_MEETUPS = 6
MIN_BASELINE_CALLS = 6  # calls placed by the person in the baseline weeks, to read time apart from calls
SHARE_UP = 0.10  # a share of the couple's messages up by more than this: the person's drop follows the other's


@dataclass(frozen=True, slots=True)
class Context:
    """What every sign needs: the periods, the person's weekly rows, the frame for evidence."""

    person: str
    base: pl.DataFrame  # person's weekly rows in the baseline
    recent: pl.DataFrame  # person's weekly rows in the recent period
    recent_rows: pl.DataFrame  # prepared messages of the recent period (both people)
    periods: Periods
    change_points: tuple[ChangePoint, ...]
    language: bool  # language features available
    seed: int = 0
    rows: pl.DataFrame | None = None  # all of the person's weekly rows (for per-sign onsets)
    onset: Onset | None = None  # dated onset of the person's current decline after the baseline


def person_context(weekly: pl.DataFrame, prepared_recent: pl.DataFrame, person: str, periods: Periods,
                   cps: list[ChangePoint], language: bool, *, seed: int = 0,
                   onset: Onset | None = None) -> Context:
    rows = weekly.filter(pl.col("person") == person).sort("week")
    base = rows.filter(pl.col("week").is_in(list(periods.baseline_weeks)))
    recent = rows.filter(pl.col("week").is_in(list(periods.recent_weeks)))
    return Context(person, base, recent, with_ev_columns(prepared_recent, person), periods,
                   tuple(c for c in cps if c.person == person), language, seed, rows, onset)


def with_ev_columns(recent_rows: pl.DataFrame, person: str) -> pl.DataFrame:
    return ev.with_next_from(recent_rows, person) if recent_rows.height else recent_rows


_LOG_METRICS = {"initiations_per_week", "messages_per_week", "median_reply_minutes", "meetup_messages_per_week"}
SIGN_ONSET_SLACK = 4  # weeks around the person's onset range where a sign's own onset is looked for
SIGN_ONSET_MIN_DROP = 1.0  # a sign's own series must fall by this many noise units to date it on its own


def sign_series(rows: pl.DataFrame, specs: list[MetricSpec]) -> np.ndarray:
    """The sign's weekly series: its metrics' weekly values in noise units, signed so down = withdrawal."""
    parts = []
    for spec in specs:
        if spec.num not in rows.columns or spec.id == "lsm":
            continue
        num = rows.get_column(spec.num).cast(pl.Float64).fill_null(np.nan).to_numpy()
        if spec.den is not None:
            den = rows.get_column(spec.den).cast(pl.Float64).fill_null(0).to_numpy()
            with np.errstate(divide="ignore", invalid="ignore"):
                num = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)
        if spec.id in _LOG_METRICS:
            num = np.log1p(num)
        if np.isnan(num).all():
            continue
        parts.append(noise_z(num) * (1.0 if spec.direction == "down" else -1.0))
    return np.mean(parts, axis=0) if parts else np.zeros(rows.height)


def sign_onset(ctx: Context, specs: list[MetricSpec]) -> Onset | None:
    """When this sign's change began: a change point of the sign's own weekly series near the person's
    onset (or the recent period's start), with its range; the person's onset when the sign's own series
    shows no clear drop there or dates it less precisely (a wider range) than the person's overall
    engagement does."""
    if ctx.rows is None or not ctx.periods.recent_weeks or ctx.rows.height == 0:
        return ctx.onset
    weeks = ctx.rows.get_column("week").to_list()
    pos = {w: i for i, w in enumerate(weeks)}
    anchor = ctx.onset.week if ctx.onset is not None else ctx.periods.recent_weeks[0]
    lo = pos.get(ctx.periods.baseline_weeks[0], 0) if ctx.periods.baseline_weeks else 0
    if anchor not in pos:
        return ctx.onset
    y = sign_series(ctx.rows, specs)
    if ctx.onset is not None:  # the same change: look within the person's onset range, widened
        found = onset(weeks, y, pos[anchor], lo=lo, before=(anchor - ctx.onset.low).days // 7 + SIGN_ONSET_SLACK,
                      after=(ctx.onset.high - anchor).days // 7 + SIGN_ONSET_SLACK)
    else:
        found = onset(weeks, y, pos[anchor], lo=lo)
    if found is None or not found.drop <= -SIGN_ONSET_MIN_DROP:
        return ctx.onset or found
    if ctx.periods.baseline_weeks and found.week <= ctx.periods.baseline_weeks[-1]:
        return ctx.onset  # a change cannot begin inside the stretch it is compared with
    if ctx.onset is not None and (found.high - found.low) > (ctx.onset.high - ctx.onset.low):
        return ctx.onset  # the sign's own series dates the change less precisely than the person's
    return found


def since_date(ctx: Context) -> date | None:
    """When the change began: the onset of the person's current decline after the baseline, else the
    start of the recent period."""
    if not ctx.periods.recent_weeks:
        return None
    return ctx.onset.week if ctx.onset is not None else ctx.periods.recent_weeks[0]


def confirmed(ctx: Context) -> bool:
    """A change point marks a drop in the person's engagement after the baseline."""
    base_end = ctx.periods.baseline_weeks[-1] if ctx.periods.baseline_weeks else None
    return bool(decline_start(ctx.change_points, ctx.person, after=base_end))


def _words_spec(ctx: Context, spec: MetricSpec) -> MetricSpec:
    """Words per message falls back to characters when the language layer gave no word counts."""
    if spec.id == "words_per_message" and ctx.base.get_column("words").null_count() == ctx.base.height:
        return S("chars_per_message", "characters per message", "chars", "text_messages", "down", 0.25,
                 unit="characters", min_den=20)
    return spec


def judge_sign(sign: SignId, ctx: Context) -> tuple[SignResult, list[Judgement]]:
    """One SignResult for one person (and the metric judgements, for the verdict)."""
    specs = [_words_spec(ctx, s) for s in SIGN_METRICS[sign]]
    if sign is SignId.INCREASED_TIME_APART:
        # Time apart is read from meet-up talk and from calls (time together on the line), each only where
        # the baseline holds enough of it to compare with.
        base_meet = int(ctx.base.get_column("meetup_msgs").sum())
        base_calls = int(ctx.base.get_column("calls").sum()) if "calls" in ctx.base.columns else 0
        specs = [s for s in specs if (s.id == "meetup_messages_per_week" and base_meet >= MIN_BASELINE_MEETUPS)
                 or (s.id == "calls_per_week" and base_calls >= MIN_BASELINE_CALLS)]
        if not specs and ctx.language:
            return SignResult(sign, ctx.person, SignStatus.NOT_MEASURABLE, note=(
                f"only {count_words(base_meet, 'message')} about meeting up and {count_words(base_calls, 'call')} in the baseline "
                "weeks: this "
                "chat does not show when you meet, and a chat log cannot see time spent together")), []
        specs = specs or [s for s in SIGN_METRICS[sign] if s.language]  # -> "not read in this language" below
    language_needed = all(s.language for s in specs)
    if language_needed and not ctx.language:
        return SignResult(sign, ctx.person, SignStatus.NOT_MEASURABLE, note=(
            "this sign is read from the words of the messages, and the chat's language is not one the tool "
            "reads (English, Spanish, Portuguese, German, French)")), []
    specs = [s for s in specs if ctx.language or not s.language]
    js = [compare(s, ctx.base, ctx.recent, seed=ctx.seed + i) for i, s in enumerate(specs)]
    moved = {j.change.id for j in js if j.moved}
    deciding = set(DECIDING[sign]) | {"chars_per_message"}
    if sign is SignId.DECREASED_COMMUNICATION and "messages_per_week" in moved:
        share = next(j.change.change for j in js if j.change.id == "message_share")
        if share is not None and share <= SHARE_UP:  # not a drop that only follows the other's
            moved.add("volume")
            deciding.add("volume")
    decisive = moved & deciding
    metrics = tuple(j.change for j in js)
    judged_any = any(j.judged for j in js if j.change.id in deciding)
    if not judged_any:
        note = _insufficient_note(sign, ctx)
        return SignResult(sign, ctx.person, SignStatus.INSUFFICIENT_DATA, metrics=metrics, note=note), js
    if not decisive:
        return SignResult(sign, ctx.person, SignStatus.NOT_DETECTED, metrics=metrics,
                          note=_partial_note(ctx, js)), js
    counted = decisive | ({"messages_per_week"} if "volume" in decisive else set())
    level = max(j.level for j in js if j.change.id in counted)
    if len([m for m in decisive if m != "volume"]) >= 3:
        level = min(level + 1, 3)
    if level < 3 and not confirmed(ctx):
        labels = ", ".join(j.change.label for j in js if j.moved)
        return SignResult(sign, ctx.person, SignStatus.NOT_DETECTED, metrics=metrics, note=(
            f"recent weeks differ from the baseline ({labels}), but no lasting shift in {ctx.person}'s "
            "overall contact was found, so this may be ordinary ups and downs")), js
    evidence = _evidence(sign, ctx)
    decider = max((j for j in js if j.change.id in counted), key=_rank)
    ordered = (decider.change, *(m for m in metrics if m is not decider.change))
    when = sign_onset(ctx, [s for s in specs if s.id in deciding | counted])
    since = when.week if when is not None else since_date(ctx)
    return SignResult(sign, ctx.person, SignStatus.DETECTED, since=since, strength=STRENGTH_WORDS[level],
                      metrics=ordered, evidence=evidence, note=_time_apart_note(sign),
                      since_low=when.low if when is not None else since, since_high=when.high if when is not None
                      else since, deciding=decider.change.id), js


def _rank(j: Judgement) -> tuple[int, float]:
    """Strongest first: the strength level, then the change in units of the metric's threshold."""
    return j.level, _toward(j) / _threshold(j)


def _insufficient_note(sign: SignId, ctx: Context) -> str:
    if sign is SignId.EVASIVE_RESPONSES:
        return ("too few plan or relationship questions from the other person in the baseline or recent weeks "
                "to judge how they were answered")
    return f"too few messages from {ctx.person} in the baseline or recent weeks to judge this sign"


def _partial_note(ctx: Context, js: list[Judgement]) -> str:
    hints = [j.change.label for j in js if j.judged and not j.moved and j.level == 0 and j.change.change is not None
             and _toward(j) >= 0.5 * _threshold(j)]
    return ("some movement that did not hold up as a sustained change: " + ", ".join(hints)) if hints else ""


def _toward(j: Judgement) -> float:
    c = j.change.change or 0.0
    return -c if j.change.withdrawal_direction == "down" else c


def _threshold(j: Judgement) -> float:
    for specs in SIGN_METRICS.values():
        for s in specs:
            if s.id == j.change.id:
                return s.threshold
    return 0.25


def _time_apart_note(sign: SignId) -> str:
    if sign is SignId.INCREASED_TIME_APART:
        return ("read from talk about meeting up and from calls in the chat; a chat log cannot see time spent "
                "together in person")
    return ""


def _evidence(sign: SignId, ctx: Context) -> tuple:
    rows, p = ctx.recent_rows, ctx.person
    if rows.height == 0:
        return ()
    base_lat = ctx.base.get_column("median_reply_min").drop_nulls()
    usual = float(base_lat.median()) if base_lat.len() else None  # type: ignore[arg-type]
    if sign is SignId.DECREASED_COMMUNICATION:
        return ev.merge(ev.flagged(rows, p, "space_request", "asked for space", "space_request"),
                        ev.unanswered_bids(rows, p, usual))
    if sign is SignId.DECLINE_IN_INTIMACY:
        return ev.merge(ev.unreturned_affection(rows, p),
                        ev.flagged(rows, p, "space_request", "asked for space", "space_request"))
    if sign is SignId.INCREASED_TIME_APART:
        # Evidence under the sign it supports: requests for space and invitations left unanswered;
        # a noncommittal answer belongs to the evasive sign, shown there when that sign is seen.
        unanswered = [e for e in ev.evasive_answers(rows, p) if not e.why.startswith("noncommittal")]
        return ev.merge(ev.flagged(rows, p, "space_request", "asked for space", "space_request"), unanswered)
    if sign is SignId.CHANGE_IN_ENGAGEMENT:
        slow = ev.slow_replies(rows, p, usual)
        return ev.merge(slow, ev.unanswered_bids(rows, p, usual)[: max(0, ev.MAX_EVIDENCE - len(slow))])
    return ev.merge(ev.evasive_answers(rows, p))


def insufficient(sign: SignId, person: str, note: str) -> SignResult:
    return SignResult(sign, person, SignStatus.INSUFFICIENT_DATA, note=note)


def judge_person(ctx: Context) -> tuple[list[SignResult], dict[SignId, list[Judgement]]]:
    """All five signs for one person."""
    base_msgs = int(ctx.base.get_column("messages").sum()) if ctx.base.height else 0
    if not ctx.periods.baseline_weeks or base_msgs < MIN_BASELINE_MESSAGES:
        note = ctx.periods.note if not ctx.periods.baseline_weeks else (
            f"{ctx.person} wrote {base_msgs} message{'' if base_msgs == 1 else 's'} in the baseline weeks; "
            f"at least {MIN_BASELINE_MESSAGES} "
            "are needed to know their usual")
        return [insufficient(s, ctx.person, note) for s in SignId], {}
    results, judgements = [], {}
    for s in SignId:
        r, js = judge_sign(s, ctx)
        results.append(r)
        judgements[s] = js
    return results, judgements
