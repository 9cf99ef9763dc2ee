"""The report to share: patterns, figures, dates and charts, with no message text and no names.

WHY: a counsellor, a doctor or a researcher can help with the patterns, but the messages are private,
and so are the names. ``ebbtide analyze --share FILE`` and the web app's "Share" page write this
report. It is built from figures only (``Assessment``: signs and their metrics, weekly values, dips,
change points, and optionally the ruptures and repairs), never from a text the chat holds: the two
people are "you" and "your partner", every sentence comes from ``insight/data/share.toml`` or the
label files, and no evidence, reason, plan or answer (which quote the messages or name the partner)
is copied in. ``find_leaks`` is a last check run before anything is written: a name of either
person or a file name in the output stops the command instead of writing it.

Formats: HTML (one self-contained, print-ready page; charts inline, nothing loaded) and JSON
(``share_data``; documented in docs/share.md). Files are written 0600, atomically.
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Iterable
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from ebbtide.errors import EbbtideError
from ebbtide.insight import crisis_resources, load, pattern_label, sign_label, status_label, strength_label
from ebbtide.insight.hints import recent_start
from ebbtide.insight.wording import counted, date_words, fill
from ebbtide.model import Assessment, Insight, Pattern, SignStatus
from ebbtide.report.formatting import change_text, day, since_text
from ebbtide.report.html import _env  # one Jinja environment for the report templates

FORMAT = "ebbtide-share"
VERSION = 1
ME, PARTNER = "you", "partner"  # role keys in the JSON


def wording() -> dict[str, Any]:
    return load("share")


def role_names() -> dict[str, str]:
    w = wording()
    return {ME: str(w["roles_me"]), PARTNER: str(w["roles_partner"])}


# --------------------------------------------------------------------------- names out
def _name_patterns(names: Iterable[str]) -> list[str]:
    """Every way a name can show: the whole display name and each of its parts of 2+ letters."""
    out: set[str] = set()
    for name in names:
        name = (name or "").strip()
        if not name:
            continue
        out.add(name)
        out.update(p for p in re.split(r"[\s._\-@+()]+", name) if len(p) >= 2 and not p.isdigit())
    return sorted(out, key=len, reverse=True)


def scrub(text: str, me: str, partner: str) -> str:
    """A sentence from the signals layer with the two names replaced by the roles ("you", "your partner")."""
    if not text:
        return text
    for name, role, own in ((me, "you", "your"), (partner, "your partner", "your partner's")):
        for part in _name_patterns([name]):
            text = re.sub(rf"(?<!\w){re.escape(part)}['’]s(?!\w)", own, text)
            text = re.sub(rf"(?<!\w){re.escape(part)}(?!\w)", role, text)
    return text


@functools.cache
def ordinary_words() -> frozenset[str]:
    """Words of the share report's own wording (share.toml, the labels of patterns.toml), month and day
    names, and the page's markup and chart keys: a name that is also one of these ("Will", "May", "Grace",
    "Page") is not a leak when it shows."""
    import calendar

    def strings(value: Any) -> Iterable[str]:
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            for k, v in value.items():
                if not (k == "simulated" and isinstance(v, dict)):  # the demo banner names the demo couple
                    yield from strings(v)
        elif isinstance(value, list):
            for v in value:
                yield from strings(v)

    found: set[str] = set()
    for name in ("share", "patterns"):
        for text in strings(load(name)):
            found |= set(re.findall(r"[^\W\d_]+", text.casefold()))
    found |= {m.casefold() for m in (*calendar.month_name[1:], *calendar.day_name)}
    # The page's own markup, style and chart keys ("page", "line", "paper"): a partner called Page is not
    # found in "@page".
    from importlib import resources

    for package, name in (("ebbtide.report", "templates/share.html.j2"), ("ebbtide.report", "html.py")):
        text = resources.files(package).joinpath(name).read_text(encoding="utf-8")
        found |= set(re.findall(r"[^\W\d_]+", text.casefold()))
    return frozenset(found)


def find_leaks(text: str, forbidden: Iterable[str]) -> list[str]:
    """The forbidden strings (names, their parts, file names) that occur in ``text`` as whole words
    (case-insensitive), except ordinary words of our own wording (see ``ordinary_words``)."""
    low = text.casefold()
    found = []
    ordinary = ordinary_words()
    for item in forbidden:
        item = item.strip().casefold()
        if len(item) < 2 or item in ordinary:
            continue
        if re.search(rf"(?<!\w){re.escape(item)}(?!\w)", low):
            found.append(item)
    return found


def forbidden_strings(messages: pl.DataFrame | None, me: str, partner: str) -> list[str]:
    """Names (whole and in parts) of everyone in the chat, and the file names and chat ids it came from."""
    names = {me, partner}
    extra: set[str] = set()
    if messages is not None and not messages.is_empty():
        if "sender" in messages.columns:
            names |= {s for s in messages.get_column("sender").unique().to_list() if s}
        for col in ("source_file", "conversation_id"):
            if col in messages.columns:
                for value in messages.get_column(col).unique().to_list():
                    if value:
                        extra.add(str(value))
                        extra.add(Path(str(value)).name)
                        extra.add(Path(str(value)).stem)
    return _name_patterns(names) + sorted(e for e in extra if len(e) >= 4)


# --------------------------------------------------------------------------- the data
def anonymous(a: Assessment) -> Assessment:
    """The assessment with the two people as roles, and nothing that holds a message."""
    roles = role_names()
    rename = {a.me: roles[ME], a.partner: roles[PARTNER]}
    weekly = a.weekly
    if weekly is not None and "person" in weekly.columns:
        weekly = weekly.filter(pl.col("person").is_in(list(rename))).with_columns(
            pl.col("person").replace_strict(rename, default=None))
        weekly = weekly.select([c for c, t in weekly.schema.items() if c in ("person", "week") or t.is_numeric()])
    signs = tuple(replace(s, person=rename.get(s.person, s.person), evidence=(),
                          note=scrub(s.note, a.me, a.partner)) for s in a.signs if s.person in rename)
    dips = tuple(replace(d, person=rename[d.person]) for d in a.dips if d.person in rename)
    coverage = replace(a.coverage, by_person={rename[k]: v for k, v in a.coverage.by_person.items() if k in rename},
                       notes=(), platforms=a.coverage.platforms)
    return replace(a, me=roles[ME], partner=roles[PARTNER], weekly=weekly, signs=signs, dips=dips,
                   coverage=coverage, safety_flags=(), safety_ambiguous=(), pattern_explanation="")


def _headline(a: Assessment) -> str:
    w = wording()
    if a.pattern in (Pattern.STABLE, Pattern.INSUFFICIENT_DATA):
        since, weeks = None, None
    else:
        since = recent_start(a)
        end = a.recent[1] if a.recent else a.coverage.last
        weeks = max(1, round((end - since).days / 7)) if since and end and end >= since else None
    patterns = load("patterns")
    since_phrase = fill(patterns["since_phrase"], since=since) if since and weeks else ""
    weeks_phrase = fill(patterns["weeks_phrase"], weeks=weeks) if weeks else ""
    return fill(str(w["headline"][a.pattern.value]), since_phrase=since_phrase, weeks_phrase=weeks_phrase)


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def _num(x: Any) -> Any:
    import math

    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def share_data(assessment: Assessment, insight: Insight, *, simulated: bool = False, made: date | None = None,
               extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The shareable summary as plain data (the JSON file; the HTML page is drawn from it).

    ``extra``: further name-free sections (e.g. ``"ruptures"``) added by their own modules.
    """
    from ebbtide.report.json_report import complete_signs, metric_dict

    w = wording()
    roles = role_names()
    a = anonymous(assessment)
    role_key = {roles[ME]: ME, roles[PARTNER]: PARTNER}
    signs = []
    for s in complete_signs(a):
        signs.append({
            "role": role_key.get(s.person, s.person), "id": s.sign.value, "label": sign_label(s.sign.value),
            "status": s.status.value, "strength": s.strength, "since": _iso(s.since), "since_low": _iso(s.since_low),
            "since_high": _iso(s.since_high), "note": s.note, "metrics": [metric_dict(m) for m in s.metrics],
        })
    weekly: list[dict[str, Any]] = []
    if a.weekly is not None and not a.weekly.is_empty():
        for row in a.weekly.sort(["week", "person"]).iter_rows(named=True):
            item = {"week": _iso(row.pop("week")), "role": role_key.get(row.pop("person"), "")}
            item.update({k: _num(v) for k, v in row.items() if not k.startswith("_")})
            weekly.append(item)
    c = a.coverage
    safety_first = bool(insight.safety_first)
    data: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "made": (made or date.today()).isoformat(),
        "simulated": simulated,
        "roles": {ME: roles[ME].lower(), PARTNER: roles[PARTNER].lower()},
        "coverage": {
            "first": _iso(c.first), "last": _iso(c.last), "weeks": c.weeks, "messages": c.messages,
            "by_role": {role_key[k]: v for k, v in c.by_person.items() if k in role_key},
            "messengers": list(c.platforms),
        },
        "baseline": {"start": _iso(a.baseline[0]), "end": _iso(a.baseline[1])} if a.baseline else None,
        "recent": {"start": _iso(a.recent[0]), "end": _iso(a.recent[1])} if a.recent else None,
        "pattern": None if safety_first else {
            "id": a.pattern.value, "label": pattern_label(a.pattern.value, me=roles[ME], partner=roles[PARTNER]),
            "headline": _headline(a),
        },
        "safety_first": safety_first,
        "signs": signs,
        "change_points": [_iso(d) for d in a.change_points],
        "dips": [{"role": role_key.get(d.person, d.person), "start": _iso(d.start), "end": _iso(d.end),
                  "weeks": d.weeks, "recovered": d.recovered, "depth": _num(d.depth)}
                 for d in sorted(a.dips, key=lambda d: d.start)],
        "weekly": weekly,
        "left_out": list(w["left_out"]),
        "limits": list(w["limits"]),
    }
    for key, value in (extra or {}).items():
        data[key] = value
    return data


