"""``explain``: from an Assessment to an Insight (reasons, plan, FAQ, safety, limits).

WHY one entry point: the reports, the web UI and the CLI all need the same selection logic, and
keeping it here (with all wording in data files) means they can never disagree.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date

import polars as pl

from ebbtide.insight.faq import answer_faq, history_sentence
from ebbtide.insight.hints import (
    Hints,
    hints_from_assessment,
    hints_from_features,
    merge_hints,
    reason_specs,
    recent_start,
    withdrawing_person,
)
from ebbtide.insight.plan import PlanContext, build_plan
from ebbtide.insight.reasons import rank_reasons
from ebbtide.insight.safety import FIRST, apply_policy, ask_question, is_safety_answer, level
from ebbtide.insight.triggers import fired_triggers, hostile_messages
from ebbtide.insight.wording import fill, load, sign_label
from ebbtide.model import (
    Assessment,
    Evidence,
    Insight,
    Pattern,
    PlanStep,
    ReasonId,
    SignId,
    SignStatus,
    StrategyId,
)

STRENGTH_ORDER = {"strong": 0, "clear": 1, "slight": 2, "none": 3}


def explain(
    assessment: Assessment,
    *,
    reflection: Mapping[ReasonId, int] | None = None,
    safety_answer: bool | str | None = None,
    hints: Mapping[ReasonId, Hints | Sequence[Evidence]] | None = None,
    features: pl.DataFrame | None = None,
    from_answers: bool = False,
    safety_source: str = "answer",
) -> Insight:
    """Reasons, plan, FAQ and limits for one assessed couple.

    - ``reflection``: the user's own view of how well each reason fits (0 = not at all .. 3 = very).
      It reorders the reasons and changes the plan (``Insight.reflection_note`` says exactly how).
    - ``safety_answer``: the user's answer to "do you ever feel afraid of or controlled by your
      partner?" (True / "yes" turns on safety-first, like clear danger in the messages; False / "no"
      answers the question that ambiguous words would otherwise ask); ``safety_source``: where that
      answer came from ("answer", "selfcheck", "checkin", "notes"), named in the message.
    - ``hints``: extra messages hinting at reasons (e.g. from another analysis); ``features``: the
      features frame of the conversation, whose language columns give the message hints.
    - ``from_answers``: the assessment comes from the self-check's answers, not from a chat; the
      wording then speaks of the answers only.

    With ``Pattern.INSUFFICIENT_DATA`` there are no reasons and no answers: nothing in the data
    could support them (the reports say so instead).

    Crisis lines are not part of the Insight: the reports list them (ordered by ``--country``).
    """
    about_me = assessment.pattern is Pattern.ME_PULLING_AWAY
    withdrawer = withdrawing_person(assessment)
    since = recent_start(assessment)
    end = _end(assessment)
    insufficient = assessment.pattern is Pattern.INSUFFICIENT_DATA

    feature_hints = hints_from_features(features, person=withdrawer, since=since) if features is not None else {}
    extra = {k: (v if isinstance(v, Hints) else _as_hints(v)) for k, v in (hints or {}).items()}
    all_hints = merge_hints(hints_from_assessment(assessment, person=withdrawer), feature_hints, extra)

    reasons = () if insufficient else rank_reasons(
        all_hints, me=assessment.me, partner=assessment.partner, about_me=about_me, reflection=reflection,
        from_answers=from_answers, stable=assessment.pattern is Pattern.STABLE,
    )
    safety_level = level(answer=safety_answer, clear=bool(assessment.safety_flags),
                         ambiguous=bool(assessment.safety_ambiguous))
    safety = safety_level == FIRST
    signs = _detected(assessment, withdrawer)
    findings = _findings(all_hints)
    recovered = sorted((d for d in assessment.dips if d.recovered), key=lambda d: (d.start, d.person == withdrawer))
    history = history_sentence(recovered[-1]) if recovered else ""
    weeks = _weeks(since, end) if assessment.pattern not in (Pattern.STABLE, Pattern.INSUFFICIENT_DATA) else None
    hostile = hostile_messages(features, since=since) if features is not None and since is not None else ()
    triggers = fired_triggers(assessment, hostile, features, since=since, end=end, safety=safety)
    ctx = PlanContext(
        me=assessment.me, partner=assessment.partner, pattern=assessment.pattern, signs=signs,
        findings=findings, triggers=triggers, history=history, safety=safety, weeks=weeks,
        from_answers=from_answers,
        trigger_evidence=hostile,
    )
    plan = build_plan(ctx)
    note: tuple[str, ...] = ()
    if reflection and not insufficient:
        ctx, plan, note = apply_reflection(ctx, plan, reflection)
    faq = () if insufficient else answer_faq(
        me=assessment.me, partner=assessment.partner, dips=assessment.dips, withdrawer=withdrawer,
        withdrawer_signs=signs, from_answers=from_answers,
    )
    insight = Insight(
        reasons=reasons,
        plan=plan,
        faq=faq,
        headline=headline(assessment, since=since, weeks=weeks),
        limits=limits(assessment),
        reflection_note=note,
    )
    said = safety_source if is_safety_answer(safety_answer) else "messages"
    question = ask_question([e.why for e in assessment.safety_ambiguous])
    return apply_policy(insight, level_=safety_level, source=said, question=question)


def _as_hints(evidence: Sequence[Evidence]) -> Hints:
    journal = sum(1 for e in evidence if e.sender == "journal")
    return Hints(len(evidence), tuple(evidence), messages=len(evidence) - journal, journal=journal)


# The reflection questionnaire's answer about a reason switches the plan's matching finding off
# (0, "does not fit") or on (2-3, "fits"): reason -> finding (see _findings, plan.toml variants).
REFLECTION_FINDINGS: dict[ReasonId, str] = {
    ReasonId.PERSONAL_SPACE: "space_request",
    ReasonId.EXTERNAL_STRESS: "stress",
    ReasonId.COMMUNICATION_BREAKDOWN: "conflict",
}
FITS = 2  # reflection points from which a reason counts as fitting


def apply_reflection(
    ctx: PlanContext, plan: tuple[PlanStep, ...], reflection: Mapping[ReasonId, int],
) -> tuple[PlanContext, tuple[PlanStep, ...], tuple[str, ...]]:
    """The plan with the user's own view of the reasons applied, and sentences saying exactly what changed.

    "Does not fit" removes the matching finding (a request for space no longer puts space first or
    shapes the wording; "A need for space" rejected also moves giving space to the end); "fits"
    adds it, worded as the user's view ("You said a need for space may fit"). The note compares the plan before and after, step by step, so it never claims a change
    that did not happen.
    """
    findings = set(ctx.findings)
    for reason, finding in REFLECTION_FINDINGS.items():
        value = reflection.get(reason)
        if value is None:
            continue
        if value <= 0:
            findings.discard(finding)
        elif value >= FITS and finding not in findings:
            findings.add(f"{finding}_fits")  # the user's view, worded as such (not "you asked for space")
    demote = tuple(
        StrategyId.SPACE_BUT_CONNECTED for r in (ReasonId.PERSONAL_SPACE,)
        if reflection.get(r) == 0 and ctx.pattern is not Pattern.PURSUE_WITHDRAW
    )
    new_ctx = replace(ctx, findings=frozenset(findings), demoted=demote)
    new_plan = build_plan(new_ctx)
    return new_ctx, new_plan, plan_changes(plan, new_plan, reflection)


def plan_changes(
    before: Sequence[PlanStep], after: Sequence[PlanStep], reflection: Mapping[ReasonId, int],
) -> tuple[str, ...]:
    """Plain sentences: what the user's view of the reasons changed in the plan (from the two plans)."""
    data = load("plan")["reflection"]
    titles = {r: str(s["title"]) for r, s in reason_specs().items()}
    fit_words = load("plan")["reflection"]["fit_words"]
    said = [fill(data["said"], reason=titles[r], fit=fit_words[str(max(0, min(3, v)))])
            for r, v in reflection.items() if r in titles]
    out: list[str] = [fill(data["intro"], said="; ".join(said))] if said else []
    old_pos = {s.id: i for i, s in enumerate(before, 1)}
    old_by_id = {s.id: s for s in before}
    changes: list[str] = []
    for i, step in enumerate(after, 1):
        was = old_pos.get(step.id)
        if was is not None and was != i:
            changes.append(fill(data["moved"], title=step.title, was=was, now=i))
        old = old_by_id.get(step.id)
        if old is None:
            continue
        if old.title != step.title and was == i:
            changes.append(fill(data["retitled"], old=old.title, title=step.title))
        if old.why != step.why:
            changes.append(fill(data["reworded"], title=step.title))
        for starter in step.starters:
            if starter not in old.starters:
                changes.append(fill(data["starter_added"], starter=starter))
        for starter in old.starters:
            if starter not in step.starters:
                changes.append(fill(data["starter_removed"], starter=starter))
    out.extend(changes or [data["unchanged"]])
    return tuple(out)


