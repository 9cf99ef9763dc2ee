"""The consistency checker: a report must never say what isn't so (issue 14).

A test helper, not part of the package. ``render_faces`` renders one analysis on every face (the
JSON report, the terminal report, the HTML report with its chart captions); ``check`` reads the
sentences back and compares them with the values of the same report:

- wording: no unfilled placeholders, no "(s)", counts agree with their nouns ("1 message",
  "2 weeks", "+1 point"), no "0.00", each limit a sentence and said once;
- direction, size, count, date: sentences about sameness, writing more or less, weeks, dates,
  earlier dips, hint counts and the FAQ's figures agree with the metrics, signs and dips;
- evidence: every item satisfies its label (a noncommittal answer is not a plain yes, under the
  evasive sign, written by that person; a silence is measured against the export's end; a reply
  time says whose message it answers), and only detected signs carry evidence;
- faces: the figures, the headline, the reasons, the plan and the answers appear the same in the
  terminal, the HTML and the JSON; the chart captions use the signs' own figures;
- nothing about a chat without a chat (the self-check); no reasons and no answers from history
  when the data is insufficient; a conversation starter that names a change only when that change
  was seen (or answered, in the self-check).

``check`` returns a list of problems (empty: consistent), each naming the rule and the text.
"""

from __future__ import annotations

import html as html_lib
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import polars as pl
from rich.console import Console

from ebbtide.insight.explain import one_list_of_limits
from ebbtide.model import Assessment, Insight, Pattern, SignId, SignStatus
from ebbtide.report.formatting import change_text, value_text
from ebbtide.report.html import CHART_METRIC_IDS, charts, render_html
from ebbtide.report.json_report import report_dict
from ebbtide.report.terminal import render_terminal
from ebbtide.signals.evidence import clear_yes, silence_allowance

WIDE = 400  # terminal width for reading the report back: table cells hold a whole metric line
_BOX = re.compile(r"[│┃╭╮╰╯─━┏┓┗┛┡┩└┘┌┐├┤┼╇╈┳┻╋]")


@dataclass
class Faces:
    """One analysis on every face, plus what the checker needs to judge it."""

    assessment: Assessment
    insight: Insight
    data: dict[str, Any]
    terminal: str
    html: str
    chart_alts: dict[str, str]
    messages: pl.DataFrame | None = None
    from_answers: bool = False
    problems: list[str] = field(default_factory=list)


def _plain_html(page: str) -> str:
    page = re.sub(r"<script.*?</script>", " ", page, flags=re.DOTALL)
    page = re.sub(r"<style.*?</style>", " ", page, flags=re.DOTALL)
    return _squash(html_lib.unescape(re.sub(r"<[^>]+>", " ", page)))


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def render_faces(assessment: Assessment, insight: Insight, *, messages: pl.DataFrame | None = None,
                 from_answers: bool = False) -> Faces:
    buf = io.StringIO()
    render_terminal(assessment, insight, Console(file=buf, width=WIDE, color_system=None, soft_wrap=False))
    page = render_html(assessment, insight, include_charts=False)
    alts = {c["id"]: c["alt"] for c in charts(assessment)}
    # Wrapped lines inside panels and padding join back once the borders are gone.
    return Faces(assessment, insight, report_dict(assessment, insight), _squash(_BOX.sub(" ", buf.getvalue())),
                 _plain_html(page), alts, messages, from_answers)


def sentences(faces: Faces) -> Iterator[tuple[str, str]]:
    """(where, text) for every sentence-bearing string of the insight and the JSON report."""
    i, d = faces.insight, faces.data
    yield "headline", i.headline
    yield "pattern_explanation", d["pattern_explanation"]
    for r in i.reasons:
        yield f"reason {r.id.value}", r.text
    for p in i.plan:
        for t in (p.title, p.why, p.rhythm, *p.actions, *p.starters):
            yield f"plan {p.id.value}", t
        for t in p.triggers:  # conditions ("when to find a professional"), not facts about this chat
            yield f"plan trigger {p.id.value}", t
    for f in i.faq:
        yield f"faq {f.id.value}", f.answer
    for t in i.limits:
        yield "limits", t
    for t in i.reflection_note:
        yield "reflection_note", t
    for s in faces.assessment.signs:
        if s.note:
            yield f"sign note {s.sign.value} ({s.person})", s.note
        for e in s.evidence:
            yield f"evidence {s.sign.value} ({s.person})", e.why
    for c in faces.chart_alts.values():
        yield "chart caption", c


