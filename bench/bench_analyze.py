"""Time `ebbtide analyze` on one million messages as a whole process (import, features, signals,
insight, JSON and HTML reports). Target (issue 3): under 15 s and 1.5 GB on a 2-core machine.

The chat is a simulated couple (`ebbtide.simulate.generate_large`, the partner slowing down in the last
part) written as an Android WhatsApp export, so the importer runs too.

    python bench/bench_analyze.py                  # 1M messages, 3 runs
    python bench/bench_analyze.py --messages 200000 --runs 1
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--messages", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--ebbtide-cmd", help="time this command instead of a fresh install, e.g. 'ebbtide'")
    args = ap.parse_args()

    from ebbtide.simulate import generate_large, write_whatsapp_export

    work = Path(tempfile.mkdtemp(prefix="ebbtide-bench-analyze-"))
    chat = work / "WhatsApp Chat with Sam.txt"
    write_whatsapp_export(generate_large(args.messages, seed=1), chat)
    # ebbtide installed from this checkout into its own venv (byte code compiled), as in bench_parse.py
    sys.path.insert(0, str(HERE))
    from bench_parse import ensure_self

    base = args.ebbtide_cmd.split() if args.ebbtide_cmd else ensure_self()

    results = []
    for run in range(args.runs):
        db = work / f"run{run}.duckdb"
        cmd = [*base, "analyze", str(chat), "--me", "Alex", "--db", str(db),
               "--json", str(work / "report.json"), "--html", str(work / "report.html")]
        out = subprocess.run([sys.executable, str(HERE / "measure.py"), "--", *cmd],
                             capture_output=True, text=True, check=True)
        r = json.loads(out.stdout)
        if r["returncode"] != 0:
            raise SystemExit(f"analyze failed:\n{r['stderr_tail']}")
        results.append(r)
    wall = statistics.median(r["wall_s"] for r in results)
    peak = max(r["peak_mib"] for r in results)
    pattern = json.loads((work / "report.json").read_text())["pattern"]
    print(f"\nebbtide analyze, {args.messages:,} messages ({chat.stat().st_size / 1e6:.0f} MB export), "
          f"{args.runs} run(s)")
    print(f"  wall (median): {wall:.1f} s   peak memory: {peak:.0f} MiB   "
          f"throughput: {args.messages / wall:,.0f} msgs/s   pattern found: {pattern}")
    print("  target: < 15 s and < 1.5 GB (1,536 MiB)")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
