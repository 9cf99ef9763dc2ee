"""One verdict for the couple, from both people's signs.

A person counts as pulling away when decreased communication or a change in engagement is detected
for them (the behavioural signs), or at least two of the other signs, AND the change is confirmed:
a change point marking a drop in their engagement after the baseline, or a strong effect. A person
counts as pursuing when they send more double texts AND either ask clearly more questions about the
relationship ("are we ok?") or keep up their message volume while asking more questions, sustained
over the recent weeks (the demand-withdraw pattern, evidence.md §1.6).
"""

from __future__ import annotations

from datetime import date

from ebbtide.model import Pattern, SignId, SignResult, SignStatus
from ebbtide.signals.compare import MetricSpec, compare
from ebbtide.signals.signs import Context, confirmed

VOLUME_KEPT = 0.10  # messages per week fall by less than this share: volume "holds up"
BEHAVIOURAL = (SignId.DECREASED_COMMUNICATION, SignId.CHANGE_IN_ENGAGEMENT)

PURSUIT_METRICS: dict[str, MetricSpec] = {
    "double_texts": MetricSpec("double_texts_per_week", "follow-up messages with no reply in between",
                               "double_texts", None, "up", 1.0, mode="abs", min_den=3),
    "questions": MetricSpec("questions_per_message", "questions per message", "questions", "lang_messages", "up",
                            0.30, min_den=30, language=True),
    "relationship": MetricSpec("relationship_questions_per_week", "questions about the relationship",
                               "relationship_questions", None, "up", 2.0, mode="abs", min_den=3, language=True),
    "volume": MetricSpec("messages_per_week", "messages per week", "messages", None, "up", 0.0, min_den=3),
}


def withdrawing(signs: list[SignResult], ctx: Context) -> bool:
    detected = [s for s in signs if s.status is SignStatus.DETECTED]
    behavioural = any(s.sign in BEHAVIOURAL for s in detected)
    if not (behavioural or len(detected) >= 2):
        return False
    strong = any(s.strength == "strong" for s in detected if s.sign in BEHAVIOURAL)
    return confirmed(ctx) or strong


def pursuing(ctx: Context) -> bool:
    """Reaching out more while the other pulls back (see module docstring).

    Double texts and questions rise by themselves when the other answers less (a follow-up after an
    unanswered message counts as a double text), so they are necessary but not enough: pursuit also
    needs many more questions about the relationship, or a message volume that holds up (falls by
    less than 10 %) despite the other writing less.
    """
    if not ctx.base.height or not ctx.recent.height:
        return False
    js = {k: compare(s, ctx.base, ctx.recent, seed=ctx.seed + 50 + i)
          for i, (k, s) in enumerate(PURSUIT_METRICS.items()) if ctx.language or not s.language}
    if not js["double_texts"].moved:
        return False
    volume = js["volume"].change.change
    kept_up = volume is not None and volume >= -VOLUME_KEPT
    asks_more = js["questions"].moved if "questions" in js else True
    return ("relationship" in js and js["relationship"].moved) or (kept_up and asks_more)


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
            f"{partner}'s messages suggest less contact than in your closest stretch, while {me}'s side "
            "shows no clear sign of pulling back. The chat cannot tell why; there may be several reasons.")
    if me_away:
        return Pattern.ME_PULLING_AWAY, (
            f"The change in the chat seems to come mostly from {me}'s side, while {partner}'s side shows "
            "no clear sign of pulling back. It may help to notice what has changed for you.")
    return Pattern.STABLE, (
        "No sustained change compared with your closest stretch shows in the chat. Quiet weeks happen; "
        "the chat cannot see everything, such as time spent together.")


# A drop that began for both people in the same week is held back while it is young (see
# joint_recent_drop). Six weeks: the horizon at which the detection target of issue 12 is set ("once it
# has lasted 6 weeks"); two weeks for "the same week": the onset is dated to the Monday of a week, and
# a trip or a switch of app that begins late in one week shows in the next for the quieter writer.
JOINT_HOLD_WEEKS = 6
JOINT_ONSET_DAYS = 7


def first_behavioural_since(signs: list[SignResult], person: str) -> date | None:
    """The earliest dated onset of a person's detected behavioural sign (fewer messages, slower replies)."""
    dates = [s.since for s in signs if s.person == person and s.status is SignStatus.DETECTED
             and s.sign in BEHAVIOURAL and s.since is not None]
    return min(dates) if dates else None


def joint_recent_drop(signs: list[SignResult], me: str, partner: str, last: date | None) -> bool:
    """Both people's contact fell from the same week, and that was less than six weeks ago.

    WHY: drifting apart is usually gradual and uneven; a drop that starts for both people at once
    more often comes from something they share that a chat cannot see: a holiday or a move together,
    a busy stretch for both, seeing each other more, or talking on the phone or another app for a
    while. Reading that as "you are both drifting" after two or three weeks would alarm people
    needlessly, so the verdict waits until the drop has lasted about six weeks (docs/signals.md).
    Chosen from this reasoning and the issue's six-week horizon, not fitted to a simulator.
    """
    mine, theirs = first_behavioural_since(signs, me), first_behavioural_since(signs, partner)
    if mine is None or theirs is None or last is None:
        return False
    if abs((mine - theirs).days) > JOINT_ONSET_DAYS:
        return False
    return (last - min(mine, theirs)).days < 7 * JOINT_HOLD_WEEKS


def too_early_text(me: str, partner: str) -> str:
    return (f"Both {me} and {partner} have been in less contact than usual, starting in the same week, and only "
            "for a few weeks. A drop that starts for both people at once often comes from something shared that a "
            "chat cannot see (being away or busy together, or talking elsewhere), so no verdict is given yet.")


INSUFFICIENT_TEXT = (
    "There is not enough chat history yet to compare recent weeks with an earlier stretch, so no "
    "verdict is given.")