# --------------------------------------------------------------------------- wording
_PLURAL_NOUNS = ("messages|weeks|days|points|times|hints|conversations|notes|stretches|switches|hours|minutes|"
                 "people|entries|words")
_SINGULAR_NOUNS = "message|week|day|point|time|hint|conversation|note|stretch|switch|hour|minute|person|entry"
_ONE_PLURAL = re.compile(rf"(?<![\d.,])[+−-]?1 (?:(?:earlier|new|quieter|more|other|journal) )*(?:{_PLURAL_NOUNS})\b")
_MANY_SINGULAR = re.compile(
    rf"(?<![\d.,])[+−-]?(?:0|[2-9]|\d\d+)(?:,\d{{3}})* (?:(?:earlier|new|quieter|more) )*(?:{_SINGULAR_NOUNS})\b(?![-'’])"
)


def check_wording(faces: Faces) -> list[str]:
    out = []
    texts = list(sentences(faces)) + [("terminal", faces.terminal), ("html", faces.html)]
    for where, text in texts:
        if "(s)" in text or "(es)" in text:
            out.append(f"wording: unresolved plural in {where}: {text[:160]}")
        if re.search(r"\{[a-z_]+\}", text):
            out.append(f"wording: unfilled placeholder in {where}: {text[:160]}")
        for m in _ONE_PLURAL.finditer(text):
            out.append(f"wording: '{m.group(0)}' in {where}")
        for m in _MANY_SINGULAR.finditer(text):
            out.append(f"wording: '{m.group(0)}' in {where}")
        if re.search(r"(?<![\d.])[+−-]?0\.00\b", text):
            out.append(f"wording: '0.00' in {where}: {text[:160]}")
    limits = faces.insight.limits
    for t in limits:
        if t[:1].islower() or t[-1] not in ".!?)":
            out.append(f"wording: a limit that is not a sentence: {t}")
    general = [t for t in limits if "): " not in t]  # per-sign lines name their sign and may share words
    if one_list_of_limits(general) != tuple(general):
        out.append(f"limits: near-duplicate lines: {general}")
    return out


# --------------------------------------------------------------------------- claims against values
def _metric(a: Assessment, person: str, metric_id: str) -> Any:
    for s in a.signs:
        if s.person == person:
            for m in s.metrics:
                if m.id == metric_id:
                    return m
    return None


def _detected(a: Assessment, person: str) -> list[SignId]:
    return [s.sign for s in a.signs if s.person == person and s.status is SignStatus.DETECTED]


