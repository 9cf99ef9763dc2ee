"""Choosing and ordering the possible reasons (always several, always hedged).

WHY: people who feel someone pulling away tend to lock onto one explanation. Showing all six
possibilities, ordered by what this chat hints at, with the messages behind each, keeps the
picture open and checkable.
"""

from __future__ import annotations

from collections.abc import Mapping

from ebbtide.insight.hints import Hints, reason_specs
from ebbtide.insight.wording import fill, load
from ebbtide.model import Reason, ReasonId

EVIDENCE_SHOWN = 5
# The user's own reflection counts as this many hints per point (0..3 scale, see explain()).
REFLECTION_WEIGHT = 2


def rank_reasons(
    hints: Mapping[ReasonId, Hints],
    *,
    me: str,
    partner: str,
    about_me: bool = False,
    reflection: Mapping[ReasonId, int] | None = None,
    from_answers: bool = False,
    stable: bool = False,
) -> tuple[Reason, ...]:
    """All six reasons, most-hinted first; ties keep the data file's order.

    ``reflection`` maps a reason to how well the user feels it fits (0 = not at all .. 3 = very
    much); a 0 moves that reason to the end but never hides it. ``from_answers``: the hints come
    from the self-check's answers, not from a chat (the hint lines say so). ``stable``: the chat shows no
    lasting change for either person, so a reason's ``text_stable`` (when it has one) is used: it speaks of
    the feeling of distance instead of explaining a change in the partner that the chat does not show.
    """
    specs = reason_specs()
    prefix = str(load("reasons").get("me_variant", {}).get("text_prefix", "")) if about_me else ""
    person = me if about_me else partner
    scored: list[tuple[tuple[int, int, int], Reason]] = []
    for position, (reason_id, spec) in enumerate(specs.items()):
        h = hints.get(reason_id, Hints())
        r = (reflection or {}).get(reason_id)
        rejected = r is not None and r <= 0
        score = h.count + (REFLECTION_WEIGHT * max(0, min(3, r)) if r is not None else 0)
        base = spec.get("text_stable", spec["text"]) if stable else spec["text"]
        text = " ".join([fill(prefix + str(base), me=me, partner=person),
                         *hint_lines(h, spec, me=me, partner=person, from_answers=from_answers)])
        reason = Reason(
            id=reason_id,
            title=str(spec["title"]),
            text=text.strip(),
            hints=h.count,
            evidence=h.evidence[:EVIDENCE_SHOWN],
            citations=tuple(spec.get("citations", ())),
        )
        scored.append(((1 if rejected else 0, -score, position), reason))
    scored.sort(key=lambda item: item[0])
    return tuple(reason for _, reason in scored)


def hint_lines(h: Hints, spec: Mapping, *, me: str, partner: str, from_answers: bool = False) -> list[str]:
    """What a reason's hint count is made of, each part said exactly (messages, signs, dips...).

    WHY: "1 message asks for space" must mean one message; a detected sign, an earlier dip or an
    answer in the self-check is named as what it is.
    """
    from ebbtide.insight.wording import sign_label

    lines = load("reasons")["hint_lines"]
    out: list[str] = []
    if h.messages > 0 and spec.get("hint_line"):
        out.append(fill(str(spec["hint_line"]), n=h.messages, me=me, partner=partner))
    if h.signs:
        names = ", ".join(sign_label(s).lower() for s in h.signs)
        out.append(fill(lines["signs_answers" if from_answers else "signs_chat"], signs=names))
    if h.dips:
        out.append(fill(lines["dips"], n=h.dips))
    if h.swings:
        out.append(fill(lines["swings"], n=h.swings))
    if h.journal:
        out.append(fill(lines["journal"], n=h.journal))
    return out
