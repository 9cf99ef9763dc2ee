"""WhatsApp header dialects: recognising a message header line and deciding the date order.

Why this is separate from the reader: a WhatsApp export has no metadata, only lines such as
``1/4/23, 7:02 PM - Sam: hi`` or ``[13.03.24, 10:15:01] Tom: Hallo``. Which of these shapes a file uses
(brackets or `` - ``, seconds or not, 12 or 24 hours, separators, localised markers and digits) and
whether ``03/04`` is the 3rd of April or March 4th must be decided ONCE per file, from all its lines,
and then held fixed. A line in a message body that merely looks like a header (a pasted log) is told
apart by not matching the locked shape or by breaking the chronology.

Everything here is vectorised over Polars columns; the one regular expression (``HEADER_RE``) is
written so that it runs unchanged in Python ``re`` (sniffing small samples) and Rust ``regex``
(Polars, the whole file). It tolerates invisible bidi marks, NBSP/NNBSP and non-Latin digits in the
header itself, so bodies are never normalised.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import polars as pl

from ebbtide.model import DateOrder

BIDI_CHARS = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff"
_B = "[\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]*"  # invisible direction marks, BOM
_SP = "[ \u00a0\u202f]"  # space, NBSP, narrow NBSP
_D = "[0-9\u0660-\u0669\u06f0-\u06f9\u0966-\u096f]"  # ASCII, Arabic-Indic, Persian, Devanagari digits
_MARK_PRE = "午前|午後|오전|오후|上午|下午"
_MARK_POST = f"[AaPp]\\.?{_SP}?[Mm]\\.?|م|ص|午前|午後|오전|오후"

HEADER_PATTERN = (
    f"^{_B}(?P<ob>\\[)?{_B}"
    f"(?P<f1>{_D}{{1,4}}){_B}(?P<ds>[./-]){_SP}?{_B}(?P<f2>{_D}{{1,4}}){_B}[./-]{_SP}?{_B}"
    f"(?P<f3>{_D}{{1,4}}){_B}(?P<dd>\\.)?{_B}(?P<dc>[,،])?{_B}{_SP}+{_B}"
    f"(?:(?P<klo>klo){_SP}+)?"
    f"(?:(?P<pre>{_MARK_PRE}){_SP}?)?"
    f"(?P<h>{_D}{{1,2}})(?P<ts>[:.])(?P<mi>{_D}{{2}})(?:[:.](?P<s>{_D}{{2}}))?"
    f"(?:{_B}{_SP}?{_B}(?P<ap>{_MARK_POST}))?{_B}"
    f"(?P<sep>\\]{_B}{_SP}?|{_SP}[-–]{_SP}|:{_SP}|{_SP})"
    f"(?P<rest>.*)$"
)
HEADER_RE = re.compile(HEADER_PATTERN)
# columns produced by HEADER_PATTERN, in order
HEADER_GROUPS: tuple[str, ...] = tuple(HEADER_RE.groupindex)

_DIGITS_FROM = "٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹०१२३४५६७८९"
_DIGITS_TO = "0123456789" * 3
_PM_MARKS = ("pm", "م", "午後", "오후", "下午")

# Shape: everything about a header except its numbers. One export uses one shape throughout.
SHAPE_FIELDS = ("ob", "ds", "dd", "dc", "klo", "pre", "ts", "s", "ap", "sepkind")


@dataclass(frozen=True, slots=True)
class Shape:
    """The fixed form of a file's headers (its dialect apart from the date order)."""

    bracket: bool
    date_sep: str
    trailing_dot: bool
    comma: bool
    klo: bool
    pre_marker: bool
    time_sep: str
    seconds: bool
    marker: bool
    sep_kind: str  # "bracket" | "dash" | "colon" | "space"

    @property
    def twelve_hour(self) -> bool:
        return self.marker or self.pre_marker

    def describe(self) -> str:
        """Human words for the ParseReport, e.g. 'Android, 12-hour, no seconds'."""
        origin = {
            "bracket": "iOS",
            "dash": "Android",
            "colon": "older export (colon after the time)",
            "space": "export without a separator after the time",
        }[self.sep_kind]
        parts = [origin, "12-hour" if self.twelve_hour else "24-hour"]
        parts.append("with seconds" if self.seconds else "no seconds")
        parts.append(f"date separator '{self.date_sep}'")
        return ", ".join(parts)


def sep_kind_expr(col: str = "sep") -> pl.Expr:
    c = pl.col(col)
    return (
        pl.when(c.str.contains("]", literal=True))
        .then(pl.lit("bracket"))
        .when(c.str.contains("[-–]"))
        .then(pl.lit("dash"))
        .when(c.str.starts_with(":"))
        .then(pl.lit("colon"))
        .otherwise(pl.lit("space"))
    )