def check_claims(faces: Faces) -> list[str]:
    a, i, d = faces.assessment, faces.insight, faces.data
    out: list[str] = []
    every = list(sentences(faces))
    # Sameness: "X's messages stayed about the same" / "looks much as before" must match the figures.
    for where, text in every:
        for who in (a.me, a.partner):
            if re.search(rf"{re.escape(who)}'s( messages)? (stayed about the same|looks much as before)", text):
                m = _metric(a, who, "messages_per_week")
                if m is None or m.change is None or abs(m.change) >= 0.15:
                    out.append(f"direction: {where} says {who}'s messages stayed the same, but they moved "
                               f"{m and m.change}: {text[:160]}")
        if re.search(r"\byou have been writing more\b", text) and not faces.from_answers:
            m = _metric(a, a.me, "messages_per_week")
            if m is None or m.change is None or m.change <= 0:
                out.append(f"direction: {where} says you have been writing more, messages changed "
                           f"{m and m.change}")
    # The headline's weeks and start date are the detected change's.
    detected_since = [s.since for s in a.signs if s.status is SignStatus.DETECTED and s.since]
    wk = re.search(r"\(about (\d+) weeks?\)", i.headline)
    if wk and not faces.from_answers:
        end = a.recent[1] if a.recent else a.coverage.last
        since = min(detected_since) if detected_since else (a.recent[0] if a.recent else None)
        if since is None or end is None or int(wk.group(1)) != max(1, round((end - since).days / 7)):
            out.append(f"size: headline says about {wk.group(1)} weeks; since {since}, end {end}")
    # Someone said to write less must show a sign of it.
    if a.pattern in (Pattern.PARTNER_PULLING_AWAY, Pattern.PURSUE_WITHDRAW, Pattern.MUTUAL_DRIFT):
        if not _detected(a, a.partner):
            out.append(f"direction: verdict {a.pattern.value} without a detected sign for {a.partner}")
    if a.pattern in (Pattern.ME_PULLING_AWAY, Pattern.MUTUAL_DRIFT) and not _detected(a, a.me):
        out.append(f"direction: verdict {a.pattern.value} without a detected sign for {a.me}")
    # Pursue-withdraw is named when the user's own share of conversation starts clearly rose.
    share = _metric(a, a.me, "initiation_share")
    if (a.pattern is Pattern.PARTNER_PULLING_AWAY and share is not None and share.ci_low is not None
            and share.ci_low > 0 and share.recent is not None and share.baseline is not None
            and share.recent - share.baseline >= 0.10 and "pursue" not in i.headline):
        out.append(f"count: {a.me} started {share.baseline:.0%} -> {share.recent:.0%} of conversations, "
                   "and pursue-withdraw is not mentioned")
    m = re.search(r"starting more of your conversations than before \((\d+)% → (\d+)%", i.headline)
    if m and (share is None or f"{share.baseline * 100:.0f}" != m.group(1) or f"{share.recent * 100:.0f}" != m.group(2)):
        out.append(f"size: headline's share of starts {m.group(0)} does not match {share}")
    counted_calls = any("calls in this export count" in t.lower() for t in i.limits)
    for t in i.limits:
        if counted_calls and re.search(r"cannot see[^.;]*\bcalls\b", t):
            out.append(f"claims: calls were counted, and a limit says they cannot be seen: {t}")
    for where, text in every:  # "8 weeks of chat; at least 8 are needed" contradicts itself
        m = re.search(r"(\d+) weeks? of (?:chat|messages); at least (\d+) are needed", text)
        if m and int(m.group(1)) >= int(m.group(2)):
            out.append(f"size: {where} says {m.group(0)}")
    out += _check_history(faces)
    out += _check_hint_counts(faces)
    out += _check_dates(faces)
    # Coverage adds up.
    cov = d["coverage"]
    if cov["by_person"] and sum(cov["by_person"].values()) != cov["messages"] and not faces.from_answers:
        if set(cov["by_person"]) <= {a.me, a.partner}:
            out.append(f"count: coverage by person {cov['by_person']} does not add up to {cov['messages']}")
    return out


