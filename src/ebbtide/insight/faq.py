"""Answers to the four questions people ask most, with research and their own history.

WHY: "can we recover?" and "how long should I give space?" have no universal answer, but a couple
that has been through a quiet stretch before has a piece of evidence of its own. Where the signals
layer found earlier dips that came back to usual, the answers cite them with figures
(``FaqAnswer.from_history`` and ``figures``); otherwise they say so.
"""

from __future__ import annotations

from collections.abc import Sequence
from statistics import median

from ebbtide.insight.wording import fill, load, month_words, sign_label
from ebbtide.model import Dip, FaqAnswer, FaqId, SignId


def history_sentence(dip: Dip) -> str:
    """e.g. "in March 2025, Sam's messages dipped for 5 week(s) and came back to usual"."""
    return fill(load("faq")["history_sentence"], month=month_words(dip.start), person=dip.person, weeks=dip.weeks)


def answer_faq(
    *,
    me: str,
    partner: str,
    dips: Sequence[Dip],
    withdrawer: str,
    withdrawer_signs: Sequence[SignId] = (),
    from_answers: bool = False,
) -> tuple[FaqAnswer, ...]:
    """The four answers, in FaqId order (``from_answers``: the self-check, which has no chat)."""
    data = load("faq")
    values = {"me": me, "partner": withdrawer if withdrawer != me else partner}
    # Oldest first; on the same start the withdrawing person's dip comes last (it is the one cited).
    recovered = sorted((d for d in dips if d.recovered), key=lambda d: (d.start, d.person == withdrawer))
    ongoing = [d for d in dips if d.end is None and d.person == withdrawer]
    out: list[FaqAnswer] = []

    spec = data[FaqId.PULL_AWAY_IN_LOVE.value]
    out.append(_answer(FaqId.PULL_AWAY_IN_LOVE, spec, fill(spec["answer"], **values)))

    spec = data[FaqId.LOST_INTEREST.value]
    text = fill(spec["answer"], **values)
    figures: dict[str, float | int | str] = {"signs_seen": len(withdrawer_signs)}
    if withdrawer_signs:
        names = ", ".join(sign_label(s.value).lower() for s in withdrawer_signs)
        key = "answer_signs_answers" if from_answers else "answer_signs"
        text += " " + fill(spec[key], signs=names, **{**values, "partner": withdrawer})
    out.append(_answer(FaqId.LOST_INTEREST, spec, text, figures=figures))

    spec = data[FaqId.CAN_RECOVER.value]
    text = fill(spec["answer"], **values)
    figures = {"recovered_dips": len(recovered)}
    if recovered:
        last = recovered[-1]
        text += " " + fill(
            spec["answer_history"], count=len(recovered), month=month_words(last.start),
            person=last.person, weeks=last.weeks, **values,
        )
        figures.update(
            last_dip_person=last.person, last_dip_start=last.start.isoformat(), last_dip_weeks=last.weeks,
        )
        if last.end:
            figures["last_dip_end"] = last.end.isoformat()
    elif not from_answers:
        text += " " + fill(spec["answer_no_history"], **values)
    out.append(_answer(FaqId.CAN_RECOVER, spec, text, from_history=bool(recovered), figures=figures))

    spec = data[FaqId.HOW_LONG_SPACE.value]
    text = fill(spec["answer"], **values)
    figures = {"recovered_dips": len(recovered)}
    if recovered:
        weeks = [d.weeks for d in recovered]
        typical = median(weeks)
        typical_text = str(int(typical)) if float(typical).is_integer() else f"{typical:.1f}"
        key = "answer_history" if min(weeks) != max(weeks) else "answer_history_same"
        text += " " + fill(spec[key], shortest=min(weeks), longest=max(weeks), typical=typical_text, **values)
        figures.update(shortest_weeks=min(weeks), longest_weeks=max(weeks), typical_weeks=float(typical))
    if ongoing:
        text += " " + fill(spec["answer_ongoing"], ongoing_weeks=ongoing[-1].weeks, **values)
        figures["ongoing_weeks"] = ongoing[-1].weeks
    out.append(_answer(FaqId.HOW_LONG_SPACE, spec, text, from_history=bool(recovered), figures=figures))
    return tuple(out)


def _answer(
    faq: FaqId, spec: dict, text: str, *, from_history: bool = False,
    figures: dict[str, float | int | str] | None = None,
) -> FaqAnswer:
    return FaqAnswer(
        id=faq, question=str(spec["question"]), answer=text, from_history=from_history,
        figures=dict(figures or {}), citations=tuple(spec.get("citations", ())),
    )
