"""Planted ruptures and repairs, for testing ``signals.ruptures`` on simulated couples.

``plant_ruptures(chat, plan, seed=0)`` takes a simulated chat and, for each ``Planted`` item, writes a
quarrel (tense and hostile messages from both people, in the chosen language) or starts a one-sided
silence, removes the quiet person's messages for ``quiet_days`` days, and puts the repair bids (an
apology, taking the blame, an offer to talk, a call, laughter) on the day the quiet person comes back.
It returns the new frame and the truth: per rupture, its start, the quiet person and the planted
time to reconnect.

The phrases are our own, in five languages; they are not copied from the word lists
(features/repair_data/), so the test checks that the lists generalise a little, not that they
match themselves.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import polars as pl

from ebbtide.model import MESSAGE_SCHEMA

PHRASES: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "hostile": ("honestly just leave me alone right now", "i'm so mad at you i can't even",
                    "you don't care, you never did", "thanks for nothing, really"),
        "tense": ("that's not what i meant and you know it", "forget it", "why are you being like this?"),
        "apology": ("i'm sorry about the other night", "hey. i'm really sorry"),
        "own_fault": ("you were right, i overreacted", "i was out of line, that's on me"),
        "talk": ("can we talk tonight?", "can i call you later?"),
        "humour": ("haha ok that meme got me", "lol i miss your stupid jokes"),
    },
    "es": {
        "hostile": ("déjame en paz de verdad", "estoy muy enfadada contigo", "nunca me escuchas, nunca",
                    "gracias por nada, en serio"),
        "tense": ("no es lo que quise decir", "olvídalo", "¿por qué te pones así?"),
        "apology": ("lo siento por lo del otro día", "perdóname, de verdad"),
        "own_fault": ("tenías razón, me pasé", "fue mi culpa, lo sé"),
        "talk": ("¿podemos hablar esta noche?", "¿te puedo llamar luego?"),
        "humour": ("jajaja vale ese meme me mató", "jaja echo de menos tus chistes malos"),
    },
    "de": {
        "hostile": ("lass mich einfach in ruhe", "ich bin so sauer auf dich", "du hörst nie zu, echt nie",
                    "danke für nichts"),
        "tense": ("so hab ich das nicht gemeint", "vergiss es", "warum bist du so?"),
        "apology": ("es tut mir leid wegen neulich", "entschuldige bitte, wirklich"),
        "own_fault": ("du hast recht, ich habe überreagiert", "mein fehler, ich weiß"),
        "talk": ("können wir heute abend reden?", "kann ich dich später anrufen?"),
        "humour": ("hahaha okay das meme ist gut", "haha ich vermisse deine schlechten witze"),
    },
    "fr": {
        "hostile": ("laisse-moi tranquille franchement", "je suis énervée contre toi", "tu m'écoutes jamais",
                    "merci pour rien"),
        "tense": ("c'est pas ce que je voulais dire", "laisse tomber", "pourquoi tu réagis comme ça ?"),
        "apology": ("désolée pour l'autre soir", "pardonne-moi, vraiment"),
        "own_fault": ("tu avais raison, j'ai exagéré", "c'est ma faute, je sais"),
        "talk": ("on peut parler ce soir ?", "je peux t'appeler plus tard ?"),
        "humour": ("mdr ok ce meme est trop bien", "haha tes blagues nulles me manquent"),
    },
    "pt": {
        "hostile": ("me deixa em paz sério", "tô com raiva de você", "você nunca me escuta",
                    "obrigada por nada"),
        "tense": ("não foi isso que eu quis dizer", "esquece", "por que você tá assim?"),
        "apology": ("desculpa pelo outro dia", "me perdoa, de verdade"),
        "own_fault": ("você tinha razão, exagerei", "foi culpa minha, eu sei"),
        "talk": ("podemos conversar hoje à noite?", "posso te ligar mais tarde?"),
        "humour": ("kkkkk tá esse meme é bom", "haha saudade das suas piadas ruins"),
    },
}


@dataclass(frozen=True, slots=True)
class Planted:
    """One rupture to plant. ``day``: days after the chat's first day. ``kind``: "conflict" or "cold_spell".
    ``quiet``: "me" or "partner" (who goes silent). ``repair``: bids the ``repairer`` makes when the quiet
    one comes back ("apology", "own_fault", "talk", "call", "humour")."""

    day: int
    kind: str = "conflict"
    quiet: str = "partner"
    quiet_days: int = 5
    lang: str = "en"
    repair: tuple[str, ...] = ("apology",)
    repairer: str = "partner"


@dataclass(frozen=True, slots=True)
class PlantedTruth:
    start: date
    kind: str
    quiet: str  # the name
    reconnect_days: int  # days from start until the quiet person writes again as usual
    repairer: str
    repair: tuple[str, ...]
    lang: str


def _row(ts: datetime, sender: str, text: str, conv: str, kind: str = "text") -> dict[str, object]:
    return {"timestamp": ts, "utc_offset_min": None, "sender": sender, "text": text, "kind": kind, "edited": False,
            "platform": "simulated", "conversation_id": conv, "source_file": "simulated", "source_line": 0}


def plant_ruptures(messages: pl.DataFrame, plan: list[Planted] | tuple[Planted, ...], *, me: str, partner: str,
                   seed: int = 0) -> tuple[pl.DataFrame, tuple[PlantedTruth, ...]]:
    """``messages`` with the planted ruptures; the truth of each, oldest first."""
    rng = random.Random(f"ruptures:{seed}")
    first = messages.get_column("timestamp").min()
    assert isinstance(first, datetime)
    conv = str(messages.get_column("conversation_id")[0]) if messages.height else "sim"
    names = {"me": me, "partner": partner}
    frame = messages
    added: list[dict[str, object]] = []
    truth = []
    for p in sorted(plan, key=lambda p: p.day):
        day = first.date() + timedelta(days=p.day)
        quiet, other = names[p.quiet], names["partner" if p.quiet == "me" else "me"]
        words = PHRASES[p.lang]
        evening = datetime.combine(day, time(20, 5))
        if p.kind == "conflict":
            lines = [(other, rng.choice(words["tense"])), (quiet, rng.choice(words["hostile"])),
                     (other, rng.choice(words["tense"])), (quiet, rng.choice(words["hostile"])),
                     (other, rng.choice(words["hostile"]))]
            for k, (who, text) in enumerate(lines):
                added.append(_row(evening + timedelta(minutes=2 * k, seconds=7), who, text, conv))
            silent_from = day + timedelta(days=1)
        else:
            silent_from = day
        back = day + timedelta(days=p.quiet_days)
        # The quiet person writes nothing from silent_from until back (exclusive); the conflict evening stays.
        frame = frame.filter(~((pl.col("sender") == quiet) & (pl.col("timestamp").dt.date() >= silent_from)
                               & (pl.col("timestamp").dt.date() < back)))
        repairer = names[p.repairer]
        at = datetime.combine(back, time(9, 30))
        for k, bid in enumerate(p.repair):
            ts = at + timedelta(minutes=20 * k, seconds=11)
            if bid == "call":
                added.append(_row(ts, repairer, "", conv, kind="call"))
            else:
                added.append(_row(ts, repairer, rng.choice(words[bid]), conv))
        truth.append(PlantedTruth(day, p.kind, quiet, (back - day).days, repairer, p.repair, p.lang))
    extra = pl.DataFrame(added, schema=MESSAGE_SCHEMA) if added else messages.clear()
    out = pl.concat([frame, extra]).sort("timestamp", maintain_order=True)
    out = out.with_columns(pl.int_range(1, out.height + 1).cast(pl.Int64).alias("source_line"))
    return out, tuple(truth)


__all__ = ["PHRASES", "Planted", "PlantedTruth", "plant_ruptures"]
