"""Counts in words, the same way on every face and in every layer: "1 message", "2 messages", "2.5".

The lowest layer (like ``errors``), so importers, signals and the insight layer all say counts alike;
``ebbtide.insight.wording`` re-exports both functions.
"""

from __future__ import annotations


def counted(n: int | float, noun: str, plural: str | None = None) -> str:
    """A number and its noun, agreeing: "1 message", "2 messages", "0 weeks", "1,204 messages".

    WHY one function: every face (terminal, HTML, JSON text, web, CLI notes) must say counts the
    same way; "1 weeks" or "1 new messages" reads as careless and makes people doubt the figures.
    """
    word = noun if n == 1 else (plural or noun + ("es" if noun.endswith(("s", "sh", "ch", "x")) else "s"))
    text = f"{n:,}" if isinstance(n, int) else number_words(n)
    return f"{text} {word}"


def number_words(x: float | int) -> str:
    """A figure without false precision or a trailing ".00": 0 -> "0", 2.0 -> "2", 2.5 -> "2.5"."""
    if isinstance(x, int) or float(x).is_integer():
        return f"{int(x):,}"
    return f"{x:.1f}" if abs(x) >= 1 else f"{x:.2f}"


__all__ = ["counted", "number_words"]
