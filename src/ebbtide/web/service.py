"""The web app's state: one open store, the user's settings, and the analysis of the chosen chat.

WHY one store connection behind a lock: DuckDB allows one writer per file, and the app serves
requests from a thread pool. The analysis (seconds) is cached and recomputed only when an input
changes: the chosen conversation or people, the baseline, the safety answers, the reflection,
or the journal.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import polars as pl

from ebbtide.errors import EbbtideError
from ebbtide.model import Assessment, Insight, ReasonId, senders_by_volume
from ebbtide.store import Store
from ebbtide.store import journal as jr
from ebbtide.web.journal_link import apply_journal, journal_hints, notes_raise_safety

RUN_GAP_S = 15 * 60  # views closer together than this count as one run


@dataclass(frozen=True, slots=True)
class WebAnalysis:
    conversation_id: str
    assessment: Assessment
    insight: Insight
    features: pl.DataFrame
    messages: pl.DataFrame


participants = senders_by_volume  # one definition, in ebbtide.model


class WebState:
    """Everything the routes share. Create with ``WebState.open(db_path)``; ``close()`` at shutdown."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self.lock = threading.RLock()
        self._cache: tuple[tuple[Any, ...], WebAnalysis] | None = None
        self._last_run = 0.0
        self.imports: dict[str, list[dict[str, Any]]] = {}  # batch id -> what an upload found
        self.undo: dict[str, tuple[str, Any]] = {}  # key -> a journal entry just removed (memory only)

    @classmethod
    def open(cls, db: str | Path | None, *, memory: bool = False) -> WebState:
        """The app's store: the file, or with ``memory`` one that lives in memory only (``serve --no-store``)."""
        return cls(Store.open_memory() if memory else Store.open(db))

    def close(self) -> None:
        with self.lock:
            self._store.close()

    @contextmanager
    def store(self) -> Iterator[Store]:
        with self.lock:
            yield self._store

    # ------------------------------------------------------------------ settings
    def setting(self, key: str, default: str | None = None) -> str | None:
        with self.store() as s:
            return jr.get_setting(s, key, default)

    def set(self, key: str, value: str | None) -> None:
        with self.store() as s:
            jr.set_setting(s, key, value)
        self._cache = None

    def today(self) -> date:
        """Today in the user's chosen time zone (default: this computer's)."""
        tz = self.setting("timezone")
        if tz:
            try:
                return datetime.now(ZoneInfo(tz)).date()
            except (ZoneInfoNotFoundError, ValueError):
                pass
        return date.today()

    def reflection(self) -> dict[ReasonId, int]:
        raw = self.setting("reflection")
        if not raw:
            return {}
        try:
            return {ReasonId(k): int(v) for k, v in json.loads(raw).items()}
        except (ValueError, TypeError, AttributeError):
            return {}

    def baseline(self) -> tuple[date, date] | None:
        start, end = self.setting("baseline_start"), self.setting("baseline_end")
        if not start or not end:
            return None
        try:
            return date.fromisoformat(start), date.fromisoformat(end)
        except ValueError:
            return None

    # ------------------------------------------------------------------ safety
    def safety_answered(self) -> bool:
        return self.setting("safety_afraid") is not None

    def safety_reasons(self) -> list[str]:
        """Where the user told us safety comes first (keys of safety.toml [source]; empty: they did not).

        "answer": the safety question; "checkin": the latest weekly check-in; "notes": words in the
        user's own notes. Messages with clear danger are added by the analysis itself.
        """
        why = []
        if self.setting("safety_afraid") == "yes" or self.setting("safety_controlled") == "yes":
            why.append("answer")
        with self.store() as s:
            checkins = jr.checkins(s)
            events = jr.events(s)
        if checkins and (checkins[-1].afraid or checkins[-1].controlled):
            why.append("checkin")
        notes = [c.note for c in checkins] + [c.outside_stress for c in checkins] + [e.note for e in events]
        if notes_raise_safety(notes):
            why.append("notes")
        return why

    def safety_answer(self) -> str | None:
        """"yes" (safety first), "no" (answered no, nothing the user wrote says otherwise) or None (not asked)."""
        if self.safety_reasons():
            return "yes"
        return "no" if self.safety_answered() else None

    def count_run(self) -> int:
        """Count one analysis view (views within 15 minutes are one run); runs today."""
        now = time.monotonic()
        with self.store() as s:
            if self._last_run and now - self._last_run < RUN_GAP_S:
                return jr.runs_on(s, "analysis", self.today())
            self._last_run = now
            return jr.record_run(s, "analysis", self.today())

    # ------------------------------------------------------------------ the analysis
    def conversation(self) -> tuple[str, str, str] | None:
        """(conversation id, me, partner) as chosen, if still stored."""
        cid, me, partner = self.setting("conversation"), self.setting("me"), self.setting("partner")
        if not cid or not me or not partner:
            return None
        with self.store() as s:
            if not s.has_conversation(cid):
                return None
        return cid, me, partner

    def invalidate(self) -> None:
        self._cache = None

    def analysis(self) -> WebAnalysis | None:
        """The chosen conversation analysed (cached), or None when nothing is chosen yet."""
        chosen = self.conversation()
        if chosen is None:
            return None
        cid, me, partner = chosen
        with self.store() as s:
            events, checkins = jr.events(s, cid), jr.checkins(s)
        safety = tuple(self.safety_reasons()) or self.safety_answer()
        reflection = self.reflection()
        key = (cid, me, partner, self.baseline(), safety, tuple(sorted(reflection.items())),
               tuple((e.id, e.date, e.kind) for e in events), tuple(c.id for c in checkins))
        with self.lock:
            if self._cache is not None and self._cache[0] == key:
                return self._cache[1]
            result = self._compute(cid, me, partner, events, checkins, safety, reflection)
            self._cache = (key, result)
            return result

    def _compute(self, cid: str, me: str, partner: str, events: list[jr.JournalEvent],
                 checkins: list[jr.CheckIn], safety: tuple[str, ...] | str | None,
                 reflection: dict[ReasonId, int]) -> WebAnalysis:
        from ebbtide.pipeline import Pipeline

        with self.store() as s:
            messages = s.messages(cid)
        if messages.filter(pl.col("sender") == partner).is_empty():
            raise EbbtideError(f"{partner} wrote nothing in this conversation", where="settings",
                               fix="Choose the conversation and the people again on the import page.")
        done = Pipeline(me=me, partner=partner, baseline=self.baseline()).fit(messages).predict(
            safety_answer=True if isinstance(safety, tuple) else safety,
            safety_source=safety[0] if isinstance(safety, tuple) else "answer", reflection=reflection,
            adjust=lambda a: apply_journal(a, events, checkins),
            hints=lambda a: journal_hints(events, checkins, since=a.recent[0] if a.recent else None))
        return WebAnalysis(cid, done.assessment, done.insight, done.features, messages)


__all__ = ["WebAnalysis", "WebState", "participants"]
