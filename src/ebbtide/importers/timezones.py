"""Time zones for exports that write local wall-clock times without saying which zone.

WHY: WhatsApp, LINE and other text exports give "12/03/2024, 09:14" with no zone. To merge them
with exports that do know UTC (Telegram's ``date_unixtime``, iOS databases) and to find the same
message in two exports, every row needs its offset from UTC. The user names the zone
(``--tz Europe/Berlin``), else this computer's zone is used; either way the report says which.

Daylight saving is handled with ``zoneinfo`` rules (through Polars): a time in the repeated
autumn hour is read in file order (the first run of the hour before the clocks went back, the
second after); a time in the skipped spring hour (which a real export cannot contain) gets the
offset from before the jump. Pure frame work, no I/O beyond reading the machine's zone name.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import polars as pl

from ebbtide.errors import EbbtideError


@dataclass(frozen=True, slots=True)
class ZoneChoice:
    """A zone and where it came from, for the report ("--tz" or "this computer")."""

    name: str
    source: str


def check_zone(name: str) -> str:
    """``name`` if it is a zone this computer knows (IANA, e.g. Europe/Berlin); a clear error otherwise."""
    text = name.strip()
    try:
        ZoneInfo(text)
        pl.Series([datetime(2020, 1, 1)]).dt.replace_time_zone(text)
    except (ZoneInfoNotFoundError, ValueError, pl.exceptions.ComputeError, IsADirectoryError):
        close = sorted(z for z in available_timezones() if text and text.casefold() in z.casefold())[:5]
        hint = f" Close matches: {', '.join(close)}." if close else ""
        raise EbbtideError(f"'{name}' is not a time zone this computer knows", where="--tz",
                           fix=f"Use a zone name like Europe/Berlin or America/New_York.{hint}") from None
    return text


def machine_zone() -> str:
    """This computer's zone name (TZ, /etc/localtime, /etc/timezone); 'UTC' when it cannot tell."""
    candidates: list[str] = []
    if os.environ.get("TZ"):
        candidates.append(os.environ["TZ"].lstrip(":"))
    try:
        target = str(Path("/etc/localtime").resolve())
        if "zoneinfo/" in target:
            candidates.append(target.split("zoneinfo/", 1)[1])
    except OSError:
        pass
    try:
        candidates.append(Path("/etc/timezone").read_text(encoding="utf-8").strip())
    except OSError:
        pass
    for name in candidates:
        try:
            return check_zone(name)
        except EbbtideError:
            continue
    offset = datetime.now().astimezone().utcoffset() or timedelta(0)
    hours = int(offset.total_seconds() // 3600)
    if hours and offset.total_seconds() % 3600 == 0:
        return f"Etc/GMT{-hours:+d}"  # POSIX sign: Etc/GMT-2 is two hours east of UTC
    return "UTC"


def choose_zone(given: str | None) -> ZoneChoice:
    """The zone for times without one: the user's ``--tz``, else this computer's."""
    if given:
        return ZoneChoice(check_zone(given), "--tz")
    return ZoneChoice(machine_zone(), "this computer's zone")


def _offsets(ts: pl.Expr, zone: str, ambiguous: Literal["earliest", "latest"]) -> pl.Expr:
    aware = ts.dt.replace_time_zone(zone, ambiguous=ambiguous, non_existent="null")
    utc = aware.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
    return (ts - utc).dt.total_minutes().cast(pl.Int32)


def offsets_in_zone(timestamps: pl.Series, zone: str) -> pl.Series:
    """Minutes east of UTC for local wall-clock ``timestamps`` (in file order) in ``zone``.

    The repeated autumn hour is resolved in file order: within one day, once a time in that hour
    is earlier than one before it, the clocks have gone back and it and later ones take the later
    offset. A time in the skipped spring hour takes the offset from before the jump.
    """
    frame = pl.DataFrame({"ts": timestamps})
    frame = frame.with_columns(
        early=_offsets(pl.col("ts"), zone, "earliest"),
        late=_offsets(pl.col("ts"), zone, "latest"),
        before=_offsets(pl.col("ts") - pl.duration(hours=3), zone, "latest"),
    )
    ambiguous = frame.with_row_index("i").filter(pl.col("early") != pl.col("late"))
    late_rows: set[int] = set()
    if ambiguous.height:  # a few rows at most: one hour a year
        seen_max: dict[object, datetime] = {}
        switched: set[object] = set()
        for i, ts in zip(ambiguous.get_column("i").to_list(), ambiguous.get_column("ts").to_list(), strict=True):
            day = ts.date()
            if day in seen_max and ts < seen_max[day]:
                switched.add(day)
            seen_max[day] = max(ts, seen_max.get(day, ts))
            if day in switched:
                late_rows.add(i)
    late_mask = pl.Series("late_mask", [False] * frame.height)
    if late_rows:
        late_mask = pl.int_range(0, frame.height, eager=True).is_in(list(late_rows))
    out = frame.with_columns(late_mask.alias("use_late")).select(
        pl.when(pl.col("use_late")).then(pl.col("late")).otherwise(pl.col("early"))
        .fill_null(pl.col("before")).alias("utc_offset_min")
    )
    return out.get_column("utc_offset_min").cast(pl.Int32)


def fill_offsets(frame: pl.DataFrame, zone: str) -> tuple[pl.DataFrame, int]:
    """``frame`` (canonical, file order) with ``utc_offset_min`` filled from ``zone`` where it was null.

    Returns the frame and how many rows were filled (0: the export knew its zone; frame unchanged).
    """
    missing = frame.get_column("utc_offset_min").null_count()
    if not missing:
        return frame, 0
    offsets = offsets_in_zone(frame.get_column("timestamp"), zone)
    filled = frame.with_columns(pl.col("utc_offset_min").fill_null(offsets))
    return filled, int(missing)


__all__ = ["ZoneChoice", "check_zone", "choose_zone", "fill_offsets", "machine_zone", "offsets_in_zone"]
