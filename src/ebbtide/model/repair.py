"""Records for ruptures and repairs (signals/ruptures.py measures them, insight/repair.py words them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from ebbtide.model.analysis import Evidence


@dataclass(frozen=True, slots=True)
class Rupture:
    """A tense or cold spell in the chat, and how each person came back to their own usual contact.

    ``kind``: "conflict" (a day with several tense or hostile messages) or "cold_spell" (one person
    suddenly silent for days while the other kept writing). ``quiet``: who went silent ("" if nobody).
    ``days_to_reconnect[person]``: days from ``start`` until that person was back to their own usual
    daily contact (the 4 weeks before ``start``) with no tension; None: not back by the end of the chat
    (``ongoing``) or not measurable (``usual`` too low to tell).
    """

    start: date
    kind: str
    quiet: str
    tension: tuple[Evidence, ...] = ()  # the tense messages (full report only, never the share report)
    bids: tuple[Evidence, ...] = ()  # repair bids (the first of each kind per person), ``why`` in words
    bid_list: tuple[tuple[str, str], ...] = ()  # (person, kind) of each bid in ``bids``: apology, own_fault, talk, call, humour
    usual: dict[str, float] = field(default_factory=dict)  # messages per day in the 4 weeks before
    back_on: dict[str, date | None] = field(default_factory=dict)
    days_to_reconnect: dict[str, int | None] = field(default_factory=dict)
    ongoing: bool = False

    def bid_kinds(self, person: str) -> tuple[str, ...]:
        """The kinds of repair bid ``person`` made, in order of first use."""
        return tuple(dict.fromkeys(kind for who, kind in self.bid_list if who == person))


@dataclass(frozen=True, slots=True)
class RepairLine:
    """One sentence about a past rupture for the history, with the messages behind it."""

    text: str
    evidence: tuple[Evidence, ...] = ()


__all__ = ["RepairLine", "Rupture"]
