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
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from dossiers_helpers import CITIZEN

from live_servers import real_time_token, serve
from motcua.core.models import IdempotencyKey
from motcua.dossiers.models import Dossier

N = 48  # requests, each with its own key
KILL_AFTER = 12  # answers received before the server is killed
BODY = {"procedure": "1.001193", "channel": "direct", "citizen": CITIZEN, "unit": "WARD1"}


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


@pytest.mark.django_db(transaction=True)
def test_kill_9_during_concurrent_creation_then_retries_leave_one_dossier_per_key(office):
    token = real_time_token(office.tiepnhan)
    connection.close()  # the server process writes the same database
    keys = [f"kill9-{i:03d}" for i in range(N)]
    answers: dict[str, tuple[int, dict] | None] = {}
    lock = threading.Lock()
    received = threading.Event()

    with serve() as (proc, port):

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
    with serve() as (_, port):
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
    with serve() as (_, port), socket.create_connection(("127.0.0.1", port), timeout=10) as s:
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
