"""Safety detection: which messages hold clear danger, contempt, or ambiguous words.

WHY a transparent grammar: a false alarm frightens people who are safe and teaches them to ignore
the tool; a miss hides help from someone who needs it. Patterns per language live in
``signals/data/safety/<lang>.toml`` (readable, testable, measured in bench/bench_safety.py and
docs/safety.md), each with its own "unless" exceptions (figures of speech, games, kilometres), plus
shared joke and quotation markers (``common.toml``). Every language's grammar is applied to every
message (chats mix languages), as Polars regexes over the whole column: no per-message Python.

Classes: ``control``, ``threat``, ``self_harm`` (clear danger: safety first), ``contempt`` (the
professional-help trigger; several such messages bring the question), ``ambiguous`` (a calm
question, never safety first).
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from importlib import resources

import polars as pl

from ebbtide.model import Evidence

LANGS = ("en", "es", "pt", "de", "fr")
CLEAR = ("control", "threat", "self_harm")
CLASSES = (*CLEAR, "contempt", "ambiguous")
MAX_FLAGS = 10
CONTEMPT_ASK = 3  # contempt messages (any sender) that bring the calm question
WHY = {
    "control": "words about controlling someone (phone, money, friends, where they go)",
    "threat": "a threat or violence",
    "self_harm": "words about self-harm or suicide",
    "contempt": "contempt or insults",
}
CONTEMPT_WHAT = "insults"


@dataclass(frozen=True, slots=True)
class Rule:
    cls: str
    pattern: str  # one alternation of every pattern of the rule
    unless: str | None
    what: str = ""


@functools.cache
def _data(name: str) -> dict:
    text = resources.files("ebbtide.signals").joinpath("data", "safety", f"{name}.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def _alt(patterns: list[str]) -> str | None:
    return "|".join(f"(?:{p})" for p in patterns) if patterns else None


@functools.cache
def rules() -> tuple[Rule, ...]:
    """Every rule of every language, in class order."""
    out: list[Rule] = []
    for lang in LANGS:
        data = _data(lang)
        for cls in ("control", "threat", "self_harm", "contempt"):
            spec = data.get(cls)
            if spec and spec.get("patterns"):
                out.append(Rule(cls, _alt(spec["patterns"]) or "", _alt(spec.get("unless", []))))
        for spec in data.get("ambiguous", []):
            out.append(Rule("ambiguous", _alt(spec["patterns"]) or "", _alt(spec.get("unless", [])), spec["what"]))
    return tuple(out)


@functools.cache
def _markers() -> tuple[str, str, str]:
    common = _data("common")
    return _alt(common["joke"]) or "$^", _alt(common["quote"]) or "$^", _alt(common.get("play", [])) or "$^"


def normalise(text: pl.Expr) -> pl.Expr:
    """Lower case, accents removed, apostrophes straightened, spaces collapsed (what patterns expect)."""
    return (
        text.fill_null("")
        .str.normalize("NFKD")
        .str.replace_all(r"\p{Mn}", "")
        .str.to_lowercase()
        .str.replace_all(r"[’‘`´ʼ]", "'")
        .str.replace_all(r"\s+", " ")
    )


def _hit(rule: Rule, norm: pl.Expr) -> pl.Expr:
    hit = norm.str.contains(rule.pattern)
    if rule.unless:
        hit = hit & ~norm.str.contains(rule.unless)
    return hit


def classify(text: pl.Expr) -> pl.Expr:
    """A struct expression per message: ``cls`` (one of CLASSES, or null) and ``what`` (ambiguous words).

    Order: clear danger first (threat, self-harm, control), then contempt, then ambiguous. A quotation
    marker (film, song, the news) mutes every class; a joke marker (laughter) mutes all but self-harm,
    which becomes ambiguous: a calm question rather than safety first, and never silence; a game or
    sport ("at chess") mutes threats.
    """
    norm = normalise(text)
    joke_p, quote_p, play_p = _markers()
    joke, quote, play = norm.str.contains(joke_p), norm.str.contains(quote_p), norm.str.contains(play_p)
    muted = joke | quote
    by_class: dict[str, list[pl.Expr]] = {c: [] for c in CLASSES}
    ambiguous_what = pl.lit(None, dtype=pl.String)
    for rule in reversed(rules()):  # the first ambiguous group wins: built from the last one up
        hit = _hit(rule, norm)
        by_class[rule.cls].append(hit)
        if rule.cls == "ambiguous":
            ambiguous_what = pl.when(hit).then(pl.lit(rule.what)).otherwise(ambiguous_what)
    any_of = {c: (pl.any_horizontal(v) if v else pl.lit(False)) for c, v in by_class.items()}
    cls = (
        pl.when(any_of["threat"] & ~muted & ~play).then(pl.lit("threat"))
        .when(any_of["self_harm"] & ~muted).then(pl.lit("self_harm"))
        .when(any_of["control"] & ~muted).then(pl.lit("control"))
        .when(any_of["contempt"] & ~muted).then(pl.lit("contempt"))
        .when((any_of["ambiguous"] & ~quote) | (any_of["self_harm"] & joke & ~quote)).then(pl.lit("ambiguous"))
        .otherwise(pl.lit(None, dtype=pl.String))
    )
    what = (
        pl.when(cls == "ambiguous")
        .then(pl.when(any_of["self_harm"] & joke).then(pl.lit("harming oneself")).otherwise(ambiguous_what))
        .otherwise(pl.lit(None, dtype=pl.String))
    )
    return pl.struct(cls=cls, what=what)


def classify_texts(texts: list[str]) -> list[str | None]:
    """The class of each text (for the bench, tests and the user's own notes)."""
    frame = pl.DataFrame({"text": texts}, schema={"text": pl.String})
    return frame.select(classify(pl.col("text")).struct.field("cls")).to_series().to_list()


def _evidence(rows: pl.DataFrame, me: str) -> tuple[Evidence, ...]:
    if rows.height == 0:
        return ()
    rows = rows.with_columns((pl.col("sender") == me).alias("_mine")).sort(
        ["_mine", "timestamp"], descending=[True, True]
    ).head(MAX_FLAGS)
    return tuple(Evidence(r["timestamp"], r["sender"], r.get("text") or "", r["_why"]) for r in rows.iter_rows(named=True))


def safety_scan(prepared: pl.DataFrame, me: str) -> tuple[tuple[Evidence, ...], tuple[Evidence, ...], int]:
    """(clear danger, ambiguous, contempt count) for a conversation; the user's own messages first.

    Contempt alone is not danger: at ``CONTEMPT_ASK`` messages or more, the contempt messages join
    the ambiguous ones (the calm question); fewer are left to the professional-help trigger.
    """
    if "text" not in prepared.columns or prepared.height == 0:
        return (), (), 0
    cols = [c for c in ("timestamp", "sender", "text") if c in prepared.columns]
    found = prepared.select(cols).with_columns(classify(pl.col("text")).alias("_s")).unnest("_s").filter(
        pl.col("cls").is_not_null()
    )
    if found.height == 0:
        return (), (), 0
    found = found.with_columns(
        pl.col("cls").replace_strict(WHY, default=pl.col("what")).alias("_why")
    )
    clear = _evidence(found.filter(pl.col("cls").is_in(list(CLEAR))), me)
    contempt = found.filter(pl.col("cls") == "contempt")
    ambiguous_rows = found.filter(pl.col("cls") == "ambiguous")
    if contempt.height >= CONTEMPT_ASK:
        ambiguous_rows = pl.concat([ambiguous_rows, contempt.with_columns(pl.lit(CONTEMPT_WHAT).alias("_why"))])
    return clear, _evidence(ambiguous_rows, me), contempt.height


def safety_flags(prepared: pl.DataFrame, me: str, features: pl.DataFrame | None = None) -> tuple[Evidence, ...]:
    """Messages with clear danger (control, threat, self-harm), the user's own first, most recent first."""
    return safety_scan(prepared, me)[0]


__all__ = ["CLASSES", "CLEAR", "LANGS", "classify", "classify_texts", "normalise", "rules", "safety_flags",
           "safety_scan"]
