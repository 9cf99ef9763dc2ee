"""Who is who in a WhatsApp export: clean sender names, the conversation id, and the exporting user.

Why separate: these rules are about people, not about parsing lines, and they are what the user sees
and confirms (``ParseReport.participants`` / ``me``), so they are kept small and easy to check.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import Path

import polars as pl

from ebbtide.importers.whatsapp_dialect import BIDI_CHARS

_FILENAME_OTHER = re.compile(
    r"^WhatsApp[ _]Chat(?:[ _]?(?:with|mit|con|avec|com|met|med|z|с|ile)[ _]|[ _]?-[ _]?)(?P<name>.+?)"
    r"(?:\.txt|\.zip)?$",
    re.IGNORECASE,
)


def clean_name(raw: str) -> str:
    """A sender name without invisible direction marks and without the iOS '~ ' of non-contacts."""
    name = raw.strip(BIDI_CHARS + " \t\u00a0\u202f")
    if name.startswith("~"):
        name = name[1:].lstrip(BIDI_CHARS + " \u00a0\u202f")
    return name.strip()


def conversation_slug(names: list[str]) -> str:
    """A stable id from the participants' names: the same for two exports of one chat, whatever order."""
    parts = []
    for name in sorted(set(names)):
        norm = unicodedata.normalize("NFC", name).casefold()
        slug = re.sub(r"[^\w]+", "-", norm).strip("-")
        if not slug:
            slug = "u" + hashlib.sha1(name.encode("utf-8")).hexdigest()[:8]
        parts.append(slug)
    return "+".join(parts) if parts else "empty"


def guess_me(df: pl.DataFrame, senders: list[str], file_name: str) -> str | None:
    """The exporting user, only where the export itself tells: 'You deleted this message' lines are the
    exporter's own; a 1:1 export named 'WhatsApp Chat with Sam' means the other person is Sam.
    Conflicting or missing evidence gives None (the user is asked instead)."""
    guesses: set[str] = set()
    mine = df.filter(pl.col("by_me") & (pl.col("sender") != "")).get_column("sender").unique().to_list()
    if len(mine) == 1:
        guesses.add(mine[0])
    elif len(mine) > 1:
        return None
    for candidate in set(file_name.split(":")):  # zip name and member name both count
        base = Path(candidate).name
        stem = base[:-4] if base.lower().endswith((".txt", ".zip")) else base
        m = _FILENAME_OTHER.match(stem)
        if m and len(senders) == 2:
            other = m.group("name").strip()
            if other in senders:
                guesses.add(next(s for s in senders if s != other))
    return guesses.pop() if len(guesses) == 1 else None
