"""Time `ebbtide analyze` on one million realistic messages as a whole process (import, features, signals,
insight, JSON and HTML reports), beside `ebbtide parse` and `ebbtide import` of the same export.
Target (issue 13): analyze under 10 s and under 1 GB (1,024 MiB) on a 2-core machine.

The chat is a simulated couple (`ebbtide.simulate.generate_large`: the partner slowing down in the last
part) with realistic text (`ebbtide.simulate.chat_text`: over 90 % distinct messages, Zipf vocabulary,
typos, emoji, en/es/pt/de/fr mixed), written as an Android WhatsApp export, so the importer runs too.
The share of distinct messages is printed: per-distinct-text caches only help as much as a chat repeats.

Every command runs as its own process, measured by bench/measure.py (wall clock, peak resident memory);
the figure kept is the median wall time of the runs and the largest peak. On a shared machine wall times
vary a lot from run to run: use several runs and read the median, and the CPU seconds beside it.

    python bench/bench_analyze.py                        # 1M messages, 3 runs each
    python bench/bench_analyze.py --messages 200000 --runs 1
    python bench/bench_analyze.py --text phrases         # the earlier, repetitive benchmark text
    python bench/bench_analyze.py --stored-only          # skip parse/import: analyse a stored conversation
    python bench/bench_analyze.py --stored-only --stages # and the CPU s and peak memory of each stage

"analyze (stored conversation)" is the analysis alone (features, signals, insight, both reports) of the
same messages put into a store directly from the generated frame, `ebbtide analyze --db DB
--conversation ID`: what the language engine and the signals cost, whatever the importer costs.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from measure import measure_runs  # noqa: E402

TARGET_S, TARGET_MIB = 10.0, 1024.0


def _store_frame(frame, path: Path) -> str:
    """Put the generated messages into a new store without the importer; returns the conversation id."""
    from ebbtide.model import ParsedExport, ParseReport, Platform
    from ebbtide.store import Store

    frame = frame.with_columns(conversation_id=frame["conversation_id"].str.replace("^", "stored-"))
    report = ParseReport(source_file="generated", platform=Platform.SIMULATED, dialect="generated frame",
                         participants=("Alex", "Sam"), me="Alex")
    with Store.open(path) as store:
        store.import_export(ParsedExport(messages=frame, report=report))
    return frame["conversation_id"][0]


def _file_commands(base: list[str], chat: Path, work: Path, db: Path, fresh_db, runs: int) -> dict:
    return {
        "ebbtide parse (parquet out)": measure_runs(
            [*base, "parse", str(chat), "--format", "parquet", "-o", str(work / "out.parquet")], runs),
        "ebbtide import (DuckDB store)": measure_runs([*base, "import", str(chat), "--db", str(db)], runs,
                                                  before=fresh_db),
        "ebbtide analyze (import + report)": measure_runs(
            [*base, "analyze", str(chat), "--me", "Alex", "--db", str(db), "--json", str(work / "report.json"),
             "--html", str(work / "report.html")], runs, before=fresh_db),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--messages", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--text", choices=("realistic", "phrases"), default="realistic")
    ap.add_argument("--ebbtide-cmd", help="time this command instead of a fresh install, e.g. 'ebbtide'")
    ap.add_argument("--keep", action="store_true", help="keep the generated export and reports")
    ap.add_argument("--stored-only", action="store_true", help="only time the analysis of a stored conversation")
    ap.add_argument("--stages", action="store_true",
                    help="also run the stored analysis once in-process with each stage timed (bench/analyze_stages.py)")
    args = ap.parse_args()

    import polars as pl

    from ebbtide.simulate import generate_large, write_whatsapp_export
    from ebbtide.simulate.chat_text import distinct_share

    work = Path(tempfile.mkdtemp(prefix="ebbtide-bench-analyze-"))
    chat = work / "WhatsApp Chat with Sam.txt"
    frame = generate_large(args.messages, seed=1, text=args.text)
    texts = frame.filter(pl.col("kind") == "text")["text"]
    share = distinct_share(texts)
    write_whatsapp_export(frame, chat)
    stored = work / "stored.duckdb"
    conversation = _store_frame(frame, stored)
    del frame, texts
    # ebbtide installed from this checkout into its own venv (byte code compiled), as in bench_parse.py
    sys.path.insert(0, str(HERE))
    from bench_parse import ensure_self

    base = args.ebbtide_cmd.split() if args.ebbtide_cmd else ensure_self()
    db = work / "bench.duckdb"

    def fresh_db() -> None:
        for p in (db, db.with_suffix(".duckdb.wal")):
            p.unlink(missing_ok=True)

    rows = {}
    rows["ebbtide analyze (stored conversation)"] = measure_runs(
        [*base, "analyze", "--db", str(stored), "--conversation", conversation, "--me", "Alex",
         "--json", str(work / "report.json"), "--html", str(work / "report.html")], args.runs)
    if not args.stored_only:
        rows.update(_file_commands(base, chat, work, db, fresh_db, args.runs))
    pattern = json.loads((work / "report.json").read_text())["pattern"]
    n = args.messages
    print(f"\n{n:,} messages ({chat.stat().st_size / 1e6:.0f} MB export), text: {args.text}, "
          f"distinct text messages: {share:.1%}; whole processes, median of {args.runs} run(s)\n")
    print(f"{'command':36} {'msgs/s':>10} {'wall s':>8} {'CPU s':>7} {'peak MiB':>9}  runs (wall s)")
    for name, r in rows.items():
        runs = ", ".join(f"{w:.1f}" for w in r["walls"])
        print(f"{name:36} {n / r['wall_s']:>10,.0f} {r['wall_s']:>8.2f} {r['cpu_s']:>7.1f} {r['peak_mib']:>9.0f}  {runs}")
    print(f"\npattern found: {pattern}")
    for name in ("ebbtide analyze (import + report)", "ebbtide analyze (stored conversation)"):
        if name in rows:
            a = rows[name]
            ok = a["wall_s"] < TARGET_S and a["peak_mib"] < TARGET_MIB
            print(f"target < {TARGET_S:.0f} s and < 1 GB ({TARGET_MIB:,.0f} MiB), {name[8:]}: "
                  f"{'met' if ok else 'NOT met'}")
    if args.stages:
        import subprocess

        print("\nstages of the stored analysis, one run in one process (CPU s include the stage's parts):")
        done = subprocess.run([sys.executable, str(HERE / "analyze_stages.py"), "analyze", "--db", str(stored),
                               "--conversation", conversation, "--me", "Alex", "--json", str(work / "stages.json"),
                               "--html", str(work / "stages.html")], check=True, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
        print(done.stderr.split("--- stages ---")[-1].strip())
    if args.keep:
        print(f"files kept in {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
