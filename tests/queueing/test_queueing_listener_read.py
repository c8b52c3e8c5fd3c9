"""Review of issue 10 (h-fresh): on PostgreSQL the listener's thread reads new rows over its own
connection; a signal that carries no event makes that read while the thread is still inside
`conn.notifies()`, whose generator holds the connection's lock."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from django.db import connection

from motcua.queueing import broker
from motcua.queueing.models import Method, TicketEvent
from motcua.queueing.services import ticket_issue


@pytest.mark.django_db(transaction=True)
def test_a_signal_without_its_event_reaches_the_streams_on_postgresql(office, svc_a, monkeypatch):
    """A NOTIFY that does not carry the event ("office:event": an event too big to carry, or a
    process still on the previous version) is read by the listener and reaches the streams."""
    if connection.vendor != "postgresql":
        pytest.skip("the listener's own connection is PostgreSQL's LISTEN connection")
    loop = asyncio.new_event_loop()
    runner = threading.Thread(target=loop.run_forever, daemon=True)
    runner.start()
    waiter = broker.AsyncWaiter(loop)  # an ASGI stream's waiter: the feed has a loop fan
    feed = broker.subscribe(office.pk, waiter)  # starts the listener
    try:
        feed.refresh()  # the feed learns where the office's log ends
        pos = feed.head()
        deadline = time.monotonic() + 30
        while not broker.listening() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert broker.listening()
        monkeypatch.setattr(broker, "MAX_CARRIED", 0)  # the signal names the event only
        ticket = ticket_issue(office=office, service=svc_a, citizen=None, method=Method.STAFF)
        event_id = TicketEvent.objects.get(ticket=ticket.ticket).pk
        got: list[int] = []
        while time.monotonic() < deadline:
            _, items = feed.pull_frames(pos)
            got = [ev["id"] for _, ev, _ in items or ()]
            if event_id in got:
                break
            time.sleep(0.05)
        assert event_id in got
    finally:
        broker.unsubscribe(feed, waiter)
        # A listener stuck in its own connection's lock is left behind (a daemon thread).
        listener = broker._listener
        broker._listener = None
        if listener is not None:
            listener._stop_event.set()
            listener.join(timeout=3)
        loop.call_soon_threadsafe(loop.stop)
        runner.join(timeout=3)