# --------------------------------------------------------------------------- HTML
def render_share_html(assessment: Assessment, insight: Insight, *, simulated: bool = False, made: date | None = None,
                      extra: dict[str, Any] | None = None, extra_html: list[dict[str, Any]] | None = None,
                      include_charts: bool = True, country: str | None = None) -> str:
    """The share report as one self-contained, print-ready HTML page.

    ``extra_html``: further name-free sections ({"heading", "lines"}) drawn after the history.
    """
    from ebbtide.report.html import _plotly_js, charts
    from ebbtide.report.json_report import complete_signs

    w = wording()
    roles = role_names()
    a = anonymous(assessment)
    data = share_data(assessment, insight, simulated=simulated, made=made, extra=extra)
    people = []
    for role in (roles[PARTNER], roles[ME]):
        rows = []
        for s in (s for s in complete_signs(a) if s.person == role):
            status = status_label(s.status.value)
            if s.status is SignStatus.DETECTED and s.strength in ("slight", "clear", "strong"):
                status = f"{status} ({strength_label(s.strength)})"
            rows.append({"label": sign_label(s.sign.value), "status": status, "status_class": s.status.value,
                         "since": since_text(s) if s.since else "", "note": s.note,
                         "metrics": [f"{m.label}: {change_text(m)}" for m in s.metrics]})
        people.append({"name": role, "signs": rows})
    dip_words = load("patterns")["dip"]
    dips = [fill(dip_words["ongoing" if d.end is None else "recovered" if d.recovered else "not_recovered"],
                 person=d.person, start=d.start, end=d.end or d.start, weeks=d.weeks)
            for d in sorted(a.dips, key=lambda d: d.start)]
    c = a.coverage
    made_day = made or date.today()
    context = {
        "w": w,
        "title": w["title"],
        "intro": fill(w["intro"], made=made_day),
        "simulated": simulated,
        "period": fill(w["period"], first=c.first, last=c.last, weeks=c.weeks, messages=f"{c.messages:,}")
        if c.first and c.last else "",
        "per_person": [fill(w["per_person"], role=role, messages=f"{n:,}") for role, n in
                       sorted(c.by_person.items(), key=lambda kv: kv[0] != roles[PARTNER])],
        "baseline": fill(w["baseline"], start=a.baseline[0], end=a.baseline[1], rstart=a.recent[0], rend=a.recent[1])
        if a.baseline and a.recent else "",
        "pattern": data["pattern"],
        "safety_first": data["safety_first"],
        "resources": crisis_resources(country) if data["safety_first"] else [],
        "people": people,
        "dips": dips,
        "extra_html": extra_html or [],
        "left_out": data["left_out"],
        "limits": data["limits"],
        "charts": charts(a) if include_charts else [],
        "plotly_js": _plotly_js() if include_charts else "",
        "counted": counted,
        "day": day,
        "date_words": date_words,
    }
    return _env().get_template("share.html.j2").render(**context)


