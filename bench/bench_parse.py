"""Time `ebbtide parse` and `ebbtide import` against whatstk and chat-miner on one generated export.

Each tool runs as a whole process (interpreter start-up and imports included), measured by
bench/measure.py; the figure kept is the median wall time of the runs and the largest peak RSS.
The peers are installed from PyPI into their own throwaway virtual environment (they are not
dependencies of ebbtide; whatstk is GPL-3.0). Needs network access to PyPI only for that install.
ebbtide is measured the same way: installed from this checkout with plain ``pip install`` (not
editable) into a throwaway virtual environment of its own, reinstalled on every run of this script so
the current code is timed. Like the peers, it then starts from byte code that pip compiled at install
time; an editable install started with PYTHONDONTWRITEBYTECODE=1 would recompile ebbtide's modules in
every process (about 0.15 s here) and a pyenv shim adds about 0.1 s more, neither of which a user
installing the package pays. ``--ebbtide-cmd`` times another command instead (e.g. the editable one).

    python bench/bench_parse.py                 # 1M messages, 3 runs each (chat-miner: 1 run)
    python bench/bench_parse.py --messages 100000 --runs 1
    python bench/bench_parse.py --no-peers      # ebbtide only
    python bench/bench_parse.py --no-chat-miner # ebbtide and whatstk

Prints a table: tool, messages/s, wall seconds, CPU seconds (user + system, all threads), peak MiB,
and each ebbtide command's speed-up over whatstk by wall clock and by CPU time (parse to Parquet, to a
JSON-lines file, to JSON lines on stdout; import into the store), with every run's wall time and the
load average. On a shared machine read the CPU figures too: wall-clock ratios move with the load.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from measure import measure_runs  # noqa: E402

PEERS_VENV = Path(tempfile.gettempdir()) / "ebbtide-bench-peers"
SELF_VENV = Path(tempfile.gettempdir()) / "ebbtide-bench-self"
REPO = HERE.parent
PEER_PACKAGES = ["whatstk==0.9.1", "chat-miner==0.6.0"]

WHATSTK = "from whatstk import df_from_whatsapp; df_from_whatsapp({path!r}, max_size=None)"
CHATMINER = ("from chatminer.chatparsers import WhatsAppParser; p = WhatsAppParser({path!r}); "
             "p.parse_file(); p.parsed_messages.get_df()")


def ensure_peers() -> Path:
    python = PEERS_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(PEERS_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *PEER_PACKAGES], check=True)
    return python


def ensure_self() -> list[str]:
    """ebbtide installed from this checkout (not editable) into its own venv; the current code each time."""
    python = SELF_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(SELF_VENV)], check=True)
    # a local folder is always rebuilt and reinstalled; dependencies follow pyproject.toml's pins
    subprocess.run([str(python), "-m", "pip", "install", "-q", str(REPO)], check=True)
    return [str(SELF_VENV / "bin" / "ebbtide")]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--messages", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--no-peers", action="store_true")
    ap.add_argument("--no-chat-miner", action="store_true", help="time whatstk only (chat-miner takes minutes)")
    ap.add_argument("--file", type=Path, help="use this export instead of generating one")
    ap.add_argument("--ebbtide-cmd", help="time this command instead of a fresh install, e.g. 'ebbtide'")
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="ebbtide-bench-"))
    chat = args.file or work / f"chat_{args.messages}.txt"
    if not args.file:
        sys.path.insert(0, str(HERE))
        from gen_whatsapp import generate

        chat.write_text(generate(args.messages), encoding="utf-8")
    size_mb = chat.stat().st_size / 1e6
    n = args.messages
    db = work / "bench.duckdb"

    def fresh_db() -> None:
        for p in (db, db.with_suffix(".duckdb.wal")):
            p.unlink(missing_ok=True)

    ours_cmd = args.ebbtide_cmd.split() if args.ebbtide_cmd else ensure_self()
    rows: dict[str, dict] = {}
    # each run writes a new file: removing the previous run's output is the benchmark's own business (on
    # this VM's disk, ext4 with online discard, replacing a 250 MB JSON-lines file costs 0.4-0.8 s)
    for fmt in ("parquet", "jsonl"):
        out = work / f"out.{fmt}"
        rows[f"ebbtide parse ({'parquet out' if fmt == 'parquet' else 'jsonl file'})"] = measure_runs(
            [*ours_cmd, "parse", str(chat), "--format", fmt, "-o", str(out)], args.runs,
            before=lambda out=out: out.unlink(missing_ok=True))
    rows["ebbtide parse (jsonl stdout)"] = measure_runs(
        [*ours_cmd, "parse", str(chat), "--format", "jsonl", "-o", "-"], args.runs)
    rows["ebbtide import (DuckDB store)"] = measure_runs(
        [*ours_cmd, "import", str(chat), "--db", str(db)], args.runs, before=fresh_db)
    if not args.no_peers:
        py = str(ensure_peers())
        rows["whatstk 0.9.1 (auto header)"] = measure_runs([py, "-c", WHATSTK.format(path=str(chat))], args.runs)
        if not args.no_chat_miner:
            rows["chat-miner 0.6.0"] = measure_runs([py, "-c", CHATMINER.format(path=str(chat))], max(1, args.runs // 3))

    peer = rows.get("whatstk 0.9.1 (auto header)")
    load = os.getloadavg()[0]
    print(f"\nWhatsApp export: {n:,} messages, {size_mb:.1f} MB; whole processes, median of {args.runs} run(s); "
          f"load average at the end {load:.1f}\n")
    print(f"{'tool':34} {'msgs/s':>10} {'wall s':>8} {'CPU s':>7} {'peak MiB':>9} {'x whatstk (wall)':>17} "
          f"{'x whatstk (CPU)':>16}  every run's wall s")
    for name, r in rows.items():
        ours = peer and name.startswith("ebbtide")
        ratio = f"{peer['wall_s'] / r['wall_s']:.1f}x" if ours else "-"
        ratio_cpu = f"{peer['cpu_s'] / r['cpu_s']:.1f}x" if ours else "-"
        walls = ", ".join(f"{w:.2f}" for w in r["walls"])
        print(f"{name:34} {n / r['wall_s']:>10,.0f} {r['wall_s']:>8.2f} {r['cpu_s']:>7.2f} {r['peak_mib']:>9.0f} "
              f"{ratio:>17} {ratio_cpu:>16}  {walls}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
