"""The simulator's phrase banks (``data/phrases.toml``): loading and filling templates.

Wording lives in a data file, not in code, so it can be reviewed and extended without touching the
generator; the generator only asks for "a plan question" or "a noncommittal answer".
"""

from __future__ import annotations

import random
import re
import tomllib
from functools import cache
from importlib import resources

_SLOT = re.compile(r"\{(\w+)\}")


@cache
def phrase_banks() -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
    """(banks, slots) from the bundled TOML file, cached (read once per process)."""
    raw = tomllib.loads(resources.files("ebbtide.simulate").joinpath("data/phrases.toml").read_text("utf-8"))
    banks = {name: tuple(items) for name, items in raw["banks"].items()}
    slots = {name: tuple(items) for name, items in raw["slots"].items()}
    return banks, slots


def fill(template: str, rng: random.Random) -> str:
    """Replace each ``{slot}`` with a random value of that slot."""
    _, slots = phrase_banks()
    if "{" not in template:
        return template
    return _SLOT.sub(lambda m: rng.choice(slots[m.group(1)]), template)


def phrase(bank: str, rng: random.Random) -> str:
    """A random, filled phrase from ``bank``."""
    banks, _ = phrase_banks()
    return fill(rng.choice(banks[bank]), rng)
