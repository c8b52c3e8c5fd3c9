"""Issue 10 point 2: events pushed to streams (one read per event per process), resume with
Last-Event-ID, delivery across processes, no database connection held by an idle stream."""

from __future__ import annotations

import http.client
import json
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from queueing_helpers import QR_A, QR_B

from live_servers import real_time_token, serve
from motcua.core import clock
from motcua.queueing import broker
from motcua.queueing.models import EventKind, Method, TicketEvent
from motcua.queueing.services import ticket_call_next, ticket_finish, ticket_issue


def _frames(text: str) -> list[tuple[int, str, dict]]:
    out = []
    for block in text.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "event" in fields and fields["event"] != "ready":
            out.append((int(fields["id"]), fields["event"], json.loads(fields["data"])))
    return out


def _unlistened_feed(office_id: int, waiters: list) -> broker.Feed:
    """A feed with streams but no listener: a listener going live asks every feed for a
    look-back read, which would race with the reads these tests count."""
    feed = broker.Feed(office_id)
    for w in waiters:
        feed.add(w)
    return feed


@pytest.mark.django_db
def test_reconnect_resumes_from_last_event_id_with_nothing_lost(
    at, client, office, counters, svc_a, officer
):
    tickets = [
        ticket_issue(office=office, service=svc_a, citizen=None, method=Method.STAFF).ticket
        for _ in range(3)
    ]
    first = ticket_call_next(counter=counters[0], officer=officer)
    ticket_finish(ticket=first, officer=officer)
    ticket_call_next(counter=counters[0], officer=officer)
    ticket_call_next(counter=counters[2], officer=officer)
    ids = list(
        TicketEvent.objects.filter(office=office).order_by("id").values_list("id", flat=True)
    )
    assert len(ids) == 7  # 3 issues, call, finish, call, call
    # The board saw up to the first call, then lost its connection.
    seen = ids[3]
    r = client.get(f"/api/v1/queue/{office.pk}/events?once=1&max=5", HTTP_LAST_EVENT_ID=str(seen))
    got = _frames(b"".join(r.streaming_content).decode())
    assert [f[0] for f in got] == ids[4:]
    assert [f[1] for f in got] == ["update", "call", "call"]
    assert [f[2]["ticket"] for f in got[1:]] == [tickets[1].display, tickets[2].display]


@pytest.mark.django_db
def test_one_read_per_event_whatever_the_number_of_streams(at, office, svc_a):
    waiters = [broker.Waiter() for _ in range(50)]
    feed = _unlistened_feed(office.pk, waiters)
    try:
        feed.refresh()  # the feed learns where the office's log ends
        pos = feed.head()
        ticket = ticket_issue(
            office=office, service=svc_a, citizen=None, method=Method.STAFF
        ).ticket
        event_id = TicketEvent.objects.get(ticket=ticket).pk
        feed.wake(event_id)
        with CaptureQueriesContext(connection) as ctx:
            for _ in waiters:  # every stream looks; only the first reads
                if feed.needs_refresh():
                    feed.refresh()
        assert len(ctx.captured_queries) == 1
        assert [e["id"] for e in feed.pull(pos)[1] or []] == [event_id]
    finally:
        for w in waiters:
            feed.remove(w)


@pytest.mark.django_db
def test_an_event_committed_after_a_higher_id_is_still_delivered(at, office, svc_a):
    ticket = ticket_issue(office=office, service=svc_a, citizen=None, method=Method.STAFF).ticket
    waiter = broker.Waiter()
    feed = broker.subscribe(office.pk, waiter)
    try:
        feed.refresh()
        pos = feed.head()
        base = TicketEvent.objects.order_by("-id").values_list("id", flat=True)[0]

        def event(pk: int) -> None:  # bulk_create: events are immutable once saved
            TicketEvent.objects.bulk_create(
                [
                    TicketEvent(
                        id=pk,
                        ticket=ticket,
                        office=office,
                        kind=EventKind.PRIORITY,
                        at=clock.now(),
                        detail={},
                    )
                ]
            )

        event(base + 10)  # committed first
        feed.wake(base + 10)
        feed.refresh()
        event(base + 5)  # took its id earlier, committed later
        feed.wake(base + 5)
        feed.refresh()
        pos, batch = feed.pull(pos)
        assert [e["id"] for e in batch or []] == [base + 10, base + 5]
    finally:
        broker.unsubscribe(feed, waiter)


