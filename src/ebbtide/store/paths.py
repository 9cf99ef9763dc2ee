"""Where the local store lives: one DuckDB file in the user's data folder, unless told otherwise.

Order of precedence: an explicit path (``--db``), then the ``EBBTIDE_DB`` environment variable,
then ``platformdirs.user_data_dir("ebbtide")/ebbtide.duckdb``. Nothing here touches the disk, so
asking where the store *would* be never creates it.
"""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_dir

ENV_VAR = "EBBTIDE_DB"
DB_FILE_NAME = "ebbtide.duckdb"


def default_db_path() -> Path:
    """The store file used when no ``--db`` is given (``EBBTIDE_DB`` wins over the data folder)."""
    from_env = os.environ.get(ENV_VAR, "").strip()
    if from_env:
        return Path(from_env).expanduser()
    return Path(user_data_dir("ebbtide", appauthor=False)) / DB_FILE_NAME


def resolve_db_path(path: str | Path | None) -> Path:
    """``path`` if given, else the default; always expanded (``~``) so messages show a real place."""
    if path is None or str(path).strip() == "":
        return default_db_path()
    return Path(path).expanduser()


def wal_path(db_path: Path) -> Path:
    """DuckDB's write-ahead log next to the store; it holds recent changes until a checkpoint."""
    return db_path.with_name(db_path.name + ".wal")