def _check_history(faces: Faces) -> list[str]:
    a, i = faces.assessment, faces.insight
    out = []
    recovered = [x for x in a.dips if x.recovered]
    text = " ".join(t for _, t in sentences(faces))
    if not recovered:
        for phrase in ("been through quieter stretches before", "that came back to usual", "earlier quieter stretches lasted",
                       "earlier quieter stretch came back", "earlier quieter stretches came back"):
            if phrase in text:
                out.append(f"count: '{phrase}' with no recovered dip in the history")
        if any(f.from_history for f in i.faq):
            out.append("count: an FAQ answer claims to use the history, which has no recovered dip")
    for m in re.finditer(r"(\d+) earlier quieter stretch(?:es)? (?:that )?came back to usual", text):
        if int(m.group(1)) != len(recovered):
            out.append(f"count: '{m.group(0)}' but the history has {len(recovered)} recovered dip(s)")
    for f in i.faq:
        fig = f.figures
        if "recovered_dips" in fig and fig["recovered_dips"] != len(recovered):
            out.append(f"count: FAQ {f.id.value} figures {fig['recovered_dips']} dips, history {len(recovered)}")
        if "signs_seen" in fig:
            withdrawer = a.me if a.pattern is Pattern.ME_PULLING_AWAY else a.partner
            if fig["signs_seen"] != len(_detected(a, withdrawer)):
                out.append(f"count: FAQ signs_seen {fig['signs_seen']} vs detected {_detected(a, withdrawer)}")
        if "last_dip_start" in fig and not any(x.start.isoformat() == fig["last_dip_start"] and
                                               x.weeks == fig.get("last_dip_weeks") for x in recovered):
            out.append(f"date: FAQ cites a dip from {fig['last_dip_start']} that the history does not hold")
        if "shortest_weeks" in fig and recovered and (fig["shortest_weeks"] != min(x.weeks for x in recovered)
                                                       or fig["longest_weeks"] != max(x.weeks for x in recovered)):
            out.append("size: FAQ dip lengths disagree with the history")
    if not a.dips and "No earlier quieter stretches" not in faces.terminal and not faces.from_answers:
        out.append("count: no dips, and the history section does not say so")
    if a.dips and "No earlier quieter stretches" in faces.terminal:
        out.append("count: dips in the history, and the report says there are none")
    return out


_HINT_COUNT = re.compile(r"(\d+) messages? (?:about|asking|pointing|mentioning|from an earlier)")


def _check_hint_counts(faces: Faces) -> list[str]:
    out = []
    for r in faces.insight.reasons:
        m = _HINT_COUNT.search(r.text)
        own = [e for e in r.evidence if e.sender != "journal"]
        if m is None:
            if own and not faces.from_answers:
                out.append(f"count: reason {r.id.value} shows {len(own)} messages but no message count")
            continue
        n = int(m.group(1))
        if n < len(own) or n == 0:
            out.append(f"count: reason {r.id.value} says {n} messages, shows {len(own)}")
        if faces.from_answers:
            out.append(f"chat: reason {r.id.value} counts messages in a self-check: {r.text}")
    return out


def _check_dates(faces: Faces) -> list[str]:
    a = faces.assessment
    out = []
    first, last = a.coverage.first, a.coverage.last
    if first is None or last is None:
        return out
    for s in a.signs:
        if s.since and not first <= s.since <= last:
            out.append(f"date: {s.sign.value} ({s.person}) since {s.since} outside {first}..{last}")
        for e in s.evidence:
            if e.timestamp and not first <= e.timestamp.date() <= last:
                out.append(f"date: evidence at {e.timestamp} outside {first}..{last}")
    for dip in a.dips:
        if not first - timedelta(days=6) <= dip.start <= last:
            out.append(f"date: dip from {dip.start} outside {first}..{last}")
    return out


# --------------------------------------------------------------------------- evidence against labels
def _next_from(messages: pl.DataFrame, person: str, after: datetime) -> datetime | None:
    later = messages.filter((pl.col("sender") == person) & (pl.col("timestamp") > after))
    return later.get_column("timestamp").min() if later.height else None  # type: ignore[return-value]


