"""Issue 10 point 6: the stack behind nginx (deploy/motcua.conf) — a ticket from kiosk to board
through the proxy, the client address trusted only from the proxy, static files from nginx.

Runs Debian's nginx in the foreground as this user with a temporary prefix; skipped when the
nginx binary is missing (CI installs it). PostgreSQL when DATABASE_URL is set; Redis when
REDIS_URL is set (the server processes inherit the environment).
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from queueing_helpers import QR_A, QR_B

from live_servers import ROOT, free_port, real_time_token, serve

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
pytestmark = pytest.mark.skipif(
    NGINX is None, reason="nginx is not installed (apt-get install -y nginx); CI installs it"
)
SITE = ROOT / "deploy" / "motcua.conf"
CLIENT_A, CLIENT_B, STRANGER = "127.0.0.5", "127.0.0.6", "127.0.0.7"


def _site(app_port: int, port: int, static_root: Path) -> str:
    """deploy/motcua.conf with this test's ports and static folder (the marked lines)."""
    text = SITE.read_text()
    out = text.replace("server 127.0.0.1:8000;", f"server 127.0.0.1:{app_port};")
    out = out.replace("listen 80;", f"listen 127.0.0.1:{port};")
    out = out.replace("alias /srv/motcua/var/static/;", f"alias {static_root}/;")
    assert out.count(str(app_port)) == 1 and str(static_root) in out and str(port) in out
    return out


@contextmanager
def nginx(app_port: int, static_root: Path) -> Iterator[int]:
    port = free_port()
    prefix = Path(tempfile.mkdtemp(prefix="motcua-nginx-"))
    (prefix / "site.conf").write_text(_site(app_port, port, static_root))
    temp = "\n".join(
        f"    {kind}_temp_path {prefix / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    user = "user root;\n" if os.geteuid() == 0 else ""  # workers must read the temp prefix
    (prefix / "nginx.conf").write_text(
        f"{user}worker_processes 1;\npid {prefix / 'nginx.pid'};\nerror_log {prefix / 'error.log'};\n"
        "events { worker_connections 256; }\n"
        f"http {{\n    include /etc/nginx/mime.types;\n    access_log off;\n{temp}\n"
        f"    include {prefix / 'site.conf'};\n}}\n"
    )
    proc = subprocess.Popen(
        [NGINX, "-p", str(prefix), "-e", str(prefix / "error.log"), "-c", str(prefix / "nginx.conf"),
         "-g", "daemon off;"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while _get(port, "/healthz")[0] != 200:
            if proc.poll() is not None or time.monotonic() > deadline:
                err = (prefix / "error.log").read_text() if (prefix / "error.log").exists() else ""
                raise RuntimeError(f"nginx did not start: {err}")
            time.sleep(0.2)
        yield port
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGQUIT)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        shutil.rmtree(prefix, ignore_errors=True)


def _conn(port: int, source: str = "127.0.0.1") -> http.client.HTTPConnection:
    return http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=(source, 0))


def _get(port: int, path: str, source: str = "127.0.0.1", headers: dict | None = None):  # type: ignore[no-untyped-def]
    try:
        conn = _conn(port, source)
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read(), response
    except OSError:
        return 0, b"", None


def _post(port: int, path: str, body: dict | None = None, token: str = "") -> tuple[int, dict]:
    conn = _conn(port)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    conn.request("POST", path, body=json.dumps(body) if body is not None else None, headers=headers)
    response = conn.getresponse()
    raw = response.read()
    return response.status, json.loads(raw) if raw else {}


class _Stream:
    def __init__(self, port: int, path: str) -> None:
        self.conn = _conn(port)
        self.conn.request("GET", path)
        self.response = self.conn.getresponse()
        assert self.response.status == 200
        assert self.response.getheader("Content-Type", "").startswith("text/event-stream")

    def until(self, event: str) -> dict:
        name = ""
        while True:
            line = self.response.fp.readline().decode()
            if not line:
                raise AssertionError(f"stream ended before event {event!r}")
            if line.startswith("event: "):
                name = line[7:].strip()
            elif line.startswith("data: ") and name == event:
                return json.loads(line[6:])


ENV = {"TRUSTED_PROXIES": "127.0.0.1", "PUBLIC_LOOKUP_PER_MINUTE": "2", "RATELIMIT_ENABLE": "1"}


def test_the_upload_cap_matches_max_request_bytes():
    size = re.search(r"client_max_body_size\s+(\d+)m;", SITE.read_text())
    assert size is not None
    assert int(size.group(1)) * 1024 * 1024 == settings.MOTCUA["MAX_REQUEST_BYTES"]


@pytest.mark.django_db(transaction=True)
def test_a_ticket_from_kiosk_to_board_through_nginx(office, counters, svc_a, officer, tmp_path):
    token = real_time_token(officer)
    connection.close()  # the server processes write the same database
    (tmp_path / "css").mkdir()
    (tmp_path / "css" / "site.0123abcd.css").write_text("body{color:#123}")
    with serve("--workers", "2", env=ENV) as (_proc, app_port), nginx(app_port, tmp_path) as port:
        # The board opens its stream through the proxy and gets the first frame at once.
        stream = _Stream(port, f"/api/v1/queue/{office.code}/events?max=60")
        try:
            stream.until("ready")
            for qr in (QR_A, QR_B):
                status, answer = _post(
                    port,
                    "/api/v1/kiosk/check-in",
                    {"qr": qr, "office": office.code, "service": "A"},
                )
                assert status == 201, answer
            status, called = _post(
                port, f"/api/v1/counters/{counters[0].pk}/call-next", token=token
            )
            assert status == 200 and called["ticket"] == "A001"
            call = stream.until("call")  # unbuffered: the event arrives while the stream is open
            assert call["ticket"] == "A001" and call["counter"] == 1
        finally:
            stream.conn.close()

        # Static files come from nginx with a long lifetime.
        status, body, response = _get(port, "/static/css/site.0123abcd.css")
        assert status == 200 and body == b"body{color:#123}"
        assert "immutable" in response.getheader("Cache-Control", "")

        lookup = "/api/v1/public/dossiers/KHONG-CO?verify=0000"
        forged = [{"X-Forwarded-For": f"203.0.113.{i}"} for i in range(1, 4)]
        # Through nginx, a client's forged X-Forwarded-For does not make it a new client:
        # the limit (2 a minute) is keyed on the address nginx saw.
        assert [_get(port, lookup, CLIENT_A, h)[0] for h in forged] == [404, 404, 429]
        # Another real client behind the same proxy has its own count (the address is passed).
        assert _get(port, lookup, CLIENT_B)[0] == 404
        # Straight to the app, not from the proxy: the header is not believed either.
        assert [_get(app_port, lookup, STRANGER, h)[0] for h in forged] == [404, 404, 429]
