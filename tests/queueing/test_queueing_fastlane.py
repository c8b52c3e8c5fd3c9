"""Issue 10: the board snapshot's fast lane (queueing.fastlane) answers what the Django view
answers, byte for byte, and answers from memory only while the event feed is live; an event
written by another process makes the next answer a new build."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from typing import Any

import pytest
from django.core.asgi import get_asgi_application
from django.db import connection
from django.test import override_settings
from queueing_helpers import unrandom_headers

from async_helpers import run_async
from factories import OfficeFactory
from live_servers import ROOT, database_url
from motcua.queueing import broker, selectors
from motcua.queueing.fastlane import BoardFastLane
from motcua.queueing.models import Method, TicketEvent
from motcua.queueing.services import ticket_call_next, ticket_issue
from motcua.web.bodylimit import BodyLimitASGI

pytestmark = pytest.mark.django_db(transaction=True)


def _apps() -> tuple[BoardFastLane, Any]:
    reference = BodyLimitASGI(get_asgi_application())
    return BoardFastLane(reference), reference


def _call(
    app: Any,
    path: str,
    headers: list[tuple[str, str]] | None = None,
    *,
    method: str = "GET",
    query: bytes = b"",
    scheme: str = "http",
) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": scheme,
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": query,
        "headers": [(b"host", b"testserver")]
        + [(k.lower().encode(), v.encode()) for k, v in headers or []],
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8000),
    }
    sent: list[dict] = []
    received = []

    async def receive() -> dict:
        if not received:
            received.append(1)
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.sleep(3600)  # Django stops listening for a disconnect once it answered
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)

    run_async(app, scope, receive, send)
    start = sent[0]
    return start["status"], list(start["headers"]), b"".join(m.get("body", b"") for m in sent[1:])


def _same(lane: BoardFastLane, reference: Any, path: str, headers=None, **kw: Any) -> tuple:
    """Both answers, compared; returns the lane's."""
    mine = _call(lane, path, headers, **kw)
    theirs = _call(reference, path, headers, **kw)
    assert mine[0] == theirs[0]
    assert unrandom_headers(mine[1]) == unrandom_headers(
        theirs[1]
    )  # every header, in order, names as sent
    assert mine[2] == theirs[2]
    return mine


@pytest.fixture
def fixed_gzip(monkeypatch):
    """gzip pads with random bytes against BREACH: the same bytes in both answers."""
    from django.utils import text

    monkeypatch.setattr(text, "_get_random_filename", lambda n: b"x" * 7)


@pytest.fixture
def board_state(at, office, counters, svc_a, svc_b, officer):
    for _ in range(3):
        ticket_issue(office=office, service=svc_a, citizen=None, method=Method.STAFF)
    ticket_issue(office=office, service=svc_b, citizen=None, method=Method.STAFF)
    ticket_call_next(counter=counters[0], officer=officer)
    connection.close()
    return office


def _wait_live() -> None:
    deadline = time.monotonic() + 30
    while not broker.listening():
        assert time.monotonic() < deadline, "the listener did not start"
        time.sleep(0.05)


def test_the_lane_answers_what_the_view_answers(board_state, fixed_gzip):
    lane, reference = _apps()
    office = board_state
    path = f"/api/v1/queue/{office.code}/board"
    _same(lane, reference, path)  # resolves the office (Django) and starts the listener
    _wait_live()
    status, headers, body = _same(lane, reference, path)
    assert status == 200 and b'"waiting":3,"average_wait_s"' in body
    answered = dict(lane.stats)
    etag = dict(headers)[b"ETag"].decode()
    for variant in (
        [("Accept-Encoding", "gzip, deflate, br"), ("Accept-Language", "en-US,en;q=0.5")],
        [("If-None-Match", etag)],
        [("If-None-Match", etag), ("Accept-Encoding", "gzip")],
        [("If-None-Match", 'W/"board-1-2-3"')],
        [("Cookie", "csrftoken=" + "a" * 32 + "; motcua_cd=CDABCDEF.sms")],
        [("X-Forwarded-Proto", "https"), ("X-Forwarded-For", "10.1.2.3")],
    ):
        _same(lane, reference, path, variant)
    _same(lane, reference, f"/api/v1/queue/{office.pk}/board", [("Accept-Encoding", "gzip")])
    _same(lane, reference, f"/api/v1/queue/{office.pk}/board", [("Accept-Encoding", "gzip")])
    assert (
        lane.stats["memory"]
        + lane.stats["build"]
        - answered.get("memory", 0)
        - answered.get("build", 0)
        >= 7
    )
    assert lane.stats["memory"] >= 5
    # What the lane leaves to Django is Django's answer, of course; compared all the same.
    before = lane.stats["django"]
    _same(lane, reference, "/api/v1/queue/khong-co/board")  # 404 {"code","message"}
    assert _call(lane, "/api/v1/queue/khong-co/board")[0] == 404
    _same(lane, reference, path, method="HEAD")
    _same(lane, reference, path, query=b"x=1")
    _same(lane, reference, path, [("Cookie", "sessionid=abc")])  # the session: Vary, cookie
    _same(lane, reference, path, [("Cookie", "csrftoken=short")])  # a new CSRF cookie
    _same(lane, reference, path, [("Host", "evil.example")])  # 400 from ALLOWED_HOSTS
    assert lane.stats["django"] - before == 5  # HEAD and the query never looked at further


