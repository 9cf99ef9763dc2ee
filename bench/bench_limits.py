"""Peak memory of `ebbtide parse` and `ebbtide import` for inputs up to the size cap, and of a web upload.

Target (issue 16): under 1.5 GB for any single input up to the cap (importers/limits.py). Inputs:
real-shaped exports grown to --mb megabytes (WhatsApp, Telegram, SMS, generic CSV), and hostile ones
at the cap (one line of --mb MB, a file of NUL bytes, a sparse file past the cap, a bomb zip). Each
run is a fresh process; the peak is the child's maximum resident set (wait4). ``--web`` posts each
input to the app of a real uvicorn server in its own process (``ebbtide serve``'s stack), streaming
the upload over localhost in 1 MiB pieces as a browser does; the peak is the server's high-water mark
(VmHWM in /proc) over start-up, the upload, the import and the result page, and "temp files" the
most the server's temporary folder held meanwhile (sampled every 0.1 s).

    python bench/bench_limits.py [--mb 100] [--formats whatsapp,telegram,sms,generic,hostile] [--web | --web-only]
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


_SERVER = (
    "import pathlib, sys, uvicorn\n"
    "from ebbtide.web import create_app\n"
    "port = int(sys.argv[2])\n"
    "app = create_app(pathlib.Path(sys.argv[1]), token=sys.argv[3], port=port)\n"
    "print('ready', flush=True)\n"
    "uvicorn.run(app, host='127.0.0.1', port=port, log_level='warning')\n"
)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _stream_post(port: int, cookie: str, path: Path) -> tuple[int, str]:
    """POST ``path`` as multipart to /import without ever holding it: 1 MiB pieces from the file."""
    import http.client
    import secrets

    boundary = "ebbtide" + secrets.token_hex(8)
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{path.name}\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n").encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1800)
    conn.putrequest("POST", "/import", skip_host=True)
    conn.putheader("Host", f"127.0.0.1:{port}")
    conn.putheader("Cookie", cookie)
    conn.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
    conn.putheader("Content-Length", str(len(head) + path.stat().st_size + len(tail)))
    conn.endheaders()
    try:
        conn.send(head)
        with path.open("rb") as fh:
            while piece := fh.read(1 << 20):
                conn.send(piece)
        conn.send(tail)
    except (BrokenPipeError, ConnectionResetError):  # the server may answer (413) before reading it all
        pass
    resp = conn.getresponse()
    status, location = resp.status, resp.getheader("Location") or ""
    resp.read()
    if status == 303 and location:
        conn.request("GET", location, headers={"Host": f"127.0.0.1:{port}", "Cookie": cookie})
        page = conn.getresponse()
        body = page.read().decode("utf-8", "replace")
        status = page.status
        found = "too large" if "too large" in body else "not read" if "could not be read" in body else "ok"
        return status, found
    return status, ""


def web_upload(path: Path, env: dict[str, str]) -> tuple[int, float, str]:
    """Upload ``path`` to a real uvicorn server process; (HTTP status, server's peak MiB, note)."""
    import http.client
    import secrets
    import threading

    port, token = _free_port(), secrets.token_urlsafe(16)
    with tempfile.TemporaryDirectory() as tmp:
        spool = Path(tmp) / "tmp"  # the server's temporary folder: how much of an upload lands on disk
        spool.mkdir()
        server = subprocess.Popen([sys.executable, "-c", _SERVER, str(Path(tmp) / "s.duckdb"), str(port), token],
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env={**env, "TMPDIR": str(spool)})
        try:
            assert server.stdout is not None and server.stdout.readline().strip() == b"ready"
            for _ in range(300):  # until it listens
                try:
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                    conn.request("GET", f"/?t={token}", headers={"Host": f"127.0.0.1:{port}"})
                    first = conn.getresponse()
                    first.read()
                    break
                except OSError:
                    time.sleep(0.1)
            cookie = (first.getheader("Set-Cookie") or "").split(";")[0]
            idle = _status_kb(server.pid, "VmRSS") / 1024
            rss: list[float] = []
            disk: list[float] = []
            done = threading.Event()

            def sample() -> None:
                while not done.wait(0.1):
                    rss.append(_status_kb(server.pid, "VmRSS") / 1024)
                    disk.append(_tree_mb(spool))

            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            status, found = _stream_post(port, cookie, path)
            done.set()
            sampler.join()
            peak = _status_kb(server.pid, "VmHWM") / 1024
        finally:
            server.terminate()
            server.wait(timeout=60)
    return status, peak, (f"{found}; idle {idle:,.0f} MiB, sampled max {max(rss, default=0):,.0f} MiB; "
                          f"temp files up to {max(disk, default=0):,.0f} MB")


def _tree_mb(folder: Path) -> float:
    total = 0
    for root, _, files in os.walk(folder):
        for name in files:
            try:
                total += os.stat(os.path.join(root, name)).st_blocks * 512
            except OSError:
                pass
    return total / 1e6


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mb", type=int, default=100, help="size of the grown inputs (default: the file cap)")
    ap.add_argument("--formats", default="whatsapp,telegram,sms,generic,hostile")
    ap.add_argument("--web", action="store_true", help="also upload each input to a real uvicorn server")
    ap.add_argument("--web-only", action="store_true", help="only the web uploads (no parse/import runs)")
    args = ap.parse_args()
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    ebbtide = [sys.executable, "-m", "ebbtide"]
    rows = []
    with tempfile.TemporaryDirectory(prefix="ebbtide-limits-") as tmp:
        work = Path(tmp)
        for name, path in inputs(work, args.mb, args.formats.split(",")):
            size = path.stat().st_size / 1e6
            for command in () if args.web_only else ("parse", "import"):
                extra = ["-o", os.devnull] if command == "parse" else ["--db", str(work / "s.duckdb"), "--tz", "UTC"]
                rc, peak, secs, err = run([*ebbtide, command, str(path), *extra], env)
                note = "" if rc == 0 else err.strip().splitlines()[0][:90] if err.strip() else f"exit {rc}"
                rows.append((name, f"{size:,.0f}", command, rc, peak, secs, note))
                print(f"{name:24s} {size:8,.0f} MB {command:7s} exit {rc}  peak {peak:7,.0f} MiB  {secs:6.1f} s  {note}",
                      flush=True)
            if args.web or args.web_only:
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
