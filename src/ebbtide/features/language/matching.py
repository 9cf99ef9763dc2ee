"""Fast list matching: one Aho–Corasick pass per language finds every term of every feature.

Why this design: a regex per feature costs about 0.5–1 s per million messages each on a small machine, and
there are twenty-odd features. Instead the text is "padded" once (lower case, every run of characters that
are not letters, digits or apostrophes becomes one space, a space at both ends), so a whole word or phrase
is simply `` term `` (spaces as word boundaries); Polars' ``extract_many`` (Aho–Corasick, overlapping) then
reports all terms of all features in one pass, and a join maps terms to features. Raw ``re:`` terms, which
cannot be literal, are run as regular expressions (kept few on purpose).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import numpy as np
import polars as pl

from ebbtide.features.language.lexicon import (
    FUNCTION_WORD_CATEGORIES,
    LIST_FEATURES,
    alternation,
    available_langs,
    common_lists,
    load_lexicon,
)

#: Characters kept in padded text; everything else becomes a space.
_PAD_RE = r"[^\p{L}\p{N}'\p{Extended_Pictographic}\x{2764}\x{2665}\x{2763}<]+"


def pad(norm: pl.Expr) -> pl.Expr:
    """Normalised text -> " words separated by single spaces " (emoji kept, punctuation dropped)."""
    return pl.lit(" ") + norm.str.replace_all(_PAD_RE, " ").str.strip_chars(" ") + pl.lit(" ")


def _variants(term: str) -> list[str]:
    """Literal search strings for one list term (padded; apostrophe optional; * = word prefix)."""
    t = " ".join(term.lower().replace("\u2019", "'").split())
    wildcard = t.endswith("*")
    if wildcard:
        t = t[:-1]
    forms = {t, t.replace("'", "")} if "'" in t else {t}
    out = []
    for f in forms:
        if not f:
            continue
        wordlike = f[0].isalnum()
        if not wordlike:  # emoji, "<3": matched anywhere
            out.append(f)
        else:
            f = " ".join(re.sub(r"[^\w']+", " ", f).split())  # as pad() does: "peut-être" -> "peut être"
            out.append(f" {f}" if wildcard else f" {f} ")
    return out


@dataclass(frozen=True, slots=True)
class TermTable:
    """Literal patterns of one language and the features each belongs to, plus the raw-regex leftovers."""

    patterns: tuple[str, ...]
    pat_ids: dict[str, int]  # pattern -> id
    pid_feature: pl.DataFrame  # columns: pid (UInt32), fid (UInt32, index into ``features``); many-to-many
    regexes: dict[str, str]  # feature -> regex source, for the "re:" terms
    features: tuple[str, ...]


#: Feature names in the term table besides LIST_FEATURES: emoji affection, sarcasm, function words.
EXTRA_FEATURES: tuple[str, ...] = ("affection_emoji", "sarcasm", *(f"fw_{c}" for c in FUNCTION_WORD_CATEGORIES))


def _safety_terms() -> list[str]:
    terms: list[str] = []
    for lang in available_langs():
        terms.extend(load_lexicon(lang).features.get("safety_concern", ()))
    terms.extend(common_lists().features.get("safety_concern", ()))
    return terms


@cache
def term_table(lang: str) -> TermTable:
    """All literal patterns of a language ("*" = only the language-independent ones and safety terms)."""
    common = common_lists()
    lists: dict[str, list[str]] = {}
    if lang != "*":
        lex = load_lexicon(lang)
        for f in LIST_FEATURES:
            lists[f] = list(lex.features.get(f, ()))
        lists["sarcasm"] = list(lex.modifiers.get("sarcasm", ()))
        for c in FUNCTION_WORD_CATEGORIES:
            lists[f"fw_{c}"] = list(lex.function_words.get(c, ()))
    lists["safety_concern"] = _safety_terms()
    lists["affection_emoji"] = list(common.features.get("affection_emoji", ()))
    lists["sarcasm"] = lists.get("sarcasm", []) + list(common.features.get("sarcasm", ()))
    pats: list[str] = []
    feats: list[str] = []
    regexes: dict[str, list[str]] = {}
    for feat, terms in lists.items():
        for term in terms:
            if term.startswith("re:"):
                regexes.setdefault(feat, []).append(term)
                continue
            for v in _variants(term):
                pats.append(v)
                feats.append(feat)
    patterns = tuple(sorted(set(pats)))
    pat_ids = {p: i for i, p in enumerate(patterns)}
    names = tuple(lists)
    fid = {f: i for i, f in enumerate(names)}
    pairs = sorted({(pat_ids[p], fid[f]) for p, f in zip(pats, feats, strict=True)})
    pid_feature = pl.DataFrame(pairs, schema={"pid": pl.UInt32, "fid": pl.UInt32}, orient="row")
    return TermTable(
        patterns=patterns,
        pat_ids=pat_ids,
        pid_feature=pid_feature,
        regexes={f: alternation(ts) or "" for f, ts in regexes.items()},
        features=names,
    )


def count_features(padded: pl.Series, tt: TermTable) -> pl.DataFrame:
    """Per input row, the number of matched terms of each feature (Int32 columns named after features).

    Matched pattern strings become integer ids (hash lookup), ids expand to (row, feature) pairs through a
    small integer join, and NumPy ``bincount`` tallies each feature: no string joins, no Python loops.
    """
    n = len(padded)
    found = pl.DataFrame(
        {"row": pl.int_range(n, dtype=pl.UInt32, eager=True),
         "pat": padded.str.extract_many(list(tt.patterns), overlapping=True)}
    ).explode("pat").drop_nulls("pat")
    pid = found.select(
        "row", pid=pl.col("pat").replace_strict(tt.pat_ids, return_dtype=pl.UInt32)
    ).join(tt.pid_feature, on="pid", how="inner")
    # one bincount over (feature, row) cells: (a stable sort by feature took as long as the matching)
    nf = len(tt.features)
    cells = pid["fid"].to_numpy().astype(np.int64) * n + pid["row"].to_numpy()
    counts = np.bincount(cells, minlength=nf * n).astype(np.int32).reshape(nf, n) if n else np.zeros((nf, 0), np.int32)
    cols: dict[str, np.ndarray] = {feat: counts[i] for i, feat in enumerate(tt.features)}
    out = pl.DataFrame(cols)
    for feat, rx in tt.regexes.items():  # the few raw-regex terms
        if rx:
            extra = padded.str.count_matches(rx).cast(pl.Int32)
            out = out.with_columns((pl.col(feat) + extra).alias(feat))
    return out
