"""A second, independent couple simulator, for REPORTING the signals layer's operating characteristics.

Never used to tune a threshold (docs/validation.md). It was written apart from ``ebbtide.simulate``
(which the thresholds were tuned on) and makes different generative assumptions on purpose:

* **Timing is a self-exciting (Hawkes) process** in its cluster form: conversation starts arrive as
  an inhomogeneous Poisson process per person (hour by hour, in each person's *local* time), and
  every message spawns offspring — a reply from the other person with probability ``r`` after a
  heavy-tailed (Pareto, alpha 1.4) latency, and a follow-up from the same person with probability
  ``f`` within a minute or two (bursts). Replies can come hours later and then open a new
  conversation. ebbtide's simulator instead plans a number of turns per session with lognormal latencies.
* **Rhythms:** weekday and weekend profiles (lunch and evening peaks on weekdays, late mornings at
  weekends), a slowly wandering mood per person (AR(1), not independent weeks).
* **Life events:** holidays together (both quiet), one partner's busy months (slow, fewer starts,
  stress talk), travel to another time zone (+7 h for two weeks: that person's rhythm shifts),
  switching to another app for a while (both nearly silent here), moving in together (both text
  half as much from then on), and DST (times are generated in UTC and written as Europe/Berlin
  wall-clock time, so the clocks jump twice a year). Calls appear as ``call`` rows.
* **Wording:** its own phrase bank, in English, Spanish or German (one per couple), not
  ``ebbtide.simulate``'s phrases.

A **one-sided drop of size X** (``Change(role, onset_week, size=X)``) makes that person start X
fewer conversations and write X fewer follow-ups, answer a little less often (r x (1 - X/2)),
more slowly (latency x (1 + 2X)), with X less affection, more vague answers to plans (+0.7 X) and
X less meet-up talk, reaching the full size after ``ramp`` weeks. Pursuit raises the pursuer's
starts, double texts and "are we ok?" questions.

    chat, truth = simulate2(Story("one_sided", weeks=78, changes=(Change("partner", 26, 0.35),)), seed=3)
"""

from __future__ import annotations

import heapq
import math
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl

from ebbtide.model import MESSAGE_SCHEMA, MessageKind, Platform

ROLES = ("me", "partner")
ZONE = ZoneInfo("Europe/Berlin")
START = date(2024, 1, 1)  # a Monday, so both DST switches of 2024 and 2025 fall inside long stories

NAMES = {"en": (("Robin", "Jamie"), ("Chris", "Pat"), ("Lee", "Morgan")),
         "es": (("Lucía", "Mateo"), ("Carmen", "Diego"), ("Sofía", "Pablo")),
         "de": (("Jana", "Felix"), ("Lena", "Jonas"), ("Mia", "Paul"))}

