"""Nothing kept by a failure, nothing left by forget, nothing readable by others (issue 15)."""

from __future__ import annotations

import os
import shutil
import signal
import stat
import subprocess
import sys
import textwrap
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ebbtide.cli import analysis_cmds, app, choose
from ebbtide.errors import StoreError
from ebbtide.importers import read_export
from ebbtide.store import Store
from ebbtide.store.paths import wal_path

runner = CliRunner()
SECRET = "zebra-umbrella-7391"  # a text that must vanish with its chat


def _chat(folder: Path, name: str = "chat.txt", weeks: int = 30, secret: str = SECRET,
          names: tuple[str, str] = ("Alex", "Sam")) -> Path:
    a, b = names
    lines = []
    start = datetime(2025, 1, 6, 8, 0)
    for d in range(weeks * 7):
        t = start + timedelta(days=d)
        lines += [f"{t:%d/%m/%Y, %H:%M} - {a}: good morning {d} ❤️",
                  f"{t + timedelta(minutes=4):%d/%m/%Y, %H:%M} - {b}: morning! {d}",
                  f"{t + timedelta(hours=12):%d/%m/%Y, %H:%M} - {a}: {secret} {d}"]
    path = folder / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _snapshot(db: Path) -> tuple:
    if not db.exists():
        return ("absent",)
    with Store.open(db, create=False) as store:
        infos = store.conversations()
        from ebbtide.store.people import people

        return (tuple((i.id, i.messages, i.imports) for i in infos), tuple((p.id, p.name, p.is_me)
                                                                          for p in people(store)))


@pytest.fixture
def chat(tmp_path: Path) -> Path:
    return _chat(tmp_path)


@pytest.mark.parametrize("args", [
    ["--me", "Nobody"],
    ["--me", "Alex", "--partner", "Nobody"],
    [],  # no terminal to ask "which one is you?"
    ["--me", "Alex", "--json", "/nonexistent-folder/r.json"],
    ["--me", "Alex", "--html", "{tmp}"],  # a folder
])
def test_a_refused_analyze_stores_nothing(tmp_path: Path, chat: Path, args: list[str]) -> None:
    db = tmp_path / "store" / "s.duckdb"
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    # into a store that did not exist: no file is left
    result = runner.invoke(app, ["analyze", str(chat), "--db", str(db), *args])
    assert result.exit_code == 2, result.output
    assert not db.exists() and not wal_path(db).exists()
    # into an existing store: it is exactly as it was
    other = _chat(tmp_path, "other.txt", weeks=2, secret="another", names=("Kim", "Lou"))
    assert runner.invoke(app, ["import", str(other), "--db", str(db)]).exit_code == 0
    before = _snapshot(db)
    result = runner.invoke(app, ["analyze", str(chat), "--db", str(db), *args])
    assert result.exit_code == 2, result.output
    assert _snapshot(db) == before


