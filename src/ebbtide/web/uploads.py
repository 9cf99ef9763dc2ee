"""Uploads that hold several chats, kept privately until the user picks one (the web import).

WHY: a full Telegram export, a Facebook/Instagram download, a phone backup or a Messages database holds
many conversations; the CLI asks which one (``--chat``), and the web app must too, without making the
user upload a large file again for each chat they want. Such a file is moved into a private temporary
folder (0700, the file 0600) and read again with the chosen chat; nothing of it enters the store until
then, and the folder is removed when the app stops or the user forgets everything.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class PendingUpload:
    path: Path
    chats: tuple[tuple[str, str], ...]  # (what to pass as chat=, a line describing it), as ChooseChat lists them


class PendingUploads:
    """Files waiting for the user's choice of chat, by token."""

    def __init__(self) -> None:
        self._dir: Path | None = None
        self._files: dict[str, PendingUpload] = {}
        self._lock = threading.Lock()

    def keep(self, path: Path, chats: tuple[tuple[str, str], ...]) -> str:
        """Move ``path`` (an upload in a temporary folder about to be removed) here; returns its token."""
        with self._lock:
            if self._dir is None or not self._dir.exists():
                self._dir = Path(tempfile.mkdtemp(prefix="ebbtide-pending-"))  # mode 0700
            token = secrets.token_urlsafe(12)
            folder = self._dir / token
            folder.mkdir(mode=0o700)
            kept = folder / path.name
            shutil.move(str(path), kept)
            os.chmod(kept, 0o600)
            self._files[token] = PendingUpload(kept, chats)
            return token

    def get(self, token: str) -> PendingUpload | None:
        with self._lock:
            return self._files.get(token)

    def drop_all(self) -> None:
        with self._lock:
            self._files.clear()
            if self._dir is not None:
                shutil.rmtree(self._dir, ignore_errors=True)
                self._dir = None
