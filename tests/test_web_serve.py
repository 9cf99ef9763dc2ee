"""`ebbtide serve` as a real process: it binds to 127.0.0.1 only, prints a working one-time link,
and refuses requests without it."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _non_loopback_address() -> str | None:
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("10.255.255.255", 1))  # UDP connect sends nothing; it only picks a local address
            address = s.getsockname()[0]
    except OSError:
        return None
    return None if address.startswith("127.") else address


def test_serve_prints_a_link_that_works_and_listens_on_loopback_only(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "EBBTIDE_DB": str(tmp_path / "s.duckdb"), "COLUMNS": "200"}
    proc = subprocess.Popen([sys.executable, "-m", "ebbtide", "serve", "--port", str(port)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = None
        deadline = time.monotonic() + 30
        lines: list[str] = []
        while url is None and time.monotonic() < deadline:
            line = proc.stderr.readline() if proc.stderr else ""
            if not line and proc.poll() is not None:
                break
            lines.append(line)
            m = re.search(r"http://127\.0\.0\.1:\d+/\?t=[\w-]+", line)
            url = m.group(0) if m else None
        assert url, "".join(lines)
        assert url.startswith(f"http://127.0.0.1:{port}/")
        r = None
        while time.monotonic() < deadline:
            try:
                r = httpx.get(url, follow_redirects=True, timeout=5)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        assert r is not None and r.status_code == 200 and "stays on this computer" in r.text
        assert httpx.get(f"http://127.0.0.1:{port}/", timeout=5).status_code == 403
        other = _non_loopback_address()
        if other:
            with pytest.raises(httpx.TransportError):
                httpx.get(f"http://{other}:{port}/", timeout=2)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_serve_on_a_busy_port_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        busy = s.getsockname()[1]
        env = {**os.environ, "EBBTIDE_DB": str(tmp_path / "s.duckdb")}
        done = subprocess.run([sys.executable, "-m", "ebbtide", "serve", "--port", str(busy)], env=env,
                              capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "in use" in done.stderr
