"""A store locked at rest: encrypted with a passphrase, refused with a wrong one, converted both ways
atomically, and all of it without a network (the extension comes from the installed package)."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from pytest_socket import disable_socket, enable_socket
from typer.testing import CliRunner

from ebbtide import askpass
from ebbtide.cli import app
from ebbtide.errors import StoreError
from ebbtide.importers import read_export
from ebbtide.store import Store
from ebbtide.store.crypto import KeyParams, salt_path, write_params

runner = CliRunner()
SECRET = "quokka-lantern-5820"  # a message text that must never be on disk in clear
PASS = "correct horse battery staple"


def _chat(folder: Path, weeks: int = 8, name: str = "chat.txt") -> Path:
    lines = []
    start = datetime(2025, 3, 3, 8, 0)
    for d in range(weeks * 7):
        t = start + timedelta(days=d)
        lines += [f"{t:%d/%m/%Y, %H:%M} - Robin: good morning {d}",
                  f"{t + timedelta(minutes=3):%d/%m/%Y, %H:%M} - Jules: {SECRET} {d}"]
    path = folder / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _files_holding(folder: Path, text: str) -> list[str]:
    needle = text.encode()
    return sorted(p.name for p in folder.iterdir() if p.is_file() and needle in p.read_bytes())


@pytest.fixture()
def no_network():  # noqa: ANN201
    disable_socket()
    try:
        yield
    finally:
        enable_socket()


@pytest.fixture(autouse=True)
def _no_prompt_nor_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in (askpass.ENV_PASSPHRASE, askpass.ENV_PASSPHRASE_FILE):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(askpass, "_prompt", None)
    monkeypatch.setattr(askpass, "_passphrase_file", None)


@pytest.mark.filterwarnings("ignore:A test tried to use socket")
def test_an_encrypted_store_holds_no_text_in_clear_and_works_offline(tmp_path: Path, no_network: None) -> None:
    chat = _chat(tmp_path)
    plain, locked = tmp_path / "plain" / "s.duckdb", tmp_path / "locked" / "s.duckdb"
    with Store.open(plain) as store:  # the control: a plain store does hold the text
        store.import_export(read_export(chat), source_path=chat)
    assert _files_holding(plain.parent, SECRET) == ["s.duckdb"]
    with Store.open(locked, passphrase=PASS) as store:
        assert store.encrypted
        cid = store.import_export(read_export(chat), source_path=chat).conversation_id
        # before any checkpoint the new rows are in the write-ahead log: encrypted too
        assert _files_holding(locked.parent, SECRET) == []
        assert _files_holding(locked.parent, "Jules") == []
        settings = dict(store._rows("SELECT name, value FROM duckdb_settings() WHERE name IN "
                                    "('autoinstall_known_extensions', 'autoload_known_extensions', "
                                    "'allow_unsigned_extensions')"))
        assert settings == {"autoinstall_known_extensions": "false", "autoload_known_extensions": "false",
                            "allow_unsigned_extensions": "false"}
    assert _files_holding(locked.parent, SECRET) == []
    assert sorted(p.name for p in locked.parent.iterdir()) == ["s.duckdb", "s.duckdb.salt"]
    for p in locked.parent.iterdir():
        assert stat.S_IMODE(p.stat().st_mode) == 0o600, p
    assert SECRET not in salt_path(locked).read_text(encoding="utf-8")
    with Store.open(locked, passphrase=PASS) as store:
        texts = store.messages(cid).get_column("text").to_list()
    assert f"{SECRET} 0" in texts and len(texts) == 8 * 7 * 2


def test_a_wrong_passphrase_is_refused_and_changes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    with Store.open(db, passphrase=PASS) as store:
        store.import_export(read_export(_chat(tmp_path)))
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    with pytest.raises(StoreError, match="passphrase is wrong"):
        Store.open(db, passphrase="not it")
    with pytest.raises(StoreError, match="locked with a passphrase"):
        Store.open(db)  # nobody to ask, nothing given
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
    with pytest.raises(duckdb.Error):  # and DuckDB alone cannot read it either
        duckdb.connect(str(db))


def test_lost_key_settings_are_explained(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    Store.open(db, passphrase=PASS).close()
    salt_path(db).rename(tmp_path / "elsewhere")
    with pytest.raises(StoreError, match="key settings is missing"):
        Store.open(db, passphrase=PASS)


def test_lock_and_unlock_convert_without_losing_anything(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    with Store.open(db) as store:
        store.import_export(read_export(_chat(tmp_path)))
        before = [(i.id, i.messages) for i in store.conversations()]
        store.lock(PASS)
        assert store.encrypted and [(i.id, i.messages) for i in store.conversations()] == before
    assert _files_holding(tmp_path, SECRET) == ["chat.txt"]
    with Store.open(db, passphrase=PASS) as store:
        cid = store.conversations()[0].id
        store.forget(cid)  # the rewrite after a forget stays encrypted
        assert store.encrypted and store.conversations() == []
        store.import_export(read_export(_chat(tmp_path)))
        store.unlock()
        assert not store.encrypted and [(i.id, i.messages) for i in store.conversations()] == before
    assert not salt_path(db).exists()
    assert _files_holding(tmp_path, SECRET) == ["chat.txt", "s.duckdb"]
    with Store.open(db) as store:  # no passphrase needed any more
        assert [(i.id, i.messages) for i in store.conversations()] == before


def test_a_failed_lock_leaves_the_plain_store_in_use(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "s.duckdb"
    with Store.open(db) as store:
        store.import_export(read_export(_chat(tmp_path)))
        real = Store._rows

        def failing(self: Store, sql: str, params: object = None) -> list:
            if sql.startswith("COPY FROM DATABASE"):
                raise duckdb.IOException("IO Error: No space left on device")
            return real(self, sql, params)

        monkeypatch.setattr(Store, "_rows", failing)
        with pytest.raises(StoreError, match="could not be rewritten"):
            store.lock(PASS)
        monkeypatch.setattr(Store, "_rows", real)
        assert not store.encrypted and len(store.conversations()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["chat.txt", "s.duckdb"]
    with Store.open(db) as store:
        assert len(store.conversations()) == 1


def test_key_settings_beside_a_plain_store_are_dropped_on_open(tmp_path: Path) -> None:
    """What a lock killed before its rename leaves: the plain store, whole, and unused key settings."""
    db = tmp_path / "s.duckdb"
    with Store.open(db) as store:
        store.import_export(read_export(_chat(tmp_path)))
    write_params(db, KeyParams.new())
    (tmp_path / "s.duckdb.compacting").write_bytes(b"partial copy")
    with Store.open(db) as store:
        assert not store.encrypted and len(store.conversations()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["chat.txt", "s.duckdb"]


_LOCK = textwrap.dedent("""
    import sys
    from ebbtide.store import Store
    with Store.open(sys.argv[1], create=False, passphrase=sys.argv[3] if sys.argv[2] == "unlock" else None) as s:
        print("open", flush=True)
        s.lock(sys.argv[3]) if sys.argv[2] == "lock" else s.unlock()
    print("done", flush=True)
