"""Issue 10: one event fanned out to many streams of one event loop (ASGI) — one read in a worker
thread for all of them, one wake-up pass, and the same frame bytes for every stream that is
not behind; a late event is still encoded per stream with the highest id sent."""

from __future__ import annotations

import asyncio
import json

import pytest
from asgiref.sync import sync_to_async

from async_helpers import run_async
from motcua.queueing import broker
from motcua.queueing.models import Method, TicketEvent
from motcua.queueing.services import ticket_call_next, ticket_issue
from motcua.queueing.streams import _Cursor


def _issue(office, svc) -> int:
    ticket = ticket_issue(office=office, service=svc, citizen=None, method=Method.STAFF).ticket
    return TicketEvent.objects.get(ticket=ticket).pk


@pytest.mark.django_db(transaction=True)
def test_streams_of_one_loop_share_one_read_one_wake_up_and_one_frame(office, svc_a):
    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        feed = broker.Feed(office.pk)  # not registered: only the wake-ups made here reach it
        waiters = [broker.AsyncWaiter(loop) for _ in range(20)]
        for w in waiters:
            feed.add(w)
        reads = []
        real = feed.refresh

        def counting_refresh() -> None:
            reads.append(1)
            real()

        feed.refresh = counting_refresh  # type: ignore[method-assign]
        try:
            await feed.arefresh()  # the feed learns where the office's log ends
            pos = feed.head()
            event_id = await sync_to_async(_issue)(office, svc_a)
            # The signal comes from another thread (the listener, or the committing request).
            await loop.run_in_executor(None, feed.wake, event_id)
            await asyncio.wait_for(asyncio.gather(*(w.wait(30) for w in waiters)), 60)
            assert all(w.is_set() for w in waiters)
            assert len(reads) == 2  # the first read, then one for the 20 streams
            _, items = feed.pull_frames(pos)
            assert items is not None and [ev["id"] for _, ev, _ in items] == [event_id]
            chunks = [_Cursor(event_id - 1).frames(items) for _ in waiters]
            assert all(chunk is chunks[0] for chunk in chunks)  # one bytes object for all
            head, _, data = chunks[0].decode().partition("data: ")
            assert head == f"id: {event_id}\nevent: update\n"
            assert json.loads(data)["id"] == event_id

            # A second signal for rows already read wakes nobody.
            for w in waiters:
                w.clear()
            await loop.run_in_executor(None, feed.wake, event_id)
            fan = feed._fans[loop]
            while fan.scheduled or fan.refreshing is not None:
                await asyncio.sleep(0.01)
            assert not any(w.is_set() for w in waiters)
        finally:
            for w in waiters:
                feed.remove(w)
        assert not feed._fans

    run_async(scenario)


@pytest.mark.django_db
def test_a_late_event_is_encoded_for_the_stream_with_its_highest_id(at, office, svc_a):
    event_id = _issue(office, svc_a)
    waiter = broker.Waiter()
    feed = broker.subscribe(office.pk, waiter)
    try:
        feed.refresh()
        pos = feed.head()
        ev = TicketEvent.objects.get(pk=event_id)
        late = TicketEvent.objects.create(
            ticket=ev.ticket, office=office, kind=ev.kind, at=ev.at, detail={}
        )
        feed.wake(late.pk)
        feed.refresh()
        _, items = feed.pull_frames(pos)
        assert items is not None and len(items) == 1
        ahead = _Cursor(late.pk + 5)  # this stream already sent a higher id
        chunk = ahead.frames(items)
        assert chunk is not items[0][2]
        assert chunk.decode().startswith(f"id: {late.pk + 5}\nevent: update\n")
        assert ahead.frames(items) == b""  # never twice
        behind = _Cursor(late.pk - 1)
        assert behind.frames(items) is items[0][2]
        assert behind.last_id == late.pk
    finally:
        broker.unsubscribe(feed, waiter)


@pytest.mark.django_db(transaction=True)
def test_an_open_asgi_stream_receives_a_call_pushed_after_it_opened(
    office, counters, svc_a, officer
):
    """The steady state under ASGI: the stream is open and idle, a call is made in another
    thread, the stream's next chunk is the call."""
    from django.test import AsyncClient

    ticket = ticket_issue(office=office, service=svc_a, citizen=None, method=Method.STAFF).ticket

    async def read() -> str:
        r = await AsyncClient().get(f"/api/v1/queue/{office.pk}/events?max=30")
        chunks = aiter(r.streaming_content)
        hello = (await asyncio.wait_for(anext(chunks), 30)).decode()
        assert "event: ready" in hello
        await sync_to_async(ticket_call_next, thread_sensitive=False)(
            counter=counters[0], officer=officer
        )
        text = ""
        while "event: call" not in text:
            text += (await asyncio.wait_for(anext(chunks), 30)).decode()
        await chunks.aclose()
        return text

    try:
        text = run_async(read)
    finally:
        broker.stop_listener()
    assert ticket.display in text


@pytest.mark.django_db(transaction=True)
def test_the_listener_reads_the_rows_itself_before_waking_the_loop(office, svc_a):
    """A signal received by the listener's thread (PostgreSQL, Redis): the rows are read in
    that thread, and the loop only wakes its streams (no read, no worker thread)."""
    import threading

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        feed = broker.Feed(office.pk)
        waiters = [broker.AsyncWaiter(loop) for _ in range(5)]
        for w in waiters:
            feed.add(w)
        reads: list[str] = []
        real = feed.refresh

        def counting_refresh() -> None:
            reads.append(threading.current_thread().name)
            real()

        feed.refresh = counting_refresh  # type: ignore[method-assign]
        try:
            await feed.arefresh()
            reads.clear()
            event_id = await sync_to_async(_issue)(office, svc_a)
            listener = threading.Thread(
                target=feed.wake, args=(event_id,), kwargs={"read": True}, name="listener"
            )
            listener.start()
            await loop.run_in_executor(None, listener.join)
            await asyncio.wait_for(asyncio.gather(*(w.wait(30) for w in waiters)), 60)
            assert all(w.is_set() for w in waiters)
            assert reads == ["listener"]
            assert [ev["id"] for ev in feed.pull(0)[1] or []] == [event_id]
        finally:
            for w in waiters:
                feed.remove(w)

    run_async(scenario)
