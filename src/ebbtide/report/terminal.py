"""The terminal report (Rich): the verdict and what to do first, then the detail.

WHY this order: someone who feels their partner pulling away needs, first, a calm sentence and
something they can do; the measurements, the evidence and the caveats follow for those who want
to check. With a safety concern, crisis resources lead and some advice is held back.
"""

from __future__ import annotations

from rich.console import Console, Group
from rich.markup import escape
from rich.padding import Padding
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from ebbtide.insight import crisis_resources, load, pattern_label, sign_label, status_label, strength_label
from ebbtide.insight.safety import ASK, CrisisResource, help_line
from ebbtide.insight.wording import counted, fill
from ebbtide.model import Assessment, Insight, Pattern, SignStatus
from ebbtide.report.formatting import change_text, context_line, day, evidence_line, since_text, when, words
from ebbtide.report.json_report import complete_signs

EVIDENCE_PER_SIGN = 3
EVIDENCE_PER_REASON = 2


def render_terminal(
    assessment: Assessment,
    insight: Insight,
    console: Console,
    *,
    simulated: bool = False,
    country: str | None = None,
) -> None:
    """Print the whole report on ``console``."""
    a = assessment
    if simulated:
        console.print(Panel(Text(load("patterns")["simulated"]["banner"]), style="yellow", title="Demo"), soft_wrap=False)
    if insight.safety_first:
        _safety(console, insight, crisis_resources(country))
    elif insight.safety_level == ASK:
        _ask(console, a, insight)
    console.print(
        Panel(
            Text(insight.headline),
            title=f"[bold]{escape(pattern_label(a.pattern.value, me=a.me, partner=a.partner))}[/]",
            subtitle=words("verdict"),
            border_style="cyan",
        ),
        soft_wrap=False,
    )
    _plan(console, insight)
    if insight.held_back:
        console.print(Text(insight.held_back, style="italic"))
    _signs(console, a)
    if insight.reasons or not insight.held_back:
        _reasons(console, insight, stable=a.pattern is Pattern.STABLE)
    if insight.faq or not insight.held_back:
        _faq(console, insight)
    _history(console, a)
    _repair(console, insight)
    _coverage(console, a, insight)
    if not insight.safety_first:
        console.print()
        console.print(Text(help_line(country), style="dim"))


def _heading(console: Console, key: str) -> None:
    console.print()
    console.rule(f"[bold]{escape(words(key))}[/]", align="left", style="cyan")


def _safety(console: Console, insight: Insight, resources: tuple[CrisisResource, ...]) -> None:
    table = Table(show_header=False, box=None, padding=(0, 1))
    for r in resources:
        table.add_row(f"[bold]{escape(r.name)}[/]", escape(r.contact), f"[dim]{escape(r.region_name)}: {escape(r.for_what)}[/]")
    console.print(Panel(Group(Text(insight.safety_message), Text(), table), title=words("safety"), border_style="red"),
                  soft_wrap=False)  # WHY: a soft-wrapping console would crop the panel's lines


def _ask(console: Console, a: Assessment, insight: Insight) -> None:
    """Level "ask": the calm question, the messages it rests on, how to answer."""
    lines = [Text(insight.safety_question), Text()]
    lines += [Text(evidence_line(e), style="dim") for e in a.safety_ambiguous]
    lines += [Text(), Text(load("safety")["ask"]["how_terminal"], style="italic")]
    console.print(Panel(Group(*lines), title=words("safety_ask"), border_style="yellow"), soft_wrap=False)


def _plan(console: Console, insight: Insight) -> None:
    _heading(console, "plan")
    for n, step in enumerate(insight.plan, 1):
        console.print(f"[bold]{n}. {escape(step.title)}[/]")
        console.print(Padding(Text(step.why), (0, 0, 0, 3)))
        _bullets(console, step.actions, indent=3)
        if step.starters:
            console.print(Padding(Text(f"{words('starters')}:", style="italic"), (0, 0, 0, 3)))
            for s in step.starters:
                console.print(Padding(Text(f"“{s}”", style="green"), (0, 0, 0, 5)))
        if step.rhythm:
            console.print(Padding(Text.assemble((f"{words('rhythm')}: ", "italic"), step.rhythm), (0, 0, 0, 3)))
        if step.triggers:
            console.print(Padding(Text.assemble((f"{words('triggers')}: ", "italic"), "; ".join(step.triggers)),
                                  (0, 0, 0, 3)))
        for e in step.evidence:
            console.print(Padding(Text(evidence_line(e), style="dim"), (0, 0, 0, 5)))


def _bullets(console: Console, items: tuple[str, ...] | list[str], *, indent: int, style: str = "") -> None:
    """Bulleted lines whose wrapped continuation lines stay aligned with the text."""
    if not items:
        return
    grid = Table.grid(padding=(0, 1))
    grid.add_column(width=1)
    grid.add_column()
    for item in items:
        grid.add_row("•", Text(item, style=style))
    console.print(Padding(grid, (0, 0, 0, indent)))


