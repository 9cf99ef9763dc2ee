"""Typing WhatsApp message bodies: text, media, deleted, call, other, system; and the edited marker.

Why: placeholders such as ``<Media omitted>`` or ``This message was deleted`` would otherwise count as
words a person wrote, inflating or distorting every language measure. The strings are UI text in many
languages, so they live in a data file (``data/whatsapp_placeholders.tsv``), not in code; this module
turns that table into vectorised Polars expressions.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

import polars as pl

from ebbtide.importers.whatsapp_dialect import BIDI_CHARS
from ebbtide.model import MessageKind

_STRIP = BIDI_CHARS + " \t\u00a0\u202f"


@dataclass(frozen=True, slots=True)
class Placeholders:
    exact: dict[str, dict[str, str]]  # kind -> {lowercased text without trailing '.': lang}
    regex: dict[str, str]  # kind -> one combined case-insensitive pattern
    regex_parts: dict[str, list[str]]  # kind -> the single patterns, as in the table
    edited_suffix: str  # pattern matching the edited marker at the end of a body


@cache
def placeholders() -> Placeholders:
    """The placeholder table, parsed once per process."""
    text = resources.files("ebbtide.importers").joinpath("data/whatsapp_placeholders.tsv").read_text("utf-8")
    lines = [ln for ln in text.splitlines() if ln and not ln.startswith("#")]
    exact: dict[str, dict[str, str]] = {}
    regex: dict[str, list[str]] = {}
    suffixes: list[str] = []
    for row in csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE):
        kind, match, value = row["kind"], row["match"], row["text"]
        if match == "exact":
            exact.setdefault(kind, {})[value.strip().lower().rstrip(".")] = row["lang"]
        elif match == "regex":
            regex.setdefault(kind, []).append(value)
        elif match == "suffix":
            suffixes.append(_escape(value))
        else:
            raise ValueError(f"whatsapp_placeholders.tsv: unknown match type {match!r}")
    combined = {k: "(?i)" + "|".join(f"(?:{p})" for p in v) for k, v in regex.items()}
    bidi_class = "[" + BIDI_CHARS + " \u00a0\u202f]*"
    edited = f"(?i){bidi_class}(?:{'|'.join(suffixes)}){bidi_class}$"
    return Placeholders(exact=exact, regex=combined, regex_parts=regex, edited_suffix=edited)


def _escape(literal: str) -> str:
    """Escape a literal for Rust regex (``re.escape`` also escapes characters Rust rejects, e.g. '<')."""
    special = set("\\.+*?()|[]{}^$#&-~")
    return "".join("\\" + ch if ch in special else ch for ch in literal)


def edited_expr(body: str = "body") -> pl.Expr:
    return pl.col(body).str.contains(placeholders().edited_suffix)


def strip_edited_expr(body: str = "body") -> pl.Expr:
    return pl.col(body).str.replace(placeholders().edited_suffix, "")


def _kind_expr(stripped: pl.Expr, has_author: pl.Expr) -> pl.Expr:
    """The MessageKind value from the body without outer marks/spaces and whether it had an author."""
    ph = placeholders()
    key = stripped.str.to_lowercase().str.strip_chars_end(".")

    def exact(kind: str) -> pl.Expr:
        return key.is_in(list(ph.exact.get(kind, {})))

    def rx(kind: str) -> pl.Expr:
        pattern = ph.regex.get(kind)
        return stripped.str.contains(pattern) if pattern else pl.lit(False)

    return (
        pl.when(~has_author)
        .then(pl.lit(MessageKind.SYSTEM.value))
        .when(rx("system"))
        .then(pl.lit(MessageKind.SYSTEM.value))
        .when(exact("deleted") | exact("deleted_by_me"))
        .then(pl.lit(MessageKind.DELETED.value))
        .when(rx("call"))
        .then(pl.lit(MessageKind.CALL.value))
        .when(exact("other") | rx("other"))
        .then(pl.lit(MessageKind.OTHER.value))
        .when(exact("media") | rx("media"))
        .then(pl.lit(MessageKind.MEDIA.value))
        .otherwise(pl.lit(MessageKind.TEXT.value))
    )


_MARKS = "[" + BIDI_CHARS + " \t\u00a0\u202f]*"


def _tolerant(pattern: str) -> str:
    """Let an anchored pattern match despite invisible marks/spaces at the start or end of the body."""
    if pattern.startswith("^"):
        pattern = "^" + _MARKS + pattern[1:]
    if pattern.endswith("$") and not pattern.endswith("\\$"):
        pattern = pattern[:-1] + _MARKS + "$"
    return pattern


@cache
def _special_pattern() -> str:
    """One case-insensitive pattern matching every raw body that could be anything but plain text."""
    ph = placeholders()
    parts = ["^(?:" + "|".join(_escape(x) for x in d) + r")\.*$" for d in ph.exact.values()]
    parts += [p for kind_parts in ph.regex_parts.values() for p in kind_parts]
    return "(?i)" + "|".join(f"(?:{_tolerant(p)})" for p in parts)


def may_be_special(body: str = "body") -> pl.Expr:
    """True where a body could be anything but plain text: one pass of the combined placeholder pattern."""
    return pl.col(body).str.contains(_special_pattern())


def classify(
    frame: pl.DataFrame, body: str = "body", has_author: str = "has_author", rows: pl.Expr | None = None
) -> pl.DataFrame:
    """Add ``kind`` and ``by_me`` ('You deleted this message': the exporter's own line) to ``frame``.

    One pass of a single combined pattern over the raw bodies finds the few that may be placeholders;
    the detailed rules run on those rows only (a chat is mostly plain text, and this is the hot path).
    A caller that already ran that pass (``may_be_special``, e.g. in parallel with other passes) gives
    the rows to look at as ``rows``; every other row is plain text.
    """
    if rows is None:
        rows = ~pl.col(has_author) | may_be_special(body)
    picked = frame.select(rows.fill_null(True).alias("s")).to_series().arg_true()
    sub = frame[picked].select(pl.col(has_author), pl.col(body).str.strip_chars(_STRIP).alias("_st"))
    special = ~pl.col(has_author) | pl.col("_st").str.contains(_special_pattern())
    key = pl.col("_st").str.to_lowercase().str.strip_chars_end(".")
    sub = sub.select(
        pl.when(special)
        .then(_kind_expr(pl.col("_st"), pl.col(has_author)))
        .otherwise(pl.lit(MessageKind.TEXT.value))
        .alias("kind"),
        (special & key.is_in(list(placeholders().exact.get("deleted_by_me", {})))).alias("by_me"),
    )
    n = frame.height
    kinds = pl.repeat(MessageKind.TEXT.value, n, eager=True, dtype=pl.String)
    by_me = pl.repeat(False, n, eager=True, dtype=pl.Boolean)
    if picked.len():
        kinds = kinds.scatter(picked, sub.get_column("kind"))
        by_me = by_me.scatter(picked, sub.get_column("by_me"))
    return frame.with_columns(kinds.alias("kind"), by_me.alias("by_me"))
