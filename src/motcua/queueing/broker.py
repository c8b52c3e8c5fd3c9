"""Queue events pushed to open streams: one listener per process, one database read per event.

The TicketEvent rows are the durable log; this module only says "office N has new events" and
fans the new rows out to every stream of this process:

- PostgreSQL: `pg_notify` is sent inside the transaction that writes the event (delivered at
  commit, never for a rolled-back one); one listener connection per process runs `LISTEN`.
- SQLite with REDIS_URL: published on Redis after commit; one subscriber per process.
- SQLite alone: streams of this process are woken after commit; one thread per process looks
  at the newest event id every `POLL_S` seconds for writes made by other processes.

Each office has a `Feed` holding its recent events in memory, each with its server-sent frame
encoded once (the same bytes go to every stream). When woken, the feed reads the new rows once
(re-reading a short window of ids, so an event that committed after a higher id is still
delivered); the streams take them from memory. Streams waiting on an event loop (ASGI) are
woken together: one callback per loop reads the rows (one thread hop), then wakes every stream
of that loop in one pass. Threaded streams (WSGI, tests) each look for themselves; the first
reads. Streams hold no database connection while they wait. The listener runs only while
streams are open.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

from django.db import connection

from motcua.core.rawsql import vendor
from motcua.core.text import ascii_digits

log = logging.getLogger(__name__)

CHANNEL = "motcua_queue"
POLL_S = 0.25  # SQLite without Redis: how often one thread per process looks for new events
SAFETY_S = 30.0  # a feed re-reads at least this often while streams are open (a lost signal)
CHECK_EARLY_S = 5.0  # the listener's thread makes that read this much before it is due
LOOKBACK_IDS = 2000  # ids re-read below the newest after a lost connection (rare)
BUFFER = 2000  # events an office keeps in memory for streams that are behind
WAKE_SLICE = 64  # streams woken (written to) in one go before the loop runs anything else
MAX_CARRIED = 7000  # bytes of an event carried in its signal (NOTIFY's payload: under 8000)

Item = tuple[int, dict[str, Any], bytes]  # a feed's (position, event, server-sent frame)

# bench/board_fanout.py --trace: a file this process appends "stage event-id perf_counter" lines
# to along an event's way to the streams (perf_counter is the machine's monotonic clock on
# Linux, the same in the bench client). Empty (always, outside that bench): nothing is written.
TRACE_FILE = os.environ.get("MOTCUA_FANOUT_TRACE", "")


def trace(stage: str, event_id: int | None) -> None:
    if TRACE_FILE:
        with open(TRACE_FILE, "a") as out:
            out.write(f"{stage} {event_id} {time.perf_counter():.6f}\n")


def signal_mode() -> str:
    """How events reach other processes: "postgres", "redis" or "local"."""
    if vendor() == "postgresql":
        return "postgres"
    return "redis" if os.environ.get("REDIS_URL") else "local"


def close_idle_connection() -> None:
    """Give this thread's database connection back (to the pool) unless a transaction holds it."""
    if not connection.in_atomic_block:
        connection.close()


# ---------------------------------------------------------------- publishing


def publish(office_id: int, event_id: int, event: dict[str, Any] | None = None) -> None:
    """Call inside the transaction that wrote event `event_id` of office `office_id`.

    `event`: the event as streams send it (`selectors.event_payload`, exactly what a read of
    the row gives): carried by the signal, so that the feeds take it without reading the row.
    """
    from django.db import transaction

    mode, payload = signal_mode(), signal_payload(office_id, event_id, event)
    if payload.count(":") < 2:
        event = None  # too big to carry
    if mode == "postgres":
        with connection.cursor() as cur:
            cur.execute("SELECT pg_notify(%s, %s)", [CHANNEL, payload])
    elif mode == "redis":
        transaction.on_commit(lambda: _redis_publish(payload))
    else:
        transaction.on_commit(lambda: notify(office_id, event_id, event=event))


def signal_payload(office_id: int, event_id: int, event: dict[str, Any] | None) -> str:
    """ "office:event", or "office:event:{event as JSON}" when it carries the event."""
    payload = f"{office_id}:{event_id}"
    if event is not None:
        data = json.dumps(event, ensure_ascii=False, separators=(",", ":"))
        if len(data.encode()) < MAX_CARRIED:
            payload = f"{payload}:{data}"
    return payload


