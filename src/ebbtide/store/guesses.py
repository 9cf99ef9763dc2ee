"""The user's own guesses ("your guess first"), kept to show how they change over time.

One small table, created on first use (no migration: nothing else reads it). It has a
``conversation_id`` column, so ``Store.forget`` clears it with the conversation, and it lives in the
same private (0600) store file. Only the figures the user typed are kept, never message text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ebbtide.store.db import Store

_CREATE = """
    CREATE TABLE IF NOT EXISTS guesses (
        conversation_id VARCHAR NOT NULL,
        made TIMESTAMP NOT NULL,
        figure VARCHAR NOT NULL,
        value DOUBLE,
        label VARCHAR
    )
"""


@dataclass(frozen=True, slots=True)
class Guess:
    figure: str  # e.g. "reply_minutes_partner" (insight/guess.py lists them)
    value: float | None = None
    label: str | None = None  # for answers in words: "more", "same", "less"
    made: datetime | None = None


def save_guesses(store: Store, conversation_id: str, items: list[Guess], made: datetime | None = None) -> None:
    """Keep one round of guesses (all with the same time)."""
    if not items:
        return
    store._rows(_CREATE)
    when = made or datetime.now().replace(microsecond=0)
    for g in items:
        store._rows("INSERT INTO guesses (conversation_id, made, figure, value, label) VALUES ($1, $2, $3, $4, $5)",
                    [conversation_id, when, g.figure, g.value, g.label])


def guess_rounds(store: Store, conversation_id: str) -> list[tuple[datetime, dict[str, Guess]]]:
    """Every round of guesses for this conversation, oldest first."""
    store._rows(_CREATE)
    rows = store._rows("SELECT made, figure, value, label FROM guesses WHERE conversation_id = $1 "
                       "ORDER BY made, figure", [conversation_id])
    rounds: dict[datetime, dict[str, Guess]] = {}
    for made, figure, value, label in rows:
        rounds.setdefault(made, {})[str(figure)] = Guess(str(figure), value, label, made)
    return sorted(rounds.items())


__all__ = ["Guess", "guess_rounds", "save_guesses"]
