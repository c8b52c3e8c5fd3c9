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
import logging
import threading
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIHandler, ASGIRequest
from django.http import HttpRequest, StreamingHttpResponse

from motcua.core.text import ascii_digits
from motcua.org.models import Office
from motcua.queueing import broker, selectors

log = logging.getLogger(__name__)

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
    """The position to start from and the events missed since `last_id` (one database visit).

    At most `READS_AT_ONCE` at a time in a process: a thousand boards (re)connecting together
    take no more of the connection pool than that, and leave it to the counters' requests."""
    with _reads:
        return _start_read(office_id, last_id)


READS_AT_ONCE = 2
_reads = threading.BoundedSemaphore(READS_AT_ONCE)


def _start_read(office_id: int, last_id: int | None) -> tuple[int, list[dict[str, Any]]]:
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


class _Direct:
    """What an ASGI stream has sent (position in the feed, cursor, last write), shared by its
    task and by its feed's wake-up pass.

    When the server's `send` is known (`DirectSendASGI`), the wake-up pass writes a sleeping
    stream's new frames itself (`push`) instead of waking its task: one `send` per stream, all
    in one pass, without the task's and Django's per-chunk steps (they made up most of a
    fan-out's time). Only while the task sleeps in its wait: Django is then waiting for the
    task's next chunk, so nothing else is sending on the connection. A `send` that has to wait
    (a client not reading: flow control) goes on in a task, which the stream's task waits for
    before it sends anything itself. A `send` that fails ends the stream; the client reconnects
    with the Last-Event-ID it has, and nothing is lost.
    """

    __slots__ = (
        "feed", "loop", "send", "waiter", "pos", "cursor", "quiet_since", "asleep", "writing",
        "failed",
    )  # fmt: skip

    def __init__(
        self, feed: broker.Feed, waiter: broker.AsyncWaiter, send: Any, pos: int, cursor: _Cursor
    ) -> None:
        self.feed = feed
        self.loop = waiter.loop
        self.send = send
        self.waiter = waiter
        self.pos = pos
        self.cursor = cursor
        self.quiet_since = self.loop.time()
        self.asleep = False
        self.writing: asyncio.Task[None] | None = None
        self.failed = False

    def push(self) -> bool:
        """On the loop's thread: write the feed's new frames; False: wake the task instead."""
        if not self.asleep or self.writing is not None or self.failed:
            return False
        try:
            pos, fresh = self.feed.pull_frames(self.pos)
            if fresh is None:
                return False  # behind the feed's memory: the task reads the database
            chunk = self.cursor.frames(fresh)
            self.pos = pos
            if not chunk:
                return True
            self.quiet_since = self.loop.time()
            if len(chunk) > ASGIHandler.chunk_size:
                self._go_on(self._send_all(chunk))
                return True
            coro = self.send({"type": "http.response.body", "body": chunk, "more_body": True})
            try:
                waiting = coro.send(None)
            except StopIteration:
                return True  # written
            self._go_on(_Rest(coro, waiting).run())
            return True
        except Exception:
            log.warning("event stream write failed", exc_info=True)
            self.failed = True
            return False

    def _go_on(self, coro: Any) -> None:
        self.writing = self.loop.create_task(coro)
        self.writing.add_done_callback(self._written)

    async def _send_all(self, chunk: bytes) -> None:
        for part, _ in ASGIHandler.chunk_bytes(chunk):
            await self.send({"type": "http.response.body", "body": part, "more_body": True})

    def _written(self, task: asyncio.Task[None]) -> None:
        self.writing = None
        if task.cancelled() or task.exception() is not None:
            self.failed = True
            self.waiter.fire()  # the task ends the stream


class _Rest:
    """The rest of a coroutine started by hand that stopped at `waiting` (what it awaits)."""

    def __init__(self, coro: Any, waiting: Any) -> None:
        self.coro = coro
        self.waiting = waiting

    def __await__(self) -> Any:
        try:
            yield self.waiting  # handed to the task, as the coroutine itself would have
        except BaseException:
            self.coro.close()
            raise
        return (yield from self.coro.__await__())

    async def run(self) -> None:
        await self


async def _async_stream(
    office_id: int, last_id: int | None, once: bool, max_s: float, send: Any = None
) -> AsyncIterator[bytes]:
    """The stream under ASGI. In the steady state a wake-up costs no thread hop: the feed has
    read the new rows before waking the streams, and the frame is the feed's shared bytes;
    with the server's `send` (not for `once`), the feed's wake-up pass writes it (`_Direct`)."""
    loop = asyncio.get_running_loop()
    waiter = broker.AsyncWaiter(loop)
    feed = broker.subscribe(office_id, waiter)
    state: _Direct | None = None
    try:
        if feed.needs_refresh():  # a new feed learns where the log ends before the catch-up
            await feed.arefresh()
        pos = feed.head()
        start_id, missed = await sync_to_async(_start)(office_id, last_id)
        state = _Direct(feed, waiter, send, pos, _Cursor(start_id))
        yield _hello(start_id)
        deadline = loop.time() + max_s
        state.quiet_since = loop.time()
        pending: _Pending = _from_database(missed)
        while True:
            chunk = state.cursor.frames(pending)
            now = loop.time()
            if chunk:
                yield chunk
                state.quiet_since = now
                if once:
                    return
            elif now - state.quiet_since >= KEEPALIVE_S:
                state.quiet_since = now
                yield KEEPALIVE
            left = deadline - now
            if left <= 0:
                return
            waiter.clear()
            if feed.needs_refresh():
                # The loop's one read wakes this stream (and the others) when it has new rows.
                feed.kick(loop)
            state.pos, fresh = feed.pull_frames(state.pos)
            if fresh is None:
                missed = await sync_to_async(_missed_since)(office_id, state.cursor.last_id)
                pending = _from_database(missed)
            else:
                pending = fresh
            if not pending:  # until the next event, keep-alive or the end
                if send is not None and not once:
                    waiter.push = state.push
                state.asleep = True
                try:
                    await waiter.wait(min(left, state.quiet_since + KEEPALIVE_S - now))
                finally:
                    state.asleep = False
                if state.writing is not None:  # a write of the wake-up pass still going on
                    await asyncio.wait([state.writing])
                if state.failed:
                    return
    finally:
        waiter.push = None
        if state is not None and state.writing is not None:
            state.writing.cancel()
        broker.unsubscribe(feed, waiter)


SEND_KEY = "motcua.send"  # in an event stream request's ASGI scope: the server's `send`


class DirectSendASGI:
    """Puts the server's `send` in the scope of event stream requests (`.../events`), for
    their feed's wake-up pass to write to them (`_Direct`). Wraps Django's ASGI application
    directly, so that it is the very `send` Django answers with."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope.get("type") == "http" and str(scope.get("path", "")).endswith("/events"):
            scope = {**scope, SEND_KEY: send}
        await self.app(scope, receive, send)


def event_stream_response(request: HttpRequest, office: Office) -> StreamingHttpResponse:
    last_id, once, max_s = _params(request, office)
    broker.close_idle_connection()  # the view's connection: a stream holds none while it waits
    # Under ASGI a sync iterator would be consumed whole before sending; under WSGI an async
    # one would. Pick the kind that streams on the server we are running in.
    if isinstance(request, ASGIRequest):
        send = request.scope.get(SEND_KEY)
        content: Any = _async_stream(office.pk, last_id, once, max_s, send)
    else:
        content = _sync_stream(office.pk, last_id, once, max_s)
    response = StreamingHttpResponse(content, content_type="text/event-stream; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response
