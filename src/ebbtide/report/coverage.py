"""The coverage report: what a stored conversation holds, and what it cannot tell.

WHY: every later claim ("fewer messages since May") is only as good as the history behind it. A
person must see, after every import, which days are covered, where the history has holes, who
wrote how much, on which messenger, what the export format cannot contain at all (reactions,
read times...), and where an export is known to be cut (WhatsApp's 40,000-message cap, Snapchat's
saved-only chats, Messenger chats missing from one of its two downloads). A gap or a cut looks
exactly like pulling away in the numbers; saying so is the honest part.

Pure functions over data the store hands over (no SQL here): ``build_coverage`` -> a frozen
``ConversationCoverage``; ``coverage_lines`` -> plain text lines for the terminal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import polars as pl

from ebbtide.insight.wording import counted

GAP_DAYS = 14  # a run of at least this many days without a message is reported as a gap
WHATSAPP_CAP = 40_000
WHATSAPP_MEDIA_CAP = 10_000
RECENT_WEEKS = 8  # weeks shown in the per-messenger table when a chat spans several messengers

CAPABILITY_LABELS: dict[str, str] = {
    "reactions": "reactions",
    "replies": "replies (which message answers which)",
    "read_times": "read times",
    "calls": "calls",
    "edits": "edits",
}


@dataclass(frozen=True, slots=True)
class Gap:
    """Days with no message at all, both ends inclusive."""

    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


@dataclass(frozen=True, slots=True)
class ConversationCoverage:
    conversation_id: str
    platforms: tuple[str, ...]
    first: date | None
    last: date | None
    messages: int  # by people (system lines not counted)
    per_person: tuple[tuple[str, int], ...]  # most first
    gaps: tuple[Gap, ...]
    capabilities: Mapping[str, bool]  # what the formats can hold (OR over imports)
    not_in_export: tuple[str, ...]  # capability keys no import can hold
    warnings: tuple[str, ...]
    weekly_by_platform: pl.DataFrame  # week (Date, Monday), platform, messages
    time_zones: tuple[str, ...] = ()  # "Europe/Berlin (--tz)" for exports read without a zone


def weekly_platform_counts(messages: pl.DataFrame) -> pl.DataFrame:
    """Messages by people per ISO week (Monday) and messenger: shows a move from one app to another."""
    people = messages.filter((pl.col("kind") != "system") & (pl.col("sender") != ""))
    return (
        people.group_by(pl.col("timestamp").dt.truncate("1w").dt.date().alias("week"), "platform")
        .agg(pl.len().cast(pl.UInt32).alias("messages"))
        .sort("week", "platform")
    )


def find_gaps(days: pl.Series, min_days: int = GAP_DAYS) -> tuple[Gap, ...]:
    """Runs of at least ``min_days`` days without a message between the first and the last day."""
    unique = days.unique().sort()
    if unique.len() < 2:
        return ()
    frame = pl.DataFrame({"day": unique}).with_columns(nxt=pl.col("day").shift(-1))
    holes = frame.filter((pl.col("nxt") - pl.col("day")).dt.total_days() - 1 >= min_days)
    return tuple(Gap(d + timedelta(days=1), n - timedelta(days=1))
                 for d, n in zip(holes.get_column("day").to_list(), holes.get_column("nxt").to_list(), strict=True))


def _truncation_warnings(platforms: Sequence[str], imports: Sequence[Mapping[str, Any]],
                         first: date | None) -> list[str]:
    warnings: list[str] = []
    start = f"{first:%Y-%m-%d}" if first else "the first day"
    for imp in imports:
        if imp.get("platform") != "whatsapp":
            continue
        total = int(imp.get("total_in_file") or 0)
        name = imp.get("source_file", "an export")
        if WHATSAPP_CAP - 1_000 <= total <= WHATSAPP_CAP + 500:
            warnings.append(f"{name} holds {total:,} messages, about WhatsApp's 40,000 cap: the chat probably "
                            f"began before {start}, which looks like a cut, not a beginning. An older export "
                            "(or one from the other phone) can fill it in.")
        elif WHATSAPP_MEDIA_CAP - 500 <= total <= WHATSAPP_MEDIA_CAP + 100:
            warnings.append(f"{name} holds {total:,} messages, about WhatsApp's 10,000 cap for exports with media: "
                            f"{start} may be a cut. Export again 'without media' to get up to 40,000.")
    if "snapchat" in platforms:
        warnings.append("Snapchat keeps only saved chats (and ones not yet deleted): unsaved messages are missing, "
                        "so a quiet stretch may only mean nothing was saved.")
    if "messenger" in platforms:
        dialects = " ".join(str(i.get("dialect", "")) for i in imports if i.get("platform") == "messenger").casefold()
        if "end-to-end" not in dialects:
            warnings.append("Messenger chats with end-to-end encryption (the default since 2024) are missing from "
                            "'Download your information' after the switch; import the encrypted download too "
                            "(messenger.com > Privacy & safety > End-to-end encrypted chats > Message storage > "
                            "Download secure storage data).")
        elif "end-to-end" in dialects and all("end-to-end" in str(i.get("dialect", "")).casefold()
                                              for i in imports if i.get("platform") == "messenger"):
            warnings.append("Only Messenger's end-to-end-encrypted download was imported: older, unencrypted "
                            "messages are in 'Download your information' (JSON).")
    return warnings


def build_coverage(messages: pl.DataFrame, *, conversation_id: str, capabilities: Mapping[str, bool],
                   imports: Sequence[Mapping[str, Any]] = ()) -> ConversationCoverage:
    """Summarise one stored conversation (``messages``: at least timestamp, sender, kind, platform)."""
    people = messages.filter((pl.col("kind") != "system") & (pl.col("sender") != ""))
    days = messages.get_column("timestamp").dt.date()
    first = days.min() if messages.height else None
    last = days.max() if messages.height else None
    counts = people.group_by("sender").len().sort(["len", "sender"], descending=[True, False])
    platforms = tuple(messages.get_column("platform").unique(maintain_order=True).to_list())
    zones = tuple(dict.fromkeys(f"{i['time_zone']} ({i.get('time_zone_source') or 'given'})"
                                for i in imports if i.get("time_zone")))
    return ConversationCoverage(
        conversation_id=conversation_id,
        platforms=platforms,
        first=first,  # type: ignore[arg-type]
        last=last,  # type: ignore[arg-type]
        messages=people.height,
        per_person=tuple((str(s), int(n)) for s, n in counts.iter_rows()),
        gaps=find_gaps(people.get_column("timestamp").dt.date()),
        capabilities=dict(capabilities),
        not_in_export=tuple(k for k in CAPABILITY_LABELS if not capabilities.get(k, False)),
        warnings=tuple(_truncation_warnings(platforms, imports, first)),  # type: ignore[arg-type]
        weekly_by_platform=weekly_platform_counts(messages),
        time_zones=zones,
    )


def _platform_lines(cov: ConversationCoverage) -> list[str]:
    weekly = cov.weekly_by_platform
    if weekly.height == 0:
        return []
    lines = []
    totals = weekly.group_by("platform").agg(pl.col("messages").sum(), pl.col("week").min().alias("a"),
                                             pl.col("week").max().alias("b")).sort("a")
    for platform, n, a, b in totals.iter_rows():
        lines.append(f"  {platform}: {counted(n, 'message')}, weeks of {a:%Y-%m-%d} to {b:%Y-%m-%d}")
    if totals.height > 1:
        recent = weekly.filter(pl.col("week") >= weekly.get_column("week").unique().sort().tail(RECENT_WEEKS).min())
        lines.append(f"  last {RECENT_WEEKS} weeks with messages, per messenger:")
        for week, part in recent.group_by("week", maintain_order=True):
            cells = ", ".join(f"{p} {n}" for p, n in part.select("platform", "messages").iter_rows())
            lines.append(f"    {week[0]:%Y-%m-%d}: {cells}")
    return lines


def coverage_lines(cov: ConversationCoverage) -> list[str]:
    """The coverage report as plain lines (no markup), for the terminal or a text file."""
    span = f"{cov.first:%Y-%m-%d} to {cov.last:%Y-%m-%d}" if cov.first and cov.last else "no messages"
    lines = [f"Coverage of {cov.conversation_id}: {span}, {counted(cov.messages, 'message')} by people"]
    if cov.per_person:
        lines.append("  by person: " + ", ".join(f"{s} {n:,}" for s, n in cov.per_person))
    lines.extend(_platform_lines(cov))
    if cov.gaps:
        shown = ", ".join(f"{g.first:%Y-%m-%d}..{g.last:%Y-%m-%d} ({g.days} days)" for g in cov.gaps[:5])
        more = f" and {len(cov.gaps) - 5} more" if len(cov.gaps) > 5 else ""
        lines.append(f"  gaps of {GAP_DAYS}+ days with no messages: {shown}{more}. A gap can be time together, "
                     "another app, or a missing export; it is not read as pulling away by itself.")
    else:
        lines.append(f"  no gaps of {GAP_DAYS}+ days")
    if cov.not_in_export:
        labels = ", ".join(CAPABILITY_LABELS[k] for k in cov.not_in_export)
        lines.append(f"  not in this export (cannot be measured): {labels}")
    for zone in cov.time_zones:
        lines.append(f"  times without a zone were read as {zone}")
    lines.extend(f"  warning: {w}" for w in cov.warnings)
    return lines


__all__ = ["GAP_DAYS", "ConversationCoverage", "Gap", "build_coverage", "coverage_lines", "find_gaps",
           "weekly_platform_counts"]
