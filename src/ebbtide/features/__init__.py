"""Features layer: per-message facts the signals layer aggregates week by week.

Entry point: ``build_features(messages, *, session_gap=6 h) -> pl.DataFrame`` — the conversation
structure (``timing.conversation_structure``: sessions, initiations, turns, reply latencies, double
texts, replies) joined with the language features (``language.annotate_frame``: words, affection,
noncommittal answers...). Columns are documented in ``docs/features.md``.
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from ebbtide.features.timing import (
    DEFAULT_SESSION_GAP,
    STRUCTURE_COLUMNS,
    STRUCTURE_SCHEMA,
    conversation_structure,
)
from ebbtide.model import MESSAGE_COLUMNS


def build_features(
    messages: pl.DataFrame, *, session_gap: timedelta = DEFAULT_SESSION_GAP, with_matches: bool | None = None
) -> pl.DataFrame:
    """Structure + language features for one conversation (the frame the signals layer consumes).

    The language layer is imported lazily so the structure columns are still produced when it is absent
    (then the signals layer reports language-based signs as not measurable instead of failing).
    Evidence spans: by default (``with_matches=None``) there is no ``matches`` column and
    ``features_matches`` finds the spans of the few rows a report shows; ``True`` computes them for every
    row, ``False`` gives empty lists.
    """
    structure = conversation_structure(messages, session_gap=session_gap)
    try:
        from ebbtide.features.language import annotate_frame
    except ModuleNotFoundError as exc:
        if exc.name is None or not exc.name.startswith("ebbtide.features.language"):
            raise
        return structure
    canonical = [c for c in MESSAGE_COLUMNS if c in structure.columns]
    annotated = annotate_frame(structure.select(canonical), with_matches=with_matches)
    added = [c for c in annotated.columns if c not in structure.columns]
    return structure.hstack(annotated.select(added))


def features_matches(rows: pl.DataFrame) -> pl.Series:
    """The evidence spans (``matches``) of some rows of a ``build_features`` frame: the column itself when it
    was computed, else found now for these rows only (``language.matches_for``); empty lists without the
    language layer."""
    if "matches" in rows.columns:
        return rows.get_column("matches")
    try:
        from ebbtide.features.language import matches_for
    except ModuleNotFoundError as exc:
        if exc.name is None or not exc.name.startswith("ebbtide.features.language"):
            raise
        return pl.Series("matches", [[]] * rows.height)
    if not {"text", "lang", "noncommittal"} <= set(rows.columns):
        return pl.Series("matches", [[]] * rows.height)
    return matches_for(rows)


__all__ = [
    "DEFAULT_SESSION_GAP", "STRUCTURE_COLUMNS", "STRUCTURE_SCHEMA", "build_features", "conversation_structure",
    "features_matches",
]
