"""The local store: one DuckDB file holding every imported conversation (the only code that speaks SQL).

Why DuckDB: the analysis layers read whole conversations column by column, and an import is a
bulk, set-based merge; both are what a columnar embedded engine does well, with no server and no
network. Everything a caller needs goes through ``Store``'s small typed API.

Guarantees:
- An import is all-or-nothing (one transaction; any exception, Ctrl-C included, rolls back).
- Importing the same export twice, or overlapping exports of one chat, adds no message twice,
  while genuinely repeated messages ("ok", "ok" in the same minute) are kept (see ``_merge``).
- ``forget`` rewrites the file without the forgotten rows, because DuckDB otherwise leaves
  deleted rows' bytes in the file; ``forget_all`` removes the file.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from ebbtide.errors import StoreError
from ebbtide.model import MESSAGE_COLUMNS, MESSAGE_SCHEMA
from ebbtide.store.importing import ImportMixin
from ebbtide.store.merge import INSTANT, _key_columns, time_slices
from ebbtide.store.records import ConversationInfo
from ebbtide.store.rewrite import RewriteMixin


class Store(ImportMixin, RewriteMixin):
    """An open store. Use as a context manager: ``with Store.open() as store: ...``.

    The parts: ``core`` (connection, transactions), ``importing`` and ``merge`` (adding exports),
    ``rewrite`` (forget, lock, unlock); reading is here.
    """

    def conversations(self) -> list[ConversationInfo]:
        """Every stored conversation, oldest-created first."""
        convs = self._rows("SELECT id, platform FROM conversations ORDER BY created_at, id")
        stats = {r[0]: r[1:] for r in self._rows(
            'SELECT conversation_id, count(*), min("timestamp"), max("timestamp") FROM messages GROUP BY 1')}
        imports = dict(self._rows("SELECT conversation_id, count(*) FROM imports GROUP BY 1"))
        people: dict[str, list[str]] = {}
        for cid, sender in self._rows(
            'SELECT conversation_id, sender FROM messages WHERE sender <> \'\' '
            'GROUP BY 1, 2 ORDER BY 1, min("timestamp"), min(seq)'
        ):
            people.setdefault(cid, []).append(sender)
        result = []
        for cid, platform in convs:
            count, first, last = stats.get(cid, (0, None, None))
            result.append(ConversationInfo(cid, platform, tuple(people.get(cid, ())), int(count), first, last,
                                           int(imports.get(cid, 0))))
        return result

    def messages(self, conversation_id: str) -> pl.DataFrame:
        """A conversation in the canonical frame, chronological (ties: the order they arrived in)."""
        self._require(conversation_id)
        cols = ", ".join(f'"{c}"' for c in MESSAGE_COLUMNS)
        frame = self._frame(
            f'SELECT {cols} FROM messages WHERE conversation_id = $1 ORDER BY {INSTANT}, seq',
            [conversation_id],
        )
        return frame.cast(MESSAGE_SCHEMA).select(MESSAGE_COLUMNS)  # type: ignore[arg-type]

    def message_meta(self, conversation_id: str) -> pl.DataFrame:
        """A conversation's ``timestamp, sender, kind, platform`` (no text): enough for counts and
        coverage, and much lighter than ``messages`` for a big chat."""
        self._require(conversation_id)
        frame = self._frame('SELECT "timestamp", sender, kind, platform FROM messages WHERE conversation_id = $1 '
                            'ORDER BY ' + INSTANT + ', seq', [conversation_id])
        return frame.cast({c: MESSAGE_SCHEMA[c] for c in frame.columns})  # type: ignore[arg-type]

    def resolve_conversation(self, ref: str) -> str:
        """An id from what a person typed: the id, a unique start of it, or a participant's name."""
        ref = ref.strip()
        infos = self.conversations()
        if not infos:
            raise StoreError("the store holds no conversations yet", where=str(self._path),
                             fix="Import a chat first: ebbtide import EXPORT.txt")
        ids = [i.id for i in infos]
        if ref in ids:
            return ref
        folded = ref.casefold()
        by_prefix = [i for i in infos if ref and i.id.casefold().startswith(folded)]
        if len(by_prefix) == 1:
            return by_prefix[0].id
        by_name = [i for i in infos if any(p.casefold() == folded for p in i.participants)]
        if len(by_name) == 1:
            return by_name[0].id
        matches = by_prefix or by_name
        choices = "\n  ".join(f"{i.id}  ({', '.join(i.participants) or 'no senders'})" for i in (matches or infos))
        if matches:
            raise StoreError(f"'{ref}' matches {len(matches)} conversations", where=str(self._path),
                             fix=f"Give more of the id. Candidates:\n  {choices}")
        raise StoreError(f"no conversation matches '{ref}'", where=str(self._path),
                         fix=f"Use an id (or its start) or a participant's name. Stored:\n  {choices}")

    def import_history(self, conversation_id: str) -> list[dict[str, Any]]:
        """The recorded imports of a conversation, oldest first (file, sha256, time, counts)."""
        self._require(conversation_id)
        zones = ", time_zone, time_zone_source" if self._has_people_tables() else ""
        frame = self._frame(
            "SELECT id, source_file, sha256, imported_at, platform, dialect, date_order, me, total_in_file, "
            f"added, skipped_duplicates{zones} FROM imports WHERE conversation_id = $1 ORDER BY id",
            [conversation_id],
        )
        return frame.to_dicts()

    def capabilities(self, conversation_id: str) -> dict[str, bool]:
        """What the conversation's exports can contain (reactions, replies, read_times, calls, edits).

        Several imports: a thing is present if any import's format can hold it (OR). A key missing
        means no import said; callers treat it as "not in this export".
        """
        self._require(conversation_id)
        if not self._has_people_tables():
            return {}
        rows = self._rows("SELECT capability, bool_or(present) FROM import_capabilities "
                          "WHERE conversation_id = $1 GROUP BY 1 ORDER BY 1", [conversation_id])
        return {str(k): bool(v) for k, v in rows}


__all__ = ["INSTANT", "Store", "_key_columns", "time_slices"]
