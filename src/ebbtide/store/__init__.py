"""The local store (DuckDB): the only layer that speaks SQL.

    with Store.open() as store:            # default file, EBBTIDE_DB, or a path
        result = store.import_export(parsed)
        frame = store.messages(store.resolve_conversation("Sam"))
"""

from ebbtide.store.db import Store
from ebbtide.store.incoming import derive_conversation_id, file_sha256, prepare_incoming
from ebbtide.store.migrations import MIGRATIONS, Migration, apply_migrations, current_version, latest_version
from ebbtide.store.paths import ENV_VAR, default_db_path, resolve_db_path
from ebbtide.store.records import ConversationInfo, ImportResult

__all__ = [
    "ENV_VAR", "MIGRATIONS", "ConversationInfo", "ImportResult", "Migration", "Store", "apply_migrations",
    "current_version", "default_db_path", "derive_conversation_id", "file_sha256", "latest_version",
    "prepare_incoming", "resolve_db_path",
]