def check_evidence(faces: Faces) -> list[str]:
    a = faces.assessment
    out = []
    msgs = faces.messages
    end = msgs.get_column("timestamp").max() if msgs is not None and msgs.height else None
    for s in a.signs:
        if s.evidence and s.status is not SignStatus.DETECTED:
            out.append(f"evidence: {s.sign.value} ({s.person}) is {s.status.value} but shows evidence")
        for e in s.evidence:
            label = f"evidence under {s.sign.value} ({s.person}): {e.sender}: {e.text!r} — {e.why}"
            if e.context_before and not e.context_sender:
                out.append(f"{label}: says what it answers but not who wrote it")
            if e.why.startswith("noncommittal"):
                if s.sign is not SignId.EVASIVE_RESPONSES:
                    out.append(f"{label}: a noncommittal answer shown under another sign")
                if e.sender != s.person or clear_yes(e.text):
                    out.append(f"{label}: not a noncommittal answer by {s.person}")
            elif e.why.startswith("answer without warmth"):
                if e.sender != s.person or s.sign is not SignId.DECLINE_IN_INTIMACY:
                    out.append(f"{label}: label does not fit")
            elif e.why.startswith("replied after"):
                if e.sender != s.person or e.context_sender == s.person:
                    out.append(f"{label}: a reply time must be {s.person}'s answer to the other")
            elif e.why.startswith("asked for space"):
                if e.sender != s.person:
                    out.append(f"{label}: asked by someone else")
            elif e.why.startswith("no reply"):
                if e.sender == s.person and e.text:
                    out.append(f"{label}: a missing reply shown as the person's own message")
                if msgs is not None and isinstance(end, datetime):
                    nxt = _next_from(msgs, s.person, e.timestamp)
                    if nxt is None:
                        usual = _metric(a, s.person, "median_reply_minutes")
                        allowance = silence_allowance(usual.baseline if usual else None)
                        if end - e.timestamp < allowance:
                            out.append(f"{label}: the export ends {end - e.timestamp} later, within the usual "
                                       "reply time")
                        if "end of the export" not in e.why:
                            out.append(f"{label}: a silence not measured against the export's end")
                    elif "next message came" not in e.why:
                        out.append(f"{label}: {s.person} wrote again at {nxt}, the label hides it")
            elif e.why.startswith("question from"):
                if e.sender == s.person or not e.why.startswith(f"question from {e.sender}"):
                    out.append(f"{label}: label does not fit")
    return out


# --------------------------------------------------------------------------- the faces agree
def check_faces(faces: Faces) -> list[str]:
    a, i, d = faces.assessment, faces.insight, faces.data
    out = []
    term, page = faces.terminal, faces.html
    if d["headline"] != i.headline:
        out.append("faces: JSON headline differs")
    for name, face in (("terminal", term), ("html", page)):
        if _squash(i.headline) not in face:
            out.append(f"faces: headline missing from the {name}")
        for s in a.signs:
            for m in s.metrics:
                if _squash(f"{m.label}: {change_text(m)}") not in face:
                    out.append(f"faces: {s.person}'s {m.id} '{change_text(m)}' missing from the {name}")
        for r in i.reasons:
            if _squash(r.text) not in face:
                out.append(f"faces: reason {r.id.value} missing from the {name}")
        for p in i.plan:
            if _squash(p.why) not in face:
                out.append(f"faces: plan step {p.id.value} missing from the {name}")
        for f in i.faq:
            if _squash(f.answer) not in face:
                out.append(f"faces: answer {f.id.value} missing from the {name}")
        for t in i.limits:
            if _squash(t) not in face:
                out.append(f"faces: limit missing from the {name}: {t}")
        if a.coverage.messages and f"{a.coverage.messages:,}" not in face:
            out.append(f"faces: the message count {a.coverage.messages:,} missing from the {name}")
    if [r["id"] for r in d["reasons"]] != [r.id.value for r in i.reasons]:
        out.append("faces: JSON reasons differ")
    if [p["id"] for p in d["plan"]] != [p.id.value for p in i.plan]:
        out.append("faces: JSON plan differs")
    # Chart captions say the signs' own figures for the same quantity.
    for column, metric_id in CHART_METRIC_IDS.items():
        alt = faces.chart_alts.get(column)
        if not alt:
            continue
        for person in (a.me, a.partner):
            m = _metric(a, person, metric_id)
            if m is None or m.baseline is None or m.recent is None:
                continue
            want = f"{person} usually {value_text(m.baseline, m.unit)}, recently {value_text(m.recent, m.unit)}"
            if want not in alt:
                out.append(f"faces: chart caption '{alt}' does not say '{want}'")
    return out


