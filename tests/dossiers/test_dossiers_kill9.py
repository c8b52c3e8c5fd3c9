"""Issue 9 point 6, the hard way: a real server is killed with SIGKILL while dossiers are being
created concurrently, each request carrying its own Idempotency-Key. After a restart, every
request that got no answer is retried with its key: exactly one dossier per key, numbers still
gapless. Runs on the test database (SQLite file, or PostgreSQL with DATABASE_URL).

Also, against the same real server (ASGI, uvicorn): a body announced over the cap is refused
from its headers before any of it is sent (issue 9 point 10).
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from dossiers_helpers import CITIZEN

from motcua.core.models import IdempotencyKey
from motcua.dossiers.models import Dossier

ROOT = Path(__file__).resolve().parents[2]
N = 48  # requests, each with its own key
KILL_AFTER = 12  # answers received before the server is killed
BODY = {"procedure": "1.001193", "channel": "direct", "citizen": CITIZEN, "unit": "WARD1"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _database_url() -> str:
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user = quote(db.get("USER") or "")
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


@contextmanager
def server() -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """uvicorn on the test database, one process (so that SIGKILL kills the server itself)."""
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "DJANGO_SETTINGS_MODULE": "motcua.settings",
        "AXES_ENABLED": "0",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "motcua.asgi:application", "--host", "127.0.0.1",
         "--port", str(port), "--workers", "1", "--no-access-log", "--log-level", "warning"],
        cwd=str(ROOT), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.2)
        yield proc, port
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def _post(port: int, token: str, key: str) -> tuple[int, dict] | None:
    """The answer (status, body), or None when the connection died without one."""
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
        conn.request(
            "POST",
            "/api/v1/dossiers",
            body=json.dumps(BODY),
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {token}",
                "Idempotency-Key": key,
            },
        )
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    except (OSError, http.client.HTTPException, ValueError):
        return None


def _real_time_token(user) -> str:
    """A bearer token valid on the server's real clock (whatever this process's clock says)."""
    import secrets
    from datetime import timedelta

    from django.utils import timezone

    from motcua.core.models import ApiToken

    raw = secrets.token_urlsafe(32)
    now = timezone.now()
    ApiToken.objects.create(
        user=user, digest=ApiToken.hash(raw), created_at=now, expires_at=now + timedelta(hours=1)
    )
    return raw


@pytest.mark.django_db(transaction=True)
def test_kill_9_during_concurrent_creation_then_retries_leave_one_dossier_per_key(office):
    token = _real_time_token(office.tiepnhan)
    connection.close()  # the server process writes the same database
    keys = [f"kill9-{i:03d}" for i in range(N)]
    answers: dict[str, tuple[int, dict] | None] = {}
    lock = threading.Lock()
    received = threading.Event()

    with server() as (proc, port):

        def send(key: str) -> None:
            answer = _post(port, token, key)
            with lock:
                answers[key] = answer
                if sum(a is not None for a in answers.values()) >= KILL_AFTER:
                    received.set()

        with ThreadPoolExecutor(max_workers=8) as pool:
            futures = [pool.submit(send, k) for k in keys]
            assert received.wait(timeout=60), "no answers from the server"
            os.killpg(proc.pid, signal.SIGKILL)  # mid-way: some requests are in flight
            for f in futures:
                f.result(timeout=60)

    lost = [k for k in keys if answers[k] is None]
    assert KILL_AFTER <= N - len(lost) < N, "the kill must land while requests are in flight"
    with server() as (_, port):
        for key in lost:  # each unanswered request again, same key, a few attempts at most
            for _ in range(3):
                answers[key] = _post(port, token, key)
                if answers[key] is not None:
                    break
    assert all(a is not None and a[0] == 201 for a in answers.values()), answers
    codes = [a[1]["code"] for a in answers.values() if a is not None]
    assert len(set(codes)) == N  # every key its own dossier, answered with it
    assert Dossier.objects.count() == N and IdempotencyKey.objects.count() == N
    stored = set(Dossier.objects.values_list("code", flat=True))
    assert stored == set(codes)
    by_day: dict[str, list[int]] = {}  # a run across midnight starts a new day's counter
    for c in stored:
        prefix, number = c.rsplit("-", 1)
        by_day.setdefault(prefix, []).append(int(number))
    for numbers in by_day.values():
        assert sorted(numbers) == list(range(1, len(numbers) + 1))  # still gapless


@pytest.mark.django_db(transaction=True)
def test_a_real_server_refuses_an_oversized_body_from_its_headers(office):
    connection.close()
    with server() as (_, port), socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(
            b"POST /api/v1/dossiers HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nContent-Length: 1073741824\r\n\r\n"
        )  # 1 GB announced, not one byte of it sent
        reply = b""
        while b"\r\n\r\n" not in reply or not reply.rstrip().endswith(b"}"):
            chunk = s.recv(4096)
            if not chunk:
                break
            reply += chunk
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413")
    assert json.loads(body)["code"] == "payload_too_large"
