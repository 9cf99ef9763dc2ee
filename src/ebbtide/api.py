"""ebbtide from Python: read exports, analyse a couple, get the report (see docs/api.md).

    >>> import ebbtide
    >>> chat = ebbtide.read("WhatsApp Chat with Sam.txt")          # doctest: +SKIP
    >>> report = ebbtide.analyze(chat, me="Alex")                   # doctest: +SKIP
    >>> print(report.terminal())                                    # doctest: +SKIP

The command line is a thin face over the same code: ``read`` is what ``ebbtide analyze --no-store``
reads (the exports merged in a store in memory, duplicates skipped), ``analyze`` runs the one
pipeline (``ebbtide.pipeline``: features -> assess -> explain) and ``Report`` renders the same
terminal, JSON and HTML reports. Nothing here asks questions or prints: where the CLI would ask
(who you are, who the other person is in a group), these functions raise ``EbbtideError`` naming
the choices. Nothing is written unless you ask (``Store``, ``Report.write_json``...).
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ebbtide.errors import EbbtideError, UnknownParticipant, UnreadableInput
from ebbtide.pipeline import (
    Analysis,
    Pipeline,
    active_people,
    group_note,
    group_refusal,
    match_name,
    named,
    nobody_wrote,
    other_people,
    parse_baseline,
    participants,
)

if TYPE_CHECKING:
    import polars as pl

    from ebbtide.model import Assessment, DateOrder, Insight, ParsedExport, Platform
    from ebbtide.store import Store as _CoreStore
    from ebbtide.store.records import ConversationInfo, ImportResult

PathLike = str | os.PathLike[str]


# --------------------------------------------------------------------------- a chat
@dataclass(frozen=True, eq=False)
class Chat:
    """One conversation's messages (the canonical frame: ``timestamp``, ``sender``, ``text``, ``kind``...).

    ``me_hint``: the user's name when the export itself says who exported it (else None).
    """

    messages: pl.DataFrame = field(repr=False)
    conversation_id: str
    me_hint: str | None = None

    @property
    def participants(self) -> list[str]:
        """People who wrote, most messages first (system lines left out)."""
        return participants(self.messages)

    def __len__(self) -> int:
        return self.messages.height

    def __repr__(self) -> str:
        return f"Chat({self.conversation_id!r}, {len(self):,} messages, participants={self.participants!r})"


def read_one(path: Path, platform: Platform | str | None = None, date_order: DateOrder | str | None = None,
             chat: str | None = None) -> ParsedExport:
    """One export file read (``importers.read_export``), with a folder or a file one may not read
    said in plain words (``UnreadableInput``)."""
    from ebbtide.importers import read_export

    if not path.exists():
        raise UnreadableInput("file not found", where=str(path), fix="Check the path and try again.")
    try:
        return read_export(path, platform=platform, date_order=date_order, chat=chat)
    except IsADirectoryError:
        raise UnreadableInput("this is a folder, and not an export folder ebbtide knows", where=str(path),
                              fix="Give the export file itself (e.g. the .txt or .zip inside this folder).") from None
    except PermissionError:
        raise UnreadableInput("no permission to read this", where=str(path),
                              fix="Check the file's permissions, or copy it somewhere you can read.") from None


def _paths(paths: PathLike | Sequence[PathLike]) -> list[Path]:
    if isinstance(paths, str | os.PathLike):
        return [Path(paths)]
    return [Path(p) for p in paths]


def _import(store: _CoreStore, paths: list[Path], platform: Platform | str | None,
            date_order: DateOrder | str | None, tz: str | None, chat: str | None,
            ) -> tuple[list[ImportResult], str | None]:
    """Read every file, then store them all in one transaction; (results, the user's name when the
    exports agree on who exported them)."""
    from ebbtide.importers.timezones import choose_zone

    zone = choose_zone(tz)
    parsed = [(p, read_one(p, platform, date_order, chat)) for p in paths]  # every file read before any is stored
    results: list[ImportResult] = []
    with store.transaction():
        for path, export in parsed:
            results.extend(store.import_export_all(export, source_path=path, zone=zone))
    hints = {export.report.me for _, export in parsed if export.report.me}
    return results, (hints.pop() if len(hints) == 1 else None)


def read(
    paths: PathLike | Sequence[PathLike],
    *,
    platform: Platform | str | None = None,
    date_order: DateOrder | str | None = None,
    tz: str | None = None,
    chat: str | None = None,
    conversation: str | None = None,
) -> Chat:
    """Read one or more exports of one chat into a :class:`Chat` (nothing is stored).

    Several files (the same chat from both phones, overlapping exports, several messengers of one
    chat) are merged without duplicates, as ``ebbtide import`` would. ``platform`` forces a format
    (``"whatsapp"``...), ``date_order`` (``"dmy"``/``"mdy"``/``"ymd"``) settles ambiguous numeric
    dates, ``tz`` is the zone of exports that write local times without one (default: this
    computer's). ``chat``: in an export that holds several chats (a Telegram or Meta archive, an SMS
    backup...), which one to read (name, id or number, as ``--chat``); without it the error
    (``ChooseChat``) lists them. When the files hold several conversations, ``conversation`` (an
    id, its start, or a participant's name) chooses one; without it the error lists them.
    """
    from ebbtide.store import Store as CoreStore

    files = _paths(paths)
    if not files:
        raise EbbtideError("no export given", where="read", fix="Give the path of a chat export.")
    with CoreStore.open_memory() as store:
        results, hint = _import(store, files, platform, date_order, tz, chat)
        ids = list(dict.fromkeys(r.conversation_id for r in results))
        cid = choose_conversation(store, ids, conversation, where="read", flag="conversation=ID")
        messages = store.messages(cid)
    return Chat(messages, cid, hint)


def choose_conversation(store: _CoreStore, ids: list[str], conversation: str | None, *, where: str, flag: str,
                        ) -> str:
    """The conversation to analyse among those just read: the one named, the only one, or an error
    listing them (``flag``: how to name one)."""
    if conversation:
        return store.resolve_conversation(conversation)
    if len(ids) == 1:
        return ids[0]
    infos = {i.id: i for i in store.conversations()}
    listing = "\n  ".join(f"{c}  ({', '.join(infos[c].participants)})" for c in ids if c in infos)
    raise EbbtideError(f"these files hold {len(ids)} conversations", where=where,
                       fix=f"Choose one with {flag}. Found:\n  {listing}")


# --------------------------------------------------------------------------- the report
@dataclass(frozen=True, eq=False)
class Report:
    """The analysis of one couple and its three renderings (the same as the CLI's).

    ``assessment``: what was measured (the five signs for both people, baseline, dips, coverage);
    ``insight``: possible reasons, the plan, the FAQ and the safety level; ``features``: one row per
    message with the measured features.
    """

    assessment: Assessment = field(repr=False)
    insight: Insight = field(repr=False)
    features: pl.DataFrame = field(repr=False)
    simulated: bool = False
    country: str | None = None

    @property
    def me(self) -> str:
        return self.assessment.me

    @property
    def partner(self) -> str:
        return self.assessment.partner

    @property
    def pattern(self) -> str:
        """The overall pattern (e.g. ``"partner_pulling_away"``, ``"stable"``)."""
        return self.assessment.pattern.value

    @property
    def headline(self) -> str:
        """The verdict in plain, hedged words."""
        return self.insight.headline

    def to_dict(self) -> dict[str, Any]:
        """The versioned JSON report as a dict (docs/json-report.md)."""
        from ebbtide.report.json_report import report_dict

        return report_dict(self.assessment, self.insight, simulated=self.simulated, country=self.country)

    def to_json(self) -> str:
        """The versioned JSON report (docs/json-report.md), as ``analyze --json`` writes it."""
        from ebbtide.report.json_report import to_json

        return to_json(self.assessment, self.insight, simulated=self.simulated, country=self.country)

    def to_html(self, *, charts: bool = True) -> str:
        """The self-contained HTML report (opens offline), as ``analyze --html`` writes it."""
        from ebbtide.report.html import render_html

        return render_html(self.assessment, self.insight, simulated=self.simulated, country=self.country,
                           include_charts=charts)

    def terminal(self, *, width: int = 100) -> str:
        """The terminal report as plain text, ``width`` columns wide."""
        from rich.console import Console

        from ebbtide.report.terminal import render_terminal

        buffer = io.StringIO()
        console = Console(file=buffer, width=width, color_system=None, force_terminal=False, highlight=False)
        render_terminal(self.assessment, self.insight, console, simulated=self.simulated, country=self.country)
        return buffer.getvalue()

    def write_json(self, path: PathLike) -> Path:
        """Write the JSON report (atomically)."""
        from ebbtide.report.json_report import write_json

        return Path(write_json(Path(path), self.assessment, self.insight, simulated=self.simulated,
                               country=self.country))

    def write_html(self, path: PathLike) -> Path:
        """Write the HTML report (atomically)."""
        from ebbtide.report.html import write_html

        return write_html(Path(path), self.assessment, self.insight, simulated=self.simulated, country=self.country)

    def __str__(self) -> str:
        return self.terminal()

    def __repr__(self) -> str:
        c = self.assessment.coverage
        return (f"Report(me={self.me!r}, partner={self.partner!r}, pattern={self.pattern!r}, "
                f"messages={c.messages}, weeks={c.weeks})")


# --------------------------------------------------------------------------- analyze
def _couple(messages: pl.DataFrame, me: str | None, partner: str | None, hinted: str | None,
            ) -> tuple[str, str, tuple[str, ...]]:
    """(me, partner, notes) without questions: the CLI's rules, with errors where it would ask."""
    people = participants(messages)
    if not people:
        raise nobody_wrote("analyze")
    name = me or (hinted if hinted and match_name(hinted, people) else None)
    if name is None:
        raise UnknownParticipant("which participant are you?", where="me",
                                 fix=f"Pass me= with your name as it appears in the chat, one of: {', '.join(people)}")
    who = named(name, people, "me")
    others = other_people(people, who, "analyze")
    if partner:
        other = named(partner, others, "partner")
    else:
        active = [p for p in active_people(messages) if p != who]
        if len(active) >= 2:
            raise group_refusal(who, active, "analyze", "partner=NAME")
        other = others[0]
    notes = group_note(people, who, other)
    return who, other, notes


def analyze(
    source: Chat | pl.DataFrame | PathLike | Sequence[PathLike],
    *,
    me: str | None = None,
    partner: str | None = None,
    baseline: tuple[date, date] | str | None = None,
    today: date | None = None,
    afraid: bool | None = None,
    country: str | None = None,
    simulated: bool = False,
) -> Report:
    """Analyse one couple: the five signs for both people against their own past, reasons, a plan.

    ``source``: a :class:`Chat` (from :func:`read` or :meth:`Store.chat`), a message frame, or the
    path(s) of exports (read with :func:`read`). ``me``: your name as it appears in the chat (may be
    left out when the export says who exported it). ``partner``: the other person; needed only in a
    group chat where more than two people write regularly. ``baseline``: your "usual" stretch as
    ``(start, end)`` dates or ``"START:END"``; default: chosen automatically. ``today``: analyse as of
    this date (later messages ignored). ``afraid``: the answer to the safety question (True: you
    sometimes feel afraid of, or controlled by, your partner; people who can help come first;
    False: no; None: not asked). ``country``: for the helplines (``"uk"``, ``"us"``...).
    """
    if isinstance(source, Chat):
        chat = source
    elif hasattr(source, "columns") and hasattr(source, "height"):
        chat = Chat(source, "frame")  # type: ignore[arg-type]
    else:
        chat = read(source)  # type: ignore[arg-type]
    window = parse_baseline(baseline, where="baseline") if isinstance(baseline, str) else baseline
    who, other, notes = _couple(chat.messages, me, partner, chat.me_hint)
    answer: bool | str | None = None if afraid is None else (True if afraid else "no")
    done: Analysis = Pipeline(me=who, partner=other, baseline=window).fit(chat.messages).predict(
        today=today, safety_answer=answer, notes=notes)
    return Report(done.assessment, done.insight, done.features, simulated=simulated, country=country)


def annotate(texts: Iterable[str | dict[str, Any]], *, lang: str | None = None) -> list[dict[str, Any]]:
    """The per-message language features of free texts (as ``ebbtide annotate``).

    Each item: a text, or ``{"text": ..., "question": the message it answers, "lang": ...}``. Returns
    one dict per text: language, words, sentiment, affection, noncommittal... and the matched spans.
    """
    from ebbtide.features.language import annotate_texts

    records = [{"text": t} if isinstance(t, str) else dict(t) for t in texts]
    return list(annotate_texts(records, lang=lang))


# --------------------------------------------------------------------------- the store
class Store:
    """Your local store of chats (the same file ``ebbtide import`` writes; see docs/store.md).

    ``Store(path)`` opens (or creates) the store file; ``Store()`` the default one in your data
    folder (or ``EBBTIDE_DB``); ``Store(memory=True)`` one that lives in memory only. Use it as a
    context manager, or call ``close()``.
    """

    def __init__(self, path: PathLike | None = None, *, create: bool = True, memory: bool = False) -> None:
        from ebbtide.store import Store as CoreStore

        self._store = CoreStore.open_memory() if memory else CoreStore.open(
            Path(path) if path is not None else None, create=create)

    def add(self, paths: PathLike | Sequence[PathLike], *, platform: Platform | str | None = None,
            date_order: DateOrder | str | None = None, tz: str | None = None, chat: str | None = None,
            ) -> list[ImportResult]:
        """Import exports (all or nothing; messages already stored are skipped). One result per chat;
        the options as :func:`read`."""
        return _import(self._store, _paths(paths), platform, date_order, tz, chat)[0]

    def conversations(self) -> list[ConversationInfo]:
        """What is stored: id, platform, participants, messages, first and last message, imports."""
        return self._store.conversations()

    def chat(self, ref: str | None = None) -> Chat:
        """One stored conversation: by id, its start, or a participant's name; None: the only one."""
        if ref is None:
            infos = self._store.conversations()
            if len(infos) != 1:
                listing = "; ".join(f"{i.id} ({', '.join(i.participants)})" for i in infos) or "nothing stored"
                raise EbbtideError(f"{len(infos)} stored chats", where="Store.chat",
                                   fix=f"Name one: store.chat(ID). Stored: {listing}")
            cid = infos[0].id
        else:
            cid = self._store.resolve_conversation(ref)
        from ebbtide.store.people import has_people, me_sender

        hint = me_sender(self._store, cid) if has_people(self._store) else None
        return Chat(self._store.messages(cid), cid, hint)

    def close(self) -> None:
        self._store.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def __iter__(self) -> Iterator[ConversationInfo]:
        return iter(self.conversations())


__all__ = ["Chat", "Report", "Store", "analyze", "annotate", "read"]