# --------------------------------------------------------------------------- no data, no claims
_CHAT_FACTS = [
    re.compile(p, re.IGNORECASE) for p in (
        r"\b(in|from) (your|the|this) chat\b", r"\b(the|your) chat (does|shows?|suggests?|can only show)\b",
        r"\bseen in the chat\b", r"\bmessages? (about|asking|pointing|mentioning|from an earlier)\b",
        r"\b(writes|writing) (less|more)\b", r"\bwhat the chat\b", r"\bre-reading the chat\b",
        r"\b1 messages?\b", r"\bchat history\b",
    )
]
SIGN_STARTERS = {
    "I've noticed we've been talking less lately": SignId.DECREASED_COMMUNICATION,
    "more distance between us in our chats": SignId.CHANGE_IN_ENGAGEMENT,
    "I miss feeling close to you": SignId.DECLINE_IN_INTIMACY,
    "unsure about our plans lately": SignId.EVASIVE_RESPONSES,
    "I miss spending time with you": SignId.INCREASED_TIME_APART,
}


def check_no_data_no_claims(faces: Faces) -> list[str]:
    a, i, d = faces.assessment, faces.insight, faces.data
    out = []
    if faces.from_answers:
        for where, text in sentences(faces):
            if where in ("pattern_explanation",) or where.startswith(("sign note", "plan trigger")) \
                    or where == "limits" and "self-check" in text:
                continue
            for p in _CHAT_FACTS:
                if p.search(text):
                    out.append(f"chat: the self-check speaks of a chat in {where}: {text[:160]}")
        if any(s.evidence for s in a.signs) or any(r.evidence for r in i.reasons):
            out.append("chat: the self-check shows messages")
    if a.pattern is Pattern.INSUFFICIENT_DATA:
        if d["reasons"] or d["faq"]:
            out.append(f"no data: {len(d['reasons'])} reasons and {len(d['faq'])} answers with insufficient data")
    withdrawer = a.me if a.pattern is Pattern.ME_PULLING_AWAY else a.partner
    seen = set(_detected(a, withdrawer))
    for p in i.plan:
        for starter in p.starters:
            for phrase, sign in SIGN_STARTERS.items():
                if phrase in starter and sign not in seen:
                    out.append(f"no data: starter '{starter}' but {sign.value} not seen for {withdrawer}")
    return out


# Phrases that presume a change happened; a "much as usual" or too-short chat must not use them.
_PRESUMES_CHANGE = [
    re.compile(p, re.IGNORECASE) for p in (
        r"\bsomething (has )?changed\b", r"\bsomeone drift", r"\bif nothing changes\b", r"\bquieter stretch",
        r"\bthis (one|dip|change) will pass\b", r"\b(is|are|been) pulling (back|away)\b", r"\bthe gap\b",
        r"\bwriting less\b", r"\btalking less\b", r"\bdistance between us\b", r"\bsince the change\b",
        r"\bwiden(s|ing)? the gap\b", r"\bas \S+ writes less\b",
    )
]


def check_no_change_no_presumption(faces: Faces) -> list[str]:
    """A stable or too-short chat: the headline and the plan do not speak as if something changed.

    (The possible reasons are introduced, for a stable chat, as what can lie behind a feeling of
    distance, and the FAQ answers the user's own questions; both may speak of quieter stretches.)"""
    a = faces.assessment
    if a.pattern not in (Pattern.STABLE, Pattern.INSUFFICIENT_DATA):
        return []
    out = []
    for where, text in sentences(faces):
        if not where.startswith(("plan ", "headline")) or where.startswith("plan trigger"):
            continue
        for p in _PRESUMES_CHANGE:
            if p.search(text):
                out.append(f"presumes: verdict {a.pattern.value}, but {where} speaks of a change: {text[:160]}")
    return out


CHECKS = (check_wording, check_claims, check_evidence, check_faces, check_no_data_no_claims,
          check_no_change_no_presumption)


def check(faces: Faces) -> list[str]:
    """Every problem found in one analysis (empty: every sentence agrees with the values)."""
    return [p for c in CHECKS for p in c(faces)]


def check_all(items: Iterable[tuple[str, Faces]]) -> list[str]:
    return [f"{name}: {p}" for name, faces in items for p in check(faces)]


__all__ = ["Faces", "check", "check_all", "render_faces", "sentences"]
