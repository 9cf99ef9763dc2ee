"""Run one command as a child process and print its wall time, CPU time (user + system, all threads) and
peak memory as JSON.

Run in a fresh process per measurement, so RUSAGE_CHILDREN's peak RSS is that command's own.

    python bench/measure.py -- ebbtide parse chat.txt -o /tmp/out.parquet --format parquet
"""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path


def measure_runs(cmd: list[str], runs: int, before: Callable[[], object] | None = None) -> dict:
    """Run ``cmd`` ``runs`` times, each in a fresh measuring process (``before`` runs ahead of each);
    the median wall and CPU time and the largest peak. Shared by the benchmarks."""
    results = []
    for _ in range(runs):
        if before:
            before()
        out = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--", *cmd],
                             capture_output=True, text=True, check=True)
        r = json.loads(out.stdout)
        if r["returncode"] != 0:
            raise SystemExit(f"command failed: {' '.join(cmd)}\n{r['stderr_tail']}")
        results.append(r)
    walls = sorted(r["wall_s"] for r in results)
    return {"wall_s": statistics.median(walls), "walls": walls, "peak_mib": max(r["peak_mib"] for r in results),
            "cpu_s": statistics.median(r.get("cpu_s", float("nan")) for r in results), "runs": runs}


def main(argv: list[str]) -> int:
    cmd = argv[argv.index("--") + 1 :] if "--" in argv else argv[1:]
    start = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak_kib = usage.ru_maxrss  # KiB on Linux
    print(json.dumps({"wall_s": wall, "peak_mib": peak_kib / 1024, "cpu_s": usage.ru_utime + usage.ru_stime,
                      "returncode": proc.returncode,
                      "stderr_tail": proc.stderr[-400:]}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
