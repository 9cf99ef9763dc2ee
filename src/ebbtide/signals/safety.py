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

import numpy as np
import polars as pl

from ebbtide.model import Evidence
from ebbtide.signals.regex_gate import WIDE_WORD_CHAR, contains_fast, gate_literals

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
    parts: tuple[str, ...] = ()  # the patterns ``pattern`` alternates (each gated on its own)


@functools.cache
def _data(name: str) -> dict:
    text = resources.files("ebbtide.signals").joinpath("data", "safety", f"{name}.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def _alt(patterns: list[str]) -> str | None:
    return "|".join(f"(?:{p})" for p in patterns) if patterns else None


def _rule(cls: str, patterns: list[str], unless: list[str], what: str = "", broad: bool = False) -> Rule:
    return Rule(cls, _alt(patterns) or "", _alt(unless), what, broad, tuple(patterns))


@functools.cache
def rules() -> tuple[Rule, ...]:
    """Every rule of every language, in class order."""
    out: list[Rule] = []
    for lang in LANGS:
        data = _data(lang)
        for cls in ("control", "threat", "self_harm", "contempt"):
            spec = data.get(cls)
            if spec and spec.get("patterns"):
                out.append(_rule(cls, spec["patterns"], spec.get("unless", [])))
        for spec in data.get("ambiguous", []):
            out.append(_rule("ambiguous", spec["patterns"], spec.get("unless", []), spec["what"]))
        frags = data.get("fragments", {})
        for name, spec in data.get("broad", {}).items():  # concepts that co-occur (docs/safety.md, broad layer)
            cls = spec.get("class", name)  # a section named otherwise (a later round's) says its class
            if cls not in CLASSES:
                raise ValueError(f"safety data {lang}.toml: [broad.{name}] has no known class ({cls!r})")
            if spec.get("patterns"):
                out.append(_rule(cls, [_fill(p, frags) for p in spec["patterns"]],
                                 [_fill(u, frags) for u in spec.get("unless", [])], broad=True))
    return tuple(out)


_FRAGMENT = re.compile(r"%([A-Z_]+)%")


def _fill(pattern: str, fragments: dict[str, str]) -> str:
    """``%NAME%`` -> the language's fragment NAME as a group (an unknown name is an error in the data)."""
    return _FRAGMENT.sub(lambda m: f"(?:{fragments[m.group(1)]})", pattern)


@functools.cache
def _markers() -> tuple[str, str, str, str, str, str]:
    common = _data("common")
    joke = _alt(common["joke"]) or "$^"
    serious = _alt(common.get("serious", []))
    return (joke, serious or "$^", _alt(common["quote"]) or "$^", _alt(common.get("play", [])) or "$^",
            _alt(common.get("affection", [])) or "$^", _alt(common.get("unwanted", [])) or "$^")


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
    gates = _part_gates()
    if any(g is None for g in gates):
        return None
    return sorted(set().union(*gates))  # type: ignore[arg-type]


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
def _parts() -> tuple[tuple[int, str], ...]:
    """(rule index, pattern) for every pattern of every rule."""
    return tuple((i, p) for i, rule in enumerate(rules()) for p in rule.parts)


@functools.cache
def _part_gates() -> tuple[list[str] | None, ...]:
    """Each pattern's own necessary literals (None: that pattern cannot be gated)."""
    return tuple(gate_literals([p]) for _, p in _parts())


@functools.cache
def _gate_table() -> tuple[list[str], dict[str, int], pl.DataFrame]:
    """Every pattern's gate literals once (sorted), their ids, and the (literal id, pattern index) pairs."""
    gates = _part_gates()
    lits = sorted(set().union(*(g for g in gates if g)))
    ids = {lit: i for i, lit in enumerate(lits)}
    pairs = sorted({(ids[lit], k) for k, g in enumerate(gates) if g for lit in g})
    return lits, ids, pl.DataFrame(pairs, schema={"lid": pl.UInt32, "part": pl.UInt32}, orient="row")


def _part_rows(texts: pl.Series) -> list[np.ndarray | None]:
    """Per pattern (``_parts``), the rows of ``texts`` holding one of its gate literals (None: not gated).

    One Aho–Corasick pass finds every literal of every pattern (overlapping, so each literal that occurs is
    reported). WHY: the broad layer's concepts are common words; each rule's large alternation run on every
    text holding any of its literals cost seconds, and a ``contains_any`` per rule built sixty automatons."""
    gates = _part_gates()
    lits, ids, pairs = _gate_table()
    found = pl.DataFrame(
        {"row": pl.int_range(len(texts), dtype=pl.UInt32, eager=True),
         "lit": texts.str.extract_many(lits, overlapping=True)}
    ).explode("lit").drop_nulls("lit")
    pr = (found.select("row", lid=pl.col("lit").replace_strict(ids, return_dtype=pl.UInt32))
          .join(pairs, on="lid", how="inner").select("part", "row").unique().sort("part", "row"))
    part = pr["part"].to_numpy()
    rows = pr["row"].to_numpy()
    bounds = np.searchsorted(part, np.arange(len(gates) + 1))
    return [rows[bounds[k]:bounds[k + 1]] if g is not None else None for k, g in enumerate(gates)]


def _rule_hits(rule: Rule, texts: pl.Series, parts: list[tuple[str, np.ndarray | None]], wide: pl.Series
               ) -> pl.Series:
    """Where ``rule`` fires in the normalised ``texts``: one of its patterns matches (each run only on its rows;
    None: all), its exceptions do not (read only there), with ASCII word boundaries where they give the same
    answer (``regex_gate.contains_fast``). The same result as the whole alternation, by construction."""
    hit = np.zeros(len(texts), dtype=bool)
    for pattern, rows in parts:
        if rows is None:
            hit |= contains_fast(texts, pattern, wide).fill_null(False).to_numpy()
        elif len(rows):
            hit[rows] |= contains_fast(texts.gather(rows), pattern, wide.gather(rows)).fill_null(False).to_numpy()
    idx = np.flatnonzero(hit)
    if len(idx) and (rule.unless or rule.broad):
        t = texts.gather(idx)
        keep = np.ones(len(idx), dtype=bool)
        if rule.unless:
            keep &= ~contains_fast(t, rule.unless, wide.gather(idx)).fill_null(False).to_numpy()
        if rule.broad:
            keep &= (t.str.len_chars() <= BROAD_MAX_CHARS).fill_null(False).to_numpy()
        hit[idx] = keep
    return pl.Series(hit)


def _classify(frame: pl.DataFrame) -> pl.DataFrame:
    """``classify_frame`` on a frame that already holds the normalised text in ``_norm``."""
    if frame.is_empty():
        return frame.drop("_norm").with_columns(cls=pl.lit(None, dtype=pl.String), what=pl.lit(None, dtype=pl.String))
    joke_p, serious_p, quote_p, play_p, affection_p, unwanted_p = _markers()
    texts = frame.get_column("_norm")
    wide = texts.str.contains(WIDE_WORD_CHAR).fill_null(False)
    rows = _part_rows(texts) if frame.height >= GATE_MIN_ROWS else [None] * len(_parts())
    per_rule: list[list[tuple[str, np.ndarray | None]]] = [[] for _ in rules()]
    for (i, pattern), r in zip(_parts(), rows, strict=True):
        per_rule[i].append((pattern, r))
    hits = [_rule_hits(rule, texts, per_rule[i], wide).alias(f"_r{i}") for i, rule in enumerate(rules())]
    # the markers change only rows where a rule fired (else the class is null whatever they say): read there
    fired = pl.select(pl.any_horizontal(hits)).to_series().arg_true() if hits else pl.Series([], dtype=pl.UInt32)
    markers = {}
    for name, pat in (("_joke", joke_p), ("_serious", serious_p), ("_quote", quote_p), ("_play", play_p),
                      ("_affection", affection_p), ("_unwanted", unwanted_p)):
        col = pl.Series(name, np.zeros(frame.height, dtype=bool))
        if len(fired):
            col = col.scatter(fired, contains_fast(texts.gather(fired), pat, wide.gather(fired)).fill_null(False))
        markers[name] = col
    lf = pl.DataFrame([*hits, *markers.values()]).lazy().with_columns(
        _joke=pl.col("_joke") & ~pl.col("_serious"), _play=pl.col("_play") | (pl.col("_affection") & ~pl.col("_unwanted")))
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
    found = lf.select(
        cls=pl.when(pl.col("_threat") & ~muted & ~play).then(pl.lit("threat"))
        .when(pl.col("_self_harm") & ~muted).then(pl.lit("self_harm"))
        .when(pl.col("_control") & ~muted).then(pl.lit("control"))
        .when(pl.col("_contempt") & ~muted).then(pl.lit("contempt"))
        .when((pl.col("_ambiguous") & ~quote) | (pl.col("_self_harm") & joke & ~quote)).then(pl.lit("ambiguous"))
        .otherwise(pl.lit(None, dtype=pl.String)),
        _what=pl.when(pl.col("_self_harm") & joke).then(pl.lit("harming oneself")).otherwise(what),
    ).select("cls", what=pl.when(pl.col("cls") == "ambiguous").then(pl.col("_what"))).collect()
    return pl.concat([frame.drop("_norm"), found], how="horizontal")


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