def test_https_headers_and_a_small_board(at, fixed_gzip, settings):
    """HSTS on a secure request; a board under 200 bytes is neither compressed nor varies on
    Accept-Encoding (the gzip middleware's threshold)."""
    settings.SECURE_HSTS_SECONDS = 3600
    settings.SECURE_HSTS_PRELOAD = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    office = OfficeFactory(code="x", name="y")
    connection.close()
    lane, reference = _apps()
    path = f"/api/v1/queue/{office.pk}/board"
    _same(lane, reference, path)
    _wait_live()
    _, headers, body = _same(lane, reference, path, [("Accept-Encoding", "gzip")], scheme="https")
    assert len(body) < 200 and b"Accept-Encoding" not in dict(headers)[b"Vary"]
    assert b"Strict-Transport-Security" in dict(headers)
    _same(lane, reference, path, [("X-Forwarded-Proto", "https")])
    _same(lane, reference, path, [("X-Forwarded-Proto", "http")], scheme="https")
    with override_settings(SECURE_SSL_REDIRECT=True):
        lane, reference = _apps()
        _same(lane, reference, path)  # 301 to https, Django's
        _same(lane, reference, path, scheme="https")
        assert lane.stats["django"] == 1


def test_the_lane_steps_aside_for_a_middleware_it_does_not_mirror(board_state, settings):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "django.middleware.gzip.GZipMiddleware"]
    lane, _ = _apps()
    path = f"/api/v1/queue/{board_state.code}/board"
    for _ in range(2):
        assert _call(lane, path)[0] == 200
    assert lane._config is None and not lane.stats  # handed over before looking


def test_no_sql_while_the_feed_is_live_and_a_new_build_after_an_event(
    board_state, monkeypatch, counters, officer
):
    office = board_state
    lane, _ = _apps()
    path = f"/api/v1/queue/{office.code}/board"
    reads = []
    real_newest, real_build = selectors.newest_event_id, selectors._board_build
    monkeypatch.setattr(
        selectors, "newest_event_id", lambda pk: reads.append(pk) or real_newest(pk)
    )
    monkeypatch.setattr(
        selectors, "_board_build", lambda **kw: reads.append("build") or real_build(**kw)
    )
    _call(lane, path)
    _wait_live()
    _call(lane, path)  # built under the live listener
    reads.clear()
    for _ in range(20):
        status, _h, body = _call(lane, path)
        assert status == 200
    assert reads == []  # not one read: the listener says nothing happened
    assert lane.stats["memory"] >= 20
    # This process calls the next ticket: at commit its event wakes the lane.
    ticket_call_next(counter=counters[2], officer=officer)
    connection.close()
    deadline = time.monotonic() + 30
    while b'"waiting":2,"average_wait_s"' not in _call(lane, path)[2]:  # the office's total
        assert time.monotonic() < deadline, "the board never showed the call"
        time.sleep(0.05)
    assert "build" in reads


WRITER = r"""
import django, sys
django.setup()
from django.db import transaction
from motcua.core import clock
from motcua.queueing import broker
from motcua.queueing.models import TicketEvent
with transaction.atomic():
    ev = TicketEvent.objects.create(
        ticket_id=int(sys.argv[1]), office_id=int(sys.argv[2]), kind="priority", at=clock.now(), detail={}
    )
    broker.publish(ev.office_id, ev.pk)
print(ev.pk)
"""


def _write_event_in_another_process(office_id: int, env: dict[str, str] | None = None) -> int:
    ticket_id = TicketEvent.objects.filter(office_id=office_id).values_list("ticket_id", flat=True)[
        0
    ]
    connection.close()
    done = subprocess.run(
        [sys.executable, "-c", WRITER, str(ticket_id), str(office_id)],
        cwd=str(ROOT),
        env={
            **os.environ,
            "DATABASE_URL": database_url(),
            "DJANGO_SETTINGS_MODULE": "motcua.settings",
            **(env or {}),
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return int(done.stdout.strip().splitlines()[-1])


def _invalidated_by_another_process(office: Any, env: dict[str, str] | None = None) -> None:
    """The clock is frozen here: a kept board never ages, only a signal can renew it."""
    lane, _ = _apps()
    path = f"/api/v1/queue/{office.code}/board"
    _call(lane, path)
    _wait_live()
    _call(lane, path)
    first = _call(lane, path)[2]
    assert _call(lane, path)[2] == first and lane.stats["memory"] >= 2
    event_id = _write_event_in_another_process(office.pk, env)
    deadline = time.monotonic() + 60
    while f'"last_event_id":{event_id}'.encode() not in _call(lane, path)[2]:
        assert time.monotonic() < deadline, "the other process's event never reached the board"
        time.sleep(0.05)
    assert lane.stats["read"] <= 1  # the listener was live: renewed by the signal, not a read


def test_an_event_written_by_another_process_renews_the_board(board_state):
    """PostgreSQL: NOTIFY; SQLite alone: the listener's poll."""
    _invalidated_by_another_process(board_state)


def test_an_event_published_on_redis_by_another_process_renews_the_board(board_state, monkeypatch):
    redis = pytest.importorskip("redis")
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL signals with LISTEN/NOTIFY, not Redis")
    url = "redis://127.0.0.1:6379/0"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis at 127.0.0.1:6379")
    broker.stop_listener()
    monkeypatch.setenv("REDIS_URL", url)
    monkeypatch.setattr(broker, "_redis_client", None)
    assert broker.signal_mode() == "redis"
    _invalidated_by_another_process(board_state, {"REDIS_URL": url})


def test_without_a_live_listener_each_request_reads(board_state, monkeypatch):
    """Listener not listening (not started, lost): one read per request, as the view does."""
    monkeypatch.setattr(broker, "hold", lambda seconds: None)
    lane, _ = _apps()
    path = f"/api/v1/queue/{board_state.code}/board"
    for _ in range(4):
        assert _call(lane, path)[0] == 200
    assert lane.stats == {"read": 4}