def shape_columns(frame: pl.DataFrame) -> pl.DataFrame:
    """Shape columns (nullable strings / bools) for extracted header groups."""
    return frame.select(
        pl.col("ob").is_not_null().alias("ob"),
        pl.col("ds"),
        pl.col("dd").is_not_null().alias("dd"),
        pl.col("dc").is_not_null().alias("dc"),
        pl.col("klo").is_not_null().alias("klo"),
        pl.col("pre").is_not_null().alias("pre"),
        pl.col("ts"),
        pl.col("s").is_not_null().alias("s"),
        pl.col("ap").is_not_null().alias("ap"),
        sep_kind_expr().alias("sepkind"),
    )


def dominant_shape(groups: pl.DataFrame) -> tuple[Shape | None, float]:
    """The most frequent header shape among matched rows, and its share of them."""
    matched = groups.filter(pl.col("f1").is_not_null())
    if matched.height == 0:
        return None, 0.0
    shapes = shape_columns(matched)
    counts = shapes.group_by(list(SHAPE_FIELDS)).len().sort("len", descending=True)
    top = counts.row(0, named=True)
    share = top["len"] / matched.height
    shape = Shape(
        bracket=top["ob"],
        date_sep=top["ds"],
        trailing_dot=top["dd"],
        comma=top["dc"],
        klo=top["klo"],
        pre_marker=top["pre"],
        time_sep=top["ts"],
        seconds=top["s"],
        marker=top["ap"],
        sep_kind=top["sepkind"],
    )
    return shape, share


def matches_shape(shape: Shape) -> pl.Expr:
    """True for extracted rows whose header has exactly ``shape`` (marker text and digits may vary)."""
    return (
        (pl.col("ob").is_not_null() == shape.bracket)
        & (pl.col("ds") == shape.date_sep)
        & (pl.col("dd").is_not_null() == shape.trailing_dot)
        & (pl.col("dc").is_not_null() == shape.comma)
        & (pl.col("klo").is_not_null() == shape.klo)
        & (pl.col("pre").is_not_null() == shape.pre_marker)
        & (pl.col("ts") == shape.time_sep)
        & (pl.col("s").is_not_null() == shape.seconds)
        & (pl.col("ap").is_not_null() == shape.marker)
        & (sep_kind_expr() == shape.sep_kind)
    )


def _to_int(col: str) -> pl.Expr:
    """Digits in any supported script to an integer (null when absent)."""
    return pl.col(col).str.replace_many(list(_DIGITS_FROM), list(_DIGITS_TO)).cast(pl.Int32, strict=False)


def numeric_columns(groups: pl.DataFrame, *, non_ascii_digits: bool) -> pl.DataFrame:
    """f1, f2, f3, hour (24 h), minute, second and digit widths from the extracted strings."""
    conv = _to_int if non_ascii_digits else (lambda c: pl.col(c).cast(pl.Int32, strict=False))
    marker = pl.coalesce(pl.col("ap"), pl.col("pre"))
    marker_key = marker.str.to_lowercase().str.replace_all(f"[.{_SP[1:-1]}]", "")
    is_pm = marker_key.is_in(list(_PM_MARKS))
    hour = conv("h")
    hour24 = pl.when(marker.is_null()).then(hour).otherwise((hour % 12) + pl.when(is_pm).then(12).otherwise(0))
    return groups.select(
        conv("f1").alias("n1"),
        conv("f2").alias("n2"),
        conv("f3").alias("n3"),
        pl.col("f1").str.len_chars().alias("w1"),
        pl.col("f3").str.len_chars().alias("w3"),
        hour24.alias("hour"),
        conv("mi").alias("minute"),
        pl.coalesce(conv("s"), pl.lit(0, pl.Int32)).alias("second"),
    )


def _ymd_for(order: DateOrder) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """(year, month, day) expressions over n1..n3 for a date order; 2-digit years are 20yy."""
    if order is DateOrder.YMD:
        y, m, d = pl.col("n1"), pl.col("n2"), pl.col("n3")
        y = pl.when(pl.col("w1") <= 2).then(y + 2000).otherwise(y)
    else:
        y = pl.when(pl.col("w3") <= 2).then(pl.col("n3") + 2000).otherwise(pl.col("n3"))
        m, d = (pl.col("n2"), pl.col("n1")) if order is DateOrder.DMY else (pl.col("n1"), pl.col("n2"))
    return y, m, d


def _valid_expr(y: pl.Expr, m: pl.Expr, d: pl.Expr) -> pl.Expr:
    leap = ((y % 4 == 0) & (y % 100 != 0)) | (y % 400 == 0)
    dim = (
        pl.when(m == 2)
        .then(pl.when(leap).then(29).otherwise(28))
        .when(m.is_in([4, 6, 9, 11]))
        .then(30)
        .otherwise(31)
    )
    return (
        y.is_between(1990, 2100)
        & m.is_between(1, 12)
        & (d >= 1)
        & (d <= dim)
        & pl.col("hour").is_between(0, 23)
        & pl.col("minute").is_between(0, 59)
        & pl.col("second").is_between(0, 59)
    )


