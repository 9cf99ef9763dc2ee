"""Which importers exist, and how a file is matched to one (format sniffing).

An importer is a module-level object with:
    platform: Platform
    description: str                      # shown in "formats understood" errors
    sniff(path: Path) -> bool             # cheap look at the start of the file / zip listing
    read(path: Path, *, date_order: DateOrder | None = None) -> ParsedExport
Importers are tried in ``IMPORTERS`` order; the first whose ``sniff`` says yes reads the file.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Protocol

from ebbtide.errors import NotAChatExport, UnreadableInput
from ebbtide.model import DateOrder, ParsedExport, Platform


class Importer(Protocol):
    platform: Platform
    description: str

    def sniff(self, path: Path) -> bool: ...

    def read(self, path: Path, *, date_order: DateOrder | None = None) -> ParsedExport: ...


# Modules under ebbtide.importers, in sniffing order (most specific first). Each defines IMPORTER.
IMPORTER_MODULES: tuple[str, ...] = (
    "telegram",
    "meta",
    "imessage",
    "sms",
    "signal",
    "discord",
    "line",
    "snapchat",
    "google_chat",
    "whatsapp",
    "generic",
)


def _importers() -> list[Importer]:
    found: list[Importer] = []
    for name in IMPORTER_MODULES:
        qualified = f"ebbtide.importers.{name}"
        try:
            module = importlib.import_module(qualified)
        except ModuleNotFoundError as exc:  # an importer not written yet; anything else is a bug
            if exc.name != qualified:
                raise
            continue
        found.append(module.IMPORTER)
    return found


def supported_formats() -> list[str]:
    return [f"{imp.platform.value}: {imp.description}" for imp in _importers()]


SUPPORTED_FORMATS = supported_formats


def read_export(
    path: str | Path, *, platform: Platform | str | None = None, date_order: DateOrder | str | None = None
) -> ParsedExport:
    """Read one export file (or zip) into the canonical frame, sniffing its format."""
    path = Path(path)
    if not path.exists():
        raise UnreadableInput("file not found", where=str(path), fix="Check the path and try again.")
    order = DateOrder(date_order) if date_order else None
    importers = _importers()
    if platform:
        wanted = Platform(platform)
        # an importer may read several platforms (Meta: messenger and instagram) and list them in ``platforms``
        chosen = [imp for imp in importers if wanted in getattr(imp, "platforms", (imp.platform,))]
        if not chosen:
            raise NotAChatExport(
                f"no importer for platform '{wanted.value}' yet",
                where=str(path),
                fix="Formats understood:\n  " + "\n  ".join(supported_formats()),
            )
        return chosen[0].read(path, date_order=order)
    for imp in importers:
        if imp.sniff(path):
            return imp.read(path, date_order=order)
    raise NotAChatExport(
        "this does not look like a chat export ebbtide understands",
        where=str(path),
        fix="Formats understood:\n  " + "\n  ".join(supported_formats()),
    )