# --------------------------------------------------------------------------- files
def is_json_path(path: Path, fmt: str | None = None) -> bool:
    if fmt:
        return fmt.lower() == "json"
    return path.suffix.lower() == ".json"


def check_no_leaks(text: str, forbidden: Iterable[str]) -> None:
    """Refuse to write a share report in which a name or a file name appears (a last guard)."""
    leaks = find_leaks(text, forbidden)
    if leaks:
        raise EbbtideError("the report to share would contain a name or a file name from the chat, so it was not "
                           "written", where="--share",
                           fix="Please report this as a bug; meanwhile share the figures by hand.")


def write_private(path: Path, text: str) -> Path:
    """Write ``text`` atomically, readable by the user only (0600), whatever the umask."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fd = -1
            fh.write(text)
    finally:
        if fd != -1:
            os.close(fd)
    os.replace(tmp, path)
    return path


def render_share(assessment: Assessment, insight: Insight, *, as_json: bool, messages: pl.DataFrame | None = None,
                 simulated: bool = False, extra: dict[str, Any] | None = None,
                 extra_html: list[dict[str, Any]] | None = None, country: str | None = None,
                 made: date | None = None) -> str:
    """The share report as text (JSON or HTML), checked for names and file names."""
    if as_json:
        text = json.dumps(share_data(assessment, insight, simulated=simulated, extra=extra, made=made),
                          ensure_ascii=False, indent=2)
    else:
        text = render_share_html(assessment, insight, simulated=simulated, extra=extra, extra_html=extra_html,
                                 country=country, made=made)
    check_no_leaks(_without_library(text), forbidden_strings(messages, assessment.me, assessment.partner))
    return text


def _without_library(text: str) -> str:
    """The page without the inlined chart library (the same bytes for every chat)."""
    from ebbtide.report.html import _plotly_js

    js = _plotly_js()
    return text.replace(js, "") if js in text else text


def write_share(path: str | Path, assessment: Assessment, insight: Insight, *, as_json: bool | None = None,
                messages: pl.DataFrame | None = None, simulated: bool = False,
                extra: dict[str, Any] | None = None, extra_html: list[dict[str, Any]] | None = None,
                country: str | None = None) -> Path:
    """Write the share report (JSON when ``as_json`` or the name ends in .json, else HTML), 0600."""
    path = Path(path)
    as_json = is_json_path(path) if as_json is None else as_json
    text = render_share(assessment, insight, as_json=as_json, messages=messages, simulated=simulated, extra=extra,
                        extra_html=extra_html, country=country)
    return write_private(path, text)


__all__ = ["FORMAT", "VERSION", "find_leaks", "forbidden_strings", "render_share", "render_share_html", "scrub",
           "share_data", "write_private", "write_share"]
