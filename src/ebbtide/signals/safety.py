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
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources

import polars as pl

from ebbtide.model import Evidence
from ebbtide.signals.regex_gate import gate_literals

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
#: From this many messages the literal gate (``regex_gate``) pays for building it (about half a CPU second,
#: once per process); a few notes or messages are classified without it.
GATE_MIN_ROWS = 5000
#: The broad layer (concepts that co-occur) reads messages up to this length: in a long text (a forwarded
#: notice, a syllabus, a pasted article) two concepts meet by chance, and such texts are not chat.
BROAD_MAX_CHARS = 300


@dataclass(frozen=True, slots=True)
class Rule:
    cls: str
    pattern: str  # one alternation of every pattern of the rule
    unless: str | None
    what: str = ""
    broad: bool = False  # a co-occurrence of concepts: read only in chat-length messages (BROAD_MAX_CHARS)


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
        frags = data.get("fragments", {})
        for name, spec in data.get("broad", {}).items():  # concepts that co-occur (docs/safety.md, broad layer)
            cls = spec.get("class", name)  # a section named otherwise (a later round's) says its class
            if cls not in CLASSES:
                raise ValueError(f"safety data {lang}.toml: [broad.{name}] has no known class ({cls!r})")
            if spec.get("patterns"):
                out.append(Rule(cls, _alt([_fill(p, frags) for p in spec["patterns"]]) or "",
                                _alt([_fill(u, frags) for u in spec.get("unless", [])]), broad=True))
    return tuple(out)


_FRAGMENT = re.compile(r"%([A-Z_]+)%")


def _fill(pattern: str, fragments: dict[str, str]) -> str:
    """``%NAME%`` -> the language's fragment NAME as a group (an unknown name is an error in the data)."""
    return _FRAGMENT.sub(lambda m: f"(?:{fragments[m.group(1)]})", pattern)


@functools.cache
def _markers() -> tuple[str, str, str, str]:
    common = _data("common")
    joke = _alt(common["joke"]) or "$^"
    serious = _alt(common.get("serious", []))
    return joke, serious or "$^", _alt(common["quote"]) or "$^", _alt(common.get("play", [])) or "$^"


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


def _where(s: pl.Series, mask: pl.Series, step: Callable[[pl.Series], pl.Series]) -> pl.Series:
    idx = mask.arg_true()
    return s.scatter(idx, step(s.gather(idx))) if len(idx) else s


def normalise_series(text: pl.Series) -> pl.Series:
    """``normalise`` of a column, with the costly steps only where they change something: Unicode
    decomposition only for texts with a non-ASCII character, whitespace only where it is not single spaces."""
    s = text.fill_null("").cast(pl.String)
    s = _where(s, s.str.contains(r"[^\x00-\x7F]"),
               lambda x: x.str.normalize("NFKD").str.replace_all(r"\p{Mn}", ""))
    s = s.str.to_lowercase().str.replace_all(r"[’‘`´ʼ]", "'")
    return _where(s, s.str.contains(r"\s\s|[^ \S]"), lambda x: x.str.replace_all(r"\s+", " "))


@functools.cache
def _gate() -> list[str] | None:
    """Literals of which every match of any rule contains one (``regex_gate``); None: no gate possible."""
    out: set[str] = set()
    for rule in rules():
        lits = gate_literals([rule.pattern])
        if lits is None:
            return None
        out.update(lits)
    return sorted(out)


def classify_frame(frame: pl.DataFrame, column: str = "text") -> pl.DataFrame:
    """``frame`` with two more columns: ``cls`` (one of CLASSES, or null) and ``what`` (ambiguous words).

    Order: clear danger first (threat, self-harm, control), then contempt, then ambiguous. A quotation
    marker (film, song, the news) mutes every class; a joke marker (laughter) mutes all but self-harm,
    which becomes ambiguous: a calm question rather than safety first, and never silence; a game or
    sport ("at chess") mutes threats. WHY in stages: each regex runs once over the column, and the
    combinations read the stored booleans (an expression tree would repeat the regexes).
    """
    if frame.is_empty():
        return frame.with_columns(cls=pl.lit(None, dtype=pl.String), what=pl.lit(None, dtype=pl.String))
    norm_all = normalise_series(frame.get_column(column))
    gate = _gate() if frame.height >= GATE_MIN_ROWS else None
    if gate is not None:  # every class needs a rule to match: run the rules only where one can
        cand = norm_all.str.contains_any(gate).fill_null(False)
        idx = cand.arg_true()
        found = _classify(frame[idx].with_columns(_norm=norm_all.gather(idx)))
        cls = pl.Series("cls", [None] * frame.height, dtype=pl.String)
        what = pl.Series("what", [None] * frame.height, dtype=pl.String)
        if len(idx):
            cls.scatter(idx, found["cls"])
            what.scatter(idx, found["what"])
        return frame.with_columns(cls, what)
    return _classify(frame.with_columns(_norm=norm_all))


@functools.cache
def _rule_gates() -> tuple[list[str] | None, ...]:
    """Each rule's own necessary literals (None: that rule cannot be gated)."""
    return tuple(gate_literals([rule.pattern]) for rule in rules())


