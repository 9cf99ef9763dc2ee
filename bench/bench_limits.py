"""Peak memory of `ebbtide parse` and `ebbtide import` for inputs up to the size cap, and of a web upload.

Target (issue 16): under 1.5 GB for any single input up to the cap (importers/limits.py). Inputs:
real-shaped exports grown to --mb megabytes (WhatsApp, Telegram, SMS, generic CSV), and hostile ones
at the cap (one line of --mb MB, a file of NUL bytes, a sparse file past the cap, a bomb zip). Each
run is a fresh process; the peak is the child's maximum resident set (wait4). The web upload posts
each input with FastAPI's TestClient in a child process; its peak includes the client, which holds
the whole upload in memory (a real browser streams it), so it overstates the server for big files.

    python bench/bench_limits.py [--mb 100] [--formats whatsapp,telegram,sms,generic,hostile] [--web]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))


def _grow(make, path: Path, mb: int) -> Path:  # type: ignore[no-untyped-def]
    """Generate with a message count that lands near ``mb`` MB (one small probe, then scale)."""
    probe = path.with_suffix(".probe" + path.suffix)
    make(20_000, probe)
    per_msg = probe.stat().st_size / 20_000
    probe.unlink()
    make(max(1000, int(mb * 1e6 / per_msg * 0.98)), path)
    return path


def inputs(work: Path, mb: int, formats: list[str]) -> list[tuple[str, Path]]:
    from bench_formats import generate_sms, generate_telegram, generate_whatsapp

    out: list[tuple[str, Path]] = []
    if "whatsapp" in formats:
        out.append(("whatsapp", _grow(generate_whatsapp, work / "WhatsApp Chat with Sam.txt", mb)))
    if "telegram" in formats:
        out.append(("telegram", _grow(generate_telegram, work / "result.json", mb)))
    if "sms" in formats:
        out.append(("sms", _grow(generate_sms, work / "sms-bench.xml", mb)))
    if "generic" in formats:
        path = work / "chat.csv"
        line = "2024-01-01T10:00:00,Ana,\"see you tonight? that sounds good, love you\"\n"
        with path.open("w", encoding="utf-8") as fh:
            fh.write("timestamp,sender,text\n")
            fh.write(line * int(mb * 1e6 / len(line) * 0.98))
        out.append(("generic", path))
    if "hostile" in formats:
        head = (ROOT / "tests" / "fixtures" / "whatsapp" / "android_en-GB_24h.txt").read_bytes()
        one_line = work / "one line.txt"
        one_line.write_bytes(head + b"x" * int(mb * 1e6 * 0.98))
        out.append(("hostile: one line", one_line))
        nuls = work / "nuls.csv"
        with nuls.open("wb") as fh:
            fh.write(b"timestamp,sender,text\n")
            fh.truncate(int(mb * 1e6 * 0.98))
        out.append(("hostile: NUL bytes", nuls))
        sparse = work / "sparse.json"
        with sparse.open("wb") as fh:
            fh.write(b'{"messages": [')
            fh.truncate(3 * 1024**3)
        out.append(("hostile: 3 GB sparse", sparse))
        bomb = work / "WhatsApp Chat with Sam.zip"
        with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("_chat.txt", head + b"a" * 1_000_000_000)
        out.append(("hostile: 1 GB bomb zip", bomb))
    return out


def run(cmd: list[str], env: dict[str, str]) -> tuple[int, float, float, str]:
    t0 = time.perf_counter()
    # /usr/bin/time measures the command alone: a child forked from this (large) process would report
    # this process's size as its own peak (Linux keeps the maximum across fork and exec).
    with tempfile.TemporaryFile() as errfile:  # a file, not a pipe: a long report must not block the child
        proc = subprocess.Popen(["/usr/bin/time", "-f", "PEAK_KB %M", *cmd], stdout=subprocess.DEVNULL,
                                stderr=errfile, env=env)
        status = proc.wait()
        errfile.seek(0)
        err = errfile.read().decode("utf-8", "replace")
    peaks = [int(line.split()[1]) for line in err.splitlines() if line.startswith("PEAK_KB ")]
    err = "\n".join(line for line in err.splitlines() if not line.startswith(("PEAK_KB ", "Command exited")))
    return status, (peaks[-1] / 1024 if peaks else 0.0), time.perf_counter() - t0, err


def web_upload(path: Path, env: dict[str, str]) -> tuple[int, float, str]:
    """Post ``path`` to /import of an app in a child process; (HTTP status, child's peak MiB, note)."""
    code = (
        "import os, sys, resource, pathlib\n"
        "from fastapi.testclient import TestClient\n"
        "from ebbtide.web import create_app\n"
        "app = create_app(pathlib.Path(sys.argv[2]), port=8765)\n"
        "c = TestClient(app, base_url='http://127.0.0.1:8765')\n"
        "c.get(f'/?t={app.state.token}')\n"
        "with open(sys.argv[1], 'rb') as fh:\n"
        "    r = c.post('/import', files={'files': (os.path.basename(sys.argv[1]), fh)}, follow_redirects=True)\n"
        "print(r.status_code, 'too large' in r.text, 'could not be read' in r.text, file=sys.stderr)\n"
    )
    with tempfile.TemporaryDirectory() as tmp:
        status, peak, _, err = run([sys.executable, "-c", code, str(path), str(Path(tmp) / "s.duckdb")], env)
    return status, peak, err.strip().splitlines()[-1][:120] if err.strip() else ""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mb", type=int, default=100, help="size of the grown inputs (default: the file cap)")
    ap.add_argument("--formats", default="whatsapp,telegram,sms,generic,hostile")
    ap.add_argument("--web", action="store_true")
    args = ap.parse_args()
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    ebbtide = [sys.executable, "-m", "ebbtide"]
    rows = []
    with tempfile.TemporaryDirectory(prefix="ebbtide-limits-") as tmp:
        work = Path(tmp)
        for name, path in inputs(work, args.mb, args.formats.split(",")):
            size = path.stat().st_size / 1e6
            for command in ("parse", "import"):
                extra = ["-o", os.devnull] if command == "parse" else ["--db", str(work / "s.duckdb"), "--tz", "UTC"]
                rc, peak, secs, err = run([*ebbtide, command, str(path), *extra], env)
                note = "" if rc == 0 else err.strip().splitlines()[0][:90] if err.strip() else f"exit {rc}"
                rows.append((name, f"{size:,.0f}", command, rc, peak, secs, note))
                print(f"{name:24s} {size:8,.0f} MB {command:7s} exit {rc}  peak {peak:7,.0f} MiB  {secs:6.1f} s  {note}",
                      flush=True)
            if args.web:
                rc, peak, note = web_upload(path, env)
                rows.append((name, f"{size:,.0f}", "web", rc, peak, 0.0, note))
                print(f"{name:24s} {size:8,.0f} MB web     exit {rc}  peak {peak:7,.0f} MiB  {note}", flush=True)
            (work / "s.duckdb").unlink(missing_ok=True)
            if path.is_file():
                path.unlink()
    worst = max(rows, key=lambda r: r[4])
    print(f"\nhighest peak: {worst[4]:,.0f} MiB ({worst[0]}, {worst[2]}); target < 1,536 MiB")


if __name__ == "__main__":
    main()
