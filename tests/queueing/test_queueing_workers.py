"""Issue 10 point 1: `motcua serve --workers 2` runs two server processes that share one truth."""

from __future__ import annotations

import http.client
import json

import pytest
from django.db import connection
from queueing_helpers import QR_A, QR_B

from live_servers import children, cmdline, real_time_token, serve
from motcua.queueing.models import Ticket


def _request(
    port: int, method: str, path: str, body: dict | None = None, token: str = ""
) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    response = conn.getresponse()
    raw = response.read()
    return response.status, json.loads(raw) if raw else {}


@pytest.mark.django_db(transaction=True)
def test_serve_with_two_workers_runs_two_processes_and_serves(office, counters, svc_a, officer):
    token = real_time_token(officer)
    connection.close()  # the server processes write the same database
    with serve("--workers", "2") as (proc, port):
        # uvicorn's supervisor starts one child per worker (multiprocessing "spawn").
        workers = [
            pid for pid in children(proc.pid)
            if "spawn_main" in cmdline(pid) and "resource_tracker" not in cmdline(pid)
        ]  # fmt: skip
        assert len(workers) == 2
        answers = [
            _request(port, "POST", "/api/v1/kiosk/check-in", {"qr": qr, "office": office.code, "service": "A"})
            for qr in (QR_A, QR_B)
        ]  # fmt: skip
        assert [a[0] for a in answers] == [201, 201]
        assert [a[1]["ticket"] for a in answers] == ["A001", "A002"]
        status, called = _request(
            port, "POST", f"/api/v1/counters/{counters[0].pk}/call-next", token=token
        )
        assert status == 200 and called["ticket"] == "A001"
        status, board = _request(port, "GET", f"/api/v1/queue/{office.code}/board")
        assert status == 200 and board["waiting"] == 1
    assert proc.returncode is not None
    assert Ticket.objects.filter(status="called").count() == 1
