"""WhatsApp header dialects: recognising a message header line and deciding the date order.

Why this is separate from the reader: a WhatsApp export has no metadata, only lines such as
``1/4/23, 7:02 PM - Sam: hi`` or ``[13.03.24, 10:15:01] Tom: Hallo``. Which of these shapes a file uses
(brackets or `` - ``, seconds or not, 12 or 24 hours, separators, localised markers and digits) and
whether ``03/04`` is the 3rd of April or March 4th must be decided ONCE per file, from all its lines,
and then held fixed. A line in a message body that merely looks like a header (a pasted log) is told
apart by not matching the locked shape, or by breaking the chronology (see ``whatsapp.py``).

Speed: the per-line work is one anchored regular expression run by Polars (Rust). Dates and times are
NOT parsed per line: a chat of a million messages has only a few thousand distinct date strings and at
most 86,400 distinct time strings, so those are parsed here in plain Python once each and joined back.
The patterns tolerate invisible bidi marks, NBSP/NNBSP and non-Latin digits in the header itself, so
message bodies are never normalised.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import polars as pl

from ebbtide.model import DateOrder

BIDI_CHARS = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff"
_B = "[\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]*"  # invisible direction marks, BOM
_SP = "[ \u00a0\u202f]"  # space, NBSP, narrow NBSP
_D = "[0-9\u0660-\u0669\u06f0-\u06f9\u0966-\u096f]"  # ASCII, Arabic-Indic, Persian, Devanagari digits
_MARK_PRE = "午前|午後|오전|오후|上午|下午"
_MARK_POST = f"[AaPp]\\.?{_SP}?[Mm]\\.?|م|ص|午前|午後|오전|오후"
_SEP = {"bracket": f"\\]{_B}{_SP}?", "dash": f"{_SP}[-–]{_SP}", "colon": f":{_SP}", "space": _SP}

# Every group, for Python-side sniffing and shape detection on small samples.
HEADER_PATTERN = (
    f"^{_B}(?P<ob>\\[)?{_B}"
    f"(?P<f1>{_D}{{1,4}}){_B}(?P<ds>[./-]){_SP}?{_B}(?P<f2>{_D}{{1,4}}){_B}[./-]{_SP}?{_B}"
    f"(?P<f3>{_D}{{1,4}}){_B}(?P<dd>\\.)?{_B}(?P<dc>[,،])?{_B}{_SP}+{_B}"
    f"(?:(?P<klo>klo){_SP}+)?"
    f"(?:(?P<pre>{_MARK_PRE}){_SP}?)?"
    f"(?P<h>{_D}{{1,2}})(?P<ts>[:.])(?P<mi>{_D}{{2}})(?:[:.](?P<s>{_D}{{2}}))?"
    f"(?:{_B}{_SP}?{_B}(?P<ap>{_MARK_POST}))?{_B}"
    f"(?P<sep>{_SEP['bracket']}|{_SEP['dash']}|{_SEP['colon']}|{_SEP['space']})"
    f"(?P<rest>.*)$"
)
HEADER_RE = re.compile(HEADER_PATTERN)

# No capture groups (a plain find is what Rust regex does fastest): any header, whatever its shape.
GENERAL_PATTERN = (
    f"^{_B}\\[?{_B}"
    f"{_D}{{1,4}}{_B}[./-]{_SP}?{_B}{_D}{{1,4}}{_B}[./-]{_SP}?{_B}{_D}{{1,4}}{_B}\\.?{_B}[,،]?{_B}{_SP}+{_B}"
    f"(?:klo{_SP}+)?(?:(?:{_MARK_PRE}){_SP}?)?{_D}{{1,2}}[:.]{_D}{{2}}(?:[:.]{_D}{{2}})?"
    f"(?:{_B}{_SP}?{_B}(?:{_MARK_POST}))?{_B}"
    f"(?:{_SEP['bracket']}|{_SEP['dash']}|{_SEP['colon']}|{_SEP['space']})"
)
# The date at the start of a matched header (used as the key of ``date_table``).
DATE_PREFIX = f"^{_B}\\[?{_B}{_D}{{1,4}}{_B}[./-]{_SP}?{_B}{_D}{{1,4}}{_B}[./-]{_SP}?{_B}{_D}{{1,4}}"

_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹०१२३४५६७८९", "0123456789" * 3)
_NUM = re.compile(r"[0-9]+")
_PM = ("pm", "م", "午後", "오후", "下午")
_AM = ("am", "ص", "午前", "오전", "上午")
_MARK_STRIP = str.maketrans("", "", ". \u00a0\u202f,،:-–[]" + BIDI_CHARS)


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

    @classmethod
    def of(cls, m: re.Match[str]) -> Shape:
        sep = m.group("sep")
        kind = (
            "bracket" if "]" in sep else "dash" if ("-" in sep or "–" in sep) else "colon" if sep[0] == ":" else "space"
        )
        return cls(
            bracket=m.group("ob") is not None,
            date_sep=m.group("ds"),
            trailing_dot=m.group("dd") is not None,
            comma=m.group("dc") is not None,
            klo=m.group("klo") is not None,
            pre_marker=m.group("pre") is not None,
            time_sep=m.group("ts"),
            seconds=m.group("s") is not None,
            marker=m.group("ap") is not None,
            sep_kind=kind,
        )

    @property
    def twelve_hour(self) -> bool:
        return self.marker or self.pre_marker

    def pattern(self) -> str:
        """A regex (no groups) matching exactly the headers of this shape: stricter and faster."""
        ds = re.escape(self.date_sep)
        ts = re.escape(self.time_sep)
        dpart = f"{_D}{{1,4}}{_B}{ds}{_SP}?{_B}{_D}{{1,4}}{_B}{ds}{_SP}?{_B}{_D}{{1,4}}"
        tpart = f"{_D}{{1,2}}{ts}{_D}{{2}}" + (f"[:.]{_D}{{2}}" if self.seconds else "")
        if self.pre_marker:
            tpart = f"(?:{_MARK_PRE}){_SP}?" + tpart
        if self.klo:
            tpart = f"klo{_SP}+" + tpart
        if self.marker:
            tpart += f"{_B}{_SP}?{_B}(?:{_MARK_POST})"
        return (
            f"^{_B}" + (f"\\[{_B}" if self.bracket else "")
            + f"{dpart}{_B}" + (f"\\.{_B}" if self.trailing_dot else "")
            + (f"[,،]{_B}" if self.comma else "")
            + f"{_SP}+{_B}{tpart}{_B}{_SEP[self.sep_kind]}"
        )

    def describe(self, order: DateOrder | None = None) -> str:
        """Human words for the ParseReport, e.g. 'Android, day-month-year, 24-hour, no seconds'."""
        origin = {
            "bracket": "iOS",
            "dash": "Android",
            "colon": "older export (colon after the time)",
            "space": "export without a separator after the time",
        }[self.sep_kind]
        parts = [origin]
        if order is not None:
            parts.append(order_name(order))
        parts.append("12-hour" if self.twelve_hour else "24-hour")
        parts.append("with seconds" if self.seconds else "no seconds")
        return ", ".join(parts)


def detect_shape(lines: list[str]) -> tuple[Shape | None, float, int]:
    """The commonest header shape among ``lines`` (a sample), its share, and how many headers were seen."""
    counts = shape_counts(lines)
    if not counts:
        return None, 0.0, 0
    total = sum(counts.values())
    best = next(iter(counts))
    return best, counts[best] / total, total


def shape_counts(lines: list[str]) -> dict[Shape, int]:
    """How often each header shape occurs in ``lines``, commonest first.

    Ties prefer shapes whose separator cannot occur in prose (bracket, dash) over a bare space.
    """
    counts: dict[Shape, int] = {}
    for line in lines:
        m = HEADER_RE.match(line)
        if m is not None:
            shape = Shape.of(m)
            counts[shape] = counts.get(shape, 0) + 1
    order = sorted(counts, key=lambda s: (counts[s], s.sep_kind != "space"), reverse=True)
    return {s: counts[s] for s in order}


_NAMES = {DateOrder.DMY: "day-month-year", DateOrder.MDY: "month-day-year", DateOrder.YMD: "year-month-day"}


def order_name(order: DateOrder) -> str:
    return _NAMES[order]


def _mkdate(y: int, m: int, d: int, yw: int) -> date | None:
    if yw <= 2:
        y += 2000
    if not 1990 <= y <= 2100:
        return None
    try:
        return date(y, m, d)
    except ValueError:
        return None


def date_table(values: list[str]) -> pl.DataFrame:
    """Each distinct date string -> its three numbers, digit widths, and the date under each order."""
    rows: dict[str, list[object]] = {k: [] for k in ("date", "n1", "n2", "n3", "w1", "d_dmy", "d_mdy", "d_ymd")}
    for raw in values:
        nums = _NUM.findall(raw.translate(_DIGITS))
        if len(nums) != 3:
            continue
        a, b, c = (int(x) for x in nums)
        w1, w3 = len(nums[0]), len(nums[2])
        rows["date"].append(raw)
        rows["n1"].append(a)
        rows["n2"].append(b)
        rows["n3"].append(c)
        rows["w1"].append(w1)
        rows["d_dmy"].append(_mkdate(c, b, a, w3))
        rows["d_mdy"].append(_mkdate(c, a, b, w3))
        rows["d_ymd"].append(_mkdate(a, b, c, w1))
    return pl.DataFrame(
        rows,
        schema={
            "date": pl.String, "n1": pl.Int32, "n2": pl.Int32, "n3": pl.Int32, "w1": pl.Int8,
            "d_dmy": pl.Date, "d_mdy": pl.Date, "d_ymd": pl.Date,
        },
    )


def time_table(values: list[str]) -> pl.DataFrame:
    """Each distinct time string -> seconds since midnight (null when impossible), AM/PM applied."""
    keys: list[str] = []
    sods: list[int | None] = []
    for raw in values:
        t = raw.translate(_DIGITS)
        nums = [int(x) for x in _NUM.findall(t)]
        if len(nums) not in (2, 3):
            continue
        h, mi = nums[0], nums[1]
        s = nums[2] if len(nums) == 3 else 0
        mark = _NUM.sub("", t).replace("klo", "").translate(_MARK_STRIP).lower()
        if mark:
            if any(p in mark for p in _PM):
                h = h % 12 + 12 if h <= 12 else h
            elif any(a in mark for a in _AM):
                h = h % 12 if h <= 12 else h
        ok = 0 <= h <= 23 and 0 <= mi <= 59 and 0 <= s <= 59
        keys.append(raw)
        sods.append(h * 3600 + mi * 60 + s if ok else None)
    return pl.DataFrame({"time": keys, "sod": sods}, schema={"time": pl.String, "sod": pl.Int32})


@dataclass(frozen=True, slots=True)
class OrderDecision:
    order: DateOrder
    decided: bool
    reason: str


def _ts(order_col: str) -> pl.Expr:
    """Microseconds since the epoch for a date column plus ``sod`` (null where the date is impossible)."""
    return pl.col(order_col).cast(pl.Datetime("us")).cast(pl.Int64) + pl.col("sod").cast(pl.Int64) * 1_000_000


def _backwards(frame: pl.DataFrame, col: str) -> int:
    """Steps back in time by more than two hours (a DST change repeats one hour), ignoring bad dates."""
    ts = frame.select(_ts(col).alias("t")).get_column("t").drop_nulls()
    if ts.len() < 2:
        return 0
    return int((ts.diff().drop_nulls() < -2 * 3600 * 1_000_000).sum())


# WhatsApp names attachments with the full date: 00000010-PHOTO-2020-11-02-21-49-51.jpg
ATTACHMENT_DATE = r"\d{8}-[A-Z]+-(\d{4})-(\d{2})-(\d{2})-\d{2}-\d{2}-\d{2}"


def _attachment_votes(file_dates: pl.DataFrame | None) -> tuple[int, int]:
    """How many attachment names agree with the header date read day-first and month-first.

    ``file_dates``: one row per header line naming an attachment (d_dmy, d_mdy: its header date under
    each order; fdate: the date in the file name)."""
    if file_dates is None or file_dates.height == 0:
        return 0, 0
    votes = file_dates.select(
        (pl.col("d_dmy") == pl.col("fdate")).fill_null(False).sum().alias("d"),
        (pl.col("d_mdy") == pl.col("fdate")).fill_null(False).sum().alias("m"),
    )
    return int(votes["d"][0]), int(votes["m"][0])


def infer_date_order(
    rows: pl.DataFrame, shape: Shape, file_dates: Callable[[], pl.DataFrame | None] | None = None
) -> OrderDecision:
    """Decide the date order from ALL header dates of a file (columns n1, n2, w1, d_dmy, d_mdy, sod).

    Evidence, strongest first: a field above 12 (only one order gives real dates); attachment file
    names, which carry the full date (``file_dates``, computed only when needed); chronology (the
    order under which the messages run forwards in time); which field changes more often (days change
    more often than months). With none of these: a guess from the style (AM/PM with '/' suggests the
    US order) and ``decided=False``, so the user is told and can pass ``--date-order``.
    """
    n = rows.height
    if n and int((rows.get_column("w1") == 4).sum()) > n / 2:
        return OrderDecision(DateOrder.YMD, True, "the year comes first (four digits)")
    rows = rows.filter(pl.col("w1") != 4)
    if rows.height == 0:
        return OrderDecision(DateOrder.DMY, False, "no dates to look at")
    inv_d = int(rows.get_column("d_dmy").null_count())
    inv_m = int(rows.get_column("d_mdy").null_count())
    if inv_d != inv_m:
        best = DateOrder.DMY if inv_d < inv_m else DateOrder.MDY
        own, other = ("d_dmy", "d_mdy") if best is DateOrder.DMY else ("d_mdy", "d_dmy")
        only = rows.filter(pl.col(own).is_not_null() & pl.col(other).is_null())
        count = only.height
        example = ""
        if count:
            r = only.row(0, named=True)
            sep = shape.date_sep
            example = f" such as {r['n1']:02d}{sep}{r['n2']:02d}"
        decided = min(inv_d, inv_m) == 0 or count >= 3 * min(inv_d, inv_m)
        return OrderDecision(best, decided, f"{count} date(s){example} only exist as {order_name(best)}")
    vote_d, vote_m = _attachment_votes(file_dates() if file_dates is not None else None)
    if vote_d != vote_m:
        best = DateOrder.DMY if vote_d > vote_m else DateOrder.MDY
        hi, lo = max(vote_d, vote_m), min(vote_d, vote_m)
        decided = lo == 0 or hi >= 3 * lo
        reason = f"{hi} attachment file name(s) carrying the full date agree with {order_name(best)}"
        return OrderDecision(best, decided, reason)
    back_d, back_m = _backwards(rows, "d_dmy"), _backwards(rows, "d_mdy")
    if back_d != back_m:
        best = DateOrder.DMY if back_d < back_m else DateOrder.MDY
        lo, hi = min(back_d, back_m), max(back_d, back_m)
        decided = (lo == 0 and hi >= 1) or hi >= 2 * lo + 2
        reason = (
            f"read as {order_name(best)} the messages run forwards in time "
            f"({lo} step(s) back in time against {hi} the other way)"
        )
        return OrderDecision(best, decided, reason)
    ch1 = int((rows.get_column("n1").diff().fill_null(0) != 0).sum())
    ch2 = int((rows.get_column("n2").diff().fill_null(0) != 0).sum())
    if ch1 != ch2:
        best = DateOrder.DMY if ch1 > ch2 else DateOrder.MDY
        hi, lo = max(ch1, ch2), min(ch1, ch2)
        decided = hi >= 6 and hi >= 3 * lo
        which = "first" if ch1 > ch2 else "second"
        reason = f"the {which} number of the date changes more often ({hi} against {lo} times), as days do"
        return OrderDecision(best, decided, reason)
    guess = DateOrder.MDY if (shape.twelve_hour and shape.date_sep == "/") else DateOrder.DMY
    why = (
        "12-hour times with '/' dates are most common with month-day-year"
        if guess is DateOrder.MDY
        else "day-month-year is the most common order for this style"
    )
    return OrderDecision(guess, False, f"the dates fit both orders; guessed: {why}")
