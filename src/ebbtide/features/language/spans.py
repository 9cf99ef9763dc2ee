"""Evidence spans, vectorised: where in each text the words behind a feature are.

A span is what the feature's regular expression matches (leftmost-first, not overlapping) in the
normalised text (``tokens.normalise``), as character offsets into the original text. Each feature's
regex runs in Polars (Rust) only on the texts where that feature fired, and its matches are turned into
offsets without a Python loop: every match is wrapped in two marker characters (``replace_all``), the
marked text is split at the opening markers, and the offsets are running sums of the pieces' lengths.

A feature whose pattern is a union of lists (affection: words, then emoji) is matched list by list,
because one big alternation mixing words and emoji defeats the regex engine's fast paths (ten times
slower). The union of the lists' matches equals what the combined pattern finds whenever the matches
of different lists do not overlap; the few texts where they do are matched again with the combined
pattern, so the result is the same.

Texts whose lower-case form has another length than the original (a few letters such as "İ"), or that
contain the marker characters, take the careful path: Python's ``re`` on the original text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import cache

import numpy as np
import polars as pl

from ebbtide.features.language.langdetect import NO_WORDS
from ebbtide.features.language.lexicon import available_langs, common_lists, load_lexicon
from ebbtide.features.language.patterns import BOOL_TAIL, patterns, safety_pattern
from ebbtide.features.language.tokens import normalise

MATCH_DTYPE = pl.List(
    pl.Struct({"feature": pl.String, "start": pl.Int32, "end": pl.Int32, "term": pl.String})
)
#: Features whose evidence spans the ``matches`` column holds.
SPAN_FEATURES = ("affection", "noncommittal", "plan_question", "relationship_question", *BOOL_TAIL)

_OPEN, _CLOSE = "\x00", "\x01"
SPAN_SCHEMA: dict[str, pl.DataType] = {
    "row": pl.UInt32(), "feature": pl.String(), "start": pl.Int32(), "end": pl.Int32(), "term": pl.String(),
}


def _regex_spans(norm: pl.Series, pos: np.ndarray, src: str) -> pl.DataFrame:
    """Matches of ``src`` in ``norm`` (texts without marker characters): columns ``pos`` (the caller's
    index of the text, from ``pos``), ``start`` and ``end`` (character offsets), in text then match order."""
    marked = norm.str.replace_all(src, _OPEN + "${0}" + _CLOSE)
    df = pl.DataFrame({"pos": pl.Series(pos, dtype=pl.UInt32), "p": marked.str.split(_OPEN)})
    df = df.filter(pl.col("p").list.len() > 1)
    if not df.height:
        return pl.DataFrame(schema={"pos": pl.UInt32, "start": pl.Int64, "end": pl.Int64})
    ex = df.explode("p").with_columns(n=pl.col("p").str.len_chars().cast(pl.Int64))
    n = ex["n"].to_numpy()
    first = np.r_[True, ex["pos"].to_numpy()[1:] != ex["pos"].to_numpy()[:-1]]
    before = np.cumsum(n) - n  # characters of the marked text before each piece (global)
    base = np.maximum.accumulate(np.where(first, before, 0))  # ... up to the row's first piece
    k = np.arange(len(n)) - np.maximum.accumulate(np.where(first, np.arange(len(n)), 0))
    # piece k >= 1 is "match<CLOSE>rest": k − 1 closing markers lie before it in the marked text
    start = before - base - np.maximum(k - 1, 0)
    ex = ex.with_columns(start=pl.Series(start), first=pl.Series(first))
    ex = ex.filter(~pl.col("first"))
    mlen = ex["p"].str.split(_CLOSE).list.first().str.len_chars().cast(pl.Int64)
    return ex.select("pos", "start", end=pl.col("start") + mlen)


def _union_spans(norm: pl.Series, pos: np.ndarray, sources: Sequence[str]) -> pl.DataFrame:
    """Matches of the alternation ``(?:s0)|(?:s1)|…`` computed list by list (see the module docstring)."""
    if len(sources) == 1:
        return _regex_spans(norm, pos, sources[0])
    found = pl.concat([_regex_spans(norm, pos, s).with_columns(part=pl.lit(i)) for i, s in enumerate(sources)])
    found = found.sort("pos", "start", "part").unique(["pos", "start", "end"], keep="first", maintain_order=True)
    prev_end = pl.col("end").shift(1)
    clash = found.filter((pl.col("pos") == pl.col("pos").shift(1)) & (pl.col("start") < prev_end))["pos"].unique()
    if not clash.len():
        return found.select("pos", "start", "end")
    redo = np.isin(pos, clash.to_numpy())
    combined = "|".join(sources)
    again = _regex_spans(norm.filter(pl.Series(redo)), pos[redo], combined)
    keep = found.filter(~pl.col("pos").is_in(clash.implode())).select("pos", "start", "end")
    return pl.concat([keep, again]).sort("pos", "start")


def find_spans(
    texts: pl.Series, fired: dict[str, np.ndarray], sources: Mapping[str, Sequence[str]],
    careful: dict[str, re.Pattern[str]],
) -> pl.DataFrame:
    """Spans of every feature in ``texts`` where it fired, as rows (``SPAN_SCHEMA``), ``row`` = index in ``texts``.

    ``fired``: feature -> Boolean mask over ``texts``; ``sources``: feature -> the regex sources of its
    alternation, in order; ``careful``: feature -> the same alternation compiled by Python (case-insensitive),
    for the texts the vectorised path cannot take. Rows are ordered by text, then start and end; spans of
    several features at the same place keep the order of ``fired``.
    """
    norm = pl.select(normalise(pl.lit(texts))).to_series()
    odd = ((texts.str.len_chars() != norm.str.len_chars())
           | norm.str.contains(f"[{_OPEN}{_CLOSE}]")).fill_null(False).to_numpy()
    frames: list[pl.DataFrame] = []
    for feat, mask in fired.items():
        srcs = sources.get(feat)
        if not srcs:
            continue
        fast = np.flatnonzero(mask & ~odd)
        if fast.size:
            sp = _union_spans(norm.gather(fast), fast.astype(np.uint32), srcs)
            frames.append(sp.select(row="pos", feature=pl.lit(feat), start="start", end="end"))
        slow = np.flatnonzero(mask & odd)
        if slow.size and feat in careful:
            rx = careful[feat]
            rows, starts, ends = [], [], []
            for j, original in zip(slow.tolist(), texts.gather(slow).to_list(), strict=True):
                for m in rx.finditer(original.replace("\u2019", "'")):
                    rows.append(j)
                    starts.append(m.start())
                    ends.append(m.end())
            frames.append(pl.DataFrame({"row": rows, "start": starts, "end": ends},
                                       schema={"row": pl.UInt32, "start": pl.Int64, "end": pl.Int64})
                          .select("row", feature=pl.lit(feat), start="start", end="end"))
    if not frames:
        return pl.DataFrame(schema=SPAN_SCHEMA)
    flat = pl.concat(frames).sort("row", "start", "end", maintain_order=True)
    term = texts.gather(flat["row"]).str.slice(flat["start"], flat["end"] - flat["start"])
    return flat.with_columns(term=term).cast(SPAN_SCHEMA)  # type: ignore[arg-type]


@cache
def span_parts(lang: str) -> dict[str, tuple[str, ...]]:
    """Regex sources per span feature: the feature's pattern is the alternation of its parts, in order.

    A union of lists stays split into its lists (affection: words, then emoji): ``find_spans`` matches
    them one by one, which is much faster than one regex mixing words and emoji, with the same result.
    """
    src: dict[str, tuple[str | None, ...]]
    if lang in available_langs():
        p = patterns(lang)
        src = {
            "affection": (p["affection"], p["affection_emoji"], load_lexicon(lang).modifier("pet_names_all"),
                          p["aff_warm"]),
            "noncommittal": (p["noncommittal"],),
            "plan_question": (p["plan"],),
            "relationship_question": (p["relationship_question"],),
            **{f: (p[f],) for f in BOOL_TAIL},
        }
    elif lang == NO_WORDS:
        src = {"affection": (common_lists().pattern("affection_emoji"),)}
    else:
        src = {}
    src["safety_concern"] = (safety_pattern(),)
    out = {feat: tuple(x for x in parts if x) for feat, parts in src.items()}
    return {feat: parts for feat, parts in out.items() if parts}


@cache
def py_patterns(lang: str) -> dict[str, re.Pattern[str]]:
    """Python twins of the Polars patterns, for evidence spans (feature -> compiled regex)."""
    return {feat: re.compile("|".join(parts), re.IGNORECASE) for feat, parts in span_parts(lang).items()}


def empty_matches(n: int) -> pl.Series:
    return pl.Series("matches", [[]], dtype=MATCH_DTYPE).new_from_index(0, n)


def frame_matches(frame: pl.DataFrame) -> pl.Series:
    """Evidence spans (character offsets in the original text) for the rows of ``frame`` where a feature fired.

    ``frame`` holds ``text``, ``lang`` and the Boolean feature columns. Vectorised in ``find_spans``: each
    feature's regex runs in Polars (Rust) only on the texts where that feature fired, and offsets come from
    running sums, not a Python loop.
    """
    flags = [c for c in SPAN_FEATURES if c in frame.columns]
    any_flag = pl.any_horizontal([pl.col(c).fill_null(False) for c in flags])
    hit = frame.select(any_flag.alias("_any")).get_column("_any").to_numpy()
    idx = np.flatnonzero(hit)
    if not idx.size:
        return empty_matches(frame.height)
    sub = frame[idx].select("text", "lang", *flags)
    parts = []
    for lg in sub["lang"].unique(maintain_order=True).to_list():
        m = (sub["lang"] == lg).to_numpy()
        part = sub.filter(pl.lit(m))
        fired = {f: part[f].fill_null(False).to_numpy() for f in flags}
        sp = find_spans(part["text"], fired, span_parts(lg), py_patterns(lg))
        parts.append(sp.with_columns(row=pl.Series(idx[m].astype(np.uint32)).gather(sp["row"])))
    flat = pl.concat(parts).sort("row", "start", "end", maintain_order=True) if len(parts) > 1 else parts[0]
    nested = flat.group_by("row", maintain_order=True).agg(matches=pl.struct("feature", "start", "end", "term"))
    allrows = pl.DataFrame({"row": pl.int_range(frame.height, dtype=pl.UInt32, eager=True)})
    out = allrows.join(nested, on="row", how="left").sort("row").get_column("matches")
    return out.fill_null(empty_matches(1).first()).cast(MATCH_DTYPE) if out.null_count() else out.cast(MATCH_DTYPE)


__all__ = ["MATCH_DTYPE", "SPAN_FEATURES", "SPAN_SCHEMA", "empty_matches", "find_spans", "frame_matches",
           "py_patterns", "span_parts"]
