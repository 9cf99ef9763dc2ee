"""A store locked at rest: a passphrase encrypts the store file (DuckDB's database encryption).

How it works:
- The passphrase is stretched with scrypt (``hashlib.scrypt``, a memory-hard key derivation) and a
  random salt into a 256-bit key. The salt and scrypt's settings (not secret, not the key) are kept
  beside the store in ``<store>.salt`` (0600); without that file the store cannot be opened.
- DuckDB encrypts the store, its write-ahead log and its spill files with that key (AES-GCM). It
  writes encrypted files only with its ``httpfs`` extension (OpenSSL) loaded. ebbtide never
  downloads an extension: it loads the signed build that the ``duckdb-ext-httpfs`` package installed
  next to DuckDB, from that package's folder only, with automatic install and load of extensions off.
- A wrong passphrase is refused by DuckDB before anything is read or changed.

Where the passphrase comes from: see ``ebbtide.askpass`` (argument, variable, file, then a prompt the
face registered). A new store asks the same sources; none answering means a store without a passphrase.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import duckdb

from ebbtide.askpass import ENV_PASSPHRASE, ask, given_passphrase
from ebbtide.errors import StoreError

SALT_SUFFIX = ".salt"
EXTENSION_PACKAGE = "duckdb-ext-httpfs"
# scrypt at n=2**15, r=8: 32 MiB and about 0.1 s per try on a laptop (OWASP's minimum is 2**17 at
# r=8, p=1 for passwords kept on a server; a store opened many times a day keeps it lower).
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**15, 8, 1


def salt_path(db_path: Path) -> Path:
    """The file beside the store holding the salt and scrypt settings of an encrypted store."""
    return db_path.with_name(db_path.name + SALT_SUFFIX)


@dataclass(frozen=True, slots=True)
class KeyParams:
    """What turns a passphrase into the store's key: scrypt's salt and cost (none of it secret)."""

    salt: bytes
    n: int = _SCRYPT_N
    r: int = _SCRYPT_R
    p: int = _SCRYPT_P

    @classmethod
    def new(cls) -> KeyParams:
        return cls(secrets.token_bytes(16))

    def key(self, passphrase: str) -> str:
        """The 256-bit key (hex) DuckDB is given; the passphrase itself never reaches DuckDB or the disk."""
        raw = hashlib.scrypt(passphrase.encode("utf-8"), salt=self.salt, n=self.n, r=self.r, p=self.p,
                             maxmem=256 << 20, dklen=32)
        return raw.hex()

    def to_json(self) -> str:
        return json.dumps({"kdf": "scrypt", "n": self.n, "r": self.r, "p": self.p, "salt": self.salt.hex(),
                           "note": "salt and cost of the store's key derivation; not the key"}) + "\n"


def read_params(db_path: Path) -> KeyParams | None:
    """The key settings of an encrypted store, or None when the store has none (not encrypted)."""
    path = salt_path(db_path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("kdf") != "scrypt":
            raise ValueError("unknown key derivation")
        return KeyParams(bytes.fromhex(data["salt"]), int(data["n"]), int(data["r"]), int(data["p"]))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise StoreError(f"the store's key settings cannot be read ({type(exc).__name__})", where=str(path),
                         fix="Restore this file from where you copied the store; without it the locked "
                             "store cannot be opened.") from None


def write_params(db_path: Path, params: KeyParams) -> None:
    """Write the key settings durably (0600, fsynced, replaced atomically) before the store depends on them."""
    path = salt_path(db_path)
    temp = path.with_name(path.name + ".new")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, params.to_json().encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temp, path)


class PassphraseNeeded(StoreError):
    """The store is locked and no passphrase was given or typed (a face may ask for it its own way)."""

    def __init__(self, db_path: Path) -> None:
        super().__init__(
            "the store is locked with a passphrase", where=str(db_path),
            fix=f"Run the command on a terminal to be asked for it, or give it with --passphrase-file FILE "
                f"or the {ENV_PASSPHRASE} variable.")
        self.path = db_path


def passphrase_for(db_path: Path) -> str:
    """The passphrase of an existing locked store: given by a script, else asked, else a clear error."""
    given = given_passphrase()
    if given:
        return given
    asked = ask(db_path, new=False)
    if asked:
        return asked
    raise PassphraseNeeded(db_path)


def passphrase_for_new(db_path: Path) -> str | None:
    """The passphrase for a store about to be made: given, or offered on a terminal; None: no lock."""
    given = given_passphrase()
    if given:
        return given
    return ask(db_path, new=True)


def extension_file(con: duckdb.DuckDBPyConnection) -> Path | None:
    """The installed ``httpfs`` build for this DuckDB and platform, from the package's folder only."""
    import importlib.util

    spec = importlib.util.find_spec("duckdb_ext")
    if spec is None or not spec.submodule_search_locations:
        return None
    platform = str(con.execute("SELECT platform FROM pragma_platform()").fetchall()[0][0])
    for root in spec.submodule_search_locations:
        candidate = Path(root) / "extensions" / f"v{duckdb.__version__}" / platform / "httpfs.duckdb_extension"
        if candidate.is_file():
            return candidate
    return None


def load_encryption(con: duckdb.DuckDBPyConnection, where: Path) -> None:
    """Make ``con`` able to write encrypted files, or explain what is missing. Never downloads anything."""
    with_ext = con.execute("SELECT loaded FROM duckdb_extensions() WHERE extension_name = 'httpfs'").fetchall()
    if with_ext and with_ext[0][0]:
        return
    path = extension_file(con)
    if path is None:
        raise StoreError(
            f"encryption is not available: DuckDB {duckdb.__version__} needs its httpfs extension from the "
            f"'{EXTENSION_PACKAGE}' package built for the same version, and it is not installed",
            where=str(where),
            fix=f"Install ebbtide's pinned versions (pip install -e .), or pip install "
                f"'duckdb=={duckdb.__version__}' with the matching '{EXTENSION_PACKAGE}'. ebbtide never "
                "downloads extensions itself.")
    try:
        con.execute("LOAD " + _quote(str(path))).fetchall()  # signature checked (unsigned extensions stay refused)
    except duckdb.Error as exc:
        raise StoreError(f"encryption is not available: the httpfs extension did not load "
                         f"({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})", where=str(path),
                         fix=f"Reinstall the '{EXTENSION_PACKAGE}' package matching DuckDB "
                             f"{duckdb.__version__}.") from None


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
