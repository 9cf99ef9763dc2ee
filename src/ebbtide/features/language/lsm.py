"""Function-word counts and language style matching (LSM).

LSM (Ireland et al. 2011; formula from Gonzales, Hancock & Pennebaker 2010): per category
``1 − |p1 − p2| / (p1 + p2 + 0.0001)`` where p is a person's share of words in that category, averaged over
the nine categories. The lists are our own closed classes (data/<lang>.toml, [function_words]), not LIWC.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from ebbtide.features.language.lexicon import FUNCTION_WORD_CATEGORIES, Lexicon, alternation

FW_COLUMNS: tuple[str, ...] = tuple(f"fw_{c}" for c in FUNCTION_WORD_CATEGORIES)


def function_word_exprs(norm: pl.Expr, lex: Lexicon) -> list[pl.Expr]:
    """One Int32 count expression per category (null where the language has no list)."""
    exprs = []
    for cat in FUNCTION_WORD_CATEGORIES:
        pat = alternation(lex.function_words.get(cat, ()))
        col = f"fw_{cat}"
        if pat is None:
            exprs.append(pl.lit(None, dtype=pl.Int32).alias(col))
        else:
            exprs.append(norm.str.count_matches(pat).cast(pl.Int32).alias(col))
    return exprs


def lsm_score(a: Mapping[str, float], b: Mapping[str, float], words_a: float, words_b: float) -> float | None:
    """LSM between two people from their summed ``fw_*`` counts and word totals (None if either has no words).

    Why totals and not per-message averages: the published measure uses each person's share of all their
    words over the period (e.g. a week).
    """
    if words_a <= 0 or words_b <= 0:
        return None
    vals = []
    for col in FW_COLUMNS:
        pa = 100.0 * float(a.get(col, 0) or 0) / words_a
        pb = 100.0 * float(b.get(col, 0) or 0) / words_b
        vals.append(1.0 - abs(pa - pb) / (pa + pb + 0.0001))
    return sum(vals) / len(vals)


def lsm_expr(pa: str = "_a", pb: str = "_b") -> pl.Expr:
    """Vectorised LSM for frames holding both people's ``fw_*`` sums and ``words`` side by side.

    Expects columns ``fw_<cat><pa>``, ``words<pa>``, ``fw_<cat><pb>``, ``words<pb>`` (e.g. after joining
    weekly sums of the two senders). Null where either side has no words.
    """
    parts = []
    for col in FW_COLUMNS:
        p1 = pl.col(f"{col}{pa}") * 100.0 / pl.col(f"words{pa}")
        p2 = pl.col(f"{col}{pb}") * 100.0 / pl.col(f"words{pb}")
        parts.append(1.0 - (p1 - p2).abs() / (p1 + p2 + 0.0001))
    ok = (pl.col(f"words{pa}") > 0) & (pl.col(f"words{pb}") > 0)
    return pl.when(ok).then(pl.sum_horizontal(parts) / len(parts)).otherwise(None)