def _signs(console: Console, a: Assessment) -> None:
    _heading(console, "signs")
    console.print(f"[dim]{escape(words('signs_intro'))}[/]")
    if a.baseline and a.recent:
        console.print(
            f"[dim]{escape(words('baseline_period', start=a.baseline[0], end=a.baseline[1], rstart=a.recent[0], rend=a.recent[1]))}[/]"
        )
    signs = complete_signs(a)
    for person in (a.partner, a.me):
        console.print()
        note = words("own_side", me=a.me) if person == a.me else words("partner_side", partner=a.partner)
        console.print(f"[bold]{escape(note)}[/]")
        table = Table(show_lines=False, expand=True)
        table.add_column("Sign", ratio=2)
        table.add_column("Seen?", ratio=1)
        table.add_column("Since", ratio=1)
        table.add_column("Usual → recent", ratio=4)
        for s in (s for s in signs if s.person == person):
            status = status_label(s.status.value)
            if s.status is SignStatus.DETECTED and s.strength in ("slight", "clear", "strong"):
                status = f"{status} ({strength_label(s.strength)})"
            style = "bold yellow" if s.status is SignStatus.DETECTED else "dim" if s.status is not SignStatus.NOT_DETECTED else ""
            metrics = "\n".join(f"{m.label}: {change_text(m)}" for m in s.metrics) or s.note
            table.add_row(escape(sign_label(s.sign.value)), f"[{style}]{escape(status)}[/]" if style else escape(status),
                          since_text(s) if s.since else "", escape(metrics))
        console.print(table)
        for s in (s for s in signs if s.person == person and s.evidence):
            console.print(f"  [italic]{escape(words('evidence'))} ({escape(sign_label(s.sign.value).lower())}):[/]")
            for e in s.evidence[:EVIDENCE_PER_SIGN]:
                if e.context_before:
                    console.print(Padding(Text(context_line(e), style="dim"), (0, 0, 0, 4)))
                console.print(Padding(Text(evidence_line(e)), (0, 0, 0, 4)))


def _reasons(console: Console, insight: Insight, *, from_answers: bool = False, stable: bool = False) -> None:
    """The possible reasons; ``stable``: the chat (or the answers) show no change, so they are framed
    as what can lie behind a feeling of distance, not behind a measured change."""
    _heading(console, "reasons")
    suffix = "_answers" if from_answers else ""
    if not insight.reasons:
        console.print(Text(words("no_reasons" + suffix)))
        return
    console.print(Text(words("reasons_intro" + ("_stable" if stable else "") + suffix), style="dim"))
    for r in insight.reasons:
        console.print(f"[bold]• {escape(r.title)}[/]")
        console.print(Padding(Text(r.text), (0, 0, 0, 2)))
        for e in r.evidence[:EVIDENCE_PER_REASON]:
            console.print(Padding(Text(evidence_line(e), style="dim"), (0, 0, 0, 4)))
        if r.citations:
            console.print(Padding(Text(f"{words('citations')}: {'; '.join(r.citations)}", style="dim"), (0, 0, 0, 4)))


def _faq(console: Console, insight: Insight) -> None:
    if not insight.faq:
        return
    _heading(console, "faq")
    for f in insight.faq:
        console.print(f"[bold]{escape(f.question)}[/]")
        console.print(Padding(Text(f.answer), (0, 0, 0, 2)))
        if f.citations:
            console.print(Padding(Text(f"{words('citations')}: {'; '.join(f.citations)}", style="dim"), (0, 0, 0, 2)))


def _history(console: Console, a: Assessment) -> None:
    _heading(console, "history")
    dips = sorted(a.dips, key=lambda d: d.start)
    if not dips:
        console.print(escape(words("no_dips")))
        return
    wording = load("patterns")["dip"]
    lines = [
        fill(wording["ongoing" if d.end is None else "recovered" if d.recovered else "not_recovered"],
             person=d.person, start=d.start, end=d.end or d.start, weeks=d.weeks)
        for d in dips
    ]
    _bullets(console, lines, indent=0)


def _repair(console: Console, insight: Insight) -> None:
    """Past ruptures and repairs (insight/repair.py), each with the messages behind it."""
    if not insight.repair:
        return
    repair = load("repair")
    console.print()
    console.print(f"[bold]{escape(repair['heading'])}[/]")
    console.print(Text(repair["intro"], style="dim"))
    for line in insight.repair:
        _bullets(console, [line.text], indent=0)
        for e in line.evidence:
            console.print(Padding(Text(evidence_line(e), style="dim"), (0, 0, 0, 4)))


def _coverage(console: Console, a: Assessment, insight: Insight) -> None:
    _heading(console, "coverage")
    c = a.coverage
    people = ", ".join(f"{name}: {n:,}" for name, n in c.by_person.items())
    console.print(
        f"{counted(c.messages, 'message')} from {day(c.first)} to {day(c.last)} ({counted(c.weeks, 'week')}). "
        f"{escape(people)}",
        highlight=False,
    )
    _heading(console, "limits")
    _bullets(console, list(insight.limits), indent=0)


__all__ = ["render_terminal", "when"]


def reflection_note(console: Console, insight: Insight) -> None:
    """What the user's own view of the reasons changed in the plan (empty: nothing printed)."""
    if insight.reflection_note:
        console.print(Panel(Group(*(Text(line) for line in insight.reflection_note)), title=words("reflection"),
                            border_style="green"))
