"""Server-sent events for display boards and live ticket pages.

On connect a stream reads the events it missed (after `Last-Event-ID`) from the database once,
then waits on its office's feed (`broker`): it is woken when any process commits an event and
takes the new rows from memory, holding no database connection while idle. Streams end after
`max` seconds (default 55); EventSource reconnects by itself and resumes from Last-Event-ID.
`?once=1` ends the stream after the first batch of events (tests, curl).

The `id:` of each frame is the highest event id sent so far, so that an event which committed
after a higher id (delivered late, in its own frame) never moves a reconnect backwards.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, StreamingHttpResponse

from motcua.core.text import ascii_digits
from motcua.org.models import Office
from motcua.queueing import broker, selectors

KEEPALIVE_S = 15.0
CATCH_UP_LIMIT = 2000  # events replayed to a reconnecting stream at most


_Pending = Sequence[tuple[int, dict[str, Any], bytes | None]]  # (position, event, frame or None)


class _Cursor:
    """What one stream has sent: the highest id, and the recent ids (late events are not repeated)."""

    def __init__(self, last_id: int) -> None:
        self.last_id = last_id
        self.sent: set[int] = set()

    def frames(self, items: _Pending) -> bytes:
        """The frames of the events not sent yet, as one chunk.

        An event newer than all sent goes out as the feed's frame (the same bytes for every
        stream); a late one, or one read from the database, is encoded for this stream.
        """
        out = []
        for _, ev, frame in items:
            event_id = ev["id"]
            if event_id in self.sent:
                continue
            self.sent.add(event_id)
            if len(self.sent) > 4 * broker.BUFFER:
                self.sent = {i for i in self.sent if i > self.last_id - broker.LOOKBACK_IDS}
            if event_id > self.last_id and frame is not None:
                self.last_id = event_id
                out.append(frame)
            else:
                self.last_id = max(self.last_id, event_id)
                out.append(broker.sse_frame(ev, self.last_id))
        return out[0] if len(out) == 1 else b"".join(out)


KEEPALIVE = b": keep-alive\n\n"


def _from_database(events: list[dict[str, Any]]) -> list[tuple[int, dict[str, Any], None]]:
    return [(0, ev, None) for ev in events]


def _params(request: HttpRequest, office: Office) -> tuple[int | None, bool, float]:
    raw = request.headers.get("Last-Event-ID") or request.GET.get("last_id") or ""
    last_id = int(raw) if ascii_digits(raw) and len(raw) < 19 else None
    once = request.GET.get("once") in ("1", "true")
    try:
        max_s = float(request.GET.get("max", "55"))
    except ValueError:
        max_s = 55.0
    max_s = min(max(max_s, 0.5), 300.0)
    return last_id, once, max_s


def _hello(last_id: int) -> bytes:
    data = json.dumps({"last_event_id": last_id})
    return f"retry: 1000\nid: {last_id}\nevent: ready\ndata: {data}\n\n".encode()


def _start(office_id: int, last_id: int | None) -> tuple[int, list[dict[str, Any]]]:
    """The position to start from and the events missed since `last_id` (one database visit)."""
    try:
        if last_id is None:
            return selectors.last_event_id(office_id=office_id), []
        missed: list[dict[str, Any]] = []
        while len(missed) < CATCH_UP_LIMIT:
            batch = selectors.events_after(
                office_id=office_id, last_id=missed[-1]["id"] if missed else last_id, limit=500
            )
            missed.extend(batch)
            if len(batch) < 500:
                break
        return last_id, missed
    finally:
        broker.close_idle_connection()


def _missed_since(office_id: int, last_id: int) -> list[dict[str, Any]]:
    """The stream fell behind the feed's memory: read from the database instead."""
    return _start(office_id, last_id)[1]


def _sync_stream(office_id: int, last_id: int | None, once: bool, max_s: float) -> Iterator[bytes]:
    waiter = broker.Waiter()
    feed = broker.subscribe(office_id, waiter)
    try:
        if feed.needs_refresh():  # a new feed learns where the log ends before the catch-up
            feed.refresh()
        pos = feed.head()
        start_id, missed = _start(office_id, last_id)
        cursor = _Cursor(start_id)
        yield _hello(start_id)
        deadline = time.monotonic() + max_s
        quiet_since = time.monotonic()
        pending: _Pending = _from_database(missed)
        while True:
            chunk = cursor.frames(pending)
            if chunk:
                yield chunk
                quiet_since = time.monotonic()
                if once:
                    return
            elif time.monotonic() - quiet_since > KEEPALIVE_S:
                quiet_since = time.monotonic()
                yield KEEPALIVE
            left = deadline - time.monotonic()
            if left <= 0:
                return
            waiter.clear()
            if feed.needs_refresh():
                feed.refresh()
            pos, fresh = feed.pull_frames(pos)
            if fresh is None:
                pending = _from_database(_missed_since(office_id, cursor.last_id))
            else:
                pending = fresh
            if not pending:
                waiter.wait(min(left, KEEPALIVE_S))
    finally:
        broker.unsubscribe(feed, waiter)


async def _async_stream(
    office_id: int, last_id: int | None, once: bool, max_s: float
) -> AsyncIterator[bytes]:
    """The stream under ASGI. In the steady state a wake-up costs no thread hop: the feed has
    read the new rows before waking the streams, and the frame is the feed's shared bytes."""
    loop = asyncio.get_running_loop()
    waiter = broker.AsyncWaiter(loop)
    feed = broker.subscribe(office_id, waiter)
    try:
        if feed.needs_refresh():  # a new feed learns where the log ends before the catch-up
            await feed.arefresh()
        pos = feed.head()
        start_id, missed = await sync_to_async(_start)(office_id, last_id)
        cursor = _Cursor(start_id)
        yield _hello(start_id)
        deadline = loop.time() + max_s
        quiet_since = loop.time()
        pending: _Pending = _from_database(missed)
        while True:
            chunk = cursor.frames(pending)
            now = loop.time()
            if chunk:
                yield chunk
                quiet_since = now
                if once:
                    return
            elif now - quiet_since >= KEEPALIVE_S:
                quiet_since = now
                yield KEEPALIVE
            left = deadline - now
            if left <= 0:
                return
            waiter.clear()
            if feed.needs_refresh():
                # The loop's one read wakes this stream (and the others) when it has new rows.
                feed.kick(loop)
            pos, fresh = feed.pull_frames(pos)
            if fresh is None:
                missed = await sync_to_async(_missed_since)(office_id, cursor.last_id)
                pending = _from_database(missed)
            else:
                pending = fresh
            if not pending:  # until the next event, keep-alive or the end
                await waiter.wait(min(left, quiet_since + KEEPALIVE_S - now))
    finally:
        broker.unsubscribe(feed, waiter)


def event_stream_response(request: HttpRequest, office: Office) -> StreamingHttpResponse:
    last_id, once, max_s = _params(request, office)
    broker.close_idle_connection()  # the view's connection: a stream holds none while it waits
    # Under ASGI a sync iterator would be consumed whole before sending; under WSGI an async
    # one would. Pick the kind that streams on the server we are running in.
    if isinstance(request, ASGIRequest):
        content: Any = _async_stream(office.pk, last_id, once, max_s)
    else:
        content = _sync_stream(office.pk, last_id, once, max_s)
    response = StreamingHttpResponse(content, content_type="text/event-stream; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response
