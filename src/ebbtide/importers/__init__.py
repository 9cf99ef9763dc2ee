"""Importers: one module per messenger, each turning an export into the canonical frame.

Public API (used by the store and the CLI):

    read_export(path, *, platform=None, date_order=None) -> ParsedExport

``read_export`` sniffs the format (or takes ``platform``), raises ``NotAChatExport`` with the
list of understood formats when nothing fits, and ``UnreadableInput`` when the file cannot be read.
"""

from ebbtide.importers.registry import SUPPORTED_FORMATS, read_export

__all__ = ["SUPPORTED_FORMATS", "read_export"]
