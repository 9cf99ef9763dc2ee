"""What every importer is: one small base class the format importers build on.

An importer says which platform it reads, describes its files for the "formats understood" list,
looks cheaply at a file (``looks_like``: the start of the file, a zip's listing) and reads it
(``parse``). The base gives the rest, the same for every format:

- ``sniff`` never raises, whatever the file: a sniffer that fails says "not mine";
- ``read`` turns any surprise in a damaged or hand-made file into an ``UnreadableInput`` in plain
  words (``plain_reason``), never a traceback or Python's own wording;
- ``result`` builds the ``ParsedExport`` (the platform and the format's capabilities filled in).

Frame building (``_columns.build_frame``) and the sniffing helpers (``read_head``, ``decode_head``,
``zip_names``) are shared in ``_build``; each importer module keeps only what its format needs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import polars as pl

from ebbtide.errors import EbbtideError, UnreadableInput
from ebbtide.importers._build import (
    SURPRISES,
    capabilities,
    fix_for_damaged,
    participants_in_order,
    plain_reason,
)
from ebbtide.model import DateOrder, ParsedExport, ParseReport, Platform


class Importer:
    """Base of every importer; a subclass sets the class attributes and writes ``looks_like`` and ``parse``."""

    platform: ClassVar[Platform]
    #: every platform this importer reads (Meta: Messenger and Instagram); default: ``platform`` only
    platforms: ClassVar[tuple[Platform, ...]] = ()
    description: ClassVar[str]  # shown in "formats understood"
    format_name: ClassVar[str] = ""  # "a <format_name> export" in errors (default: the platform)
    fix: ClassVar[str] = ""  # what to do when a file cannot be read (default: ``fix_for_damaged``)
    #: what the format can hold (see ``_build.CAPABILITY_KEYS``); a report may say more precisely
    features: ClassVar[tuple[str, ...]] = ()

    def reads(self, platform: Platform) -> bool:
        return platform is self.platform or platform in self.platforms

    def sniff(self, path: Path) -> bool:
        """Whether ``path`` looks like this format; never raises (a damaged file is "not mine")."""
        try:
            return bool(self.looks_like(Path(path)))
        except Exception:  # noqa: BLE001 - sniffing must never throw, whatever the file
            return False

    def read(self, path: Path, *, date_order: DateOrder | None = None) -> ParsedExport:
        """Read ``path``; a surprise in a damaged or hand-made file becomes ``UnreadableInput``."""
        path = Path(path)
        try:
            return self.parse(path, date_order)
        except EbbtideError:
            raise
        except SURPRISES as exc:
            raise UnreadableInput(
                f"this does not read as a {self.format_name or self.platform.value} export: {plain_reason(exc)}",
                where=str(path),
                fix=self.fix or fix_for_damaged(path),
            ) from exc

    # ------------------------------------------------------------------ for subclasses
    def looks_like(self, path: Path) -> bool:
        raise NotImplementedError

    def parse(self, path: Path, date_order: DateOrder | None) -> ParsedExport:
        raise NotImplementedError

    def result(self, messages: pl.DataFrame, *, source_file: str, dialect: str, **report: Any) -> ParsedExport:
        """The ParsedExport of ``messages``. The report's platform and capabilities default to this
        format's, its participants to the people who wrote in ``messages`` (in order of first message)."""
        report.setdefault("platform", self.platform)
        if "participants" not in report:
            report["participants"] = participants_in_order(messages.get_column("sender"), messages.get_column("kind"))
        report.setdefault("capabilities", capabilities(**dict.fromkeys(self.features, True)))
        if "warnings" in report:
            report["warnings"] = tuple(report["warnings"])
        return ParsedExport(messages=messages, report=ParseReport(source_file=source_file, dialect=dialect, **report))


__all__ = ["Importer"]