def timestamps(nums: pl.DataFrame, order: DateOrder) -> pl.DataFrame:
    """``valid`` (bool) and ``timestamp`` (null where invalid) for each row under ``order``."""
    y, m, d = _ymd_for(order)
    valid = _valid_expr(y, m, d).fill_null(False)
    safe = pl.when(valid)
    ts = pl.datetime(
        safe.then(y).otherwise(2000),
        safe.then(m).otherwise(1),
        safe.then(d).otherwise(1),
        safe.then(pl.col("hour")).otherwise(0),
        safe.then(pl.col("minute")).otherwise(0),
        safe.then(pl.col("second")).otherwise(0),
        time_unit="us",
    )
    return nums.select(valid.alias("valid"), pl.when(valid).then(ts).alias("timestamp"))


@dataclass(frozen=True, slots=True)
class OrderDecision:
    order: DateOrder
    decided: bool
    reason: str


_NAMES = {DateOrder.DMY: "day-month-year", DateOrder.MDY: "month-day-year", DateOrder.YMD: "year-month-day"}


def order_name(order: DateOrder) -> str:
    return _NAMES[order]


def _example(nums: pl.DataFrame, mask: pl.Series, shape: Shape) -> str:
    row = nums.filter(mask).row(0, named=True)
    sep = shape.date_sep
    return f"{row['n1']:02d}{sep}{row['n2']:02d}{sep}{row['n3']}"


def infer_date_order(nums: pl.DataFrame, shape: Shape) -> OrderDecision:
    """Decide the date order from ALL header dates of a file (rows already restricted to the shape).

    Evidence, strongest first: a field above 12 (only one order gives real dates); chronology (the
    order under which the messages run forwards in time); which field changes more often (days change
    more often than months). With none of these, a guess from the style (AM/PM with '/' suggests the
    US order) and ``decided=False``.
    """
    n = nums.height
    if n and (nums.get_column("w1") == 4).sum() > n / 2:
        return OrderDecision(DateOrder.YMD, True, "the year comes first (four digits)")
    if n == 0:
        return OrderDecision(DateOrder.DMY, False, "no dates to look at")
    stats: dict[DateOrder, tuple[int, int]] = {}
    for order in (DateOrder.DMY, DateOrder.MDY):
        ts = timestamps(nums, order)
        invalid = int((~ts.get_column("valid")).sum())
        valid_ts = ts.get_column("timestamp").drop_nulls()
        stats[order] = (invalid, _backwards(valid_ts))
    inv_d, back_d = stats[DateOrder.DMY]
    inv_m, back_m = stats[DateOrder.MDY]
    if inv_d != inv_m:
        best = DateOrder.DMY if inv_d < inv_m else DateOrder.MDY
        other = DateOrder.MDY if best is DateOrder.DMY else DateOrder.DMY
        bad_for_other = (
            ~timestamps(nums, other).get_column("valid") & timestamps(nums, best).get_column("valid")
        )
        example = _example(nums, bad_for_other, shape) if bad_for_other.any() else ""
        count = int(bad_for_other.sum())
        decided = min(inv_d, inv_m) == 0 or count >= 3 * max(1, min(inv_d, inv_m))
        reason = f"{count} date(s) such as {example} only exist as {order_name(best)}"
        return OrderDecision(best, decided, reason)
    if back_d != back_m:
        best = DateOrder.DMY if back_d < back_m else DateOrder.MDY
        lo, hi = min(back_d, back_m), max(back_d, back_m)
        decided = (lo == 0 and hi >= 1) or hi >= 2 * lo + 2
        reason = (
            f"read as {order_name(best)} the messages run forwards in time "
            f"({lo} step(s) back against {hi} the other way)"
        )
        return OrderDecision(best, decided, reason)
    ch1 = int((nums.get_column("n1").diff().fill_null(0) != 0).sum())
    ch2 = int((nums.get_column("n2").diff().fill_null(0) != 0).sum())
    if ch1 != ch2:
        best = DateOrder.DMY if ch1 > ch2 else DateOrder.MDY
        hi, lo = max(ch1, ch2), min(ch1, ch2)
        decided = hi >= 6 and hi >= 3 * lo
        first = "first" if ch1 > ch2 else "second"
        reason = f"the {first} number changes more often ({hi} against {lo} times), as days do"
        return OrderDecision(best, decided, reason)
    guess = DateOrder.MDY if (shape.twelve_hour and shape.date_sep == "/") else DateOrder.DMY
    why = (
        "12-hour times with '/' dates are most common with month-day-year"
        if guess is DateOrder.MDY
        else "day-month-year is the most common order for this style"
    )
    return OrderDecision(guess, False, f"the dates fit both orders; guessed: {why}")


def _backwards(ts: pl.Series) -> int:
    """Steps back in time by more than two hours (a DST change repeats one hour)."""
    if ts.len() < 2:
        return 0
    steps = ts.cast(pl.Int64).diff().drop_nulls()
    return int((steps < -2 * 3600 * 1_000_000).sum())
