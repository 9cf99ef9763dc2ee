"""Rupture and repair words, per message (the signals layer's ruptures.py turns them into episodes).

Columns added by ``mark_repair(frame)`` (Boolean, False on anything but a text message):

| column | meaning |
|---|---|
| ``hostile`` | anger or contempt aimed at the partner ("leave me alone", "te odio", "ich bin sauer auf dich") |
| ``apology`` | a first-person apology ("I'm sorry", "lo siento", "tut mir leid", "désolée", "desculpa") |
| ``own_fault`` | taking a share of the blame ("I was wrong", "fue mi culpa", "du hast recht", "j'ai eu tort") |
| ``talk_bid`` | an offer to talk or to call ("can we talk", "podemos hablar", "kann ich dich anrufen") |
| ``laugh`` | laughter ("haha", "jaja", "kkk", "mdr", 😂); a repair bid only after tension |

WHY word lists in data files (``repair_data/<lang>.toml``), all languages at once: the lists are
reviewable without code, and a couple often mixes languages; a phrase of one language rarely means
something else in another. Grammar the lists encode: each category has a ``not_*`` list of phrases
that cancel a hit in the same message: negation ("I'm not sorry", "no fue mi culpa", "nicht meine
Schuld"), a question or demand about the other's apology ("are you sorry?", "pídeme perdón"),
sympathy and everyday politeness ("sorry to hear", "perdón por la tardanza", "désolé du retard"),
and laughter after an insult ("shut up haha"). The method and its measured precision and recall
on our labelled set: docs/repair.md.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources

import polars as pl

from ebbtide.features.language.lexicon import alternation, contains_patterns, with_unaccented

LANGS: tuple[str, ...] = ("en", "es", "de", "fr", "pt")
CATEGORIES: tuple[str, ...] = ("hostility", "apology", "own_fault", "talk", "laugh")
COLUMNS: dict[str, str] = {"hostility": "hostile", "apology": "apology", "own_fault": "own_fault",
                           "talk": "talk_bid", "laugh": "laugh"}


@cache
def lists(lang: str) -> dict[str, tuple[str, ...]]:
    """One language's lists (category -> terms, with their spellings without accents)."""
    text = resources.files("ebbtide.features").joinpath("repair_data", f"{lang}.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    return {k: with_unaccented(tuple(v)) for k, v in data.items() if isinstance(v, list)}


@cache
def patterns(langs: tuple[str, ...] = LANGS) -> dict[str, tuple[str | None, str | None]]:
    """Category -> (regex of its terms, regex of its cancelling phrases), over ``langs``."""
    out: dict[str, tuple[str | None, str | None]] = {}
    for cat in CATEGORIES:
        terms = [t for lang in langs for t in lists(lang).get(cat, ())]
        cancel = [t for lang in langs for t in lists(lang).get(f"not_{cat}", ())]
        out[cat] = (alternation(terms), alternation(cancel))
    return out


@cache
def _contains(langs: tuple[str, ...] = LANGS) -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    """``patterns`` as ``contains_patterns``: the same texts, without the slow word-boundary regexes."""
    out = {}
    for cat in CATEGORIES:
        terms = [t for lang in langs for t in lists(lang).get(cat, ())]
        cancel = [t for lang in langs for t in lists(lang).get(f"not_{cat}", ())]
        out[cat] = (contains_patterns(terms), contains_patterns(cancel))
    return out


def _normalised(text: pl.Expr) -> pl.Expr:
    return text.fill_null("").str.to_lowercase().str.replace_all("’", "'", literal=True)


def _any(texts: pl.Series, regexes: tuple[str, ...]) -> pl.Series:
    hit = pl.repeat(False, len(texts), dtype=pl.Boolean, eager=True)
    for regex in regexes:
        hit = hit | texts.str.contains(regex).fill_null(False)
    return hit


def mark_texts(texts: pl.Series, langs: tuple[str, ...] = LANGS) -> pl.DataFrame:
    """The five columns for a Series of texts (vectorised: a few regex passes per category; the
    cancelling phrases are looked for only in the texts where the category's terms were found)."""
    norm = pl.DataFrame({"_t": texts}).select(_normalised(pl.col("_t"))).to_series()
    out = []
    for cat, (terms, cancel) in _contains(langs).items():
        hit = _any(norm, terms)
        if cancel:
            idx = hit.arg_true()
            if len(idx):
                hit = hit.scatter(idx, ~_any(norm.gather(idx), cancel))
        out.append(hit.alias(COLUMNS[cat]))
    return pl.DataFrame(out)


def mark_repair(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` (a feature or message frame with ``text`` and ``kind``) with the five columns added."""
    if frame.is_empty():
        return frame.with_columns([pl.lit(False).alias(c) for c in COLUMNS.values()])
    is_text = frame.get_column("kind") == "text" if "kind" in frame.columns else pl.repeat(True, frame.height, eager=True)
    idx = is_text.fill_null(False).arg_true()
    marked = mark_texts(frame.get_column("text").gather(idx))
    columns = []
    for c in COLUMNS.values():
        col = pl.repeat(False, frame.height, dtype=pl.Boolean, eager=True).alias(c)
        columns.append(col.scatter(idx, marked.get_column(c)) if len(idx) else col)
    return frame.with_columns(columns)


__all__ = ["CATEGORIES", "COLUMNS", "LANGS", "lists", "mark_repair", "mark_texts", "patterns"]