# Our own phrase bank (not ebbtide.simulate's). {t}: a time, {d}: a day.
PHRASES: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "chat": ("just got back from the shop", "the train was packed today", "my boss moved the meeting again",
                 "watching that cooking show", "it's freezing out", "made pasta tonight", "reading on the sofa",
                 "work was long", "the cat knocked over a plant lol", "finally weekend", "did laundry",
                 "listening to that podcast you sent"),
        "question": ("how was your day?", "what are you up to?", "did you eat yet?", "how did the meeting go?",
                     "what are you watching?", "how's your mum doing?"),
        "answer": ("pretty good actually", "tired but ok", "nothing much, just chilling", "it went fine",
                   "better than expected", "still at work"),
        "ack": ("ok", "k", "yeah", "cool", "lol", "hm"),
        "affection": ("love you", "miss you so much", "can't wait to see you ❤️", "you're the best",
                      "thinking of you 😘", "love you lots"),
        "affection_back": ("love you too ❤️", "miss you too", "aww love you", "you too 😘"),
        "plan_q": ("are you free on {d}?", "dinner on {d}?", "want to come over tonight?",
                   "should we go to the cinema on {d}?", "can I see you this weekend?", "shall we cook together {d}?"),
        "commit": ("yes! see you at {t}", "sure, I'll be there at {t}", "definitely, can't wait",
                   "yes let's do it", "sounds great, {t} works"),
        "vague": ("maybe, not sure yet", "I'll let you know", "we'll see", "depends on work",
                  "not sure, maybe another time", "possibly, I'll check"),
        "meetup": ("on my way", "I'm outside", "see you in 10", "leaving now", "be there soon"),
        "stress": ("so much to do at work", "completely stressed this week", "deadline is killing me",
                   "so busy, sorry"),
        "rel_q": ("are we ok?", "is everything alright between us?", "did I do something wrong?",
                  "you seem distant lately"),
        "double": ("hello?", "?", "you there?", "hey"),
    },
    "es": {
        "chat": ("acabo de volver del súper", "el metro iba lleno hoy", "mi jefe cambió la reunión otra vez",
                 "viendo una serie", "hace muchísimo frío", "hice pasta para cenar", "leyendo en el sofá",
                 "el trabajo fue largo", "el gato tiró una planta jaja", "por fin fin de semana"),
        "question": ("¿qué tal tu día?", "¿qué haces?", "¿ya comiste?", "¿cómo fue la reunión?",
                     "¿qué estás viendo?"),
        "answer": ("bastante bien la verdad", "cansado pero bien", "nada, descansando", "fue bien",
                   "todavía en el trabajo"),
        "ack": ("ok", "vale", "sí", "jaja", "mm"),
        "affection": ("te quiero", "te echo mucho de menos", "tengo ganas de verte ❤️", "eres lo mejor",
                      "pienso en ti 😘"),
        "affection_back": ("yo también te quiero ❤️", "yo también te echo de menos", "te quiero mucho"),
        "plan_q": ("¿estás libre el {d}?", "¿cenamos el {d}?", "¿quieres venir esta noche?",
                   "¿vamos al cine el {d}?", "¿nos vemos este fin de semana?"),
        "commit": ("¡sí! nos vemos a las {t}", "claro, allí estaré a las {t}", "sí, qué ganas",
                   "perfecto, a las {t}"),
        "vague": ("quizás, no sé todavía", "ya te diré", "ya veremos", "depende del trabajo",
                  "no sé, tal vez otro día"),
        "meetup": ("voy de camino", "estoy abajo", "llego en 10", "ya salgo"),
        "stress": ("tengo muchísimo trabajo", "estoy súper estresado esta semana", "no doy abasto, perdona"),
        "rel_q": ("¿estamos bien?", "¿pasa algo entre nosotros?", "¿hice algo mal?"),
        "double": ("¿hola?", "?", "¿estás?"),
    },
    "de": {
        "chat": ("bin gerade vom Einkaufen zurück", "die Bahn war heute so voll", "mein Chef hat das Meeting verschoben",
                 "schaue gerade eine Serie", "es ist eiskalt draußen", "hab Nudeln gekocht", "lese auf dem Sofa",
                 "die Arbeit war lang", "die Katze hat eine Pflanze umgeworfen haha", "endlich Wochenende"),
        "question": ("wie war dein Tag?", "was machst du gerade?", "hast du schon gegessen?",
                     "wie lief das Meeting?", "was schaust du?"),
        "answer": ("ganz gut eigentlich", "müde aber ok", "nichts, chille nur", "lief gut", "noch auf der Arbeit"),
        "ack": ("ok", "jo", "ja", "haha", "hm"),
        "affection": ("ich liebe dich", "vermisse dich so", "freu mich so auf dich ❤️", "du bist die Beste",
                      "denk an dich 😘"),
        "affection_back": ("ich dich auch ❤️", "vermisse dich auch", "hab dich lieb"),
        "plan_q": ("hast du am {d} Zeit?", "essen wir am {d} zusammen?", "willst du heute Abend vorbeikommen?",
                   "gehen wir am {d} ins Kino?", "sehen wir uns am Wochenende?"),
        "commit": ("ja! bis {t}", "klar, ich bin um {t} da", "auf jeden Fall, freu mich", "ja gerne, {t} passt"),
        "vague": ("vielleicht, weiß noch nicht", "ich sag dir noch Bescheid", "mal sehen", "kommt auf die Arbeit an",
                  "weiß nicht, vielleicht ein andermal"),
        "meetup": ("bin unterwegs", "stehe unten", "bin in 10 Minuten da", "fahre jetzt los"),
        "stress": ("so viel zu tun auf der Arbeit", "total gestresst diese Woche", "die Deadline bringt mich um"),
        "rel_q": ("ist alles ok zwischen uns?", "habe ich was falsch gemacht?", "du bist so distanziert"),
        "double": ("hallo?", "?", "bist du da?"),
    },
}
DAYS = {"en": ("Friday", "Saturday", "Sunday", "Thursday"), "es": ("viernes", "sábado", "domingo", "jueves"),
        "de": ("Freitag", "Samstag", "Sonntag", "Donnerstag")}

