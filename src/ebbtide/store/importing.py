"""Importing exports into the store (all-or-nothing) and joining two stored chats on the user's word."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from ebbtide.errors import StoreError
from ebbtide.importers.timezones import ZoneChoice, fill_offsets
from ebbtide.model import ParsedExport
from ebbtide.store.incoming import (
    derive_conversation_id,
    file_sha256,
    prepare_incoming,
    split_by_conversation,
)
from ebbtide.store.merge import MergeMixin
from ebbtide.store.people import join_aliases, register_senders
from ebbtide.store.records import ImportResult


class ImportMixin(MergeMixin):
    """``import_export``, ``import_export_all`` and ``merge_conversations``."""

    if TYPE_CHECKING:  # reading is db.Store's; the merge below reads the other conversation's messages
        def messages(self, conversation_id: str) -> pl.DataFrame: ...

    def import_export(
        self,
        parsed: ParsedExport,
        *,
        conversation_id: str | None = None,
        source_path: str | Path | None = None,
        zone: ZoneChoice | None = None,
    ) -> ImportResult:
        """Add one conversation's export to the store (all-or-nothing, duplicates skipped).

        ``conversation_id`` overrides the id the importer chose (e.g. to merge two chats the user
        knows are the same). ``source_path`` is the file on disk, to record its SHA-256. ``zone``
        gives times the export wrote without a zone their UTC offset (recorded with the import).
        """
        return self._import(parsed, conversation_id, source_path, single=True, zone=zone)[0]

    def import_export_all(
        self,
        parsed: ParsedExport,
        *,
        conversation_id: str | None = None,
        source_path: str | Path | None = None,
        zone: ZoneChoice | None = None,
    ) -> list[ImportResult]:
        """Like ``import_export`` for an export holding several chats: one transaction for all."""
        return self._import(parsed, conversation_id, source_path, single=False, zone=zone)

    def _import(
        self, parsed: ParsedExport, conversation_id: str | None, source_path: str | Path | None, *, single: bool,
        zone: ZoneChoice | None = None,
    ) -> list[ImportResult]:
        report = parsed.report
        frame = prepare_incoming(parsed, conversation_id)
        if frame.height == 0:
            cid = conversation_id or derive_conversation_id(report.platform.value, report.participants,
                                                            report.source_file)
            return [ImportResult(cid, 0, 0, 0, report.source_file)]
        groups = split_by_conversation(frame)
        if single and len(groups) != 1:
            raise StoreError(
                f"this export holds {len(groups)} conversations, not one",
                where=report.source_file,
                fix="Import it with import_export_all, or give a conversation id to store it as one.",
            )
        # Only a path we were given: report.source_file is a bare name and could match another file here.
        sha = file_sha256(Path(source_path)) if source_path is not None else None
        with self.transaction():
            return [
                self._import_group(key, group, parsed, sha, zone, said=bool(conversation_id))
                for key, group in groups.items()
            ]

    def _import_group(self, cid: str, group: pl.DataFrame, parsed: ParsedExport, sha: str | None,
                      zone: ZoneChoice | None = None, *, said: bool = False) -> ImportResult:
        """One conversation's rows: place them (join by evidence), merge the messages, record the import."""
        cid, group, note, shift = self._place(cid, group, sha, said)
        if not said and not self.has_conversation(cid):  # a chat new to the store: stored before under other names?
            note = " ".join(n for n in (note, self._same_chat_hint(cid, group)) if n)
        zone_used = None
        if zone is not None:
            group, filled = fill_offsets(group, zone.name)  # after the shift: the store's clock
            zone_used = zone if filled else None
        platform = str(group.get_column("platform")[0])
        self._ensure_conversation(cid, platform)
        import_id = int(self._rows("SELECT coalesce(max(id), 0) + 1 FROM imports")[0][0])
        added = self._merge(cid, group, import_id)
        total = group.height
        result = ImportResult(cid, added, total - added, total, parsed.report.source_file, note=note,
                              clock_shift_min=shift)
        self._record_import(import_id, result, parsed, sha, platform)
        if self._has_people_tables():
            self._record_people_and_capabilities(import_id, cid, platform, group, parsed, zone_used)
        return result

    def _record_people_and_capabilities(self, import_id: int, cid: str, platform: str, group: pl.DataFrame,
                                        parsed: ParsedExport, zone: ZoneChoice | None) -> None:
        """Who wrote (aliases -> people), what the format can hold, and the zone given to its times."""
        senders = (group.filter((pl.col("sender") != "") & (pl.col("kind") != "system"))
                   .get_column("sender").unique(maintain_order=True).to_list())
        register_senders(self, cid, platform, senders, parsed.report.me)
        for name, present in sorted(parsed.report.capabilities.items()):
            self._rows("INSERT INTO import_capabilities (import_id, conversation_id, capability, present) "
                       "VALUES ($1, $2, $3, $4)", [import_id, cid, str(name), bool(present)])
        if zone is not None:
            self._rows("UPDATE imports SET time_zone = $1, time_zone_source = $2 WHERE id = $3",
                       [zone.name, zone.source, import_id])

    def _ensure_conversation(self, cid: str, platform: str) -> None:
        if not self._rows("SELECT 1 FROM conversations WHERE id = $1", [cid]):
            self._rows("INSERT INTO conversations (id, platform, created_at) VALUES ($1, $2, $3)", [cid, platform, datetime.now()])

    def _record_import(self, import_id: int, result: ImportResult, parsed: ParsedExport, sha: str | None,
                       platform: str) -> None:
        report = parsed.report
        self._rows(
            "INSERT INTO imports (id, conversation_id, source_file, sha256, imported_at, platform, dialect, "
            "date_order, me, total_in_file, added, skipped_duplicates) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            [import_id, result.conversation_id, report.source_file, sha, datetime.now(), platform,
             report.dialect, report.date_order.value if report.date_order else None, report.me,
             result.total_in_file, result.added, result.skipped_duplicates],
        )

    def merge_conversations(self, keep: str, other: str) -> ImportResult:
        """The user says two stored conversations are one chat: ``other``'s messages join ``keep``.

        Messages ``keep`` already has are not added twice (the import key, clock gaps included);
        the import records, capabilities, journal events and names move over; a name in both is
        one person from then on (the user's word). All-or-nothing.
        """
        self._require(keep)
        self._require(other)
        if keep == other:
            raise StoreError("these are the same conversation", where=keep, fix="Give two different ids.")
        with self.transaction():
            frame = self.messages(other).with_row_index("pos").with_columns(pl.col("pos").cast(pl.Int64))
            keep_id, frame, _, shift = self._place(keep, frame, None, True)
            import_id = int(self._rows("SELECT coalesce(max(id), 0) FROM imports WHERE conversation_id = $1",
                                       [other])[0][0])
            added = self._merge(keep, frame, import_id)
            for table in ("imports", "import_capabilities", "events"):
                if self._rows("SELECT 1 FROM duckdb_tables() WHERE table_name = $1 "
                              "AND database_name = current_database()", [table]):
                    self._rows(f"UPDATE {table} SET conversation_id = $1 WHERE conversation_id = $2", [keep, other])
            if self._has_people_tables():
                join_aliases(self, keep, other)
            self._rows("DELETE FROM messages WHERE conversation_id = $1", [other])
            self._rows("DELETE FROM conversations WHERE id = $1", [other])
        return ImportResult(keep_id, added, frame.height - added, frame.height, other, clock_shift_min=shift)