def _http(
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


class _Stream:
    """An SSE client reading line by line (the read timeout only guards against a hang)."""

    def __init__(self, port: int, path: str, last_id: int | None = None) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Last-Event-ID": str(last_id)} if last_id is not None else {}
        self.conn.request("GET", path, headers=headers)
        self.response = self.conn.getresponse()
        assert self.response.status == 200

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

    def close(self) -> None:
        self.conn.close()


ENV = {"DB_POOL": "0", "PGAPPNAME": "motcua-test-server"}


def _server_backends() -> int:
    """Connections of the server processes (named by PGAPPNAME) to the test database."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'motcua-test-server'"
        )
        return int(cur.fetchone()[0])


@pytest.mark.django_db(transaction=True)
def test_a_call_made_in_one_process_reaches_streams_of_another(office, counters, svc_a, officer):
    token = real_time_token(officer)
    connection.close()
    postgres = connection.vendor == "postgresql"
    with serve(env=ENV) as (_a, port_a), serve(env=ENV) as (_b, port_b):
        path = f"/api/v1/queue/{office.code}/events?max=60"
        streams = [_Stream(port_a, path) for _ in range(3)]
        try:
            for s in streams:
                s.until("ready")
            for qr in (QR_A, QR_B):
                status, _ = _http(
                    port_b,
                    "POST",
                    "/api/v1/kiosk/check-in",
                    {"qr": qr, "office": office.code, "service": "A"},
                )
                assert status == 201
            assert (
                _http(port_b, "POST", f"/api/v1/counters/{counters[0].pk}/call-next", token=token)[
                    0
                ]
                == 200
            )
            for s in streams:
                s.until("update")
                call = s.until("call")
                assert call["ticket"] == "A001" and call["counter"] == 1
            if postgres:
                # Idle streams hold no connection: only server A's listener remains (server B's
                # request connections close when its requests end).
                deadline = time.monotonic() + 20
                while _server_backends() > 1 and time.monotonic() < deadline:
                    time.sleep(0.2)
                assert _server_backends() == 1
                connection.close()
        finally:
            for s in streams:
                s.close()
        # A board that lost its connection resumes on the other process with nothing lost.
        last = TicketEvent.objects.filter(office=office, kind=EventKind.ISSUE).order_by("id").last()
        connection.close()
        again = _Stream(
            port_b, f"/api/v1/queue/{office.code}/events?max=10&once=1", last_id=last.pk
        )
        try:
            assert again.until("call")["ticket"] == "A001"
        finally:
            again.close()


@pytest.mark.django_db
def test_a_stream_looking_during_a_read_waits_for_it(at, office, svc_a, monkeypatch):
    """While one stream reads the new rows, another that looks must not take the empty buffer
    for the answer (and sleep through the event): it waits for the read."""
    from motcua.queueing import selectors

    waiter = broker.Waiter()
    feed = _unlistened_feed(office.pk, [waiter])
    try:
        feed.refresh()
        ticket = ticket_issue(
            office=office, service=svc_a, citizen=None, method=Method.STAFF
        ).ticket
        feed.wake(TicketEvent.objects.get(ticket=ticket).pk)
        seen_during_read = []
        real = selectors.event_payload

        def payload(ev):
            seen_during_read.append(feed.needs_refresh())  # what another stream sees now
            return real(ev)

        monkeypatch.setattr(selectors, "event_payload", payload)
        feed.refresh()
        assert seen_during_read == [True]
        assert not feed.needs_refresh()
    finally:
        feed.remove(waiter)


@pytest.mark.django_db
def test_redis_pub_sub_carries_events_between_processes(
    at, office, svc_a, monkeypatch, django_capture_on_commit_callbacks
):
    """SQLite with REDIS_URL: an event is published on Redis after its commit, and this
    process's subscriber wakes the office's streams with the event's id (as it would for a
    write made by another process)."""
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
    waiter = broker.Waiter()
    feed = broker.subscribe(office.pk, waiter)
    try:
        # The subscriber wakes every stream once it listens (anything sent before is re-read).
        waiter._event.wait(30)
        assert waiter._event.is_set()
        feed.refresh()
        pos = feed.head()
        waiter.clear()
        # Another process's write: a bare message on the channel names the office and event.
        redis.Redis.from_url(url).publish(broker.CHANNEL, f"{office.pk}:987654321")
        # (The subscriber's own wake-up once Redis confirms may come first: wait for ours.)
        deadline = time.monotonic() + 30
        while 987654321 not in feed._pending and time.monotonic() < deadline:
            waiter._event.wait(0.1)
            waiter.clear()
        assert 987654321 in feed._pending
        feed.refresh()
        waiter.clear()
        # A write of this process: published after its commit, delivered by the subscriber.
        with django_capture_on_commit_callbacks(execute=True):
            ticket = ticket_issue(
                office=office, service=svc_a, citizen=None, method=Method.STAFF
            ).ticket
        event_id = TicketEvent.objects.get(ticket=ticket).pk
        waiter._event.wait(30)
        assert waiter._event.is_set()
        feed.refresh()
        assert [e["id"] for e in feed.pull(pos)[1] or []] == [event_id]
    finally:
        broker.unsubscribe(feed, waiter)
        broker.stop_listener()


@pytest.mark.django_db
def test_a_signal_carries_its_event_and_the_feed_takes_it_without_a_read(
    at, office, svc_a, monkeypatch
):
    """The event a signal carries is the one a read of its row gives (the same frame bytes);
    a feed takes it without reading the database."""
    from motcua.queueing import selectors

    carried: list[dict] = []
    real_publish = broker.publish

    real_template = broker.signal_template
    templates: list[str] = []

    def spy(office_id, event_id, event=None):
        carried.append(event)
        real_publish(office_id, event_id, event)

    def spy_template(office_id, event):  # PostgreSQL: the event's INSERT sends the signal
        templates.append(real_template(office_id, event))
        return templates[-1]

    # Not the day's first ticket of the service: on PostgreSQL the next one is issued in one
    # statement (number, ticket, event, signal), the path this test follows there.
    ticket_issue(office=office, service=svc_a, citizen=None, method=Method.STAFF)
    waiter = broker.Waiter()
    feed = broker.Feed(office.pk)  # registered without starting a listener (its first signal
    feed.add(waiter)  # asks for a read, which would race with this test's signal)
    monkeypatch.setitem(broker._feeds, office.pk, feed)
    try:
        feed.refresh()  # the feed learns where the office's log ends
        pos = feed.head()
        monkeypatch.setattr(broker, "publish", spy)
        monkeypatch.setattr(broker, "signal_template", spy_template)
        ticket = ticket_issue(
            office=office, service=svc_a, citizen=None, method=Method.STAFF
        ).ticket
        event_id = TicketEvent.objects.get(ticket=ticket).pk
        for template in templates:  # the payload as the statement completes it
            sent = template.replace(broker.ID_SLOT, str(event_id))
            carried.append(json.loads(sent.split(":", 2)[2]))
        read = selectors.events_after(office_id=office.pk, last_id=event_id - 1)
        assert carried == read  # as a read of the row gives it
        payload = broker.signal_payload(office.pk, event_id, carried[0])
        with CaptureQueriesContext(connection) as ctx:
            broker._deliver(payload, read=True)  # as the listener receives it
            if feed.needs_refresh():
                feed.refresh()
        assert len(ctx.captured_queries) == 0
        _, items = feed.pull_frames(pos)
        assert items is not None and [ev for _, ev, _ in items] == read
        assert items[0][2] == broker.sse_frame(read[0], event_id)
    finally:
        feed.remove(waiter)


@pytest.mark.django_db(transaction=True)
def test_the_listeners_reads_go_over_its_own_connection(office, svc_a):
    """PostgreSQL: the feeds' reads made in the listener's thread (on a signal, and the safety
    read it makes before a stream would) use the listener's connection, never the pool's; they
    give the events exactly as a read through Django does."""
    import threading

    import psycopg
    from django.db import connection as django_connection

    from motcua.queueing import selectors

    if connection.vendor != "postgresql":
        pytest.skip("the listener's own connection is PostgreSQL's LISTEN connection")
    feed = broker.Feed(office.pk)
    feed.refresh()  # the feed learns where the office's log ends (through Django)
    pos = feed.head()
    ids = []
    for _ in range(2):
        ticket = ticket_issue(
            office=office, service=svc_a, citizen=None, method=Method.STAFF
        ).ticket
        ids.append(TicketEvent.objects.get(ticket=ticket).pk)
    expected = selectors.events_after(office_id=office.pk, last_id=ids[0] - 1)
    params = {
        k: v
        for k, v in connection.get_connection_params().items()
        if k not in ("context", "cursor_factory", "prepare_threshold", "server_side_binding")
    }
    opened: list[object] = []
    with psycopg.connect(**params, autocommit=True) as raw:
        raw.execute("SELECT set_config('TimeZone', 'UTC', false)")

        def listener() -> None:
            broker._own.conn = raw
            try:
                feed.wake(ids[0])  # a signal that carries no event: the rows are read
                feed.refresh()
                feed._checked_at -= broker.SAFETY_S  # the safety read is due
                feed.check()
            finally:
                broker._own.conn = None
                opened.append(django_connection.connection)

        thread = threading.Thread(target=listener)
        thread.start()
        thread.join(30)
    assert opened == [None]  # Django's connection of that thread was never opened
    _, items = feed.pull_frames(pos)
    assert items is not None and [ev for _, ev, _ in items] == expected