# Hourly start profile (local time): weekdays a morning, lunch and evening peak; weekends later and flatter.
_WEEKDAY = np.array([0.1, 0.02, 0, 0, 0, 0, 0.1, 0.6, 0.8, 0.4, 0.3, 0.4, 0.9, 0.7, 0.3, 0.3, 0.4, 0.8, 1.0, 1.0,
                     1.1, 1.0, 0.7, 0.3])
_WEEKEND = np.array([0.3, 0.15, 0.05, 0, 0, 0, 0, 0.05, 0.2, 0.5, 0.8, 0.9, 0.9, 0.8, 0.7, 0.7, 0.7, 0.8, 0.9, 0.9,
                     0.9, 0.8, 0.6, 0.4])


@dataclass(frozen=True, slots=True)
class Change:
    """A planted change of one person from ``onset_week``: ``kind`` "drop" (pulling away) or "pursue"."""

    role: str
    onset_week: int
    size: float
    ramp: int = 2  # weeks to reach the full size (1: a step)
    kind: str = "drop"


@dataclass(frozen=True, slots=True)
class Event:
    """A life event over weeks [start, end): holiday, busy, travel, app_switch, moved_in (end ignored)."""

    kind: str
    start: int
    end: int
    role: str = ""


@dataclass(frozen=True, slots=True)
class Story:
    name: str
    weeks: int
    changes: tuple[Change, ...] = ()
    events: tuple[Event, ...] = ()


@dataclass(frozen=True, slots=True)
class Truth2:
    story: str
    me: str
    partner: str
    lang: str
    start: date
    withdrawing: tuple[str, ...]  # names
    pursuing: tuple[str, ...]
    onsets: dict[str, date] = field(default_factory=dict)  # name -> first day of the planted drop


def default_events(rng: np.random.Generator, weeks: int, *, quiet_end: int = 10) -> tuple[Event, ...]:
    """Ordinary life for a stable story: a holiday or two, one busy month, a trip abroad, a stretch on
    another app — none in the last ``quiet_end`` weeks (so the end of a stable story is ordinary)."""
    last = max(weeks - quiet_end, 10)
    ev = []
    for _ in range(1 + int(weeks > 52)):
        s = int(rng.integers(4, last - 2))
        ev.append(Event("holiday", s, s + int(rng.integers(1, 3))))
    s = int(rng.integers(4, max(last - 6, 5)))
    ev.append(Event("busy", s, s + int(rng.integers(3, 6)), str(rng.choice(ROLES))))
    s = int(rng.integers(4, last - 2))
    ev.append(Event("travel", s, s + 2, str(rng.choice(ROLES))))
    if rng.random() < 0.5:
        s = int(rng.integers(4, last - 4))
        ev.append(Event("app_switch", s, s + int(rng.integers(2, 5))))
    return tuple(ev)


