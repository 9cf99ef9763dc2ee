"""One verdict for the couple, from both people's signs.

A person counts as pulling away when decreased communication or a change in engagement is detected
for them (the behavioural signs), or at least two of the other signs, AND the change is confirmed:
a change point marking a drop in their engagement after the baseline, or a strong effect. A person
counts as pursuing when at least two of: more messages per week (despite the other writing less),
more double texts, more questions per message, more questions about the relationship ("are we ok?"), all sustained over the recent weeks (the demand-withdraw pattern,
evidence.md §1.6).
"""

from __future__ import annotations

from ebbtide.model import Pattern, SignId, SignResult, SignStatus
from ebbtide.signals.compare import MetricSpec, compare
from ebbtide.signals.signs import Context

BEHAVIOURAL = (SignId.DECREASED_COMMUNICATION, SignId.CHANGE_IN_ENGAGEMENT)

PURSUIT_METRICS: tuple[MetricSpec, ...] = (
    MetricSpec("messages_per_week", "messages per week", "messages", None, "up", 0.15, min_den=3),
    MetricSpec("double_texts_per_week", "follow-up messages with no reply in between", "double_texts", None, "up",
               1.0, mode="abs", min_den=3),
    MetricSpec("questions_per_message", "questions per message", "questions", "lang_messages", "up", 0.30,
               min_den=30, language=True),
    MetricSpec("relationship_questions_per_week", "questions about the relationship", "relationship_questions",
               None, "up", 0.5, mode="abs", min_den=3, language=True),
)


def withdrawing(signs: list[SignResult], ctx: Context) -> bool:
    detected = [s for s in signs if s.status is SignStatus.DETECTED]
    behavioural = any(s.sign in BEHAVIOURAL for s in detected)
    if not (behavioural or len(detected) >= 2):
        return False
    base_end = ctx.periods.baseline_weeks[-1] if ctx.periods.baseline_weeks else None
    confirmed = any(c.shift < 0 and (base_end is None or c.week > base_end) for c in ctx.change_points)
    strong = any(s.strength == "strong" for s in detected if s.sign in BEHAVIOURAL)
    return confirmed or strong


def pursuing(ctx: Context) -> bool:
    specs = [s for s in PURSUIT_METRICS if ctx.language or not s.language]
    if not ctx.base.height or not ctx.recent.height:
        return False
    moved = [compare(s, ctx.base, ctx.recent, seed=ctx.seed + 50 + i).moved for i, s in enumerate(specs)]
    return sum(moved) >= 2


def verdict(me: str, partner: str, me_away: bool, partner_away: bool, me_pursues: bool,
            partner_pursues: bool) -> tuple[Pattern, str]:
    """The pattern and a plain, hedged sentence about it."""
    if me_away and partner_away:
        return Pattern.MUTUAL_DRIFT, (
            f"Both {me} and {partner} seem to have been in less contact than in your closest stretch. "
            "This often happens gradually, and it can have ordinary causes on both sides.")
    if partner_away and me_pursues:
        return Pattern.PURSUE_WITHDRAW, (
            f"{partner} seems to have been in less contact lately while {me} has been reaching out more. "
            "Couples can slip into a loop where one reaches out more as the other pulls back; "
            "this is one possible reading, not a certainty.")
    if me_away and partner_pursues:
        return Pattern.PURSUE_WITHDRAW, (
            f"{me} seems to have been in less contact lately while {partner} has been reaching out more. "
            "This may be a pursue-and-withdraw loop; it is one possible reading.")
    if partner_away:
        return Pattern.PARTNER_PULLING_AWAY, (
            f"{partner}'s messages suggest less contact than in your closest stretch, while {me}'s "
            "stayed about the same. The chat cannot tell why; there may be several reasons.")
    if me_away:
        return Pattern.ME_PULLING_AWAY, (
            f"The change in the chat seems to come mostly from {me}'s side, while {partner}'s messages "
            "stayed about the same. It may help to notice what has changed for you.")
    return Pattern.STABLE, (
        "No sustained change compared with your closest stretch shows in the chat. Quiet weeks happen; "
        "the chat cannot see everything, such as time spent together.")


INSUFFICIENT_TEXT = (
    "There is not enough chat history yet to compare recent weeks with an earlier stretch, so no "
    "verdict is given.")
