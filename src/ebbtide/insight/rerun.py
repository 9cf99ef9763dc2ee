"""A gentle note for someone who re-runs the analysis many times a day.

WHY: checking up on a relationship again and again tends to feed worry rather than ease it
(evidence.md 4.2 rule 4, Ickes et al. 2003); the weeks change slowly, so a second look today adds
little. Wording and threshold live in insight/data/limits.toml, shared by the CLI and the web app.
"""

from __future__ import annotations

from ebbtide.insight.wording import fill, load


def rerun_threshold() -> int:
    return int(load("limits")["rerun"]["threshold"])


def rerun_note(runs_today: int) -> str | None:
    """The note when ``runs_today`` reaches the threshold, else None."""
    spec = load("limits")["rerun"]
    if runs_today < int(spec["threshold"]):
        return None
    return fill(str(spec["note"]), runs=runs_today)


__all__ = ["rerun_note", "rerun_threshold"]
