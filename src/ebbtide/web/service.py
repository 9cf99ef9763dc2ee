"""The web app's state: one open store, the user's settings, and the analysis of the chosen chat.

WHY one store connection behind a lock: DuckDB allows one writer per file, and the app serves
requests from a thread pool.

WHY everything is cached until something changes (issue 17: pages took ~3.8 s each on a big chat):
a page used to read every setting and the whole journal with one SQL query each (30-40 per page),
rebuild every chart from the weekly table (~900 Polars queries, twice on the overview) and, after
any change, run the whole pipeline again, measuring every message of the chat. Now:

- settings, journal and the conversation's size are read once and kept until a form is sent
  (``changed()``: every POST, and every write through this class);
- the messages are measured once per conversation, people and stored data (``Pipeline.fit``),
  and assessed once per baseline (``Pipeline.assess``); the safety answers, the reflection and the
  journal only re-run explain (the journal's additions are applied to the kept assessment);
- the charts are drawn once per analysis and journal (``figures``).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import polars as pl

from ebbtide.errors import EbbtideError, StoreError
from ebbtide.model import Assessment, Insight, ReasonId, senders_by_volume
from ebbtide.pipeline import Pipeline
from ebbtide.store import Store
from ebbtide.store import journal as jr
from ebbtide.store.crypto import PassphraseNeeded
from ebbtide.store.records import ConversationInfo
from ebbtide.web.journal_link import apply_journal, journal_hints, notes_raise_safety
from ebbtide.web.uploads import PendingUploads

RUN_GAP_S = 15 * 60  # views closer together than this count as one run


@dataclass(frozen=True, slots=True)
class WebAnalysis:
    conversation_id: str
    assessment: Assessment
    insight: Insight
    features: pl.DataFrame
    messages: pl.DataFrame
    memo: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)  # drawn charts


participants = senders_by_volume  # one definition, in ebbtide.model


class WebState:
    """Everything the routes share. Create with ``WebState.open(db_path)``; ``close()`` at shutdown."""

    def __init__(self, store: Store | None, locked_path: Path | None = None) -> None:
        self._store = store  # None while the store is locked and its passphrase not yet given (web/locking.py)
        self.locked_path = locked_path
        self.lock = threading.RLock()
        self._cache: tuple[tuple[Any, ...], WebAnalysis] | None = None
        self._fitted: tuple[tuple[Any, ...], Pipeline] | None = None  # features of the chosen couple
        self._assessed: tuple[tuple[Any, ...], Assessment] | None = None  # ... assessed against the baseline
        self._memo: dict[Any, Any] = {}  # reads kept until something changes
        self.pipeline_runs = 0  # times the messages were measured (fit) and analysed (predict), for tests
        self.predictions = 0
        self._last_run = 0.0
        self.imports: dict[str, list[dict[str, Any]]] = {}  # batch id -> what an upload found
        self.pending = PendingUploads()  # uploads holding several chats, until one is picked
        self.undo: dict[str, tuple[str, Any]] = {}  # key -> a journal entry just removed (memory only)

    @classmethod
    def open(cls, db: str | Path | None, *, memory: bool = False) -> WebState:
        """The app's store: the file, or with ``memory`` one that lives in memory only (``serve --no-store``)."""
        if memory:
            return cls(Store.open_memory())
        try:
            return cls(Store.open(db))
        except PassphraseNeeded as locked:  # nobody at a terminal typed it: the app asks (web/locking.py)
            return cls(None, locked.path)

    @property
    def locked(self) -> bool:
        """The store is locked with a passphrase that has not been given yet."""
        return self._store is None

    def unlock(self, passphrase: str) -> None:
        """Open the locked store with ``passphrase`` (a wrong one raises StoreError and changes nothing)."""
        with self.lock:
            if self._store is None and self.locked_path is not None:
                self._store = Store.open(self.locked_path, create=False, passphrase=passphrase)

    def close(self) -> None:
        self.pending.drop_all()
        with self.lock:
            if self._store is not None:
                self._store.close()

    @contextmanager
    def store(self) -> Iterator[Store]:
        with self.lock:
            if self._store is None:
                raise StoreError("the store is locked", where="web",
                                 fix="Open the app's link again and enter the store's passphrase.")
            yield self._store

    # ------------------------------------------------------------------ cached reads
    def changed(self) -> None:
        """The store may have changed (a form was sent): settings, journal and sizes are read again.

        Without the lock (one assignment): the app's middleware calls this on the event loop, which
        must never wait for an analysis running in another thread."""
        self._memo = {}

    def _kept(self, key: Any, read: Callable[[Store], Any]) -> Any:
        with self.lock:
            memo = self._memo
            if key not in memo:
                with self.store() as s:  # a locked store says so (StoreError), as every other read
                    memo[key] = read(s)
            return memo[key]

    def events(self, conversation_id: str | None = None) -> list[jr.JournalEvent]:
        """Journal events, oldest first (with a conversation: its own and the couple-wide ones)."""
        return list(self._kept(("events", conversation_id), lambda s: jr.events(s, conversation_id)))

    def checkins(self) -> list[jr.CheckIn]:
        return list(self._kept("checkins", jr.checkins))

    def conversations(self) -> list[ConversationInfo]:
        """The stored conversations (as ``Store.conversations``), read once until something changes."""
        return list(self._kept("conversations", lambda s: s.conversations()))

    # ------------------------------------------------------------------ settings
    def setting(self, key: str, default: str | None = None) -> str | None:
        return self._kept("settings", jr.settings).get(key, default)  # type: ignore[no-any-return]

    def set(self, key: str, value: str | None) -> None:
        with self.store() as s:
            jr.set_setting(s, key, value)
            self.changed()
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
        checkins, events = self.checkins(), self.events()
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
        if not self._kept(("has", cid), lambda s: s.has_conversation(cid)):
            return None
        return cid, me, partner

    def invalidate(self) -> None:
        """Something the analysis reads changed (an import, a merge, the journal): read and analyse again."""
        with self.lock:
            self.changed()
            self._cache = None

    def analysis(self) -> WebAnalysis | None:
        """The chosen conversation analysed (cached), or None when nothing is chosen yet."""
        chosen = self.conversation()
        if chosen is None:
            return None
        cid, me, partner = chosen
        events, checkins = self.events(cid), self.checkins()
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

    def _fit(self, cid: str, me: str, partner: str) -> Pipeline:
        """The couple's messages measured (features), once per conversation, people and stored data."""
        info = next((i for i in self.conversations() if i.id == cid), None)
        key = (cid, me, partner, (info.messages, info.imports, info.first, info.last) if info else ())
        if self._fitted is not None and self._fitted[0] == key:
            return self._fitted[1]
        self._fitted = None  # the old features are let go before the new ones are built
        with self.store() as s:
            messages = s.messages(cid)
        if messages.filter(pl.col("sender") == partner).is_empty():
            raise EbbtideError(f"{partner} wrote nothing in this conversation", where="settings",
                               fix="Choose the conversation and the people again on the import page.")
        pipe = Pipeline(me=me, partner=partner).fit(messages)
        self.pipeline_runs += 1
        self._fitted = (key, pipe)
        return pipe

    def _compute(self, cid: str, me: str, partner: str, events: list[jr.JournalEvent],
                 checkins: list[jr.CheckIn], safety: tuple[str, ...] | str | None,
                 reflection: dict[ReasonId, int]) -> WebAnalysis:
        pipe = replace(self._fit(cid, me, partner), baseline=self.baseline())
        assert self._fitted is not None
        key = (self._fitted[0], pipe.baseline)
        if self._assessed is None or self._assessed[0] != key:
            self._assessed = (key, pipe.assess())
        done = pipe.predict(
            assessment=self._assessed[1], safety_answer=True if isinstance(safety, tuple) else safety,
            safety_source=safety[0] if isinstance(safety, tuple) else "answer", reflection=reflection,
            adjust=lambda a: apply_journal(a, events, checkins),
            hints=lambda a: journal_hints(events, checkins, since=a.recent[0] if a.recent else None))
        self.predictions += 1
        return WebAnalysis(cid, done.assessment, done.insight, done.features, done.messages)

    # ------------------------------------------------------------------ charts
    def figures(self, a: WebAnalysis, events: Sequence[jr.JournalEvent], only: Sequence[str] = (),
                ) -> tuple[list[dict[str, Any]], str]:
        """The charts of an analysis with the journal's events marked, and the same as a JSON data
        block for the page's script; drawn once per analysis, events and choice of charts."""
        from ebbtide.report.html import charts as report_charts
        from ebbtide.web.charts import chart_json, figures

        key = ("figures", tuple(only), tuple((e.id, e.date, e.kind) for e in events))
        with self.lock:
            if key not in a.memo:
                if "drawn" not in a.memo:
                    a.memo["drawn"] = report_charts(a.assessment)
                made = figures(a.assessment, events, only, drawn=a.memo["drawn"])
                a.memo[key] = (made, chart_json(made))
            return a.memo[key]  # type: ignore[no-any-return]


__all__ = ["WebAnalysis", "WebState", "participants"]
