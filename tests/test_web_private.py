"""The web app keeps to this computer: no telemetry even when OpenTelemetry is configured, a one-time
link, and ``serve --open`` hands the browser a private launcher file, not the code (issue 15)."""

from __future__ import annotations

import os
import re
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from opentelemetry import trace

from ebbtide.web import create_app

TOKEN = "test-token-123"


class _Recorder(trace.TracerProvider):
    """A tracer provider that remembers every span started (stands in for an exporter)."""

    def __init__(self) -> None:
        self.spans: list[str] = []

    def get_tracer(self, *args: Any, **kwargs: Any) -> trace.Tracer:
        recorder = self

        class _Tracer(trace.NoOpTracer):
            def start_span(self, name: str, *a: Any, **k: Any) -> trace.Span:
                recorder.spans.append(name)
                return trace.NonRecordingSpan(trace.INVALID_SPAN_CONTEXT)

            def start_as_current_span(self, name: str, *a: Any, **k: Any) -> Any:
                recorder.spans.append(name)
                return super().start_as_current_span(name, *a, **k)

        return _Tracer()


def _listener() -> tuple[socket.socket, list[bytes]]:
    """A local 'collector' that records anything sent to it."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    got: list[bytes] = []

    def accept() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            got.append(conn.recv(65536))
            conn.close()

    threading.Thread(target=accept, daemon=True).start()
    return server, got


def test_opentelemetry_in_the_environment_exports_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    server, received = _listener()
    endpoint = f"http://127.0.0.1:{server.getsockname()[1]}"
    for key, value in {"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "OTEL_TRACES_EXPORTER": "otlp",
                       "OTEL_METRICS_EXPORTER": "otlp", "OTEL_LOGS_EXPORTER": "otlp",
                       "FASTAPI_OTEL_AUTO_CONFIGURE": "true", "OTEL_SDK_DISABLED": "false",
                       "OTEL_SERVICE_NAME": "ebbtide"}.items():
        monkeypatch.setenv(key, value)
    recorder = _Recorder()
    monkeypatch.setattr(trace, "_TRACER_PROVIDER", recorder)  # as if auto-instrumentation had set one
    from fastapi import FastAPI

    plain = FastAPI()  # what FastAPI would do by default in this environment: trace every request
    plain.get("/x")(lambda: {"ok": True})
    with TestClient(plain) as client:
        client.get("/x")
    assert recorder.spans, "the check is blind: plain FastAPI did not trace"
    recorder.spans.clear()
    app = create_app(tmp_path / "s.duckdb", token=TOKEN, allowed_hosts=("testserver",))
    with TestClient(app) as client:
        assert client.get(f"/?t={TOKEN}").status_code == 200
        client.get("/journal")
        client.get("/no-such-page")
    server.close()
    assert recorder.spans == [] and received == []
    assert os.environ["OTEL_SDK_DISABLED"] == "true" and os.environ["OTEL_TRACES_EXPORTER"] == "none"


def test_the_link_works_once(tmp_path: Path) -> None:
    app = create_app(tmp_path / "s.duckdb", token=TOKEN, allowed_hosts=("testserver",))
    first = TestClient(app)
    r = first.get(f"/?t={TOKEN}", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/" and "t=" not in r.headers["location"]
    assert first.get("/").status_code == 200  # the cookie carries on
    again = TestClient(app).get(f"/?t={TOKEN}")
    assert again.status_code == 403 and "already been used" in again.text
    assert TOKEN not in first.cookies.get(next(iter(first.cookies.keys())), "")  # the cookie is another secret


def test_the_launch_code_is_posted_and_works_once(tmp_path: Path) -> None:
    app = create_app(tmp_path / "s.duckdb", token=TOKEN, allowed_hosts=("testserver",))
    code = app.state.launch_code
    client = TestClient(app)
    # a file:// page posts it: Origin null, cross-site
    headers = {"Origin": "null", "Sec-Fetch-Site": "cross-site"}
    r = client.post("/launch", data={"code": code}, headers=headers, follow_redirects=False)
    assert r.status_code == 200 and 'content="0;url=/"' in r.text and code not in r.text
    assert client.get("/").status_code == 200
    assert TestClient(app).post("/launch", data={"code": code}, headers=headers).status_code == 403
    assert TestClient(app).post("/launch", data={"code": "guess"}, headers=headers).status_code == 403


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_open_hands_the_browser_a_private_launcher_after_listening(tmp_path: Path) -> None:
    record = tmp_path / "browser.txt"
    fake = tmp_path / "fake-browser"
    fake.write_text(textwrap_browser(record), encoding="utf-8")
    fake.chmod(0o700)
    port = _free_port()
    env = {**os.environ, "EBBTIDE_DB": str(tmp_path / "s.duckdb"), "BROWSER": f"{fake} %s", "COLUMNS": "200",
           "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen([sys.executable, "-m", "ebbtide", "serve", "--port", str(port), "--open"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (record.exists() and record.read_text().count("\n") >= 4):
            time.sleep(0.2)
        lines = record.read_text(encoding="utf-8").splitlines()
        argv, listening, mode, body = lines[0], lines[1], lines[2], "\n".join(lines[3:])
        assert "?t=" not in argv and argv.startswith("file://")
        assert listening == "listening"  # the browser was started after the server listened
        assert mode == "600"
        code = re.search(r'name="code" value="([\w-]+)"', body).group(1)  # type: ignore[union-attr]
        url = f"http://127.0.0.1:{port}"
        headers = {"Origin": "null", "Sec-Fetch-Site": "cross-site"}
        with httpx.Client(base_url=url) as browser:
            assert browser.post("/launch", data={"code": code}, headers=headers).status_code == 200
            assert browser.get("/").status_code == 200
        assert httpx.post(f"{url}/launch", data={"code": code}, headers=headers).status_code == 403
        launcher = Path(argv.removeprefix("file://"))
        deadline = time.monotonic() + 10
        while launcher.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not launcher.exists()  # used: removed
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def textwrap_browser(record: Path) -> str:
    return f"""#!{sys.executable}
import os, socket, sys, urllib.parse
url = sys.argv[1]
path = urllib.parse.unquote(url.removeprefix("file://"))
port = int(os.environ.get("EBBTIDE_TEST_PORT", "0") or 0)
body = open(path, encoding="utf-8").read()
import re
target = re.search(r'action="http://127.0.0.1:(\\d+)/launch"', body)
try:
    socket.create_connection(("127.0.0.1", int(target.group(1))), timeout=2).close()
    listening = "listening"
except OSError:
    listening = "not listening"
mode = oct(os.stat(path).st_mode & 0o777)[2:]
with open({str(record)!r}, "w", encoding="utf-8") as f:
    f.write(url + "\\n" + listening + "\\n" + mode + "\\n" + body + "\\n")
"""


def test_launcher_file_is_private() -> None:
    from ebbtide.cli.web_cmds import write_launcher

    path = write_launcher(8123, "abc")
    try:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        assert 'action="http://127.0.0.1:8123/launch"' in path.read_text(encoding="utf-8")
    finally:
        path.unlink()
        path.parent.rmdir()