ID_SLOT = "\x01"  # never in a JSON text (json.dumps escapes control characters), nor in a number


def signal_template(office_id: int, event: dict[str, Any] | None) -> str:
    """`signal_payload` for an event whose id is not known yet (PostgreSQL, where the INSERT
    itself sends the NOTIFY): each place of the id is `ID_SLOT`, which the statement replaces
    with the new id (queueing.hotsql.event_insert). `event` must have "id" as its first key
    (`selectors.event_payload`); its value is ignored."""
    payload = f"{office_id}:{ID_SLOT}"
    if event is not None:
        data = json.dumps({**event, "id": 0}, ensure_ascii=False, separators=(",", ":"))
        # A 10-digit id instead of the 0: the same limit as signal_payload's.
        head = '{"id":0'
        if data.startswith(head) and len(data.encode()) + 10 < MAX_CARRIED:
            payload = payload + ':{"id":' + ID_SLOT + data[len(head) :]
    return payload


def _redis_publish(payload: str) -> None:
    try:
        _redis().publish(CHANNEL, payload)
    except Exception:  # the event is stored; streams catch up at their next safety read
        log.warning("queue event not published on Redis", exc_info=True)
        _deliver(payload, read=False)  # in the committing request's thread: wake only


def _deliver(payload: str, *, read: bool = True) -> None:
    """A signal's payload "office:event" or "office:event:{event as JSON}" (from PostgreSQL
    or Redis) wakes that office."""
    office, _, rest = payload.partition(":")
    event_id, _, data = rest.partition(":")
    if not ascii_digits(office):
        return
    event = None
    if data and ascii_digits(event_id):
        try:
            event = json.loads(data)
        except ValueError:
            event = None
        if not isinstance(event, dict) or event.get("id") != int(event_id):
            event = None  # not ours: the rows are read instead
    notify(int(office), int(event_id) if ascii_digits(event_id) else None, read=read, event=event)


_redis_client: Any = None


def _redis() -> Any:
    global _redis_client
    if _redis_client is None:
        import redis

        _redis_client = redis.Redis.from_url(os.environ["REDIS_URL"])
    return _redis_client


def notify(
    office_id: int | None = None,
    event_id: int | None = None,
    *,
    read: bool = False,
    event: dict[str, Any] | None = None,
) -> None:
    """Wake the streams of this process (one office, or all when None).

    `read`: the caller is the listener's thread, which reads the new rows itself before the
    event loops are woken (one thread hop fewer than a read in a worker thread). `event`: the
    signal carried the event (`publish`): the feed takes it without a read.
    """
    for hook in _hooks:
        hook(office_id, event_id)
    with _registry_lock:
        feeds = list(_feeds.values()) if office_id is None else [_feeds.get(office_id)]
    for feed in feeds:
        if feed is not None:
            feed.wake(event_id, read=read, event=event)


# ---------------------------------------------------------------- waiters and feeds