class _Gen:
    def __init__(self, story: Story, seed: int) -> None:
        self.story = story
        self.rng = np.random.default_rng([seed, 20_26, len(story.name), sum(map(ord, story.name))])
        rng = self.rng
        self.lang = str(rng.choice(list(PHRASES)))
        self.names = dict(zip(ROLES, NAMES[self.lang][int(rng.integers(0, 3))], strict=True))
        self.w = story.weeks
        # personal habits (each person their own usual)
        self.starts_per_day = {r: float(rng.uniform(0.9, 1.8)) for r in ROLES}
        self.reply_p = {r: float(rng.uniform(0.7, 0.82)) for r in ROLES}
        self.follow_p = {r: float(rng.uniform(0.08, 0.2)) for r in ROLES}
        self.lat_scale = {r: float(rng.uniform(25, 90)) for r in ROLES}  # seconds, Pareto scale
        self.affection_p = {r: float(rng.uniform(0.06, 0.14)) for r in ROLES}
        self.vague_p = {r: float(rng.uniform(0.05, 0.15)) for r in ROLES}
        self.double_p = {r: float(rng.uniform(0.05, 0.12)) for r in ROLES}
        # slowly wandering mood, AR(1) on the log scale
        self.mood = {}
        for r in ROLES:
            x, out = 0.0, []
            for _ in range(self.w):
                x = 0.6 * x + rng.normal(0, 0.14)
                out.append(math.exp(x))
            self.mood[r] = out
        self.rows: list[tuple[datetime, str, str, str]] = []
        self.r = random.Random(int(rng.integers(0, 2**62)))  # scalar draws (numpy's are slow one by one)
        weeks = range(self.w)
        self.drop = {r: [self._level(r, w, "drop") for w in weeks] for r in ROLES}
        self.pursue = {r: [self._level(r, w, "pursue") for w in weeks] for r in ROLES}
        self.is_busy = {r: [any(e.kind == "busy" and e.role == r and e.start <= w < e.end for e in story.events)
                            for w in weeks] for r in ROLES}
        self.shift = {r: [7 if any(e.kind == "travel" and e.role == r and e.start <= w < e.end
                                   for e in story.events) else 0 for w in weeks] for r in ROLES}
        self.holiday = [self.event("holiday", w) for w in weeks]
        self.app = [self.event("app_switch", w) for w in weeks]
        self.moved = [self.event("moved_in", w) for w in weeks]

    # ---- weekly state -------------------------------------------------------------------------------
    def level(self, role: str, week: int, kind: str) -> float:
        return (self.drop if kind == "drop" else self.pursue)[role][week]

    def _level(self, role: str, week: int, kind: str) -> float:
        """Size of the planted change of ``kind`` for ``role`` this week (0..size)."""
        out = 0.0
        for c in self.story.changes:
            if c.role == role and c.kind == kind and week >= c.onset_week:
                out = max(out, c.size * min(1.0, (week - c.onset_week + 1) / max(c.ramp, 1)))
        return out

    def event(self, kind: str, week: int, role: str | None = None) -> bool:
        for e in self.story.events:
            if e.kind != kind:
                continue
            if kind == "moved_in" and week >= e.start:
                return True
            if e.start <= week < e.end and (role is None or not e.role or e.role == role):
                return True
        return False

    def tz_shift(self, role: str, week: int) -> int:
        return self.shift[role][week]

    def start_rate(self, role: str, week: int) -> float:
        rate = self.starts_per_day[role] * self.mood[role][week] * (1 - self.level(role, week, "drop"))
        rate *= 1 + 0.8 * self.level(role, week, "pursue")
        other = ROLES[1 - ROLES.index(role)]
        rate *= 1 + 0.3 * self.level(other, week, "drop") * (1 - self.level(role, week, "drop"))  # keeps going
        if self.holiday[week]:
            rate *= 0.15
        if self.app[week]:
            rate *= 0.08
        if self.moved[week]:
            rate *= 0.5
        if self.is_busy[role][week]:
            rate *= 0.6
        return rate

    def busy(self, role: str, week: int) -> bool:
        return self.is_busy[role][week]

    # ---- the chat -----------------------------------------------------------------------------------
    def run(self) -> None:
        rng, r_ = self.rng, self.r
        t0 = datetime.combine(START, datetime.min.time(), tzinfo=UTC)
        hours = self.w * 7 * 24
        utc_hours = [t0 + timedelta(hours=h) for h in range(hours)]
        local = [u.astimezone(ZONE) for u in utc_hours]
        week = np.arange(hours) // 168
        heap: list[tuple[datetime, int, str, str, int]] = []  # (utc time, tiebreak, role, context, depth)
        k = 0
        for role in ROLES:
            shift = np.array(self.shift[role])[week]
            lh = (np.array([t.hour for t in local]) + shift) % 24
            wd = np.array([t.weekday() for t in local])
            wd = np.where(shift > 0, (wd + ((np.array([t.hour for t in local]) + shift) // 24)) % 7, wd)
            prof = np.where(wd >= 5, _WEEKEND[lh] / _WEEKEND.sum(), _WEEKDAY[lh] / _WEEKDAY.sum())
            rate = np.array([self.start_rate(role, w) for w in range(self.w)])[week]
            counts = rng.poisson(rate * prof)
            for h in np.flatnonzero(counts):
                for _ in range(int(counts[h])):
                    k += 1
                    heapq.heappush(heap, (utc_hours[h] + timedelta(seconds=r_.uniform(0, 3600)), k, role, "open", 0))
        end = t0 + timedelta(weeks=self.w)
        while heap:
            t, _, role, ctx, depth = heapq.heappop(heap)
            if t >= end:
                continue
            week = min(int((t - t0).total_seconds() // (7 * 86400)), self.w - 1)
            bank = self.choose(role, ctx, week)
            self.emit(t, role, bank)
            if bank == "meetup" and ctx == "meetup":
                continue
            for child in self.offspring(t, role, bank, week, depth):
                k += 1
                heapq.heappush(heap, (child[0], k, child[1], child[2], depth + 1))

    def offspring(self, t: datetime, role: str, bank: str, week: int, depth: int) -> list[tuple[datetime, str, str]]:
        rng = self.r
        other = ROLES[1 - ROLES.index(role)]
        out = []
        drop_o = self.level(other, week, "drop")
        fade = 0.985 ** depth  # long conversations wind down
        r = self.reply_p[other] * (1 - drop_o / 2) * fade
        if self.holiday[week]:
            r *= 0.7
        if bank in ("plan_q", "rel_q", "question", "affection", "double"):
            r = min(0.97, r + 0.12)
        replied = rng.random() < r
        if replied:
            lat = self.lat_scale[other] * (1 + 2 * drop_o) * (1 + 2 * self.busy(other, week))
            lat *= (1 + 0.5 * (self.tz_shift(other, week) > 0))
            lat = min(lat * rng.paretovariate(1.4), 36 * 3600.0)
            out.append((t + timedelta(seconds=lat), other, "reply:" + bank))
        f = self.follow_p[role] * (1 - self.level(role, week, "drop")) * (1 + self.level(role, week, "pursue")) * fade
        if rng.random() < f:
            out.append((t + timedelta(seconds=rng.expovariate(1 / 50) + 3), role, "more"))
        elif not replied and bank not in ("ack", "meetup"):
            dp = self.double_p[role] + 0.5 * self.level(role, week, "pursue")
            if rng.random() < dp:
                out.append((t + timedelta(minutes=rng.uniform(30, 180)), role, "double"))
        if bank == "commit" and rng.random() < 0.5:  # they meet: a meet-up message later that day
            out.append((t + timedelta(hours=rng.uniform(1, 6)), role, "meetup"))
        return out

    def choose(self, role: str, ctx: str, week: int) -> str:
        rng = self.r
        drop = self.level(role, week, "drop")
        pursue = self.level(role, week, "pursue")
        if ctx == "double":
            return "double"
        if ctx == "meetup":
            return "meetup" if rng.random() < (1 - drop) * (0.3 if self.moved[week] else 1) else "ack"
        if rng.random() < 0.03:  # a call now and then (time together on the line)
            return "call"
        if ctx.startswith("reply:"):
            asked = ctx[6:]
            if asked == "plan_q":
                vague = min(0.95, self.vague_p[role] + 0.7 * drop + 0.2 * self.busy(role, week))
                return "vague" if rng.random() < vague else "commit"
            if asked == "affection" and rng.random() < self.affection_p[role] * 6 * (1 - drop):
                return "affection_back"
            if asked == "question" and rng.random() < 0.7:
                return "ack" if rng.random() < drop else "answer"
        weights = {
            "chat": 0.45, "question": 0.14 * (1 - 0.5 * drop) + 0.05 * pursue, "ack": 0.12 + 0.3 * drop,
            "affection": self.affection_p[role] * (1 - drop), "plan_q": 0.05 * (1 - 0.6 * drop) + 0.02 * pursue,
            "stress": 0.01 + 0.15 * self.busy(role, week), "rel_q": 0.002 + 0.06 * pursue,
            "media": 0.05,
        }
        return rng.choices(list(weights), weights=list(weights.values()))[0]

    def emit(self, t: datetime, role: str, bank: str) -> None:
        rng = self.r
        if bank == "media":
            self.rows.append((t, role, "", MessageKind.MEDIA.value))
            return
        if bank == "call":
            self.rows.append((t, role, f"Voice call ({rng.randint(1, 39)} min)", MessageKind.CALL.value))
            return
        bank_key = "affection_back" if bank == "affection_back" else bank
        choices = PHRASES[self.lang][bank_key]
        text = rng.choice(choices)
        text = text.replace("{d}", rng.choice(DAYS[self.lang])).replace(
            "{t}", f"{rng.randint(17, 21)}:{rng.choice((0, 30)):02d}")
        self.rows.append((t, role, text, MessageKind.TEXT.value))


def simulate2(story: Story, seed: int) -> tuple[pl.DataFrame, Truth2]:
    """The canonical message frame (times as Europe/Berlin wall-clock) and what was planted."""
    g = _Gen(story, seed)
    g.run()
    rows = sorted(g.rows, key=lambda r: r[0])
    local = [r[0].astimezone(ZONE) for r in rows]
    n = len(rows)
    frame = pl.DataFrame({
        "timestamp": [t.replace(tzinfo=None, microsecond=0) for t in local],
        "utc_offset_min": [int(t.utcoffset().total_seconds() // 60) for t in local],  # type: ignore[union-attr]
        "sender": [g.names[r[1]] for r in rows],
        "text": [r[2] for r in rows],
        "kind": [r[3] for r in rows],
        "edited": [False] * n,
        "platform": [Platform.SIMULATED.value] * n,
        "conversation_id": [f"sim2-{story.name}-{seed}"] * n,
        "source_file": ["sim2"] * n,
        "source_line": list(range(1, n + 1)),
    }, schema=MESSAGE_SCHEMA)
    onsets = {g.names[c.role]: START + timedelta(weeks=c.onset_week) for c in story.changes if c.kind == "drop"}
    truth = Truth2(story.name, g.names["me"], g.names["partner"], g.lang, START,
                   tuple(g.names[c.role] for c in story.changes if c.kind == "drop"),
                   tuple(g.names[c.role] for c in story.changes if c.kind == "pursue"), onsets)
    return frame, truth