def headline(assessment: Assessment, *, since: date | None, weeks: int | None) -> str:
    """The verdict in plain, hedged words (patterns.toml)."""
    data = load("patterns")
    since_phrase = fill(data["since_phrase"], since=since) if since and weeks else ""
    weeks_phrase = fill(data["weeks_phrase"], weeks=weeks) if weeks else ""
    text = fill(
        data["headline"][assessment.pattern.value], me=assessment.me, partner=assessment.partner,
        since_phrase=since_phrase, weeks_phrase=weeks_phrase,
    )
    rise = own_starts_rose(assessment) if assessment.pattern is Pattern.PARTNER_PULLING_AWAY else None
    if rise:
        text += " " + fill(data["pursue_hint"], partner=assessment.partner, usual=f"{rise[0] * 100:.0f}%",
                           recent=f"{rise[1] * 100:.0f}%")
    return text


PURSUIT_SHARE_RISE = 0.10  # the user's share of conversation starts rose by at least 10 points


def own_starts_rose(assessment: Assessment) -> tuple[float, float] | None:
    """(usual, recent) share of the couple's conversations the user started, when it clearly rose.

    WHY: a partner pulling back while the user starts ever more of the conversations is the start
    of a pursue-withdraw loop even before the signals layer calls it one; saying so, from the
    figures the report shows, lets the user see their own side.
    """
    for s in assessment.signs:
        if s.person != assessment.me or s.sign is not SignId.DECREASED_COMMUNICATION:
            continue
        for m in s.metrics:
            if (m.id == "initiation_share" and m.baseline is not None and m.recent is not None
                    and m.ci_low is not None and m.ci_low > 0 and m.recent - m.baseline >= PURSUIT_SHARE_RISE):
                return m.baseline, m.recent
    return None