class Waiter:
    """A stream waiting in a thread (WSGI, tests)."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def set(self) -> None:
        self._event.set()

    def clear(self) -> None:
        self._event.clear()

    def wait(self, timeout: float) -> None:
        self._event.wait(timeout)


class AsyncWaiter:
    """A stream waiting on an event loop (ASGI).

    Its feed wakes it with the other streams of its loop (`_LoopFan`); `set` wakes it alone
    from any thread. Waiting costs a future; its timer is kept from one wait to the next when
    it is due no later than asked (a stream then wakes early once, finds nothing and waits
    again), so that an event does not cost every stream a timer cancelled and another set.
    """

    __slots__ = ("loop", "push", "_flag", "_future", "_timer")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        # Set by a stream that can write without being woken (streams.py, `_Direct`): called
        # on the loop's thread in the wake-up pass, it writes what is new and returns True
        # (the stream stays asleep), or returns False to be woken as usual.
        self.push: Callable[[], bool] | None = None
        self._flag = False
        self._future: asyncio.Future[None] | None = None
        self._timer: asyncio.TimerHandle | None = None

    def fire(self) -> None:
        """Wake the stream (on its loop's thread)."""
        self._flag = True
        future = self._future
        if future is not None and not future.done():
            future.set_result(None)

    def set(self) -> None:
        if _running_loop() is self.loop:
            self.fire()
        else:
            with contextlib.suppress(RuntimeError):  # loop closed: the stream is gone
                self.loop.call_soon_threadsafe(self.fire)

    def is_set(self) -> bool:
        return self._flag

    def clear(self) -> None:
        self._flag = False

    def _timeout(self) -> None:
        self._timer = None
        future = self._future
        if future is not None and not future.done():
            future.set_result(None)

    async def wait(self, timeout: float) -> None:
        if self._flag:
            return
        loop = self.loop
        when = loop.time() + timeout
        timer = self._timer
        if timer is None or timer.when() > when:
            if timer is not None:
                timer.cancel()
            self._timer = loop.call_at(when, self._timeout)
        future = self._future = loop.create_future()
        try:
            await future
        finally:
            self._future = None

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def sse_frame(event: dict[str, Any], last_id: int) -> bytes:
    """One server-sent frame: `id:` is the highest event id the stream has sent."""
    name = "call" if event["kind"] in ("call", "recall") else "update"
    data = json.dumps(event, ensure_ascii=False)
    return f"id: {last_id}\nevent: {name}\ndata: {data}\n\n".encode()


class _LoopFan:
    """The async streams of one feed on one event loop: woken together, after one read.

    A signal (from any thread) schedules one callback on the loop; it reads the new rows in a
    worker thread when needed (one hop for all the streams) and then wakes every stream of the
    loop in one pass, only when the feed has something new for them. A stream that can write
    by itself (`AsyncWaiter.push`) is written to in that pass instead of being woken.
    """

    def __init__(self, feed: Feed, loop: asyncio.AbstractEventLoop) -> None:
        self.feed = feed
        self.loop = loop
        self.waiters: set[AsyncWaiter] = set()
        self.scheduled = False
        self.refreshing: asyncio.Task[None] | None = None
        self.woken_at = feed.head()

    def schedule(self) -> None:
        """From any thread: look at the feed on the loop soon (one callback, however many)."""
        if self.scheduled:
            return
        self.scheduled = True
        try:
            self.loop.call_soon_threadsafe(self._run)
        except RuntimeError:  # loop closed: its streams are gone
            self.scheduled = False

    def _run(self) -> None:
        self.scheduled = False  # before looking: a signal arriving from now on schedules again
        if self.feed.needs_refresh():
            self.start_refresh()  # wakes the streams when the rows are in memory
        else:
            self.wake_all()

    def start_refresh(self) -> asyncio.Task[None]:
        if self.refreshing is None:
            self.refreshing = self.loop.create_task(self._refresh())
            self.refreshing.add_done_callback(self._done)
        return self.refreshing

    async def _refresh(self) -> None:
        from asgiref.sync import sync_to_async

        while self.feed.needs_refresh():  # a signal that came during the read asks again
            await sync_to_async(self.feed.refresh, thread_sensitive=False)()

    def _done(self, task: asyncio.Task[None]) -> None:
        self.refreshing = None
        if not task.cancelled() and task.exception() is not None:
            # The signals stay pending: the next signal or keep-alive tries again.
            log.warning("queue feed read failed", exc_info=task.exception())
        self.wake_all()

    def wake_all(self) -> None:
        head = self.feed.head()
        if head == self.woken_at:
            return  # nothing new (e.g. a second signal for rows already read)
        self.woken_at = head
        if TRACE_FILE:
            trace("loop", self.feed.newest_id())
        self._wake(list(self.waiters), 0)

    def _wake(self, waiters: list[AsyncWaiter], start: int) -> None:
        """Wake (or write to) `WAKE_SLICE` streams, then let the loop run what else is ready
        (the answer to the call that made the event) before the next slice."""
        end = start + WAKE_SLICE
        for waiter in waiters[start:end]:
            push = waiter.push
            if push is None or not push():
                waiter.fire()
        if end < len(waiters):
            self.loop.call_soon(self._wake, waiters, end)
        elif TRACE_FILE:
            newest = self.feed.newest_id()
            trace("fired", newest)
            # After the streams' tasks, which the fires scheduled first: all written.
            self.loop.call_soon(trace, "written", newest)


class Feed:
    """One office's recent events in this process, read from the database once per signal."""

    def __init__(self, office_id: int) -> None:
        self.office_id = office_id
        self._lock = threading.Lock()  # one refresh at a time
        # (seq, event, frame): the frame's `id:` is the event's own, what a stream that is not
        # behind sends; `_view` is a copy taken after each read (streams index it lock-free).
        self._items: deque[Item] = deque(maxlen=BUFFER)
        self._view: tuple[Item, ...] = ()
        self._seq = 0
        self._seen: set[int] = set()  # ids already in the feed (the last BUFFER of them)
        self._seen_order: deque[int] = deque()
        self._pending: set[int] = set()  # ids announced by a signal, not read yet
        self._look_back = False
        self._max_id: int | None = None
        self._origin = 0  # the newest id when the feed was created
        # Signals received / signals answered by a finished read: a stream that looks while
        # another is reading waits for that read (a flag cleared at its start would let it
        # look at the buffer too early and then sleep through the event).
        self._wanted = 1
        self._done = 0
        self._checked_at = 0.0
        self.waiters: set[Any] = set()  # every stream of the office in this process
        self._threaded: set[Any] = set()  # those waiting in a thread (each woken by itself)
        self._fans: dict[asyncio.AbstractEventLoop, _LoopFan] = {}  # the others, per loop

    def add(self, waiter: Any) -> None:
        self.waiters.add(waiter)
        if isinstance(waiter, AsyncWaiter):
            fan = self._fans.get(waiter.loop)
            if fan is None:
                fan = self._fans[waiter.loop] = _LoopFan(self, waiter.loop)
            fan.waiters.add(waiter)
        else:
            self._threaded.add(waiter)

    def remove(self, waiter: Any) -> None:
        self.waiters.discard(waiter)
        self._threaded.discard(waiter)
        if isinstance(waiter, AsyncWaiter):
            waiter.close()
            fan = self._fans.get(waiter.loop)
            if fan is not None:
                fan.waiters.discard(waiter)
                if not fan.waiters:
                    del self._fans[waiter.loop]

    def head(self) -> int:
        return self._seq

    def newest_id(self) -> int | None:
        view = self._view
        return view[-1][1]["id"] if view else None

    def wake(
        self,
        event_id: int | None = None,
        *,
        read: bool = False,
        event: dict[str, Any] | None = None,
    ) -> None:
        """New events: `event_id` when the signal named it, else re-read a window of ids.

        `read` (from a thread that may use the database, never an event loop): read the rows
        here before waking the loops' streams. `event`: the signal carried the event, which is
        taken without a read when nothing else is waiting to be read."""
        if event_id is None:
            self._look_back = True
        else:
            self._pending.add(event_id)
        self._wanted += 1
        if event is not None and event_id is not None:
            self.take(event_id, event)
        for waiter in list(self._threaded):
            waiter.set()
        if self._fans:
            if read:
                try:
                    self.refresh()
                except Exception:  # the loops' own read tries again
                    log.warning("queue feed read failed", exc_info=True)
                if TRACE_FILE:
                    trace("read", event_id)
            for fan in list(self._fans.values()):
                fan.schedule()

    def take(self, event_id: int, event: dict[str, Any]) -> bool:
        """Add an event a signal carried, without reading the database; False (nothing done)
        when a read is needed anyway: the feed's first, or a look-back after a lost signal."""
        with self._lock:
            if self._max_id is None or self._look_back:
                return False
            target = self._wanted  # taken under the lock: a later signal asks again
            self._pending.discard(event_id)
            self._append(event_id, event)
            self._view = tuple(self._items)
            if not self._pending:
                self._done = target
            return True

    def _append(self, event_id: int, event: dict[str, Any]) -> None:
        """Under the lock: an event not in the feed yet becomes its next item."""
        if event_id in self._seen:
            return
        self._seen.add(event_id)
        self._seen_order.append(event_id)
        if len(self._seen_order) > BUFFER:
            self._seen.discard(self._seen_order.popleft())
        self._seq += 1
        self._items.append((self._seq, event, sse_frame(event, event_id)))
        self._max_id = max(self._max_id or 0, event_id)

    def needs_refresh(self) -> bool:
        return self._done < self._wanted or time.monotonic() - self._checked_at > SAFETY_S

    def refresh(self, *, force: bool = False) -> None:
        """Read the office's new events (sync; the first caller reads, the others find it done).

        In the listener's thread (PostgreSQL) the read goes over the listener's own connection
        (`_own`), not the pool's: an idle process holds that connection alone."""
        with self._lock:
            if not force and not self.needs_refresh():
                return
            target = self._wanted  # a signal arriving during the read asks for another
            self._checked_at = time.monotonic()
            pending, self._pending = self._pending, set()
            look_back, self._look_back = self._look_back, False
            raw = getattr(_own, "conn", None)
            try:
                if self._max_id is None:
                    # Events before the feed existed belong to each stream's own catch-up.
                    self._max_id = self._origin = self._read_newest(raw)
                    self._done = target
                    return
                newest = self._max_id
                floor = max(newest - LOOKBACK_IDS, self._origin) if look_back else newest
                late = [i for i in pending if i <= floor and i not in self._seen]
                for event_id, event in self._read_after(raw, floor, late):
                    if event_id not in self._seen:
                        self._append(event_id, event)
                self._view = tuple(self._items)
                self._done = target
            except Exception:
                self._pending |= pending
                raise
            finally:
                if raw is None:
                    close_idle_connection()

    def _read_newest(self, raw: Any) -> int:
        from motcua.queueing.models import TicketEvent

        if raw is None:
            qs = TicketEvent.objects.filter(office_id=self.office_id)
            return max(qs.order_by("-id").values_list("id", flat=True)[:1], default=0)
        row = raw.execute(
            "SELECT id FROM queueing_ticketevent WHERE office_id = %s ORDER BY id DESC LIMIT 1",
            [self.office_id],
        ).fetchone()
        return int(row[0]) if row else 0

    def _read_after(
        self, raw: Any, floor: int, late: list[int]
    ) -> list[tuple[int, dict[str, Any]]]:
        """The office's events with an id above `floor` or in `late`, oldest first."""
        from django.db.models import Q

        from motcua.queueing.models import TicketEvent
        from motcua.queueing.selectors import event_payload

        if raw is None:
            qs = TicketEvent.objects.filter(office_id=self.office_id)
            rows = qs.filter(Q(id__gt=floor) | Q(id__in=late)) if late else qs.filter(id__gt=floor)
            return [(ev.pk, event_payload(ev)) for ev in rows.order_by("id")]
        # The listener's connection: the same columns, the same payload (its time zone is UTC,
        # as Django's connections'; jsonb arrives as Python objects).
        found = raw.execute(
            "SELECT id, kind, at, detail FROM queueing_ticketevent "
            "WHERE office_id = %s AND (id > %s OR id = ANY(%s)) ORDER BY id",
            [self.office_id, floor, late],
        ).fetchall()
        return [
            (pk, event_payload(TicketEvent(id=pk, kind=kind, at=at, detail=detail)))
            for pk, kind, at, detail in found
        ]

    def check(self) -> None:
        """From the listener's thread (PostgreSQL), every second: the read due every SAFETY_S
        (a lost signal) is made here, on the listener's connection, a little before a stream
        would find it due and make it over the pool; the streams are woken if it found any."""
        if time.monotonic() - self._checked_at < SAFETY_S - CHECK_EARLY_S:
            return
        head = self._seq
        self.refresh(force=True)
        if self._seq != head:
            for waiter in list(self._threaded):
                waiter.set()
            for fan in list(self._fans.values()):
                fan.schedule()

    async def arefresh(self) -> None:
        """`refresh` from an event loop, shared by the streams of the loop (one thread hop)."""
        fan = self._fans.get(asyncio.get_running_loop())
        if fan is None:
            from asgiref.sync import sync_to_async

            await sync_to_async(self.refresh, thread_sensitive=False)()
            return
        await asyncio.shield(fan.start_refresh())  # a failed read is raised here

    def kick(self, loop: asyncio.AbstractEventLoop) -> None:
        """From a stream on `loop` that found the feed stale: have the loop's streams' read
        started (without waiting for it); the streams are woken when it has new events."""
        fan = self._fans.get(loop)
        if fan is not None:
            fan.start_refresh()

    def pull(self, pos: int) -> tuple[int, list[dict[str, Any]] | None]:
        """Events after position `pos`; None when they fell out of memory (read the database)."""
        pos, items = self.pull_frames(pos)
        return pos, None if items is None else [ev for _, ev, _ in items]

    def pull_frames(self, pos: int) -> tuple[int, Sequence[Item] | None]:
        """Like `pull`, with each event's position and frame (`id:` = the event's id)."""
        items = self._view
        if not items or items[-1][0] <= pos:
            return pos, ()
        first = items[0][0]
        if first > pos + 1:
            return items[-1][0], None
        return items[-1][0], items[pos + 1 - first :]


_feeds: dict[int, Feed] = {}
_own = threading.local()  # `conn`: the listener's connection, in the listener's thread
_registry_lock = threading.Lock()
_listener: _Listener | None = None


def subscribe(office_id: int, waiter: Any) -> Feed:
    """Register a stream (starts this process's listener when it is the first)."""
    global _listener
    with _registry_lock:
        feed = _feeds.get(office_id)
        if feed is None:
            feed = _feeds[office_id] = Feed(office_id)
        feed.add(waiter)
        if _listener is None or not _listener.is_alive():
            _listener = _Listener(signal_mode())
            _listener.start()
    return feed


def unsubscribe(feed: Feed, waiter: Any) -> None:
    with _registry_lock:
        feed.remove(waiter)
        if not feed.waiters:
            _feeds.pop(feed.office_id, None)


def open_streams() -> int:
    with _registry_lock:
        return sum(len(f.waiters) for f in _feeds.values())


def stop_listener() -> None:
    """Stop this process's listener now (tests: before the test database is dropped)."""
    global _listener, _held_until
    with _registry_lock:
        listener, _listener = _listener, None
        _held_until = 0.0
    if listener is not None:
        listener.stop()


# ---------------------------------------------------------------- hooks (the board fast lane)

_hooks: list[Callable[[int | None, int | None], None]] = []
_held_until = 0.0  # the listener keeps running until then, streams or not (monotonic)
_sessions = 0
_live = 0  # the listener's session while it listens, 0 while it does not


def add_hook(hook: Callable[[int | None, int | None], None]) -> None:
    """Call `hook(office_id, event_id)` on every signal this process receives, before the
    streams are woken (office None: every office may have changed, e.g. after a reconnect)."""
    if hook not in _hooks:
        _hooks.append(hook)


def hold(seconds: float) -> None:
    """Keep this process's listener running for `seconds` more without streams (start it)."""
    global _listener, _held_until
    with _registry_lock:
        _held_until = max(_held_until, time.monotonic() + seconds)
        if _listener is None or not _listener.is_alive():
            _listener = _Listener(signal_mode())
            _listener.start()


def listening() -> int:
    """The listener's session while it listens, else 0. While the same non-zero session is
    returned, every event committed since it was first returned has been or will be signalled
    (to the hooks) within the delivery delay: a new number means signals may have been lost."""
    return _live


def _set_live(on: bool, session: int | None = None) -> int:
    """Start a new session (on) and return it; or end `session` (off): only if it is still
    the live one, so that a listener finishing late never ends the next listener's session."""
    global _sessions, _live
    with _registry_lock:
        if on:
            _sessions += 1
            _live = _sessions
        elif session is None or _live == session:
            _live = 0
        return _live


def _held() -> bool:
    return time.monotonic() < _held_until


# ---------------------------------------------------------------- the listener


class _Listener(threading.Thread):
    """Receives "office N changed" from other processes and wakes that office's streams.

    Stops by itself once no stream has been open for a moment.
    """

    IDLE_STOP_S = 5.0

    def __init__(self, mode: str) -> None:
        super().__init__(name=f"motcua-queue-listener-{mode}", daemon=True)
        self.mode = mode
        self._stop_event = threading.Event()
        self._idle_since: float | None = None
        self._conn: Any = None
        self._session = -1  # the session this listener made live (-1: none yet)

    def stop(self) -> None:
        self._stop_event.set()
        conn = self._conn
        if conn is not None:
            with contextlib.suppress(Exception):  # closing a broken connection
                conn.close()
        self.join(timeout=5)

    def _should_stop(self) -> bool:
        if self._stop_event.is_set():
            return True
        if open_streams() or _held():
            self._idle_since = None
            return False
        now = time.monotonic()
        if self._idle_since is None:
            self._idle_since = now
        if now - self._idle_since > self.IDLE_STOP_S:
            global _listener
            with _registry_lock:
                if (
                    _listener is self
                    and not any(f.waiters for f in _feeds.values())
                    and not _held()
                ):
                    _listener = None
                    return True
            self._idle_since = None
        return False

    def run(self) -> None:
        run = {"postgres": self._run_postgres, "redis": self._run_redis}.get(
            self.mode, self._run_local
        )
        while not self._should_stop():
            try:
                run()
                _set_live(False, self._session)
            except Exception:
                _set_live(False, self._session)
                if self._stop_event.is_set():
                    return
                log.warning("queue listener (%s) lost its connection", self.mode, exc_info=True)
                notify(None, read=True)  # streams re-read: nothing is lost while reconnecting
                self._stop_event.wait(1.0)

    def _run_postgres(self) -> None:
        import psycopg

        params = {
            k: v
            for k, v in connection.get_connection_params().items()
            if k not in ("context", "cursor_factory", "prepare_threshold", "server_side_binding")
        }
        with psycopg.connect(**params, autocommit=True) as conn:
            self._conn = conn
            conn.execute("SELECT set_config('TimeZone', 'UTC', false)")  # as Django's
            conn.execute(f"LISTEN {CHANNEL}")
            _own.conn = conn  # the feeds' reads in this thread go over this connection
            try:
                self._session = _set_live(True)
                notify(None, read=True)  # anything committed before LISTEN: streams re-read
                while not self._should_stop():
                    # Taken out of the generator before they are delivered: it holds the
                    # connection's lock while it runs, and a delivery may read over this very
                    # connection (a signal without its event); the ones that come in meanwhile
                    # wait in psycopg's backlog for the next call.
                    for note in list(conn.notifies(timeout=1.0, stop_after=1)):
                        if TRACE_FILE:
                            trace("notified", None)
                        _deliver(note.payload)
                    with _registry_lock:
                        feeds = list(_feeds.values())
                    for feed in feeds:
                        feed.check()
            finally:
                _own.conn = None
            self._conn = None

    def _run_redis(self) -> None:
        pubsub = _redis().pubsub()
        pubsub.subscribe(CHANNEL)
        self._conn = pubsub
        try:
            notify(None, read=True)
            while not self._should_stop():
                message = pubsub.get_message(timeout=1.0)
                if message and message.get("type") == "message":
                    data = message["data"]
                    _deliver(data.decode() if isinstance(data, bytes) else str(data))
                elif message and message.get("type") == "subscribe":
                    # Redis confirmed: from now on nothing published is missed.
                    self._session = _set_live(True)
                    notify(None, read=True)
        finally:
            self._conn = None
            pubsub.close()

    def _run_local(self) -> None:
        from django.db.models import Max

        from motcua.queueing.models import TicketEvent

        last: int | None = None
        while not self._should_stop():
            try:
                newest = TicketEvent.objects.aggregate(m=Max("id"))["m"] or 0
                if last is not None and newest > last:
                    # SQLite commits one writer at a time: ids arrive in order, no window needed.
                    for office_id, event_id in TicketEvent.objects.filter(id__gt=last).values_list(
                        "office_id", "id"
                    ):
                        notify(office_id, event_id, read=True)
                if last is None:
                    # Other processes' writes from now on are seen (fast lane).
                    self._session = _set_live(True)
                last = newest
            finally:
                close_idle_connection()
            self._stop_event.wait(POLL_S)
