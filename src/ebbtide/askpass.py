"""Where a passphrase comes from, for the store's lock (imports nothing heavy: every face may use it).

In order: the ``EBBTIDE_PASSPHRASE`` variable, a file named by ``set_passphrase_file``
(``--passphrase-file``) or the ``EBBTIDE_PASSPHRASE_FILE`` variable (its first line), then a prompt a
face registered with ``set_prompt`` (the CLI asks on a terminal, with hidden input). Nothing here
keeps a passphrase: each caller gets it and turns it into a key at once.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from ebbtide.errors import StoreError, shown

ENV_PASSPHRASE = "EBBTIDE_PASSPHRASE"
ENV_PASSPHRASE_FILE = "EBBTIDE_PASSPHRASE_FILE"

# (store path, new store?) -> the passphrase, or None for "none given" (a new store then stays unlocked).
Prompt = Callable[[Path, bool], "str | None"]
_prompt: Prompt | None = None
_passphrase_file: Path | None = None


def set_prompt(prompt: Prompt | None) -> None:
    """Register how to ask a person for the passphrase (the CLI on a terminal); None: never ask."""
    global _prompt
    _prompt = prompt


def set_passphrase_file(path: str | Path | None) -> None:
    """Read the passphrase from this file (its first line) instead of asking (``--passphrase-file``)."""
    global _passphrase_file
    _passphrase_file = Path(path).expanduser() if path else None


def _from_file(path: Path) -> str:
    try:
        with path.open(encoding="utf-8") as handle:
            line = handle.readline(4096)
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        raise StoreError(f"the passphrase file cannot be read ({reason})", where=shown(path),
                         fix="Give a readable text file whose first line is the passphrase.") from None
    text = line.rstrip("\r\n")
    if not text:
        raise StoreError("the passphrase file's first line is empty", where=shown(path),
                         fix="Write the passphrase on the first line of the file.")
    return text


def given_passphrase() -> str | None:
    """The passphrase a script gave (variable or file), without asking anyone."""
    from_env = os.environ.get(ENV_PASSPHRASE, "")
    if from_env:
        return from_env
    file = _passphrase_file
    if file is None and os.environ.get(ENV_PASSPHRASE_FILE, "").strip():
        file = Path(os.environ[ENV_PASSPHRASE_FILE]).expanduser()
    return _from_file(file) if file is not None else None


def ask(db_path: Path, *, new: bool) -> str | None:
    """Ask a person through the registered prompt; None when none is registered or nobody answered."""
    return _prompt(db_path, new) if _prompt is not None else None
