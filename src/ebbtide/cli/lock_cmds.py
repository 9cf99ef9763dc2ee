"""Locking the store at rest: ``ebbtide lock`` / ``ebbtide unlock``, and asking for the passphrase.

The store asks for a passphrase through ``ebbtide.askpass``; the app's start-up registers this
module's terminal prompt (hidden input, only when a person is at a terminal) for every command.
"""

from __future__ import annotations

import getpass
import sys
from pathlib import Path
from typing import Annotated

import typer

from ebbtide.askpass import given_passphrase
from ebbtide.cli.app import app, err, friendly_errors, out
from ebbtide.errors import EbbtideError, StoreError, shown

DbOption = Annotated[
    Path | None,
    typer.Option("--db", envvar="EBBTIDE_DB", help="Store file (default: your data folder; or EBBTIDE_DB).",
                 show_default=False),
]

_NEW_STORE_NOTE = (
    "ebbtide is about to make its store at {path}.\n"
    "You can lock it with a passphrase: the file is then encrypted, and nobody who copies it can read your "
    "chats without the passphrase. You will be asked for it each time. If you forget it, the store cannot "
    "be opened (there is no recovery; you can import your exports again). Press Enter for no passphrase; "
    "you can lock it later with: ebbtide lock"
)


def _at_terminal() -> bool:
    """A person can type an answer (and see the question): stdin and stderr are terminals."""
    return sys.stdin.isatty() and sys.stderr.isatty()


def _ask_twice(where: Path, first_prompt: str) -> str:
    first = getpass.getpass(first_prompt, stream=sys.stderr)
    if not first:
        return ""
    again = getpass.getpass("The same passphrase again: ", stream=sys.stderr)
    if again != first:
        raise StoreError("the two passphrases differ", where=shown(where),
                         fix="Run the command again and type the same passphrase twice. Nothing was changed.")
    return first


def ask_passphrase(path: Path, new: bool) -> str | None:
    """The terminal prompt the store uses (registered at start-up); None where nobody can answer."""
    if not _at_terminal():
        return None
    if new:
        err.print(_NEW_STORE_NOTE.format(path=shown(path)), markup=False, highlight=False, soft_wrap=True)
        return _ask_twice(path, "Passphrase (Enter for none): ") or None
    return getpass.getpass(f"Passphrase for {shown(path)}: ", stream=sys.stderr) or None


def _new_passphrase(path: Path) -> str:
    given = given_passphrase()
    if given:
        return given
    if not _at_terminal():
        raise EbbtideError("no passphrase given", where="lock",
                           fix="Run ebbtide lock on a terminal to type it, or give it with --passphrase-file FILE "
                               "or the EBBTIDE_PASSPHRASE variable.")
    chosen = _ask_twice(path, "New passphrase for the store: ")
    if not chosen:
        raise EbbtideError("the passphrase is empty", where="lock", fix="Nothing was changed. Choose a passphrase.")
    return chosen


def _existing(path: Path) -> Path:
    if not path.exists():
        raise StoreError("there is no store here yet", where=str(path),
                         fix="Import a chat first (ebbtide import EXPORT.txt); a new store offers a passphrase.")
    return path


@app.command("lock")
@friendly_errors
def lock_cmd(db: DbOption = None) -> None:
    """Lock the store with a passphrase: the file is encrypted at rest (asked for at each start)."""
    from ebbtide.store import Store, resolve_db_path

    path = _existing(resolve_db_path(db))
    with Store.open(path, create=False) as store:
        if store.encrypted:
            raise StoreError("the store is already locked with a passphrase", where=str(path),
                             fix="To change the passphrase: ebbtide unlock, then ebbtide lock.")
        store.lock(_new_passphrase(path))
    out.print(f"Locked: {shown(path)} is encrypted; ebbtide asks for the passphrase each time it opens it. "
              "Keep the .salt file beside it.", markup=False, highlight=False, soft_wrap=True)


@app.command("unlock")
@friendly_errors
def unlock_cmd(db: DbOption = None) -> None:
    """Remove the passphrase: the store is decrypted and rewritten as a plain (0600) file."""
    from ebbtide.store import Store, resolve_db_path

    path = _existing(resolve_db_path(db))
    with Store.open(path, create=False) as store:
        store.unlock()
    out.print(f"Unlocked: {shown(path)} is no longer encrypted (readable by anyone who can read the file).",
              markup=False, highlight=False, soft_wrap=True)


__all__ = ["ask_passphrase", "lock_cmd", "unlock_cmd"]