def test_unwritable_report_is_refused_before_reading(tmp_path: Path, chat: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    if os.access(locked, os.W_OK):  # root writes anywhere: the check cannot be shown here
        pytest.skip("running as root: a read-only folder is writable")
    db = tmp_path / "s.duckdb"
    result = runner.invoke(app, ["analyze", str(chat), "--me", "Alex", "--db", str(db),
                                 "--json", str(locked / "r.json")])
    assert result.exit_code == 2 and "cannot write the report" in result.output and not db.exists()


def test_ctrl_c_at_which_one_is_you_keeps_nothing(tmp_path: Path, chat: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "s.duckdb"
    other = _chat(tmp_path, "other.txt", weeks=2, secret="another", names=("Kim", "Lou"))
    assert runner.invoke(app, ["import", str(other), "--db", str(db)]).exit_code == 0
    before = _snapshot(db)
    monkeypatch.setattr(choose, "_interactive", lambda: True)

    def interrupted(*_a: object, **_k: object) -> str:
        raise KeyboardInterrupt

    monkeypatch.setattr(analysis_cmds.typer, "prompt", interrupted)
    result = runner.invoke(app, ["analyze", str(chat), "--db", str(db)])
    assert "Which one is you?" in result.output and result.exit_code != 0
    assert _snapshot(db) == before


def test_no_store_analyses_in_memory_only(tmp_path: Path, chat: Path) -> None:
    db = tmp_path / "s.duckdb"
    out = tmp_path / "r.json"
    result = runner.invoke(app, ["analyze", str(chat), "--me", "Alex", "--no-store", "--db", str(db),
                                 "--json", str(out)])
    assert result.exit_code == 0, result.output
    assert "Nothing was stored" in result.output and out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["chat.txt", "r.json"]
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    need_files = runner.invoke(app, ["analyze", "--conversation", "x", "--no-store", "--db", str(db)])
    assert need_files.exit_code == 2 and "--no-store" in need_files.output


def test_a_successful_analyze_stores_and_remembers(tmp_path: Path, chat: Path) -> None:
    db = tmp_path / "s.duckdb"
    assert runner.invoke(app, ["analyze", str(chat), "--me", "Alex", "--db", str(db)]).exit_code == 0
    again = runner.invoke(app, ["analyze", "--conversation", "Sam", "--db", str(db)])
    assert again.exit_code == 0 and "remembered from before" in again.output


# --------------------------------------------------------------------------- forget
def _folder_holds(folder: Path, text: str) -> list[str]:
    needle = text.encode()
    return [p.name for p in folder.iterdir() if p.is_file() and needle in p.read_bytes()]


def test_forget_leaves_no_text_and_no_leftover(tmp_path: Path) -> None:
    db = tmp_path / "s" / "s.duckdb"
    with Store.open(db) as store:
        cid = store.import_export(read_export(_chat(tmp_path))).conversation_id
        store.import_export(read_export(_chat(tmp_path, "o.txt", 2, "keepme", ("Kim", "Lou"))))
        store.forget(cid)
        assert _folder_holds(db.parent, SECRET) == []
        assert [p.name for p in db.parent.iterdir()] in (["s.duckdb"], ["s.duckdb", "s.duckdb.wal"])
        assert len(store.conversations()) == 1


def test_leftover_copies_are_removed_on_open_and_a_pending_forget_completes(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    with Store.open(db) as store:
        cid = store.import_export(read_export(_chat(tmp_path))).conversation_id
        # as if killed after the deletion was committed, before the file was rewritten
        store._mark_pending()
        store._rows("DELETE FROM messages WHERE conversation_id = $1", [cid])
        store._rows("DELETE FROM conversations WHERE id = $1", [cid])
    for leftover in ("s.duckdb.compacting", "s.duckdb.compacting.wal"):
        (tmp_path / leftover).write_text(f"names and {SECRET}", encoding="utf-8")
    assert _folder_holds(tmp_path, SECRET)
    with Store.open(db) as store:
        assert store.conversations() == [] and not store.forget_pending
    assert _folder_holds(tmp_path, SECRET) == ["chat.txt"]
    assert not any(p.name.startswith("s.duckdb.") and p.name != "s.duckdb.wal" for p in tmp_path.iterdir())


def test_forget_on_a_full_disk_is_refused_and_loses_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            ) -> None:
    db = tmp_path / "s.duckdb"
    with Store.open(db) as store:
        cid = store.import_export(read_export(_chat(tmp_path))).conversation_id
        real = shutil.disk_usage
        monkeypatch.setattr(shutil, "disk_usage", lambda p: real(p)._replace(free=1000))
        with pytest.raises(StoreError, match="not enough free space"):
            store.forget(cid)
        assert store.has_conversation(cid) and not store.forget_pending


def test_forget_all_leaves_no_file_with_text(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    with Store.open(db) as store:
        store.import_export(read_export(_chat(tmp_path)))
        (tmp_path / "s.duckdb.compacting.wal").write_text(SECRET, encoding="utf-8")
        store.forget_all()
        assert _folder_holds(tmp_path, SECRET) == ["chat.txt"]


_FORGET = textwrap.dedent("""
    import sys
    from ebbtide.store import Store
    with Store.open(sys.argv[1], create=False) as store:
        print("open", flush=True)
        store.forget(store.resolve_conversation("Sam"))
    print("done", flush=True)
""")


def test_forget_killed_at_many_points_never_leaves_the_text_behind(tmp_path: Path) -> None:
    """kill -9 at 12 moments spread over ``forget``; after the next open, either the chat is still there
    (forget again works) or it and every byte of its text are gone from the folder."""
    source = _chat(tmp_path, weeks=150)
    template = tmp_path / "template"
    template.mkdir()
    with Store.open(template / "s.duckdb") as store:
        store.import_export(read_export(source))
        store.import_export(read_export(_chat(tmp_path, "o.txt", 2, "keepme", ("Kim", "Lou"))))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}

    def run(folder: Path, delay: float | None) -> float:
        shutil.copytree(template, folder)
        proc = subprocess.Popen([sys.executable, "-c", _FORGET, str(folder / "s.duckdb")], env=env,
                                stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None
        proc.stdout.readline()  # "open": forget starts now
        start = time.monotonic()
        if delay is None:
            proc.stdout.readline()
            took = time.monotonic() - start
        else:
            time.sleep(delay)
            proc.send_signal(signal.SIGKILL)
            took = 0.0
        proc.wait(timeout=120)
        return took

    took = run(tmp_path / "timed", None)  # how long a forget takes here, to spread the kills over it
    outcomes = []
    for i in range(12):
        folder = tmp_path / f"run{i}"
        run(folder, took * i / 10)
        db = folder / "s.duckdb"
        with Store.open(db, create=False) as store:
            still = [c.id for c in store.conversations() if "Sam" in c.participants]
            if still:
                store.forget(still[0])  # forgetting again is possible
            outcomes.append(bool(still))
            assert any("Kim" in c.participants for c in store.conversations())  # the other chat is intact
        assert _folder_holds(folder, SECRET) == [], f"kill {i} of 12"
    assert len(outcomes) == 12


# --------------------------------------------------------------------------- privacy on disk
def test_every_file_is_private_even_the_log_while_open(tmp_path: Path) -> None:
    db = tmp_path / "new" / "s.duckdb"
    old = os.umask(0o022)
    try:
        with Store.open(db) as store:
            store.import_export(read_export(_chat(tmp_path, weeks=1)))
            store._rows("INSERT INTO settings VALUES ('x', 'y')")  # a write after the import: the log exists
            for p in db.parent.iterdir():
                assert stat.S_IMODE(p.stat().st_mode) == 0o600, p.name
        assert stat.S_IMODE(db.parent.stat().st_mode) == 0o700
    finally:
        os.umask(old)


def test_cli_outputs_are_private(tmp_path: Path) -> None:
    chat = _chat(tmp_path, weeks=1)
    out = tmp_path / "m.csv"
    code = subprocess.run([sys.executable, "-m", "ebbtide", "parse", str(chat), "-o", str(out)],
                          env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}, capture_output=True,
                          timeout=120, preexec_fn=lambda: os.umask(0o022)).returncode
    assert code == 0 and stat.S_IMODE(out.stat().st_mode) == 0o600


def test_no_extension_is_ever_installed_or_loaded(tmp_path: Path) -> None:
    with Store.open(tmp_path / "s.duckdb") as store, Store.open_memory() as memory:
        for s in (store, memory):
            settings = dict(s._rows("SELECT name, value FROM duckdb_settings() WHERE name IN "
                                    "('autoinstall_known_extensions', 'autoload_known_extensions')"))
            assert settings == {"autoinstall_known_extensions": "false", "autoload_known_extensions": "false"}
            with pytest.raises(Exception, match="(?i)extension|httpfs|https"):  # would need httpfs: refused
                s._rows("SELECT * FROM read_csv('https://example.invalid/x.csv')")


def test_a_pending_forget_that_still_cannot_finish_does_not_lock_the_user_out(tmp_path: Path,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "s.duckdb"
    with Store.open(db) as store:
        store.import_export(read_export(_chat(tmp_path, weeks=2)))
        store._mark_pending()
    real = Store._compact

    def full_disk(self: Store) -> None:
        raise StoreError("the store could not be rewritten (No space left on device)", where=str(db))

    monkeypatch.setattr(Store, "_compact", full_disk)
    with Store.open(db) as store:
        assert store.forget_pending and len(store.conversations()) == 1
    listed = runner.invoke(app, ["conversations", "--db", str(db)])
    assert listed.exit_code == 0 and "could not finish" in listed.output
    monkeypatch.setattr(Store, "_compact", real)
    with Store.open(db) as store:
        assert not store.forget_pending