""")


@pytest.mark.slow
@pytest.mark.parametrize("action", ["lock", "unlock"])
def test_lock_and_unlock_killed_at_many_points_lose_nothing(tmp_path: Path, action: str) -> None:
    """kill -9 at moments spread over the conversion: the store opens afterwards, with the passphrase if
    (and only if) it is encrypted, holding every message."""
    template = tmp_path / "template"
    template.mkdir()
    with Store.open(template / "s.duckdb", passphrase=PASS if action == "unlock" else "") as store:
        store.import_export(read_export(_chat(tmp_path, weeks=150)))
        expected = [(i.id, i.messages) for i in store.conversations()]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    outcomes = set()
    for delay in (0.0, 0.05, 0.1, 0.2, 0.35, 0.6, 1.0, 5.0):
        work = tmp_path / f"run{delay}"
        work.mkdir()
        for f in template.iterdir():
            (work / f.name).write_bytes(f.read_bytes())
        db = work / "s.duckdb"
        proc = subprocess.Popen([sys.executable, "-c", _LOCK, str(db), action, PASS], stdout=subprocess.PIPE,
                                env=env)
        assert proc.stdout is not None and proc.stdout.readline().strip() == b"open"
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        locked = salt_path(db).exists()
        try:
            store = Store.open(db, create=False)
        except StoreError as exc:
            assert "locked with a passphrase" in str(exc)
            store = Store.open(db, create=False, passphrase=PASS)
        with store:
            assert [(i.id, i.messages) for i in store.conversations()] == expected
            outcomes.add(store.encrypted)
            if not store.encrypted:
                assert not salt_path(db).exists()
            else:
                assert locked
        assert not any(".compacting" in p.name for p in work.iterdir())
    assert outcomes  # at least one run reached an end state; which ones depends on timing


def _invoke(args: list[str], **kw: object) -> object:
    return runner.invoke(app, args, catch_exceptions=False, **kw)  # type: ignore[arg-type]


def test_cli_first_use_lock_unlock_and_wrong_passphrase(tmp_path: Path) -> None:
    chat, db = _chat(tmp_path), tmp_path / "store" / "s.duckdb"
    secret_file = tmp_path / "pass.txt"
    secret_file.write_text(PASS + "\n", encoding="utf-8")
    wrong_file = tmp_path / "wrong.txt"
    wrong_file.write_text("nope\n", encoding="utf-8")
    # a new store made by a script with a passphrase file is locked from the start
    made = _invoke(["--passphrase-file", str(secret_file), "import", str(chat), "--db", str(db)])
    assert made.exit_code == 0, made.output  # type: ignore[attr-defined]
    assert _files_holding(db.parent, SECRET) == [] and salt_path(db).exists()
    refused = _invoke(["conversations", "--db", str(db)])
    assert refused.exit_code == 2 and "locked with a passphrase" in refused.output  # type: ignore[attr-defined]
    wrong = _invoke(["--passphrase-file", str(wrong_file), "conversations", "--db", str(db)])
    assert wrong.exit_code == 2 and "passphrase is wrong" in wrong.output  # type: ignore[attr-defined]
    analysed = _invoke(["--passphrase-file", str(wrong_file), "analyze", "--me", "Robin", "--db", str(db)])
    assert analysed.exit_code == 2 and "passphrase is wrong" in analysed.output  # not "nothing to analyse"
    listed = _invoke(["conversations", "--db", str(db)], env={"EBBTIDE_PASSPHRASE": PASS})
    assert listed.exit_code == 0 and "Robin" in listed.output  # type: ignore[attr-defined]
    unlocked = _invoke(["--passphrase-file", str(secret_file), "unlock", "--db", str(db)])
    assert unlocked.exit_code == 0 and "Unlocked" in unlocked.output  # type: ignore[attr-defined]
    assert not salt_path(db).exists() and _invoke(["conversations", "--db", str(db)]).exit_code == 0  # type: ignore[attr-defined]
    no_pass = _invoke(["lock", "--db", str(db)])  # nobody to type one
    assert no_pass.exit_code == 2 and "no passphrase given" in no_pass.output  # type: ignore[attr-defined]
    locked = _invoke(["lock", "--db", str(db)], env={"EBBTIDE_PASSPHRASE_FILE": str(secret_file)})
    assert locked.exit_code == 0 and "Locked" in locked.output  # type: ignore[attr-defined]
    assert _files_holding(db.parent, SECRET) == []
    again = _invoke(["lock", "--db", str(db)], env={"EBBTIDE_PASSPHRASE": PASS})
    assert again.exit_code == 2 and "already locked" in again.output  # type: ignore[attr-defined]
    bad_file = _invoke(["--passphrase-file", str(tmp_path / "missing.txt"), "conversations", "--db", str(db)])
    assert bad_file.exit_code == 2 and "passphrase file cannot be read" in bad_file.output  # type: ignore[attr-defined]


def test_the_terminal_prompt_offers_a_passphrase_for_a_new_store(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from ebbtide.cli import lock_cmds

    answers = iter([PASS, PASS])
    monkeypatch.setattr(lock_cmds, "_at_terminal", lambda: True)
    monkeypatch.setattr(lock_cmds.getpass, "getpass", lambda prompt, stream=None: next(answers))
    askpass.set_prompt(lock_cmds.ask_passphrase)
    db = tmp_path / "s.duckdb"
    with Store.open(db) as store:
        assert store.encrypted
    answers = iter([PASS, "typo"])
    with pytest.raises(StoreError, match="two passphrases differ"):
        Store.open(tmp_path / "t.duckdb")
    assert not (tmp_path / "t.duckdb").exists() and not salt_path(tmp_path / "t.duckdb").exists()
    answers = iter([""])  # Enter: no passphrase
    with Store.open(tmp_path / "u.duckdb") as store:
        assert not store.encrypted
    answers = iter([PASS])  # asked again when opened later
    with Store.open(db, create=False) as store:
        assert store.encrypted
    with Store.open(db, create=False) as store:  # a second open in the same process does not ask again
        assert store.encrypted


def test_open_errors_name_the_real_cause(tmp_path: Path) -> None:
    damaged = tmp_path / "damaged.duckdb"
    damaged.write_bytes(b"\0" * 8 + b"DUCK" + (64).to_bytes(8, "little") + b"\0" * 12288)
    with pytest.raises(StoreError) as info:
        Store.open(damaged)
    assert "cannot be opened" in str(info.value) and "in use" not in str(info.value)  # "block" is no lock
    db = tmp_path / "s.duckdb"
    Store.open(db).close()
    holder = subprocess.Popen([sys.executable, "-c", "import sys, duckdb; c = duckdb.connect(sys.argv[1]); "
                               "print('held', flush=True); sys.stdin.read()", str(db)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == b"held"
        with pytest.raises(StoreError, match="in use by another ebbtide program"):
            Store.open(db)
    finally:
        holder.kill()
        holder.wait(timeout=30)