def limits(assessment: Assessment) -> tuple[str, ...]:
    """What cannot be measured: always-true limits, coverage notes, then unmeasurable signs.

    Signs with the same reason are named together in one line ("Decreased communication, Less
    affection and warmth (Sam): not enough data. ...").
    """
    data = load("limits")
    general = [fill(t, me=assessment.me, partner=assessment.partner) for t in data["always"]]
    if any(_CALLS_COUNTED.search(n) for n in assessment.coverage.notes):
        # The export has calls and they were counted: "a chat cannot see calls" would not be true here.
        general = [t for t in general if not _CALLS.search(t)]
    general.extend(assessment.coverage.notes)
    general = list(one_list_of_limits(general))
    known = [_words(t) for t in general]
    grouped: dict[tuple[str, str, str], list[str]] = {}
    for s in assessment.signs:
        if s.status in (SignStatus.NOT_MEASURABLE, SignStatus.INSUFFICIENT_DATA):
            note = _without_said(s.note, known)
            grouped.setdefault((s.status.value, s.person, note), []).append(sign_label(s.sign.value))
    signs = [
        re.sub(r"[;:]\s*$", "", fill(data["not_measurable_sign" if status == SignStatus.NOT_MEASURABLE.value else "insufficient_sign"],
             sign=", ".join(labels), person=person, note=note).strip())
        for (status, person, note), labels in grouped.items()
    ]
    return tuple(general) + tuple(dict.fromkeys(one_list_of_limits(signs, merge=False)))


