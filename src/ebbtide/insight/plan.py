"""Building the plan: the five strategies, ordered and fitted to what the chat shows.

WHY: the same five strategies help most people, but their order and wording should follow the
situation: a request for space moves "space while staying connected" up; a pursue-withdraw loop
puts easing the chase first and shows the user their own side kindly; when the user is the one
pulling back, the plan speaks to the user; warning signs bring professional help forward; a safety
concern holds back advice that could be unsafe. Wording and base orders live in plan.toml.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from ebbtide.insight.wording import fill, load
from ebbtide.model import Evidence, Pattern, PlanStep, SignId, StrategyId

MAX_STARTERS = 3
HELD_BACK_WHEN_UNSAFE: frozenset[StrategyId] = frozenset(
    {StrategyId.OPEN_COMMUNICATION, StrategyId.SPACE_BUT_CONNECTED}
)

# Verdicts under which the plan must not presume a change (plan.toml's stable/insufficient_data variants).
NOTHING_CHANGED: frozenset[Pattern] = frozenset({Pattern.STABLE, Pattern.INSUFFICIENT_DATA})
# Verdicts whose patience step keeps its own wording rather than the history sentence ("this one").
OWN_PATIENCE: frozenset[Pattern] = NOTHING_CHANGED | {Pattern.TOO_EARLY}


@dataclass(frozen=True, slots=True)
class PlanContext:
    """What the plan depends on, gathered by explain()."""

    me: str
    partner: str
    pattern: Pattern
    signs: Sequence[SignId] = ()  # detected signs of the person pulling back, strongest first
    findings: Collection[str] = ()  # e.g. {"space_request", "stress", "conflict"}
    triggers: Sequence[str] = ()  # professional-help triggers that fired (keys of plan.toml)
    history: str = ""  # e.g. "in March 2025, Sam's messages dipped for 5 weeks and came back to usual"
    safety: bool = False
    weeks: int | None = None
    from_answers: bool = False  # the self-check: speak of the answers, never of a chat
    demoted: Sequence[StrategyId] = ()  # moved to the end (the user said the reason behind them does not fit)
    trigger_evidence: Sequence[Evidence] = ()  # the messages behind the triggers that fired


def strategy_order(ctx: PlanContext) -> list[StrategyId]:
    """The five strategies in the order to show them (before safety holds some back)."""
    orders = load("plan")["order"]
    order = [StrategyId(s) for s in orders.get(ctx.pattern.value, orders["partner_pulling_away"])]
    space = "space_request" in ctx.findings or "space_fits" in ctx.findings
    if space and ctx.pattern is not Pattern.ME_PULLING_AWAY:
        order.remove(StrategyId.SPACE_BUT_CONNECTED)
        order.insert(0, StrategyId.SPACE_BUT_CONNECTED)
    for strategy in ctx.demoted:
        order.remove(strategy)
        order.append(strategy)
    if ctx.safety:
        order.remove(StrategyId.PROFESSIONAL_GUIDANCE)
        order.insert(0, StrategyId.PROFESSIONAL_GUIDANCE)
    elif ctx.triggers and order.index(StrategyId.PROFESSIONAL_GUIDANCE) > 1:
        order.remove(StrategyId.PROFESSIONAL_GUIDANCE)
        order.insert(1, StrategyId.PROFESSIONAL_GUIDANCE)
    return order


def choose_starters(ctx: PlanContext) -> tuple[str, ...]:
    """Two or three first-person conversation starters fitted to the findings."""
    bank: dict[str, str] = load("plan")["open_communication"]["starters"]
    keys: list[str] = []
    if ctx.pattern is Pattern.ME_PULLING_AWAY:
        keys += ["me_pulling_away", "me_pulling_away_second"]
    if ctx.pattern is Pattern.PURSUE_WITHDRAW:
        keys.append("pursue_withdraw")
    keys += [f for f in ("space_request", "space_fits", "stress", "stress_fits", "conflict", "conflict_fits")
             if f in ctx.findings]
    keys += [s.value for s in ctx.signs]
    # General starters last: they claim nothing about what the chat shows ("talking less" only
    # comes from a detected sign above).
    keys += ["general", "general_plans", "general_checkin"]
    chosen: list[str] = []
    for key in keys:
        text = bank.get(key)
        if text and text not in chosen:
            chosen.append(fill(text, me=ctx.me, partner=ctx.partner))
        if len(chosen) == MAX_STARTERS:
            break
    return tuple(chosen)


def _step(strategy: StrategyId, ctx: PlanContext) -> PlanStep:
    data = load("plan")
    spec: dict = dict(data[strategy.value])
    # Variants: a specific finding first, then the verdict (later ones win: the verdict's wording,
    # e.g. showing the user their own side in a pursue-withdraw loop, must not be overwritten).
    variants = [f for f in ("space_fits", "space_request") if f in ctx.findings] + [ctx.pattern.value]
    if ctx.from_answers:  # the self-check: wording about the answers, never about a chat
        variants += ["answers", f"{ctx.pattern.value}_answers"]
    for variant in variants:
        override = spec.get(variant)
        if isinstance(override, dict):
            spec = {**spec, **{k: v for k, v in override.items() if not isinstance(v, dict)}}
    values = {"me": ctx.me, "partner": ctx.partner, "weeks": ctx.weeks or "", "history": ctx.history}
    why = fill(str(spec["why"]), **values)
    starters: tuple[str, ...] = ()
    rhythm = ""
    triggers: tuple[str, ...] = ()
    if strategy is StrategyId.OPEN_COMMUNICATION:
        starters = choose_starters(ctx)
    elif strategy is StrategyId.SPACE_BUT_CONNECTED:
        rhythm = fill(str(spec.get("rhythm", "")), **values)
    elif strategy is StrategyId.PROFESSIONAL_GUIDANCE:
        texts: dict[str, str] = spec["triggers"]
        fired = [t for t in ctx.triggers if t in texts]
        triggers = tuple(texts[t] for t in fired) + tuple(t for k, t in texts.items() if k not in fired)
        if fired:
            why = fill(str(spec["why_triggered"]), fired="; ".join(texts[t] for t in fired), **values)
    elif strategy is StrategyId.PATIENCE and ctx.history and ctx.pattern not in OWN_PATIENCE:
        why = fill(str(spec["from_history"]["why"]), **values)
    return PlanStep(
        id=strategy,
        title=fill(str(spec["title"]), **values),
        why=why,
        actions=tuple(fill(a, **values) for a in spec.get("actions", ())),
        starters=starters,
        rhythm=rhythm,
        triggers=triggers,
        evidence=tuple(ctx.trigger_evidence) if strategy is StrategyId.PROFESSIONAL_GUIDANCE else (),
        citations=tuple(spec.get("citations", ())),
    )


def build_plan(ctx: PlanContext) -> tuple[PlanStep, ...]:
    """The ordered plan; with a safety concern, talking and space advice are held back."""
    steps = [_step(s, ctx) for s in strategy_order(ctx)]
    if ctx.safety:
        steps = [s for s in steps if s.id not in HELD_BACK_WHEN_UNSAFE]
    return tuple(steps)
