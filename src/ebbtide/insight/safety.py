"""Crisis resources and the safety-first switch.

WHY: a chat that mentions fear, control or self-harm changes what help is appropriate. Advice such
as "start a conversation" or "give space" can be unsafe with a controlling partner, so it steps
aside and trained people come first (evidence.md section 4.2, rule 5). All text is offline data.
"""

from __future__ import annotations

from dataclasses import dataclass

from ebbtide.insight.wording import load

REGIONS: tuple[str, ...] = ("us", "uk", "eu")


@dataclass(frozen=True, slots=True)
class CrisisResource:
    region: str
    region_name: str
    name: str
    contact: str
    for_what: str


def crisis_resources(country: str | None = None) -> tuple[CrisisResource, ...]:
    """The crisis lines for ``country`` ("us", "uk", "eu"; also "gb", "ie"), the user's region first.

    Unknown or no country: every region is listed (we never guess a location over the network).
    """
    wanted = {"gb": "uk", "ie": "uk"}.get((country or "").lower(), (country or "").lower())
    items = [
        CrisisResource(r["region"], r["region_name"], r["name"], r["contact"], r["for"])
        for r in load("safety")["resources"]
    ]
    if wanted in REGIONS:
        items.sort(key=lambda r: 0 if r.region == wanted else 1)
    return tuple(items)


def safety_message(*, from_messages: bool = True) -> str:
    """The message that leads the report: about the messages seen, or about the user's own answer."""
    data = load("safety")
    lead = data["message"] if from_messages else data["message_answer"]
    return f"{lead} {data['held_back']}"


def resources_text(country: str | None = None) -> str:
    """Crisis lines as plain lines of text (for terminals and plain reports)."""
    return "\n".join(f"{r.region_name}: {r.name}, {r.contact} ({r.for_what})" for r in crisis_resources(country))


def is_safety_answer(answer: bool | str | None) -> bool:
    """True when the user said they feel afraid or controlled (True, or "yes"/"y"/"sometimes")."""
    if isinstance(answer, bool):
        return answer
    if answer is None:
        return False
    return answer.strip().lower() in {"yes", "y", "sometimes", "true", "1"}