_CALLS_COUNTED = re.compile(r"\bcalls in this export count\b", re.IGNORECASE)
_CALLS = re.compile(r"\bcalls\b", re.IGNORECASE)
_WORD = re.compile(r"[^\W\d_]+")
SAME_LIMIT = 0.5  # two limits sharing at least half of their words (the shorter's) say the same thing


def _words(text: str) -> set[str]:
    return {w.casefold() for w in _WORD.findall(text) if len(w) > 3}


def _without_said(note: str, known: Sequence[set[str]]) -> str:
    """A sign's note without the clauses a general limit already says ("a chat log cannot see time
    spent together" once, not again under "More time apart")."""
    parts = re.split(r";\s*|,\s*and\s+|:\s*", note)
    kept = [p for p in parts if not (w := _words(p)) or not any(len(w & k) >= SAME_LIMIT * len(w) for k in known)]
    return "; ".join(kept) if len(kept) < len(parts) else note


def one_list_of_limits(lines: Sequence[str], *, merge: bool = True) -> tuple[str, ...]:
    """Limits as one list: each a sentence (capital, full stop), near-duplicates said once.

    WHY: the signals layer's coverage notes and the always-true limits come from different places
    and can say the same thing in other words ("a chat log does not see time spent together...");
    two such lines read as padding, and a missing full stop as carelessness.
    """
    kept: list[tuple[str, set[str]]] = []
    for raw in lines:
        text = raw.strip()
        if not text:
            continue
        text = text[0].upper() + text[1:]
        if text[-1] not in ".!?)":
            text += "."
        words = _words(text)
        if merge and any(words and other and len(words & other) >= SAME_LIMIT * min(len(words), len(other))
               for _, other in kept):
            continue
        if any(text == t for t, _ in kept):
            continue
        kept.append((text, words))
    return tuple(t for t, _ in kept)


def _end(assessment: Assessment) -> date | None:
    if assessment.recent:
        return assessment.recent[1]
    return assessment.coverage.last


def _weeks(since: date | None, end: date | None) -> int | None:
    if not since or not end or end < since:
        return None
    return max(1, round((end - since).days / 7))


def _detected(assessment: Assessment, person: str) -> tuple[SignId, ...]:
    found = [s for s in assessment.signs if s.person == person and s.status is SignStatus.DETECTED]
    found.sort(key=lambda s: STRENGTH_ORDER.get(s.strength, 3))
    return tuple(s.sign for s in found)


def _findings(hints: Mapping[ReasonId, Hints]) -> frozenset[str]:
    """Findings that shape the plan, e.g. {"space_request", "stress"}.

    A reason's finding (its first feature column) counts when one of its messages came from that
    feature column or matches its ``finding_patterns`` (reasons.toml).
    """
    found: set[str] = set()
    for reason, spec in reason_specs().items():
        cols = spec.get("features", [])
        h = hints.get(reason)
        if not cols or not h:
            continue
        patterns = [re.compile(p, re.IGNORECASE) for p in spec.get("finding_patterns", [])]
        if any(
            e.why == spec.get("hint_why") or any(p.search(e.why) or p.search(e.text) for p in patterns)
            for e in h.evidence
        ):
            found.add(cols[0])
    return frozenset(found)


__all__ = ["explain", "headline", "hostile_messages", "limits"]
