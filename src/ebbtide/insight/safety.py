"""The one safety policy: which level applies, what is held back, and the crisis resources.

WHY one module: a chat that shows fear, control or self-harm changes what help is appropriate.
Couples counselling, "talk about it", "give space", reasons that explain the partner and
reassuring verdicts can put someone at risk (evidence.md section 4.2 rule 5, section 7.1). Every
face (terminal, HTML, JSON, web, self-check) renders an Insight that went through ``apply_policy``,
so none of them can show what the policy holds back. All wording is in data/safety.toml.

Levels: "first" (the user said so, or messages hold clear danger), "ask" (only ambiguous words: a
calm question on top, the usual report below), "none" (a short, permanent help line).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from ebbtide.insight.wording import fill, load
from ebbtide.model import Insight, PlanStep, StrategyId

FIRST, ASK, NONE = "first", "ask", "none"
SOURCES = ("answer", "selfcheck", "checkin", "notes", "messages")
KIND_ORDER = {"emergency": 0, "abuse": 1, "crisis": 2}
ALIASES = {"gb": "uk", "england": "uk", "scotland": "uk", "wales": "uk", "usa": "us", "other": "eu"}
REGIONS: tuple[str, ...] = ("us", "uk", "ie", "ca", "au", "es", "fr", "de", "pt", "br", "eu")


@dataclass(frozen=True, slots=True)
class CrisisResource:
    region: str
    region_name: str
    name: str
    contact: str
    for_what: str
    kind: str = "crisis"


def countries() -> tuple[tuple[str, str], ...]:
    """(code, name) of every country with resources, in the data file's order."""
    return tuple((c["code"], c["name"]) for c in load("safety")["countries"])


def country_code(country: str | None) -> str | None:
    """A known country code for ``country`` ("gb" -> "uk"), or None."""
    wanted = (country or "").strip().lower()
    wanted = ALIASES.get(wanted, wanted)
    return wanted if wanted in REGIONS else None


def crisis_resources(country: str | None = None, *, everywhere: bool = False) -> tuple[CrisisResource, ...]:
    """The crisis lines of ``country``, its emergency number first, then abuse lines, then crisis lines.

    Unknown or no country, or ``everywhere``: every country is listed (we never guess a location).
    """
    names = dict(countries())
    items = [
        CrisisResource(r["region"], names.get(r["region"], r["region"]), r["name"], r["contact"], r["for"],
                       r.get("kind", "crisis"))
        for r in load("safety")["resources"]
    ]
    code = country_code(country)
    if code and not everywhere:
        items = [r for r in items if r.region == code]
    order = {c: i for i, c in enumerate(REGIONS)}
    items.sort(key=lambda r: (0 if r.region == code else 1, order.get(r.region, 99), KIND_ORDER.get(r.kind, 9)))
    return tuple(items)


def help_line(country: str | None = None) -> str:
    """Level "none": the short, permanent line about where to get help."""
    data = load("safety")["none"]
    lines = [r for r in crisis_resources(country) if r.kind == "abuse"][:1] if country_code(country) else []
    text = "; ".join(f"{r.name}, {r.contact}" for r in lines) or data["help_line_all"]
    return fill(data["help_line"], lines=text)


def exit_url() -> str:
    """The neutral page "Leave quickly" goes to (never loaded unless the user asks)."""
    return str(load("safety")["exit"]["url"])


def device_note() -> str:
    return str(load("safety")["device"]["note"])


def safety_message(*, from_messages: bool = True, source: str | None = None) -> str:
    """The message that leads the report, naming its real source ("you said", "these messages"...)."""
    data = load("safety")
    key = source if source in SOURCES else ("messages" if from_messages else "answer")
    return f"{data['source'][key]} {data['first']['lead']}"


def ask_question(what: Sequence[str] = ()) -> str:
    """Level "ask": the calm question, naming what the messages talk about."""
    data = load("safety")["ask"]
    words = [w for w in dict.fromkeys(what) if w]
    if not words:
        about = data["what_default"]
    elif len(words) == 1:
        about = words[0]
    else:
        about = ", ".join(words[:-1]) + " or " + words[-1]
    return f"{fill(data['question'], what=about)} {data['after']}"


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


def is_no_answer(answer: bool | str | None) -> bool:
    """True when the user answered that they do not feel afraid or controlled."""
    if isinstance(answer, bool):
        return not answer
    return answer is not None and answer.strip().lower() in {"no", "n", "false", "0", "never"}


def level(*, answer: bool | str | None, clear: bool, ambiguous: bool) -> str:
    """The level: a yes or clear danger -> first; ambiguous words and no "no" yet -> ask; else none."""
    if is_safety_answer(answer) or clear:
        return FIRST
    if ambiguous and not is_no_answer(answer):
        return ASK
    return NONE


def _first_plan() -> tuple[PlanStep, ...]:
    data = load("safety")["first"]
    steps = []
    for strategy, key in ((StrategyId.PROFESSIONAL_GUIDANCE, "support"), (StrategyId.SELF_CARE, "self_care")):
        spec = data[key]
        steps.append(PlanStep(id=strategy, title=spec["title"], why=spec["why"], actions=tuple(spec["actions"]),
                              citations=tuple(spec.get("citations", ()))))
    return tuple(steps)


def apply_policy(insight: Insight, *, level_: str, source: str = "messages", question: str = "") -> Insight:
    """The Insight every face renders. Level "first": no reasons about the partner, no FAQ, a plan of
    specialist support and self-care only, a verdict that does not reassure; the facts of the chat
    stay in the Assessment for whoever wants to see them. Idempotent."""
    if level_ == FIRST:
        data = load("safety")["first"]
        return replace(
            insight, reasons=(), faq=(), plan=_first_plan(), headline=data["headline"], safety_first=True,
            safety_level=FIRST, safety_message=safety_message(source=source), held_back=data["held_back"],
            safety_question="",
        )
    if level_ == ASK:
        return replace(insight, safety_first=False, safety_level=ASK, safety_message="",
                       safety_question=question or ask_question(), held_back="")
    return replace(insight, safety_first=False, safety_level=NONE, safety_message="", safety_question="",
                   held_back="")


__all__ = [
    "ASK", "FIRST", "NONE", "REGIONS", "CrisisResource", "apply_policy", "ask_question", "countries", "country_code",
    "crisis_resources", "device_note", "exit_url", "help_line", "is_no_answer", "is_safety_answer", "level", "resources_text",
    "safety_message",
]
