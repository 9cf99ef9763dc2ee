"""CPU seconds and peak memory of each stage of one `ebbtide analyze` run, in one process.

    python bench/analyze_stages.py analyze --db DB --conversation ID --me Alex --json r.json --html r.html

Wraps the stages' functions (store read, features and their parts, the safety grammar, assess and its parts,
explain, ruptures, the reports) and prints, per stage, the CPU seconds of the process while it ran (user +
system, all threads; inclusive: a part is counted in its stage too) and the peak resident memory when it
ended (on stderr, after a line `--- stages ---`). CPU seconds are steadier than wall time on a shared machine. `bench/bench_analyze.py --stages` runs it
on the benchmark's stored chat.
"""

from __future__ import annotations

import functools
import importlib
import os
import resource
import sys
import time
from collections.abc import Callable
from typing import Any

START = time.process_time()
MARK = "--- stages ---"
L = "ebbtide.features.language."
#: (module, function, label); a label in capitals is a stage, the others are parts of the stage above them
STAGES: tuple[tuple[str, str, str], ...] = (
    ("ebbtide.cli.analysis_cmds", "load_conversation", "STORE READ (load_conversation)"),
    ("ebbtide.features", "build_features", "FEATURES (build_features)"),
    ("ebbtide.features", "conversation_structure", "  timing structure"),
    (L + "annotate", "_languages", "  language detection"),
    (L + "text_features", "list_features", "  word lists"),
    (L + "text_features", "sentiment_columns", "  sentiment"),
    (L + "annotate", "question_context", "  question context"),
    (L + "annotate", "noncommittal_columns", "  noncommittal model"),
    ("ebbtide.signals.safety", "with_safety", "SAFETY GRAMMAR (once, in fit)"),
    ("ebbtide.signals", "assess", "ASSESS"),
    ("ebbtide.signals.assess", "prepare", "  prepare"),
    ("ebbtide.signals.assess", "weekly_metrics", "  weekly metrics"),
    ("ebbtide.signals.assess", "with_matches", "  evidence spans"),
    ("ebbtide.insight", "explain", "EXPLAIN"),
    ("ebbtide.signals.ruptures", "find_ruptures", "RUPTURES"),
    ("ebbtide.cli.analysis_cmds", "emit", "REPORTS (emit)"),
)


def _peak_mib() -> float:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss, not inherited from a large parent that
    forked it, such as bench_analyze.py holding the generated chat)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _wrap(module: str, name: str, label: str, acc: dict[str, list[float]]) -> None:
    mod = importlib.import_module(module)
    if not hasattr(mod, name):
        return
    f: Callable[..., Any] = getattr(mod, name)

    @functools.wraps(f)
    def timed(*args: Any, **kwargs: Any) -> Any:
        cpu = time.process_time()
        try:
            return f(*args, **kwargs)
        finally:
            row = acc.setdefault(label, [0.0, 0.0])
            row[0] += time.process_time() - cpu
            row[1] = _peak_mib()

    setattr(mod, name, timed)


def main(argv: list[str]) -> int:
    acc: dict[str, list[float]] = {}
    for module, name, label in STAGES:
        _wrap(module, name, label, acc)
    setup = time.process_time() - START
    from ebbtide.cli import main as cli

    sys.argv = ["ebbtide", *argv]
    code = 0
    try:
        cli()
    except SystemExit as e:
        code = int(e.code or 0)
    out = [f"{'stage':36} {'CPU s':>7} {'peak MiB':>9}", f"{'imports':36} {setup:>7.1f}"]
    out += [f"{label:36} {acc[label][0]:>7.1f} {acc[label][1]:>9.0f}" for _, _, label in STAGES if label in acc]
    out += [f"{'whole process':36} {time.process_time():>7.1f} {_peak_mib():>9.0f}",
            f"load average {', '.join(f'{x:.1f}' for x in os.getloadavg())}"]
    print(MARK + "\n" + "\n".join(out), file=sys.stderr)  # the report itself goes to stdout
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