def _rule_hits(rule: Rule, texts: pl.Series, gate: list[str] | None) -> pl.Series:
    """Where ``rule`` fires in the normalised ``texts``. With a gate, the rule's regexes run only on the texts
    holding one of its literals (WHY: the broad layer's concepts are common words; run over every candidate
    of every rule they cost several times the whole grammar). Same result by construction."""
    def fire(t: pl.Series) -> pl.Series:
        hit = t.str.contains(rule.pattern)
        if rule.unless:
            hit = hit & ~t.str.contains(rule.unless)
        if rule.broad:
            hit = hit & (t.str.len_chars() <= BROAD_MAX_CHARS)
        return hit.fill_null(False)

    if gate is None:
        return fire(texts)
    idx = texts.str.contains_any(gate).fill_null(False).arg_true()
    out = pl.Series(values=[False] * len(texts), dtype=pl.Boolean)
    return out.scatter(idx, fire(texts.gather(idx))) if len(idx) else out


def _classify(frame: pl.DataFrame) -> pl.DataFrame:
    """``classify_frame`` on a frame that already holds the normalised text in ``_norm``."""
    if frame.is_empty():
        return frame.drop("_norm").with_columns(cls=pl.lit(None, dtype=pl.String), what=pl.lit(None, dtype=pl.String))
    norm = pl.col("_norm")
    joke_p, serious_p, quote_p, play_p = _markers()
    texts = frame.get_column("_norm")
    gates = _rule_gates() if frame.height >= GATE_MIN_ROWS else None
    hits = [_rule_hits(rule, texts, gates[i] if gates else None).alias(f"_r{i}") for i, rule in enumerate(rules())]
    lf = frame.lazy().with_columns(
        *hits, _joke=norm.str.contains(joke_p) & ~norm.str.contains(serious_p), _quote=norm.str.contains(quote_p),
        _play=norm.str.contains(play_p),
    )
    names: dict[str, list[str]] = {c: [] for c in CLASSES}
    for i, rule in enumerate(rules()):
        names[rule.cls].append(f"_r{i}")
    lf = lf.with_columns(**{f"_{c}": (pl.any_horizontal(v) if v else pl.lit(False)) for c, v in names.items()})
    joke, quote, play = pl.col("_joke"), pl.col("_quote"), pl.col("_play")
    muted = joke | quote
    what = pl.lit(None, dtype=pl.String)
    for i, rule in reversed(list(enumerate(rules()))):  # the first ambiguous group that matched names it
        if rule.cls == "ambiguous":
            what = pl.when(pl.col(f"_r{i}")).then(pl.lit(rule.what)).otherwise(what)
    lf = lf.with_columns(
        cls=pl.when(pl.col("_threat") & ~muted & ~play).then(pl.lit("threat"))
        .when(pl.col("_self_harm") & ~muted).then(pl.lit("self_harm"))
        .when(pl.col("_control") & ~muted).then(pl.lit("control"))
        .when(pl.col("_contempt") & ~muted).then(pl.lit("contempt"))
        .when((pl.col("_ambiguous") & ~quote) | (pl.col("_self_harm") & joke & ~quote)).then(pl.lit("ambiguous"))
        .otherwise(pl.lit(None, dtype=pl.String)),
        _what=pl.when(pl.col("_self_harm") & joke).then(pl.lit("harming oneself")).otherwise(what),
    ).with_columns(what=pl.when(pl.col("cls") == "ambiguous").then(pl.col("_what")))
    temp = ["_norm", "_joke", "_quote", "_play", "_what", *[f"_{c}" for c in CLASSES],
            *[f"_r{i}" for i in range(len(rules()))]]
    return lf.drop(temp).collect()


def with_safety(frame: pl.DataFrame, column: str = "text") -> pl.DataFrame:
    """``frame`` with the grammar's result as ``safety_cls`` and ``safety_what`` (``classify_frame``'s
    ``cls`` and ``what``). WHY: the assessment (``safety_scan``) and the professional-help trigger
    (``insight/triggers.hostile_messages``) both read it; the pipeline classifies every message once
    and both take these columns instead of running the grammar again."""
    found = classify_frame(frame.select(column))
    return frame.with_columns(found.get_column("cls").alias("safety_cls"), found.get_column("what").alias("safety_what"))


def classified(frame: pl.DataFrame, column: str = "text") -> pl.DataFrame:
    """``classify_frame(frame)``, read from ``safety_cls``/``safety_what`` when ``with_safety`` already
    made them (the same values: the grammar reads each message alone)."""
    if "safety_cls" in frame.columns and "safety_what" in frame.columns:
        return frame.rename({"safety_cls": "cls", "safety_what": "what"})
    return classify_frame(frame, column)


def classify_texts(texts: list[str]) -> list[str | None]:
    """The class of each text (for the bench, tests and the user's own notes)."""
    frame = pl.DataFrame({"text": texts}, schema={"text": pl.String})
    return classify_frame(frame).get_column("cls").to_list()


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
    cols = [c for c in ("timestamp", "sender", "text", "safety_cls", "safety_what") if c in prepared.columns]
    found = classified(prepared.select(cols)).filter(pl.col("cls").is_not_null())
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


__all__ = ["CLASSES", "CLEAR", "LANGS", "classified", "classify_frame", "classify_texts", "normalise", "rules",
           "safety_flags", "safety_scan", "with_safety"]
