"""Typing WhatsApp message bodies: text, media, deleted, call, other, system; and the edited marker.

Why: placeholders such as ``<Media omitted>`` or ``This message was deleted`` and notices such as
``X was added`` would otherwise count as words a person wrote (and invent senders), distorting every
measure. The strings are UI text in the phone's language, so they live in data files, one per UI
language (``data/whatsapp/<lang>.tsv``; ``any.tsv`` for language-neutral forms), not in code; this
module turns those tables into vectorised Polars expressions.

The structure does most of the work, so that a language we have no words for degrades to ``system``
rather than to a fake message:

- a line without an author (Android notices) is ``system``;
- an iPhone writes every line the app itself made (notices, placeholders, calls, deletions) with an
  invisible U+200E mark right after ``Name:`` (the "mark"). A marked body is never typed text: it is
  ``deleted``, ``call``, ``other`` or ``media`` when the vocabulary knows the form (case-insensitive,
  first line), and otherwise ``system``;
- an unmarked body (Android, older exports) is a placeholder only in the app's exact form: exact
  strings match case-sensitively (a person typing ``Null`` or ``video call`` keeps a text message),
  forms in angle brackets and structural patterns (file names, ``POLL:``) case-insensitively.
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
MARK = "\u200e"  # what an iPhone writes right after 'Name: ' on the app's own lines
KINDS = ("media", "other", "deleted", "deleted_by_me", "edited", "call", "system")
MATCHES = ("exact", "head", "regex", "suffix")
# the detail after a call's head: "Voice call, ‎12 min", "Llamada. ‎39 s", "Missed voice call, ‎Tap to call back"
_HEAD_TAIL = r"(?:[.,،，]\s*[^\n]*)?"


@dataclass(frozen=True, slots=True)
class VocabRow:
    lang: str
    kind: str
    match: str
    source: str
    text: str


@dataclass(frozen=True, slots=True)
class Vocabulary:
    rows: tuple[VocabRow, ...]
    plain: dict[str, str]  # kind -> pattern for unmarked bodies (exact forms case-sensitive)
    marked: dict[str, str]  # kind -> pattern for marked bodies (case-insensitive, first line)
    by_me: str  # 'You deleted this message' in every language (marked or not)
    edited_suffix: str  # the edited marker at the end of a body

    def languages(self) -> list[str]:
        return sorted({r.lang for r in self.rows})


def _escape(literal: str) -> str:
    """Escape a literal for Rust regex (``re.escape`` also escapes characters Rust rejects, e.g. '<')."""
    special = set("\\.+*?()|[]{}^$#&-~")
    return "".join("\\" + ch if ch in special else ch for ch in literal)


def _exact_core(text: str) -> str:
    """The exact form without a trailing full stop, which is then optional."""
    return _escape(text.strip().rstrip(".")) + r"\.?"


def _by_name(row: VocabRow) -> bool:
    """A notice form that starts with a name (``X pinned a message``). Unmarked, it could be a person
    typing ('Sam left'), so such forms are recognised by structure only (the iPhone mark, or no author
    on Android); the rows document the forms."""
    return row.kind == "system" and row.match == "regex" and row.text.startswith("^[^\\n]+")


@cache
def read_rows() -> tuple[VocabRow, ...]:
    """Every row of every vocabulary file (``data/whatsapp/*.tsv``), validated."""
    folder = resources.files("ebbtide.importers").joinpath("data/whatsapp")
    rows: list[VocabRow] = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".tsv"):
            continue
        lang = entry.name[:-4]
        lines = [ln for ln in entry.read_text("utf-8").splitlines() if ln and not ln.startswith("#")]
        for row in csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE):
            r = VocabRow(lang, row["kind"], row["match"], row["source"], row["text"])
            if r.kind not in KINDS or r.match not in MATCHES or not r.text:
                raise ValueError(f"data/whatsapp/{entry.name}: bad row {row!r}")
            rows.append(r)
    return tuple(rows)


@cache
def vocabulary() -> Vocabulary:
    """The vocabulary of every language, parsed once per process."""
    rows = read_rows()
    plain: dict[str, list[str]] = {}
    marked: dict[str, list[str]] = {}
    by_me: list[str] = []
    suffixes: list[str] = []
    for r in rows:
        kind = "deleted" if r.kind == "deleted_by_me" else r.kind
        if r.match == "suffix":
            body = _escape(r.text.strip())
            if body.endswith(r"\.>"):  # "<Diese Nachricht wurde bearbeitet.>": the stop is optional
                body = body[:-3] + r"\.?>"
            suffixes.append(body)
            continue
        if r.match == "exact":
            core = _exact_core(r.text)
            case = "(?i:" if r.text.lstrip().startswith("<") else "(?:"
            plain.setdefault(kind, []).append(f"{case}^{core}$)")
            marked.setdefault(kind, []).append(f"(?i:^{core}(?:$|\n))")
            if r.kind == "deleted_by_me":
                by_me.append(f"^{core}$")
        elif r.match == "head":  # the app's own call lines only: marked bodies
            marked.setdefault(kind, []).append(f"(?i:^{_escape(r.text)}{_HEAD_TAIL}$)")
        else:  # regex: structural, case-insensitive
            if not _by_name(r):
                plain.setdefault(kind, []).append(f"(?i:{r.text})")
            first_line = r.text[:-1] + "(?:$|\n)" if r.text.endswith("$") and not r.text.endswith(r"\$") else r.text
            marked.setdefault(kind, []).append(f"(?i:{first_line})")
    marks = "[" + BIDI_CHARS + " \u00a0\u202f]*"
    return Vocabulary(
        rows=rows,
        plain={k: "|".join(v) for k, v in plain.items()},
        marked={k: "|".join(v) for k, v in marked.items()},
        by_me="(?i)" + "|".join(by_me),
        edited_suffix=f"(?i){marks}(?:{'|'.join(suffixes)}){marks}$",
    )


def edited_expr(body: str = "body") -> pl.Expr:
    return pl.col(body).str.contains(vocabulary().edited_suffix)


def strip_edited_expr(body: str = "body") -> pl.Expr:
    return pl.col(body).str.replace(vocabulary().edited_suffix, "")


def _rx(patterns: dict[str, str], kind: str, body: pl.Expr) -> pl.Expr:
    pattern = patterns.get(kind)
    return body.str.contains(pattern) if pattern else pl.lit(False)


def _marked_kind(body: pl.Expr) -> pl.Expr:
    """The kind of a marked body: a known placeholder form, else a notice (in any language)."""
    v = vocabulary()
    return (
        pl.when(_rx(v.marked, "deleted", body))
        .then(pl.lit(MessageKind.DELETED.value))
        .when(_rx(v.marked, "call", body))
        .then(pl.lit(MessageKind.CALL.value))
        .when(_rx(v.marked, "other", body))
        .then(pl.lit(MessageKind.OTHER.value))
        .when(_rx(v.marked, "media", body))
        .then(pl.lit(MessageKind.MEDIA.value))
        .otherwise(pl.lit(MessageKind.SYSTEM.value))
    )


# "[date] Trip: Paris: ‎X was added": a group name holding ': ' puts the mark after a later colon
_INNER_MARK = f"^[^\n]{{1,100}}?: {MARK}"


def _plain_kind(stripped: pl.Expr) -> pl.Expr:
    """The kind of an unmarked body with an author: a placeholder only in the app's exact form."""
    v = vocabulary()

    def plain(kind: str) -> pl.Expr:
        return _rx(v.plain, kind, stripped)

    return (
        pl.when(plain("system"))
        .then(pl.lit(MessageKind.SYSTEM.value))
        .when(plain("deleted"))
        .then(pl.lit(MessageKind.DELETED.value))
        .when(plain("call"))
        .then(pl.lit(MessageKind.CALL.value))
        .when(plain("other"))
        .then(pl.lit(MessageKind.OTHER.value))
        .when(plain("media"))
        .then(pl.lit(MessageKind.MEDIA.value))
        .otherwise(pl.lit(MessageKind.TEXT.value))
    )


def _inner(stripped: pl.Expr) -> pl.Expr:
    """The body after a mark that follows a later ': ' (see ``_INNER_MARK``), without marks/spaces."""
    return stripped.str.replace(_INNER_MARK, "").str.strip_chars(_STRIP)


def _kind_expr(stripped: pl.Expr, has_author: pl.Expr, marked: pl.Expr) -> pl.Expr:
    """The MessageKind value from the body without outer marks/spaces, its author and its mark: the
    rule in one expression. ``kinds_of`` applies the same rule branch by branch (faster: a when/then
    runs every pattern on every row); a test holds the two equal."""
    inner_notice = stripped.str.contains(_INNER_MARK) & (_marked_kind(_inner(stripped)) == MessageKind.SYSTEM.value)
    return (
        pl.when(~has_author)
        .then(pl.lit(MessageKind.SYSTEM.value))
        .when(marked)
        .then(_marked_kind(stripped))
        .when(inner_notice)
        .then(pl.lit(MessageKind.SYSTEM.value))
        .otherwise(_plain_kind(stripped))
    )


# which branch of _kind_expr decides a row: 0 no author, 1 marked, 2 a mark after a later ': ', 3 the rest
_BRANCHES = {
    0: lambda st: pl.lit(MessageKind.SYSTEM.value),
    1: _marked_kind,
    2: lambda st: pl.when(_marked_kind(_inner(st)) == MessageKind.SYSTEM.value)
    .then(pl.lit(MessageKind.SYSTEM.value)).otherwise(_plain_kind(st)),
    3: _plain_kind,
}


_MARKS = "[" + BIDI_CHARS + " \t\u00a0\u202f]*"


def _tolerant(pattern: str) -> str:
    """Let an anchored pattern match despite invisible marks/spaces at the start or end of the body."""
    for opener in ("(?:^", "(?i:^"):
        if pattern.startswith(opener):
            pattern = opener + _MARKS + pattern[len(opener):]
    if pattern.endswith("$)") and not pattern.endswith("\\$)"):
        pattern = pattern[:-2] + _MARKS + "$)"
    return pattern


@cache
def _special_pattern() -> str:
    """One pattern matching every raw unmarked body that could be anything but plain text.

    A superset, kept simple for speed (this runs on every body): all exact forms in one
    case-insensitive alternation, then each structural pattern; the exact rules run on the few rows
    it finds. (One alternative per form, each with its own case flag, or notices starting with
    ``[^\\n]+``, made the regex engine a hundred times slower.)
    """
    rows = read_rows()
    exact = sorted({_escape(r.text.strip().rstrip(".")) for r in rows if r.match == "exact"}, key=len, reverse=True)
    parts = [f"^{_MARKS}(?:{'|'.join(exact)})\\.?{_MARKS}$"]
    parts += [_tolerant(f"(?i:{r.text})")[4:-1] for r in rows if r.match == "regex" and not _by_name(r)]
    return "(?i)" + "|".join(f"(?:{p})" for p in parts)


def may_be_special(body: str = "body") -> pl.Expr:
    """True where an unmarked body could be anything but plain text: one pass of the combined pattern
    (and a literal search for a mark after a later ': ', see ``_INNER_MARK``)."""
    return pl.col(body).str.contains(_special_pattern()) | pl.col(body).str.contains(f": {MARK}", literal=True)


@cache
def _any_flag_pattern() -> str:
    """One pattern true for every body that needs a closer look: it may be a placeholder or notice
    (``_special_pattern``), starts with an invisible mark, holds a mark after a later ': ', or ends
    with the edited marker. Rows it misses are plain text, not edited, without leading marks."""
    edited = vocabulary().edited_suffix.removeprefix("(?i)")
    parts = (_special_pattern().removeprefix("(?i)"), f"^[{BIDI_CHARS}]", f": {MARK}", edited)
    return "(?i)" + "|".join(f"(?:{p})" for p in parts)


def needs_look(body: str = "body") -> pl.Expr:
    """True for every body that needs a closer look (``_any_flag_pattern``): one pass over all rows,
    the hot path (a chat is mostly plain text). The rows it finds are those that may be placeholders
    or notices (``may_be_special``), have a leading invisible mark, or are edited."""
    return pl.col(body).str.contains(_any_flag_pattern()).fill_null(False)


def body_flags(bodies: pl.Series) -> pl.DataFrame:
    """For the few bodies ``needs_look`` found: ``edited``, ``_mark`` (the iPhone mark) and ``_bidi``
    (any leading invisible mark)."""
    return pl.DataFrame({"body": bodies}).select(
        edited_expr("body").alias("edited"),
        pl.col("body").str.starts_with(MARK).alias("_mark"),
        pl.col("body").str.contains(f"^[{BIDI_CHARS}]").alias("_bidi"),
    )


def marked_expr(body: str = "body") -> pl.Expr:
    """The body starts with the iPhone's mark of the app's own lines (before any other character)."""
    return pl.col(body).str.starts_with(MARK)


def kinds_of(frame: pl.DataFrame, body: str = "body", has_author: str = "has_author", marked: str | None = None,
             ) -> list[pl.Series]:
    """``kind`` and ``by_me`` ('You deleted this message': the exporter's own line) of every row of
    ``frame``: the rows a caller picked because they may be anything but plain text (``body_flags``),
    always including every row without an author and every marked row.

    ``marked``: a boolean column telling which bodies carried the iPhone mark (computed from the body
    here when not given).
    """
    mark = pl.col(marked) if marked else marked_expr(body)
    st = pl.col("_st")
    sub = frame.select(
        pl.col(has_author).alias("_ha"), mark.fill_null(False).alias("_mk"), pl.col(body).str.strip_chars(_STRIP).alias("_st")
    ).with_row_index("_i").with_columns(
        # the branch of _kind_expr that decides each row (a null condition falls through, as in when/then)
        pl.when(~pl.col("_ha")).then(0).when(pl.col("_mk")).then(1).when(st.str.contains(_INNER_MARK)).then(2)
        .otherwise(3).alias("_b")
    )
    parts = [part.select("_i", "_st", _BRANCHES[int(part.get_column("_b")[0])](st).alias("kind"))
             for part in sub.partition_by("_b", maintain_order=False)]
    kinds = pl.concat(parts).sort("_i") if parts else sub.select("_i", "_st", pl.lit("", pl.String).alias("kind"))
    kinds = kinds.select(
        "kind",
        ((pl.col("kind") == MessageKind.DELETED.value) & st.str.contains(vocabulary().by_me)).alias("by_me"),
    )
    return kinds.get_columns()
